"""``tfhelm rollback``: deploy an earlier revision's manifest again, as a new revision.

Only objects whose content differs from the deployed revision's are sent (as in upgrade)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.deploy import DeployOptions, deploy, recover_interrupted, server_kube_version
from tfhelm.actions.objects import desired_objects, object_summaries, parse_manifest
from tfhelm.errors import ReleaseError
from tfhelm.release import Release, Status
from tfhelm.release.record import now
from tfhelm.release.storage import find_revision

__all__ = ["RollbackOptions", "rollback", "rollback_locked"]


@dataclass(frozen=True)
class RollbackOptions:
    name: str
    revision: int | None = None  # None or 0: the revision before the current one
    dry_run: bool = False
    deploy: DeployOptions = field(default_factory=DeployOptions)


def rollback(config: Configuration, options: RollbackOptions) -> Release:
    """Roll ``options.name`` back; returns the new revision's record."""
    from tfhelm.release.lock import ReleaseLock

    server_kube_version(config)
    if options.dry_run:
        history = config.storage.history(options.name)
        return _target(options.name, history, options.revision)
    with ReleaseLock(config.kube, config.namespace, options.name, "rollback") as lock:
        config = config.holding(lock)
        recover_interrupted(config, options.name, lock)
        history = config.storage.history(options.name)
        target = _target(options.name, history, options.revision)
        return rollback_locked(config, target, history, options.deploy)


def _target(name: str, history: list[Release], revision: int | None) -> Release:
    if history and not revision:
        if len(history) < 2:
            raise ReleaseError(f"release {name!r} has no revision before {history[-1].revision} to roll back to")
        return history[-2]
    return find_revision(name, history, revision or None)


def rollback_locked(
    config: Configuration, target: Release, history: list[Release], options: DeployOptions, *, atomic_note: str = ""
) -> Release:
    """Deploy ``target``'s objects as revision last+1 (the caller holds the lock)."""
    objects = desired_objects(
        parse_manifest(target.manifest), release=target.name, namespace=config.namespace, kube=config.kube
    )
    last = history[-1]
    deployed = [r for r in history if r.status is Status.DEPLOYED]
    pending = target.copy(
        revision=last.revision + 1,
        status=Status.PENDING_ROLLBACK,
        description=f"Rollback to {target.revision} underway",
        first_deployed=history[0].first_deployed,
        last_deployed=now(),
        objects=object_summaries(objects),
    )
    # as in upgrade: objects unchanged since the deployed revision are not sent again, unless a
    # failure since then means the cluster may hold anything
    baseline = last if last.status is Status.DEPLOYED else None
    return deploy(
        config,
        pending,
        objects,
        options,
        verb="rollback",
        baseline=baseline,
        cleanup=[last, *deployed],
        history=history,
        success=options.description or f"Rollback to {target.revision}{atomic_note}",
    )
