"""The steps install, upgrade and rollback share: render a revision, record it, apply it, finish.

The flow is Helm's: values → schema → render → objects → ownership check → record pending →
apply (and delete what the new revision no longer has) → wait → record deployed (older ones
superseded) or failed.

Ownership is Helm's too: an object that exists without this release's annotations is not taken
over unless ``take_ownership`` says so, a revision records only the objects its apply reached,
and cleanup deletes only objects whose live annotations still name this release.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tfhelm.actions.apply import ApplyCounts, ApplyResult, apply_objects, delete_objects
from tfhelm.actions.configuration import Configuration
from tfhelm.actions.fingerprint import chart_digest, render_fingerprint, write_only
from tfhelm.actions.objects import (
    check_ownership,
    desired_objects,
    identity,
    object_summaries,
    ownership_error,
    summary_ref,
)
from tfhelm.chart.model import Chart
from tfhelm.engine import PreviousRevision, ReleaseInfo, RenderResult, render_tree
from tfhelm.errors import OwnershipError
from tfhelm.kube import ObjectRef
from tfhelm.kube.kinds import OfflineScope
from tfhelm.release import ChartInfo, Release, Status, redact_values
from tfhelm.release.record import REDACTED, now
from tfhelm.values.tree import ValuesTree, chart_values

__all__ = [
    "DeployOptions",
    "Rendered",
    "chart_info",
    "deploy",
    "recover_interrupted",
    "render_revision",
    "skipped_warning",
    "without_redacted",
]


@dataclass(frozen=True)
class DeployOptions:
    """Flags every deploying verb shares."""

    wait: bool = False
    timeout: float = 300.0
    wait_for_jobs: bool = False  # with wait: Jobs must complete, a failed Job fails the deploy
    atomic: bool = False
    force_conflicts: bool = False
    history_max: int = 10
    description: str | None = None
    skip_schema_validation: bool = False
    take_ownership: bool = False  # adopt existing objects no release (or another release) manages
    cleanup_on_fail: bool = False  # on failure, delete the objects this operation created
    skip_crds: bool = False  # install: do not create the CRDs of crds/
    on_progress: Callable[[list[Any]], None] | None = field(default=None, compare=False)
    on_event: Callable[[str], None] | None = field(default=None, compare=False)
    on_warning: Callable[[str], None] | None = field(default=None, compare=False)
    on_counts: Callable[[ApplyCounts], None] | None = field(default=None, compare=False)  # once applied

    def warn(self, message: str) -> None:
        if self.on_warning is not None:
            self.on_warning(message)
        else:
            print(f"WARNING: {message}", file=sys.stderr)


def skipped_warning(release: str) -> Callable[[ObjectRef, str], str]:
    """The warning for an object cleanup leaves alone because ``release`` does not own it."""
    return lambda ref, owner: f"not deleting {ref}: it is not managed by release {release} ({owner})"


@dataclass
class Rendered:
    """One revision, rendered: the chart, its values, the result and the objects to apply."""

    chart: Chart
    user_values: dict[str, Any]
    computed_values: dict[str, Any]
    result: RenderResult
    objects: list[dict[str, Any]]
    fingerprint: str = ""
    secret_paths: list[tuple] = field(default_factory=list)  # write_only(chart, computed_values)

    def record(self, name: str, namespace: str, revision: int, status: Status, description: str) -> Release:
        user, computed, paths = redacted_values(self.user_values, self.computed_values, self.secret_paths)
        stamp = now()
        return Release(
            name=name,
            namespace=namespace,
            revision=revision,
            status=status,
            chart=chart_info(self.chart),
            values=user,
            computed_values=computed,
            manifest=self.result.manifest_text,
            notes=self.result.notes,
            description=description,
            first_deployed=stamp,
            last_deployed=stamp,
            redacted=[".".join(map(str, p)) for p in paths],
            objects=object_summaries(self.objects),
            fingerprint=self.fingerprint,
        )


def redacted_values(
    user_values: dict[str, Any], computed_values: dict[str, Any], paths: list[tuple]
) -> tuple[dict[str, Any], dict[str, Any], list[tuple]]:
    """User-supplied and computed values with the ``writeOnly`` ``paths`` (from ``write_only``) redacted."""
    return redact_values(user_values, paths), redact_values(computed_values, paths), paths


def chart_info(chart: Chart) -> ChartInfo:
    metadata = chart.metadata
    return ChartInfo(
        metadata.name,
        metadata.version,
        metadata.app_version,
        metadata.description,
        chart_digest(chart),
        annotations=dict(metadata.annotations),
        dependencies=[dict(entry) for entry in metadata.raw.get("dependencies") or []],
    )


def without_redacted(values: Any) -> Any:
    """Values with every redacted leaf dropped (reused values cannot bring secrets back)."""
    if isinstance(values, dict):
        return {k: without_redacted(v) for k, v in values.items() if v != REDACTED}
    if isinstance(values, list):
        return [without_redacted(v) for v in values]
    return values


def render_revision(
    config: Configuration,
    chart: Chart,
    user_values: dict[str, Any],
    *,
    name: str,
    revision: int,
    is_upgrade: bool,
    skip_schema_validation: bool = False,
    kube_version: str | None = None,
    offline: bool = False,
    tree: ValuesTree | None = None,
    previous: Release | None = None,
) -> Rendered:
    """Values → schema → render → objects for one revision of ``name`` (``tree``: the values
    already built from ``user_values``).

    ``previous`` is the release's latest revision, whose objects templates may keep
    (``previous_object``: the notebook's password hash is kept while the password is the same)."""
    from tfhelm.actions.common import build_capabilities

    if tree is None:
        tree = chart_values(chart, user_values, validate=not skip_schema_validation)
    release = ReleaseInfo(
        name, namespace=config.namespace, revision=revision, is_install=not is_upgrade, is_upgrade=is_upgrade
    )
    before = PreviousRevision(previous.manifest, config.namespace) if previous is not None else None
    capabilities = build_capabilities(kube_version)
    result = render_tree(tree, release=release, capabilities=capabilities, previous=before)
    # offline (--dry-run=client): the table of built-in kinds stands in for API discovery
    scope_source = OfflineScope() if offline else config.kube
    objects = desired_objects(
        (m.object for m in result.manifests),
        release=name,
        namespace=config.namespace,
        kube=scope_source,
        crds=[obj for crd in result.crds for obj in crd.objects()],  # their kinds may be new to the cluster
    )
    secret_paths = write_only(chart, tree.values)
    fingerprint = render_fingerprint(
        tree, name=name, namespace=config.namespace, kube_version=kube_version, secret_paths=secret_paths
    )
    return Rendered(chart, user_values, tree.values, result, objects, fingerprint, secret_paths)


def server_kube_version(config: Configuration) -> str:
    """The server's version (and the reachability check every verb starts with)."""
    return config.kube.server_version().lstrip("v").split("-")[0].split("+")[0]


def deploy(
    config: Configuration,
    pending: Release,
    rendered_objects: list[dict[str, Any]],
    options: DeployOptions,
    *,
    verb: str,
    success: str,
    baseline: Release | None = None,
    cleanup: Sequence[Release] = (),
    wait_refs: list[ObjectRef] | None = None,
    history: list[Release] | None = None,
    known_unchanged: int = 0,
) -> Release:
    """Record ``pending``, apply its objects, delete what ``cleanup`` revisions had and it has not,
    wait, and record the outcome. Objects unchanged since ``baseline`` (the deployed revision the
    cluster holds) are not sent again. ``known_unchanged`` counts objects the caller already knows need
    nothing (an upgrade whose inputs did not change); ``options.on_counts`` hears the totals."""
    storage = config.storage
    _refuse_foreign_objects(config, pending.name, rendered_objects, history, options)
    steps = _Steps(config)
    steps.before(f"record revision {pending.revision} as {pending.status}")
    storage.create(pending)
    reached = ApplyResult()
    try:
        _apply_and_clean(config, pending.name, rendered_objects, baseline, list(cleanup), options, reached, steps)
        if options.on_counts is not None:
            counts = reached.counts()
            options.on_counts(
                ApplyCounts(counts.created, counts.changed, counts.unchanged + known_unchanged, counts.deleted)
            )
        if options.wait:
            from tfhelm.actions.wait import wait_for_ready

            refs = wait_refs if wait_refs is not None else [ObjectRef.of(o) for o in rendered_objects]
            wait_for_ready(
                config.kube, refs, options.timeout, on_progress=options.on_progress, jobs_complete=options.wait_for_jobs
            )
            steps.done.append("waited until ready")
        steps.before(f"record revision {pending.revision} as deployed")
    except BaseException as error:
        from tfhelm.errors import LockLostError

        if isinstance(error, LockLostError):
            raise  # the release is someone else's now: leave its records alone
        pending.objects = _reached_only(pending.objects, rendered_objects, reached)
        if options.cleanup_on_fail and isinstance(error, Exception):
            pending.objects = _delete_created(config, pending, reached, options)
        pending.status = Status.FAILED
        pending.description = f"{verb.capitalize()} failed: {_first_line(error)}"
        _try_update(config, pending)
        raise
    pending.status = Status.DEPLOYED
    pending.description = success
    pending.last_deployed = now()
    storage.update(pending)
    steps.before("mark earlier revisions superseded")
    current = _supersede_others(config, pending, history)
    steps.before("prune old revisions")
    storage.prune(pending.name, options.history_max, history=current)
    return pending


def _delete_created(
    config: Configuration, pending: Release, reached: ApplyResult, options: DeployOptions
) -> list[dict[str, Any]]:
    """``--cleanup-on-fail``: delete the objects the failed operation created (those that existed
    before it are left as they are); returns the revision's objects without the deleted ones."""
    if not reached.created:
        return pending.objects
    warning = skipped_warning(pending.name)
    try:
        deleted = delete_objects(
            config.kube,
            list(reversed(reached.created)),
            owner=(pending.name, config.namespace),
            on_skipped=lambda ref, owner: options.warn(warning(ref, owner)),
            before_batch=lambda phase: config.check_lock(f"--cleanup-on-fail: {phase}", ["operation failed"]),
        )
    except Exception as error:  # noqa: BLE001 - the operation's own failure is what the user must see
        options.warn(f"--cleanup-on-fail could not delete every object this operation created: {error}")
        return pending.objects
    gone = {identity(ref) for ref in deleted}
    options.warn(f"--cleanup-on-fail deleted {len(gone)} object(s) this operation created")
    return [s for s in pending.objects if identity(summary_ref(s)) not in gone]


class _Steps:
    """The write phases an operation went through, each checked against the release lock first."""

    def __init__(self, config: Configuration):
        self.config = config
        self.done: list[str] = []

    def before(self, phase: str) -> None:
        self.config.check_lock(phase, self.done)
        self.done.append(phase)


def _refuse_foreign_objects(
    config: Configuration,
    name: str,
    objects: list[dict[str, Any]],
    history: list[Release] | None,
    options: DeployOptions,
) -> None:
    """Stop before any write when an object to apply exists and this release does not own it."""
    deployed = next((r for r in reversed(history or []) if r.status is Status.DEPLOYED), None)
    owned = {identity(summary_ref(s)) for s in deployed.objects} if deployed else set()
    foreign = check_ownership(config.kube, objects, release=name, namespace=config.namespace, owned=owned)
    if not foreign:
        return
    if not options.take_ownership:
        raise OwnershipError(ownership_error(foreign, name))
    for ref, owner in foreign:
        options.warn(f"taking ownership of {ref} ({owner}) for release {name}")


def _reached_only(
    summaries: list[dict[str, Any]], objects: list[dict[str, Any]], reached: ApplyResult
) -> list[dict[str, Any]]:
    """A failed revision's objects: drop the ones it meant to apply but never reached."""
    done = {identity(r) for r in (*reached.applied, *reached.unchanged)}
    missed = {identity(o) for o in objects} - done
    return [s for s in summaries if identity(summary_ref(s)) not in missed]


def _apply_and_clean(
    config: Configuration,
    name: str,
    objects: list[dict[str, Any]],
    baseline: Release | None,
    previous: list[Release],
    options: DeployOptions,
    result: ApplyResult,
    steps: _Steps | None = None,
) -> ApplyResult:
    last_digests = {}
    if baseline is not None:
        last_digests = {identity(summary_ref(s)): s["digest"] for s in baseline.objects}
    on_event = options.on_event
    notify = (lambda r: on_event(f"applied {r}")) if on_event else None
    before_batch = steps.before if steps is not None else None
    apply_objects(
        config.kube,
        objects,
        previous=last_digests,
        force=options.force_conflicts,
        on_applied=notify,
        result=result,
        before_batch=before_batch,
    )
    wanted = {identity(o) for o in objects}
    stale: dict[str, ObjectRef] = {}
    for release in previous:
        for summary in release.objects:
            key = identity(summary_ref(summary))
            if key not in wanted and not summary.get("keep"):
                stale.setdefault(key, summary_ref(summary))
    if stale:
        warning = skipped_warning(name)
        result.deleted += delete_objects(
            config.kube,
            list(stale.values()),
            owner=(name, config.namespace),
            on_skipped=lambda ref, owner: options.warn(warning(ref, owner)),
            before_batch=before_batch,
            on_deleted=(lambda r: on_event(f"deleted {r}")) if on_event else None,
        )
    return result


def _supersede_others(config: Configuration, current: Release, history: list[Release] | None) -> list[Release]:
    """Mark every other deployed revision superseded; returns the history as it now is.

    ``history`` is the history read under the lock before ``current`` was created, if known."""
    if history is None:
        history = config.storage.history(current.name)
    else:
        history = [r for r in history if r.revision != current.revision] + [current]
    for release in history:
        if release.revision != current.revision and release.status is Status.DEPLOYED:
            release.status = Status.SUPERSEDED
            config.storage.update(release)
    return history


def _try_update(config: Configuration, release: Release) -> None:
    """Record a failure if the cluster still answers and the lock is still ours; a later
    command recovers otherwise."""
    try:
        config.check_lock(f"record revision {release.revision} as failed")
        config.storage.update(release)
    except Exception:  # noqa: BLE001 - the original error matters more than this one
        pass


def _first_line(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def recover_interrupted(config: Configuration, name: str, lock: Any) -> list[Release]:
    """Mark revisions a dead command left pending as failed, saying what happened; return them."""
    recovered: list[Release] = []
    taken = lock.taken_over
    for release in config.storage.history(name):
        if not release.status.is_pending:
            continue
        who = f" ({taken.describe()}; its lock expired or its process is gone)" if taken else ""
        release.description = f"{release.status.value} interrupted{who}; recovered by {lock.operation}"
        release.status = Status.FAILED
        lock.check(
            f"record interrupted revision {release.revision} as failed",
            [f"revision {r.revision} recorded as failed" for r in recovered],
        )
        config.storage.update(release)
        recovered.append(release)
    return recovered
