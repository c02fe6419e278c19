"""``tfhelm uninstall``: delete a release's objects (reverse install order) and its records."""

from __future__ import annotations

from dataclasses import dataclass

from tfhelm.actions.apply import delete_objects
from tfhelm.actions.configuration import Configuration
from tfhelm.actions.deploy import recover_interrupted, server_kube_version
from tfhelm.actions.objects import identity, summary_ref
from tfhelm.errors import ReleaseError
from tfhelm.kube import ObjectRef
from tfhelm.release import Release, Status
from tfhelm.release.record import now

__all__ = ["UninstallOptions", "UninstallResult", "uninstall"]


@dataclass(frozen=True)
class UninstallOptions:
    name: str
    keep_history: bool = False
    dry_run: bool = False
    description: str | None = None


@dataclass
class UninstallResult:
    release: Release
    deleted: list[ObjectRef]
    kept: list[ObjectRef]


def uninstall(config: Configuration, options: UninstallOptions) -> UninstallResult:
    from tfhelm.release.lock import ReleaseLock

    server_kube_version(config)
    if options.dry_run:
        last = config.storage.get(options.name)
        refs, kept = _objects(config.storage.history(options.name))
        return UninstallResult(last, refs, kept)
    with ReleaseLock(config.kube, config.namespace, options.name, "uninstall") as lock:
        recover_interrupted(config, options.name, lock)
        history = config.storage.history(options.name)
        if not history:
            raise ReleaseError(f"release {options.name!r} not found in namespace {config.namespace}")
        last = history[-1]
        if last.status is Status.UNINSTALLED:
            raise ReleaseError(f"release {options.name!r} is already uninstalled (its history was kept)")
        last.status = Status.UNINSTALLING
        last.description = "Deletion in progress"
        config.storage.update(last)
        refs, kept = _objects(history)
        deleted = delete_objects(config.kube, refs)
        if options.keep_history:
            last.status = Status.UNINSTALLED
            last.deleted = now()
            last.description = options.description or "Uninstallation complete"
            config.storage.update(last)
        else:
            for release in history:
                config.storage.delete(release)
            last.status = Status.UNINSTALLED
        return UninstallResult(last, deleted, kept)


def _objects(history: list[Release]) -> tuple[list[ObjectRef], list[ObjectRef]]:
    """Objects of the latest revision and of every revision that may have left some behind."""
    relevant = [history[-1], *(r for r in history[:-1] if r.status in (Status.DEPLOYED, Status.FAILED))]
    wanted: dict[str, ObjectRef] = {}
    kept: dict[str, ObjectRef] = {}
    for release in relevant:
        for summary in release.objects:
            target = kept if summary.get("keep") else wanted
            target.setdefault(identity(summary_ref(summary)), summary_ref(summary))
    return [r for k, r in wanted.items() if k not in kept], list(kept.values())
