"""An in-memory :class:`KubeClient` for fast tests of actions.

It keeps objects by (apiVersion, kind, namespace, name), bumps resourceVersions only when an
object really changes (as the API server does), tracks which field manager set which fields
so server-side-apply conflicts can be simulated, records every write in :attr:`writes`, and
can be told to fail (``unreachable``, :meth:`fail_on`). Like the real client it never picks a
namespace: a namespaced object without one is a UsageError.
"""

from __future__ import annotations

import builtins
import copy
import itertools
import threading
from collections.abc import Callable
from typing import Any

from tfhelm.errors import ApplyConflictError, NotFoundError, PreconditionError, UnreachableError, UsageError
from tfhelm.kube.interface import ALL_NAMESPACES, FIELD_MANAGER, KubeClient, NamespaceScope, ObjectRef
from tfhelm.kube.kinds import CLUSTER_SCOPED_KINDS

__all__ = ["CLUSTER_SCOPED_KINDS", "FakeKubeClient"]
_Key = tuple[str, str, str, str]


class FakeKubeClient(KubeClient):
    """A cluster in a dict. ``writes`` lists ``(verb, ObjectRef)`` for every change sent."""

    def __init__(self, *, version: str = "v1.20.2", server: str = "https://fake.invalid"):
        self.server = server
        self.version = version
        self.objects: dict[_Key, dict[str, Any]] = {}
        self.owners: dict[_Key, dict[str, str]] = {}  # leaf path -> field manager
        self.events: dict[_Key, list[dict[str, Any]]] = {}
        self.writes: list[tuple[str, ObjectRef]] = []
        self.unreachable = False
        self._failures: list[tuple[str, Callable[[ObjectRef], bool], Exception]] = []
        self._versions = itertools.count(1)
        self._lock = threading.RLock()
        self._requests = 0

    @property
    def requests(self) -> int:
        return self._requests

    # ------------------------------------------------------------------ test controls

    def fail_on(self, verb: str, error: Exception, when: Callable[[ObjectRef], bool] = lambda ref: True) -> None:
        """Raise ``error`` on the next ``verb`` (apply, create, replace, delete, get) matching ``when``."""
        self._failures.append((verb, when, error))

    def add_event(self, ref: ObjectRef, reason: str, message: str, type_: str = "Warning") -> None:
        self.events.setdefault(self._key(ref), []).append(
            {
                "type": type_,
                "reason": reason,
                "message": message,
                "lastTimestamp": f"2024-01-01T00:00:{len(self.events):02d}Z",
            }
        )

    def update_as(self, obj: dict[str, Any], manager: str) -> dict[str, Any]:
        """Write ``obj``'s fields as another field manager (like ``kubectl edit``)."""
        with self._lock:
            key = self._key(self._namespaced_ref(ObjectRef.of(obj)))
            current = self.objects.get(key, {})
            merged = _merge(copy.deepcopy(current), copy.deepcopy(obj))
            for path in _leaves(obj):
                self.owners.setdefault(key, {})[path] = manager
            return self._store(key, merged, current)

    def object_writes(self) -> list[tuple[str, ObjectRef]]:
        """Writes to anything but tfhelm's own release records and locks."""
        return [write for write in self.writes if not write[1].name.startswith("sh.tfhelm.")]

    # ------------------------------------------------------------------ helpers

    def _enter(self, verb: str, ref: ObjectRef | None = None) -> None:
        self._requests += 1
        if self.unreachable:
            raise UnreachableError(self.server, "connection refused")
        for failure in list(self._failures):
            name, when, error = failure
            if name == verb and ref is not None and when(ref):
                self._failures.remove(failure)
                raise error

    def _namespaced_ref(self, ref: ObjectRef) -> ObjectRef:
        if not self.is_namespaced(ref.api_version, ref.kind):
            return ObjectRef(ref.api_version, ref.kind, ref.name, None)
        if ref.namespace is None:
            raise UsageError(f"{ref.kind} {ref.name!r}: {ref.kind} is a namespaced kind, but no namespace was given")
        return ref

    def _key(self, ref: ObjectRef) -> _Key:
        ref = self._namespaced_ref(ref)
        return (ref.api_version, ref.kind, ref.namespace or "", ref.name)

    def _store(self, key: _Key, obj: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
        metadata = obj.setdefault("metadata", {})
        if key[2]:
            metadata["namespace"] = key[2]
        if _content(obj) != _content(current):
            metadata["resourceVersion"] = str(next(self._versions))
            metadata.setdefault("uid", f"uid-{metadata['resourceVersion']}")
            self.objects[key] = obj
        return copy.deepcopy(self.objects.get(key, obj))

    # ------------------------------------------------------------------ interface

    def server_version(self) -> str:
        self._enter("version")
        return self.version

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        if kind in CLUSTER_SCOPED_KINDS:
            return False
        with self._lock:  # apply calls this from several threads while others store objects
            crds = [crd for (_, crd_kind, _, _), crd in self.objects.items() if crd_kind == "CustomResourceDefinition"]
        for crd in crds:
            if crd.get("spec", {}).get("names", {}).get("kind") == kind:
                return crd["spec"].get("scope", "Namespaced") == "Namespaced"
        return True

    def apply(
        self, obj: dict[str, Any], *, force: bool = False, dry_run: bool = False, field_manager: str = FIELD_MANAGER
    ) -> dict[str, Any]:
        if field_manager != FIELD_MANAGER:
            return self.update_as(obj, field_manager)
        ref = self._namespaced_ref(ObjectRef.of(obj))
        self._enter("apply", ref)
        with self._lock:
            key = self._key(ref)
            current = self.objects.get(key, {})
            owners = dict(self.owners.get(key, {}))
            conflicts = [
                (owners[p], p)
                for p in _leaves(obj)
                if owners.get(p, FIELD_MANAGER) != FIELD_MANAGER and _at(current, p) != _at(obj, p)
            ]
            if conflicts and not force:
                raise ApplyConflictError(str(ref), sorted(conflicts))
            result = _without(
                copy.deepcopy(current), [p for p, m in owners.items() if m == FIELD_MANAGER and p not in _leaves(obj)]
            )
            result = _merge(result, copy.deepcopy(obj))
            if ref.kind == "CustomResourceDefinition":  # kube-apiserver establishes CRDs itself
                result["status"] = {"conditions": [{"type": "Established", "status": "True"}]}
            if dry_run:
                result.setdefault("metadata", {}).setdefault(
                    "resourceVersion", current.get("metadata", {}).get("resourceVersion", "")
                )
                return result
            for path in _leaves(obj):
                owners[path] = FIELD_MANAGER
            self.owners[key] = {p: m for p, m in owners.items() if m != FIELD_MANAGER or p in _leaves(obj)}
            before = current.get("metadata", {}).get("resourceVersion")
            stored = self._store(key, result, current)
            if stored["metadata"].get("resourceVersion") != before:
                self.writes.append(("apply", ref))
            return stored

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        self._enter("get", ref)
        with self._lock:
            found = self.objects.get(self._key(ref))
            return copy.deepcopy(found) if found is not None else None

    def list(
        self, api_version: str, kind: str, namespace: NamespaceScope, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        if namespace is None and self.is_namespaced(api_version, kind):
            raise UsageError(f"{kind}: {kind} is a namespaced kind, but no namespace was given")
        self._enter("list")
        wanted = _selector(label_selector)
        with self._lock:
            return [
                copy.deepcopy(obj)
                for (version, k, ns, _), obj in sorted(self.objects.items())
                if version == api_version
                and k == kind
                and (namespace is ALL_NAMESPACES or ns == (namespace or ""))
                and all((obj.get("metadata", {}).get("labels") or {}).get(n) == v for n, v in wanted)
            ]

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        ref = self._namespaced_ref(ObjectRef.of(obj))
        self._enter("create", ref)
        with self._lock:
            key = self._key(ref)
            if key in self.objects:
                raise PreconditionError(f"{ref}: already exists")
            self.writes.append(("create", ref))
            created = copy.deepcopy(obj)
            if ref.kind == "CustomResourceDefinition":  # kube-apiserver establishes CRDs itself
                created["status"] = {"conditions": [{"type": "Established", "status": "True"}]}
            return self._store(key, created, {})

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        ref = self._namespaced_ref(ObjectRef.of(obj))
        self._enter("replace", ref)
        with self._lock:
            key = self._key(ref)
            current = self.objects.get(key)
            if current is None:
                raise NotFoundError(f"{ref}: not found")
            expected = obj.get("metadata", {}).get("resourceVersion")
            if expected and expected != current["metadata"]["resourceVersion"]:
                raise PreconditionError(f"{ref}: the object has been modified")
            self.writes.append(("replace", ref))
            replacement = copy.deepcopy(obj)
            replacement["metadata"]["resourceVersion"] = "0"  # forces a bump in _store
            return self._store(key, replacement, current)

    def delete(self, ref: ObjectRef, *, resource_version: str | None = None) -> bool:
        self._enter("delete", ref)
        with self._lock:
            key = self._key(ref)
            current = self.objects.get(key)
            if current is None:
                return False
            if resource_version and resource_version != current["metadata"]["resourceVersion"]:
                raise PreconditionError(f"{ref}: the object has been modified")
            self.writes.append(("delete", self._namespaced_ref(ref)))
            del self.objects[key]
            self.owners.pop(key, None)
            return True

    def patch_status(self, ref: ObjectRef, status: dict[str, Any]) -> dict[str, Any]:
        self._enter("patch_status", ref)
        with self._lock:
            key = self._key(ref)
            if key not in self.objects:
                raise NotFoundError(f"{ref}: not found")
            current = self.objects[key]
            updated = copy.deepcopy(current)
            updated["status"] = _merge(updated.get("status") or {}, copy.deepcopy(status))
            return self._store(key, updated, current)

    def events_for(self, ref: ObjectRef) -> builtins.list[dict[str, Any]]:
        self._enter("events")
        return list(self.events.get(self._key(ref), []))


def _content(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in ("resourceVersion", "uid")}
    return {**obj, "metadata": metadata}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _merge(base[key], value)
        else:
            base[key] = value
    return base


def _leaves(obj: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted paths of scalar and list fields (lists count as one field, like atomic lists)."""
    found: set[str] = set()
    for key, value in obj.items():
        if prefix == "" and key in ("apiVersion", "kind", "status"):
            continue
        path = f"{prefix}.{key}"
        if isinstance(value, dict) and value:
            found |= _leaves(value, path)
        elif prefix != ".metadata" or key not in ("name", "namespace", "resourceVersion", "uid"):
            found.add(path)
    return found


def _at(obj: dict[str, Any], path: str) -> Any:
    node: Any = obj
    for part in path.strip(".").split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _without(obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    for path in paths:
        *parents, last = path.strip(".").split(".")
        node: Any = obj
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    return obj


def _selector(text: str | None) -> list[tuple[str, str]]:
    if not text:
        return []
    return [(key, value) for key, _, value in (term.partition("=") for term in text.split(",") if "=" in term)]
