"""The :class:`KubeClient` interface every cluster client implements, and :class:`ObjectRef`.

Objects travel as plain dicts (what the API server sends and receives as JSON), so nothing
above :mod:`tfhelm.kube` depends on the client library's types.

A namespace argument is a ``str`` (that namespace), ``None`` (a cluster-scoped kind: no
namespace) or :data:`ALL_NAMESPACES` (a listing across every namespace, as ``list -A``). A
client never fills in a namespace of its own: the one a command works in is resolved once
(:func:`tfhelm.kube.config.resolve_namespace`) and passed down.
"""

from __future__ import annotations

import abc
import builtins
import enum
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ALL_NAMESPACES",
    "FIELD_MANAGER",
    "NAMESPACE_RULE",
    "AllNamespaces",
    "KubeClient",
    "NamespaceScope",
    "ObjectRef",
    "is_namespace",
]

FIELD_MANAGER = "tfhelm"
NAMESPACE_RULE = "use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit"
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


class AllNamespaces(enum.Enum):
    """The type of :data:`ALL_NAMESPACES`, so it cannot be mistaken for a namespace or for None."""

    ALL = "all namespaces"

    def __repr__(self) -> str:
        return "ALL_NAMESPACES"


ALL_NAMESPACES = AllNamespaces.ALL
# where a listing looks: one namespace, none (cluster-scoped kinds) or every one
NamespaceScope = str | AllNamespaces | None


def is_namespace(text: object) -> bool:
    """Whether ``text`` can name a namespace (a DNS-1123 label); namespaces become URL paths."""
    return isinstance(text, str) and _DNS1123_LABEL.fullmatch(text) is not None


@dataclass(frozen=True, order=True)
class ObjectRef:
    """Which object: apiVersion, kind, name and namespace (None for cluster-scoped kinds)."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    @classmethod
    def of(cls, obj: dict[str, Any]) -> ObjectRef:
        metadata = obj.get("metadata") or {}
        return cls(obj["apiVersion"], obj["kind"], metadata["name"], metadata.get("namespace") or None)

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    def __str__(self) -> str:
        where = f" (namespace {self.namespace})" if self.namespace else ""
        return f"{self.kind}/{self.name}{where}"


class KubeClient(abc.ABC):
    """What tfhelm needs from a cluster. Methods raise :class:`~tfhelm.errors.ClusterError`s.

    ``requests`` counts calls that reached the server (benchmarks report it per phase).
    """

    server: str = ""

    @property
    def requests(self) -> int:
        """Calls that reached the server so far (clients that do not count say 0)."""
        return 0

    @abc.abstractmethod
    def server_version(self) -> str:
        """The server's ``gitVersion`` (``v1.20.2``); also proves the cluster is reachable."""

    @abc.abstractmethod
    def is_namespaced(self, api_version: str, kind: str) -> bool:
        """Whether objects of this kind live in a namespace (NotFoundError for unknown kinds)."""

    @abc.abstractmethod
    def apply(
        self, obj: dict[str, Any], *, force: bool = False, dry_run: bool = False, field_manager: str = FIELD_MANAGER
    ) -> dict[str, Any]:
        """Server-side apply ``obj`` (as field manager ``tfhelm``); returns the object the server holds."""

    @abc.abstractmethod
    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""

    @abc.abstractmethod
    def list(
        self, api_version: str, kind: str, namespace: NamespaceScope, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        """Objects of a kind in ``namespace`` (or every one: :data:`ALL_NAMESPACES`), optionally by label.

        ``None`` is for cluster-scoped kinds; for a namespaced kind it is a UsageError."""

    @abc.abstractmethod
    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Create ``obj``; PreconditionError when the name is taken."""

    @abc.abstractmethod
    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Replace ``obj``; PreconditionError when ``metadata.resourceVersion`` is no longer current."""

    @abc.abstractmethod
    def delete(self, ref: ObjectRef, *, resource_version: str | None = None) -> bool:
        """Delete (foreground-free, background propagation); False when already gone."""

    @abc.abstractmethod
    def patch_status(self, ref: ObjectRef, status: dict[str, Any]) -> dict[str, Any]:
        """Merge-patch the status subresource (what controllers do; tests use it for readiness)."""

    @abc.abstractmethod
    def events_for(self, ref: ObjectRef) -> builtins.list[dict[str, Any]]:
        """Events whose involvedObject is ``ref``, oldest first."""

    def names(self, api_version: str, kind: str, namespace: NamespaceScope) -> set[str]:
        """Names of the objects of a kind in a namespace (clients may fetch metadata only)."""
        return {obj["metadata"]["name"] for obj in self.list(api_version, kind, namespace)}

    def close(self) -> None:  # noqa: B027 - optional on purpose: most clients hold nothing to release
        """Release connections (nothing to do for most clients)."""

    # Secrets: release records and locks live in them.

    def get_secret(self, name: str, namespace: str) -> dict[str, Any] | None:
        return self.get(ObjectRef("v1", "Secret", name, namespace))

    def list_secrets(self, namespace: str | AllNamespaces, label_selector: str) -> builtins.list[dict[str, Any]]:
        return self.list("v1", "Secret", namespace, label_selector)

    def create_secret(self, secret: dict[str, Any]) -> dict[str, Any]:
        return self.create(secret)

    def replace_secret(self, secret: dict[str, Any]) -> dict[str, Any]:
        return self.replace(secret)

    def delete_secret(self, name: str, namespace: str, *, resource_version: str | None = None) -> bool:
        return self.delete(ObjectRef("v1", "Secret", name, namespace), resource_version=resource_version)

    def ensure_namespace(self, name: str) -> bool:
        """Create the namespace unless it exists; True when it was created."""
        if self.get(ObjectRef("v1", "Namespace", name)) is not None:
            return False
        from tfhelm.errors import PreconditionError

        try:
            self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        except PreconditionError:
            return False
        return True
