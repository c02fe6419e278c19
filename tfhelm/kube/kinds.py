"""Which Kubernetes kinds are cluster-scoped, known without asking an API server.

A client-side dry run has no cluster to discover kinds from, yet must still decide which
rendered objects get the release namespace; the in-memory test cluster needs the same answer.
Both read this table. Kinds not listed (custom kinds included) are taken as namespaced, which
is what most are; a chart's own CRDs are looked up from the chart before this table.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["CLUSTER_SCOPED_KINDS", "OfflineScope", "ScopeSource"]

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)


class ScopeSource(Protocol):
    """Anything that can say whether a kind is namespaced: a cluster client or :class:`OfflineScope`."""

    def is_namespaced(self, api_version: str, kind: str) -> bool: ...


class OfflineScope:
    """Kind scopes from :data:`CLUSTER_SCOPED_KINDS` alone, for work done without a cluster."""

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        return kind not in CLUSTER_SCOPED_KINDS
