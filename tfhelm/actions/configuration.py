"""What every release action works with: a cluster client, release storage and a namespace."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tfhelm.kube import KubeClient
from tfhelm.release import MemoryDriver, SecretsDriver, Storage

__all__ = ["Configuration"]


@dataclass
class Configuration:
    """Helm's action.Configuration: ``kube`` talks to the cluster, ``storage`` keeps records.

    ``all_namespaces`` makes ``storage`` read every namespace (``list -A``). ``lock`` is the
    release lock the running operation holds (see :meth:`holding`); write phases check it.
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
        """Resolve the kubeconfig like kubectl and connect (nothing is sent yet)."""
        from tfhelm.kube import connect

        kube = connect(kubeconfig=kubeconfig, context=context, namespace=namespace)
        return cls.for_client(kube, namespace or kube.default_namespace, all_namespaces=all_namespaces)

    @classmethod
    def for_client(cls, kube: KubeClient, namespace: str, *, all_namespaces: bool = False) -> Configuration:
        return cls(kube, namespace, Storage(SecretsDriver(kube, None if all_namespaces else namespace)))

    @classmethod
    def in_memory(cls, kube: KubeClient, namespace: str) -> Configuration:
        """Records in memory (client-side dry runs and tests); objects still go to ``kube``."""
        return cls(kube, namespace, Storage(MemoryDriver()))
