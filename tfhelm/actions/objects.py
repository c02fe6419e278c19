"""From rendered manifests to the objects tfhelm applies, and back from a record's manifest.

Each object gets the release's namespace when its kind is namespaced and it names none,
annotations saying which release owns it, and the label ``app.kubernetes.io/managed-by: tfhelm``
unless the chart sets that label itself. Those annotations are how tfhelm tells its objects
from everyone else's: it refuses to take over an existing object without them (unless told to
adopt it) and never deletes one that lacks them. An object's identity ignores the API version (a
chart moving a kind from v1beta1 to v1 still means the same object); its digest tells whether
what we would apply changed since the last revision.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Set
from typing import Any

from tfhelm.errors import NotFoundError
from tfhelm.kube import KubeClient, ObjectRef
from tfhelm.kube.kinds import ScopeSource

__all__ = [
    "HELM_KEEP_ANNOTATION",
    "KEEP_ANNOTATION",
    "MANAGED_BY_LABEL",
    "NAMESPACE_ANNOTATION",
    "RELEASE_ANNOTATION",
    "check_ownership",
    "describe_owner",
    "desired_objects",
    "digest",
    "identity",
    "is_kept",
    "is_owned_by",
    "object_summaries",
    "ownership_error",
    "parse_manifest",
    "ref",
]

RELEASE_ANNOTATION = "tfhelm.io/release-name"
NAMESPACE_ANNOTATION = "tfhelm.io/release-namespace"
KEEP_ANNOTATION = "tfhelm.io/resource-policy"
HELM_KEEP_ANNOTATION = "helm.sh/resource-policy"  # Helm's name, honoured the same way
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "tfhelm"
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
    manifests: Iterable[dict[str, Any]],
    *,
    release: str,
    namespace: str,
    kube: ScopeSource,
    crds: Iterable[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Copies of the rendered objects, namespaced and annotated for ``release``.

    ``kube`` answers which kinds are namespaced: the cluster, or an offline
    :class:`~tfhelm.kube.kinds.OfflineScope` for client-side dry runs. The kinds defined by
    CRDs among the objects or in ``crds`` (the chart's ``crds/``) are answered from them."""
    objects = [copy.deepcopy(obj) for obj in manifests]
    crd_scopes = {**_crd_scopes(list(crds)), **_crd_scopes(objects)}
    for obj in objects:
        metadata = obj.setdefault("metadata", {})
        if not metadata.get("namespace") and _is_namespaced(kube, obj, crd_scopes):
            metadata["namespace"] = namespace
        annotations = metadata.get("annotations") or {}
        metadata["annotations"] = {**annotations, RELEASE_ANNOTATION: release, NAMESPACE_ANNOTATION: namespace}
        labels = metadata.get("labels") or {}
        metadata["labels"] = {MANAGED_BY_LABEL: MANAGED_BY, **labels}
    return objects


def is_owned_by(obj: dict[str, Any], release: str, namespace: str) -> bool:
    """Whether a live object carries ``release``'s ownership annotations."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return annotations.get(RELEASE_ANNOTATION) == release and annotations.get(NAMESPACE_ANNOTATION) == namespace


def describe_owner(obj: dict[str, Any]) -> str:
    """Who manages a live object, as far as its metadata tells."""
    metadata = obj.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    owner = annotations.get(RELEASE_ANNOTATION)
    if owner:
        return f"managed by release {owner} in namespace {annotations.get(NAMESPACE_ANNOTATION) or '?'}"
    managers = sorted({entry.get("manager") for entry in metadata.get("managedFields") or [] if entry.get("manager")})
    return f"managed by another tool ({', '.join(managers)})" if managers else "managed by another tool"


def check_ownership(
    kube: KubeClient,
    objects: list[dict[str, Any]],
    *,
    release: str,
    namespace: str,
    owned: Set[str] = frozenset(),
) -> list[tuple[ObjectRef, str]]:
    """Existing objects ``release`` does not own, each with who manages it.

    ``owned`` holds the identities the release's deployed revision applied: they are not looked
    at again. For the rest, one name listing per kind and namespace finds which already exist,
    and only those are read. The caller refuses to go on (:func:`ownership_error`) unless told
    to adopt them (``--take-ownership``).
    """
    candidates = [o for o in objects if identity(o) not in owned]
    groups: dict[tuple[str, str, str | None], list[dict[str, Any]]] = {}
    for obj in candidates:
        groups.setdefault((obj["apiVersion"], obj["kind"], obj["metadata"].get("namespace")), []).append(obj)
    foreign: list[tuple[ObjectRef, str]] = []
    for (api_version, kind, object_namespace), members in groups.items():
        try:
            existing = kube.names(api_version, kind, object_namespace)
        except NotFoundError:  # a kind whose CRD this chart installs: nothing exists yet
            continue
        for obj in members:
            if obj["metadata"]["name"] not in existing:
                continue
            live = kube.get(ObjectRef.of(obj))
            if live is not None and not is_owned_by(live, release, namespace):
                foreign.append((ObjectRef.of(obj), describe_owner(live)))
    return foreign


def ownership_error(foreign: list[tuple[ObjectRef, str]], release: str) -> str:
    """The message for objects that exist and belong to someone else."""
    lines = [
        f"{ref.kind}/{ref.name}{f' in namespace {ref.namespace}' if ref.namespace else ''} exists and is not managed "
        f"by release {release} ({owner})"
        for ref, owner in foreign
    ]
    return "\n".join(lines) + "\ndelete it, or pass --take-ownership to adopt it"


def _crd_scopes(objects: list[dict[str, Any]]) -> dict[tuple[str, str | None], bool]:
    """Kinds defined by CRDs in the same chart (the server does not know them yet)."""
    scopes: dict[tuple[str, str | None], bool] = {}
    for obj in objects:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            kind = (spec.get("names") or {}).get("kind")
            for version in spec.get("versions") or [{"name": spec.get("version")}]:
                namespaced = spec.get("scope", "Namespaced") == "Namespaced"
                scopes[(f"{spec.get('group')}/{version.get('name')}", kind)] = namespaced
    return scopes


def _is_namespaced(kube: ScopeSource, obj: dict[str, Any], crd_scopes: dict[tuple[str, str | None], bool]) -> bool:
    key = (obj["apiVersion"], obj["kind"])
    if key in crd_scopes:
        return crd_scopes[key]
    try:
        return kube.is_namespaced(*key)
    except NotFoundError:
        raise NotFoundError(
            f"{obj['kind']}/{obj['metadata'].get('name')}: "
            f"the cluster has no kind {obj['kind']} in {obj['apiVersion']} (is its CRD installed?)"
        ) from None


def object_summaries(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a record keeps per applied object: its reference and digest."""
    return [
        {
            "apiVersion": o["apiVersion"],
            "kind": o["kind"],
            "name": o["metadata"]["name"],
            "namespace": o["metadata"].get("namespace"),
            "digest": digest(o),
            "keep": is_kept(o),
        }
        for o in objects
    ]


def is_kept(obj: dict[str, Any]) -> bool:
    """Whether ``tfhelm.io/resource-policy`` or Helm's ``helm.sh/resource-policy`` says ``keep``
    (Helm's comparison: surrounding blanks and case ignored): upgrade and uninstall leave it."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return any(
        str(annotations.get(name, "")).strip().lower() == "keep" for name in (KEEP_ANNOTATION, HELM_KEEP_ANNOTATION)
    )


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
