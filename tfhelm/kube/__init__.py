"""Talking to Kubernetes: the one place tfhelm knows about API servers.

Only :mod:`tfhelm.kube.client` and :mod:`tfhelm.kube.config` import the client library
(lightkube, for kubeconfig handling and its authenticated HTTP transport). Everything above
this package speaks to the :class:`KubeClient` interface, so actions are tested against
:class:`~tfhelm.kube.fake.FakeKubeClient` and run against a real cluster unchanged.

Importing this package is cheap: the client library is loaded only by :func:`connect`.
"""

from __future__ import annotations

from tfhelm.errors import ApplyConflictError, NotFoundError, PreconditionError, UnreachableError
from tfhelm.kube.interface import FIELD_MANAGER, KubeClient, ObjectRef

__all__ = [
    "FIELD_MANAGER",
    "ApplyConflictError",
    "KubeClient",
    "NotFoundError",
    "ObjectRef",
    "PreconditionError",
    "UnreachableError",
    "connect",
]


def connect(kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None) -> KubeClient:
    """A client for the cluster the kubeconfig (or the in-cluster service account) points at."""
    from tfhelm.kube.client import HttpKubeClient
    from tfhelm.kube.config import load_settings

    return HttpKubeClient(load_settings(kubeconfig=kubeconfig, context=context, namespace=namespace))
