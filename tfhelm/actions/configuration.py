"""What every release action works with: a cluster client, release storage and a namespace.

The namespace is resolved once, when connecting (``-n``, else the kubeconfig context's, else
``default``: :func:`tfhelm.kube.config.resolve_namespace`), and every action reads it from here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tfhelm.kube import ALL_NAMESPACES, KubeClient
from tfhelm.release import MemoryDriver, SecretsDriver, Storage

__all__ = ["Configuration"]


@dataclass
class Configuration:
    """Helm's action.Configuration: ``kube`` talks to the cluster, ``storage`` keeps records.

    ``namespace`` is the release namespace; with ``all_namespaces`` (``list -A``) ``storage``
    reads every namespace instead. ``lock`` is the release lock the running operation holds
    (see :meth:`holding`); write phases check it.
    """

    kube: KubeClient
    namespace: str
    storage: Storage
    lock: Any = None

    def holding(self, lock: Any) -> Configuration:
        """This configuration, for an operation that holds ``lock``."""
        return replace(self, lock=lock)

    def check_lock(self, phase: str, done: list[str] | tuple[str, ...] = ()) -> None:
        """Before a write: stop (LockLostError) when the operation's lock was lost."""
        if self.lock is not None:
            self.lock.check(phase, done)

    @classmethod
    def connect(
        cls,
        *,
        kubeconfig: str | None = None,
        context: str | None = None,
        namespace: str | None = None,
        all_namespaces: bool = False,
    ) -> Configuration:
        """Resolve the kubeconfig like kubectl and connect (nothing is sent yet); ``namespace``
        is the ``-n`` flag (None: the context's, else ``default``)."""
        from tfhelm.kube import client_for
        from tfhelm.kube.config import load_settings

        settings = load_settings(kubeconfig=kubeconfig, context=context, namespace=namespace)
        return cls.for_client(client_for(settings), settings.namespace, all_namespaces=all_namespaces)

    @classmethod
    def for_client(cls, kube: KubeClient, namespace: str, *, all_namespaces: bool = False) -> Configuration:
        return cls(kube, namespace, Storage(SecretsDriver(kube, ALL_NAMESPACES if all_namespaces else namespace)))

    @classmethod
    def in_memory(cls, kube: KubeClient, namespace: str) -> Configuration:
        """Records in memory (client-side dry runs and tests); objects still go to ``kube``."""
        return cls(kube, namespace, Storage(MemoryDriver()))
