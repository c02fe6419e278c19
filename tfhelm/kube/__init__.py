"""Talking to Kubernetes: the one place tfhelm knows about API servers.

Only :mod:`tfhelm.kube.client` and :mod:`tfhelm.kube.config` import the client library
(lightkube, for kubeconfig handling and its authenticated HTTP transport). Everything above
this package speaks to the :class:`KubeClient` interface, so actions are tested against
:class:`~tfhelm.kube.fake.FakeKubeClient` and run against a real cluster unchanged.

Importing this package is cheap: the client library is loaded only by :func:`connect`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfhelm.errors import ApplyConflictError, NotFoundError, PreconditionError, UnreachableError
from tfhelm.kube.interface import ALL_NAMESPACES, FIELD_MANAGER, AllNamespaces, KubeClient, NamespaceScope, ObjectRef

if TYPE_CHECKING:
    from tfhelm.kube.config import KubeSettings

__all__ = [
    "ALL_NAMESPACES",
    "FIELD_MANAGER",
    "AllNamespaces",
    "ApplyConflictError",
    "KubeClient",
    "NamespaceScope",
    "NotFoundError",
    "ObjectRef",
    "PreconditionError",
    "UnreachableError",
    "client_for",
    "connect",
]


def connect(kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None) -> KubeClient:
    """A client for the cluster the kubeconfig (or the in-cluster service account) points at.

    ``namespace`` (the ``-n`` flag) is checked and resolved into the client's settings; the
    client itself never uses it: callers pass a namespace with every call.
    """
    from tfhelm.kube.config import load_settings

    return client_for(load_settings(kubeconfig=kubeconfig, context=context, namespace=namespace))


def client_for(settings: KubeSettings) -> KubeClient:
    """A client for settings already resolved by :func:`tfhelm.kube.config.load_settings`."""
    from tfhelm.kube.client import HttpKubeClient

    return HttpKubeClient(settings)
