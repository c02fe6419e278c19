"""The offline table of cluster-scoped kinds: client-side dry runs and the test cluster share it."""

from __future__ import annotations

import pytest

from tfhelm.actions.objects import desired_objects
from tfhelm.kube.fake import FakeKubeClient
from tfhelm.kube.kinds import CLUSTER_SCOPED_KINDS, OfflineScope


@pytest.mark.parametrize(("api_version", "kind", "namespaced"), [
    ("v1", "ConfigMap", True), ("apps/v1", "StatefulSet", True), ("example.com/v1", "Widget", True),
    ("v1", "Namespace", False), ("rbac.authorization.k8s.io/v1", "ClusterRole", False),
    ("storage.k8s.io/v1", "CSIDriver", False), ("node.k8s.io/v1", "RuntimeClass", False),
])
def test_offline_scope_knows_built_in_cluster_scoped_kinds(api_version, kind, namespaced):
    assert OfflineScope().is_namespaced(api_version, kind) is namespaced
    assert FakeKubeClient().is_namespaced(api_version, kind) is namespaced  # the fake reads the same table


def test_offline_objects_get_the_release_namespace_only_when_namespaced():
    manifests = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}},
        {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "gadgets.example.com"},
         "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Gadget"}, "versions": [{"name": "v1"}]}},
        {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}},
    ]
    objects = desired_objects(manifests, release="demo", namespace="ml", kube=OfflineScope())
    assert [o["metadata"].get("namespace") for o in objects] == ["ml", None, None, None]
    assert "CustomResourceDefinition" in CLUSTER_SCOPED_KINDS
