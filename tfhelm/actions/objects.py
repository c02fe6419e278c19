"""From rendered manifests to the objects tfhelm applies, and back from a record's manifest.

Each object gets the release's namespace when its kind is namespaced and it names none, and
annotations saying which release owns it. An object's identity ignores the API version (a
chart moving a kind from v1beta1 to v1 still means the same object); its digest tells whether
what we would apply changed since the last revision.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from tfhelm.kube import KubeClient, NotFoundError, ObjectRef

__all__ = [
    "KEEP_ANNOTATION",
    "RELEASE_ANNOTATION",
    "desired_objects",
    "digest",
    "identity",
    "object_summaries",
    "parse_manifest",
    "ref",
]

RELEASE_ANNOTATION = "tfhelm.io/release-name"
NAMESPACE_ANNOTATION = "tfhelm.io/release-namespace"
KEEP_ANNOTATION = "tfhelm.io/resource-policy"
_SOURCE_SPLIT = re.compile(r"^---[ \t]*\n# Source: ", re.MULTILINE)


def ref(obj: dict[str, Any]) -> ObjectRef:
    return ObjectRef.of(obj)


def identity(obj: dict[str, Any] | ObjectRef) -> str:
    """``group/Kind/namespace/name``: the same object across API versions."""
    r = obj if isinstance(obj, ObjectRef) else ObjectRef.of(obj)
    return f"{r.group}/{r.kind}/{r.namespace or ''}/{r.name}"


def digest(obj: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def desired_objects(
    manifests: Iterable[dict[str, Any]], *, release: str, namespace: str, kube: KubeClient
) -> list[dict[str, Any]]:
    """Copies of the rendered objects, namespaced and annotated for ``release``."""
    objects = [copy.deepcopy(obj) for obj in manifests]
    crd_scopes = _crd_scopes(objects)
    for obj in objects:
        metadata = obj.setdefault("metadata", {})
        if not metadata.get("namespace") and _is_namespaced(kube, obj, crd_scopes):
            metadata["namespace"] = namespace
        annotations = metadata.get("annotations") or {}
        metadata["annotations"] = {**annotations, RELEASE_ANNOTATION: release, NAMESPACE_ANNOTATION: namespace}
    return objects


def _crd_scopes(objects: list[dict[str, Any]]) -> dict[tuple[str, str], bool]:
    """Kinds defined by CRDs in the same chart (the server does not know them yet)."""
    scopes = {}
    for obj in objects:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            kind = (spec.get("names") or {}).get("kind")
            for version in spec.get("versions") or [{"name": spec.get("version")}]:
                scopes[(f"{spec.get('group')}/{version.get('name')}", kind)] = spec.get("scope", "Namespaced") == "Namespaced"
    return scopes


def _is_namespaced(kube: KubeClient, obj: dict[str, Any], crd_scopes: dict[tuple[str, str], bool]) -> bool:
    key = (obj["apiVersion"], obj["kind"])
    if key in crd_scopes:
        return crd_scopes[key]
    try:
        return kube.is_namespaced(*key)
    except NotFoundError:
        raise NotFoundError(
            f"{obj['kind']}/{obj['metadata'].get('name')}: the cluster has no kind {obj['kind']} in {obj['apiVersion']} "
            "(is its CRD installed?)"
        ) from None


def object_summaries(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a record keeps per applied object: its reference and digest."""
    return [
        {"apiVersion": o["apiVersion"], "kind": o["kind"], "name": o["metadata"]["name"],
         "namespace": o["metadata"].get("namespace"), "digest": digest(o),
         "keep": (o["metadata"].get("annotations") or {}).get(KEEP_ANNOTATION) == "keep"}
        for o in objects
    ]


def summary_ref(summary: dict[str, Any]) -> ObjectRef:
    return ObjectRef(summary["apiVersion"], summary["kind"], summary["name"], summary.get("namespace"))


def parse_manifest(text: str) -> list[dict[str, Any]]:
    """The objects of a stored manifest (the ``tfhelm template`` stream), in order."""
    from tfhelm.yamlio import load_yaml

    objects = []
    for chunk in _SOURCE_SPLIT.split(text):
        body = chunk.split("\n", 1)[1] if chunk and not chunk.startswith("---") else chunk
        document = load_yaml(body) if body.strip() else None
        if isinstance(document, dict):
            objects.append(document)
    return objects
