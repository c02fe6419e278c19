"""``tfhelm uninstall``: delete a release's objects (reverse install order) and its records.

Only objects whose live annotations name this release are deleted; any other object a record
lists (adopted by another release since, or never ours) is left alone and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tfhelm.actions.apply import delete_objects
from tfhelm.actions.configuration import Configuration
from tfhelm.actions.deploy import recover_interrupted, server_kube_version
from tfhelm.actions.objects import describe_owner, identity, is_owned_by, summary_ref
from tfhelm.actions.wait import PodSelector, pod_selector, wait_for_deletion
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
    wait: bool = False  # block until every deleted object and its pods are gone
    timeout: float = 300.0


@dataclass
class UninstallResult:
    release: Release
    deleted: list[ObjectRef]
    kept: list[ObjectRef]
    skipped: list[tuple[ObjectRef, str]] = field(default_factory=list)  # not ours: (object, who manages it)


def uninstall(config: Configuration, options: UninstallOptions) -> UninstallResult:
    from tfhelm.release.lock import ReleaseLock

    server_kube_version(config)
    if options.dry_run:
        last = config.storage.get(options.name)
        refs, kept = _objects(config.storage.history(options.name))
        owned, skipped = _owned(config, options.name, refs)
        return UninstallResult(last, owned, kept, skipped)
    with ReleaseLock(config.kube, config.namespace, options.name, "uninstall") as lock:
        config = config.holding(lock)
        recover_interrupted(config, options.name, lock)
        history = config.storage.history(options.name)
        if not history:
            raise ReleaseError(f"release {options.name!r} not found in namespace {config.namespace}")
        last = history[-1]
        if last.status is Status.UNINSTALLED:
            raise ReleaseError(f"release {options.name!r} is already uninstalled (its history was kept)")
        last.status = Status.UNINSTALLING
        last.description = "Deletion in progress"
        done: list[str] = []
        config.check_lock(f"record revision {last.revision} as uninstalling", done)
        config.storage.update(last)
        done.append(f"recorded revision {last.revision} as uninstalling")
        refs, kept = _objects(history)
        skipped = []

        def before_batch(phase: str) -> None:
            config.check_lock(phase, done)
            done.append(phase)

        pods = _pod_selectors(config, refs) if options.wait else []
        deleted = delete_objects(
            config.kube,
            refs,
            owner=(options.name, config.namespace),
            on_skipped=lambda ref, owner: skipped.append((ref, owner)),
            before_batch=before_batch,
        )
        if options.keep_history:
            last.status = Status.UNINSTALLED
            last.deleted = now()
            last.description = options.description or "Uninstallation complete"
            config.check_lock("record the release as uninstalled", done)
            config.storage.update(last)
        else:
            config.check_lock("delete the release's records", done)
            for release in history:
                config.storage.delete(release)
            last.status = Status.UNINSTALLED
        if options.wait:
            wait_for_deletion(config.kube, deleted, pods, options.timeout)
        return UninstallResult(last, deleted, kept, skipped)


def _pod_selectors(config: Configuration, refs: list[ObjectRef]) -> list[PodSelector]:
    """Selectors of the pods the release's workloads own, read before they are deleted."""
    workloads = [ref for ref in refs if ref.kind in ("Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet")]
    found = (pod_selector(config.kube.get(ref)) for ref in workloads)
    return [selector for selector in found if selector is not None]


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


def _owned(
    config: Configuration, name: str, refs: list[ObjectRef]
) -> tuple[list[ObjectRef], list[tuple[ObjectRef, str]]]:
    """For ``--dry-run``: the objects that exist and are this release's, and those that are not."""
    owned, skipped = [], []
    for ref in refs:
        live = config.kube.get(ref)
        if live is None:
            continue
        if is_owned_by(live, name, config.namespace):
            owned.append(ref)
        else:
            skipped.append((ref, describe_owner(live)))
    return owned, skipped
