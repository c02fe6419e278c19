"""Turning rendered template text into Kubernetes manifests: split, check, de-duplicate, order.

Each rendered template is split on ``---`` lines; empty documents are dropped; each remaining
document must be a mapping with ``apiVersion``, ``kind`` and ``metadata.name``. Manifests keep
the text the template produced (what ``tfhelm template`` prints, as Helm does) next to the
parsed object. Ordering follows Helm's install order by kind, stable within a kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tfhelm.engine.render import RenderedTemplate
from tfhelm.errors import ManifestError, RenderError, YamlProblem
from tfhelm.yamlio import load_yaml

__all__ = ["INSTALL_ORDER", "Manifest", "format_manifests", "install_rank", "parse_manifests", "sort_manifests"]

INSTALL_ORDER = (
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
)
_RANK = {kind: rank for rank, kind in enumerate(INSTALL_ORDER)}
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object: where it came from, the text rendered, and the parsed object."""

    source: str
    text: str
    object: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.object["kind"]

    @property
    def api_version(self) -> str:
        return self.object["apiVersion"]

    @property
    def name(self) -> str:
        return self.object["metadata"]["name"]

    @property
    def namespace(self) -> str | None:
        return self.object["metadata"].get("namespace")

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes an object unique: kind, namespace ("" for the release's), name."""
        return (self.kind, self.namespace or "", self.name)

    def describe(self) -> str:
        return f"{self.kind}/{self.name}"


def parse_manifests(rendered: Iterable[RenderedTemplate]) -> list[Manifest]:
    """Split and check every rendered template; reject duplicate objects."""
    manifests = []
    for template in rendered:
        manifests.extend(_split(template))
    _reject_duplicates(manifests)
    return manifests


def _split(template: RenderedTemplate) -> list[Manifest]:
    manifests = []
    line_offset = 0
    for chunk in _SEPARATOR.split(template.text):
        document = _parse(template, chunk, line_offset)
        if document is not None:
            manifests.append(Manifest(template.source, chunk.strip("\n"), document))
        line_offset += chunk.count("\n") + 1
    return manifests


def _parse(template: RenderedTemplate, chunk: str, line_offset: int) -> dict[str, Any] | None:
    try:
        document = load_yaml(chunk)
    except YamlProblem as problem:
        line = line_offset + (problem.line or 1)
        # the offending line is shown unless the document looks like a Secret (it may hold one)
        shown = "" if re.search(r"(?m)^kind:\s*Secret\b", chunk) else f"\n    {line}| {_line_of(template.text, line)}"
        raise RenderError(
            f"rendered output is not valid YAML at line {line} of the output: {problem.problem}{shown}",
            template=template.source,
        ) from None
    if document is None:
        return None
    _check_object(template, document, line_offset + 1)
    return document


def _line_of(text: str, line: int) -> str:
    lines = text.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _check_object(template: RenderedTemplate, document: object, line: int) -> None:
    where = f"document at line {line} of the output"
    if not isinstance(document, dict):
        raise ManifestError(
            f"{where} is a {type(document).__name__}, not a Kubernetes object (a mapping)", template=template.source
        )
    for field in ("apiVersion", "kind"):
        if not isinstance(document.get(field), str) or not document[field]:
            raise ManifestError(f"{where} has no {field}", template=template.source)
    metadata = document.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise ManifestError(f"{where} ({document['kind']}) has no metadata.name", template=template.source)
    _check_names(metadata, f"{where} ({document['kind']})", template)


def _check_names(metadata: dict[str, Any], where: str, template: RenderedTemplate) -> None:
    """Names become URL path segments: refuse what the API server refuses, before any request."""
    name = metadata["name"]
    if name in (".", "..") or "/" in name or "%" in name:
        raise ManifestError(
            f"{where} has an invalid metadata.name {name!r}: it may not be '.' or '..' or contain '/' or '%'",
            template=template.source,
        )
    namespace = metadata.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace)):
        raise ManifestError(
            f"{where} has an invalid metadata.namespace {namespace!r}: use a DNS-1123 label", template=template.source
        )


def _reject_duplicates(manifests: list[Manifest]) -> None:
    seen: dict[tuple[str, str, str], Manifest] = {}
    for manifest in manifests:
        first = seen.setdefault(manifest.key, manifest)
        if first is not manifest:
            namespace = f" in namespace {manifest.namespace}" if manifest.namespace else ""
            raise ManifestError(
                f"{manifest.describe()}{namespace} is defined twice (also in {first.source})",
                template=manifest.source,
            )


def install_rank(kind: str) -> tuple[int, str]:
    """Sort key of a kind in Helm's install order: known kinds by rank, unknown ones last by name."""
    rank = _RANK.get(kind)
    return (len(INSTALL_ORDER), kind) if rank is None else (rank, "")


def sort_manifests(manifests: Iterable[Manifest]) -> list[Manifest]:
    """Order by Helm's install order of kinds; unknown kinds last by kind name; stable within a kind."""
    return sorted(manifests, key=lambda m: install_rank(m.kind))


def format_manifests(manifests: Iterable[Manifest]) -> str:
    """The ``tfhelm template`` stream: ``---``, ``# Source: …`` and each document's text."""
    return "".join(f"---\n# Source: {m.source}\n{m.text}\n" for m in manifests)
