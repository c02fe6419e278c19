"""``tfhelm upgrade``: render a new revision of a release and converge the cluster to it.

Objects unchanged since the deployed revision are not sent (a no-op upgrade writes nothing);
objects the new revision no longer has are deleted (unless ``tfhelm.io/resource-policy: keep`` or
``helm.sh/resource-policy: keep``). The CRDs of ``crds/`` are neither created nor updated (Helm's rule).
A revision an interrupted command left pending is recorded as failed and recovered from.

Values follow Helm: with no values flags (and no ``--reset-values``) the last revision's
user-supplied values are used again. writeOnly values were never stored, so when reused values
need one, the user is asked to pass it again instead of silently dropping it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.deploy import (
    DeployOptions,
    Rendered,
    deploy,
    recover_interrupted,
    render_revision,
    server_kube_version,
    without_redacted,
)
from tfhelm.chartsource import ChartSource
from tfhelm.errors import ReleaseError, UsageError
from tfhelm.release import Release, Status
from tfhelm.release.record import REDACTED
from tfhelm.values.merge import merge_maps
from tfhelm.values.options import ValueOptions
from tfhelm.values.tree import ValuesTree, chart_values

__all__ = ["UpgradeOptions", "plan_upgrade", "upgrade"]


@dataclass(frozen=True)
class UpgradeOptions:
    name: str
    chart: str
    values: ValueOptions = field(default_factory=ValueOptions)
    install: bool = False
    reuse_values: bool = False
    reset_then_reuse_values: bool = False
    reset_values: bool = False
    create_namespace: bool = False
    dry_run: str | None = None
    source: ChartSource = field(default_factory=ChartSource)  # which version, and how to reach it
    deploy: DeployOptions = field(default_factory=DeployOptions)


def upgrade(config: Configuration, options: UpgradeOptions) -> Release:
    """Upgrade (or with ``install``, install) ``options.name``; returns the new revision's record."""
    from tfhelm.release.lock import ReleaseLock

    _check_value_flags(options)
    if options.dry_run:
        return plan_upgrade(config, options)[1].record(
            options.name, config.namespace, 0, Status.PENDING_UPGRADE, "Dry run complete"
        )
    kube_version = server_kube_version(config)
    if options.create_namespace and options.install:
        config.kube.ensure_namespace(config.namespace)
    with ReleaseLock(config.kube, config.namespace, options.name, "upgrade") as lock:
        config = config.holding(lock)
        recovered = recover_interrupted(config, options.name, lock)
        history = config.storage.history(options.name)
        if not history or history[-1].status is Status.UNINSTALLED:
            return _install_instead(config, options, history, kube_version)
        chart, user_values, tree = _values(options, history)
        unchanged = _unchanged_upgrade(config, options, history, user_values, tree, kube_version)
        if unchanged is not None:
            return unchanged
        rendered = render_revision(
            config,
            chart,
            user_values,
            name=options.name,
            revision=history[-1].revision + 1,
            is_upgrade=True,
            kube_version=kube_version,
            tree=tree,
            previous=history[-1],
        )
        return _upgrade_locked(config, options, rendered, history, recovered)


def _check_value_flags(options: UpgradeOptions) -> None:
    chosen = [
        flag
        for flag, on in (
            ("--reuse-values", options.reuse_values),
            ("--reset-values", options.reset_values),
            ("--reset-then-reuse-values", options.reset_then_reuse_values),
        )
        if on
    ]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} cannot be used together")


def plan_upgrade(config: Configuration, options: UpgradeOptions) -> tuple[list[Release], Rendered]:
    """The release's history and the next revision, rendered (nothing is changed)."""
    _check_value_flags(options)
    kube_version = server_kube_version(config)
    history = config.storage.history(options.name)
    if not history and not options.install:
        raise ReleaseError(f"release {options.name!r} not found in namespace {config.namespace} (use --install)")
    return history, _render(config, options, history, kube_version)


def _render(config: Configuration, options: UpgradeOptions, history: list[Release], kube_version: str) -> Rendered:
    from tfhelm.actions.common import locate_chart

    chart = locate_chart(options.chart, options.source)
    user_values = _user_values(options, history)
    revision = history[-1].revision + 1 if history else 1
    return render_revision(
        config,
        chart,
        user_values,
        name=options.name,
        revision=revision,
        is_upgrade=bool(history),
        skip_schema_validation=options.deploy.skip_schema_validation,
        kube_version=kube_version,
        previous=history[-1] if history else None,
    )


def _values(options: UpgradeOptions, history: list[Release]) -> tuple[Any, dict[str, Any], ValuesTree]:
    """The chart, the user-supplied values and the chart's values tree (validated)."""
    from tfhelm.actions.common import locate_chart

    chart = locate_chart(options.chart, options.source)
    user_values = _user_values(options, history)
    tree = chart_values(chart, user_values, validate=not options.deploy.skip_schema_validation)
    return chart, user_values, tree


def _unchanged_upgrade(
    config: Configuration,
    options: UpgradeOptions,
    history: list[Release],
    user_values: dict[str, Any],
    tree: ValuesTree,
    kube_version: str,
) -> Release | None:
    """The next revision without rendering, when nothing rendering depends on changed."""
    from tfhelm.actions.apply import all_exist
    from tfhelm.actions.deploy import deploy, redacted_values
    from tfhelm.actions.fingerprint import fingerprint_salt, render_fingerprint, write_only
    from tfhelm.actions.objects import summary_ref
    from tfhelm.release.record import now

    last = history[-1]
    if last.status is not Status.DEPLOYED or not last.fingerprint:
        return None
    secret_paths = write_only(tree.chart, tree.values)
    fingerprint = render_fingerprint(
        tree,
        name=options.name,
        namespace=config.namespace,
        kube_version=kube_version,
        secret_paths=secret_paths,
        salt=fingerprint_salt(last.fingerprint),
    )
    refs = [summary_ref(s) for s in last.objects]
    if fingerprint != last.fingerprint or not all_exist(config.kube, refs):
        return None
    user, redacted, _ = redacted_values(user_values, tree.values, secret_paths)
    pending = last.copy(
        revision=last.revision + 1,
        status=Status.PENDING_UPGRADE,
        description="Upgrade underway",
        values=user,
        computed_values=redacted,
        last_deployed=now(),
    )
    return deploy(
        config,
        pending,
        [],
        options.deploy,
        verb="upgrade",
        wait_refs=refs,
        history=history,
        success=options.deploy.description or "Upgrade complete",
        known_unchanged=len(refs),
    )


def _user_values(options: UpgradeOptions, history: list[Release]) -> dict[str, Any]:
    """Helm's rules: --reuse-values builds on the last computed values (old chart defaults
    included); --reset-then-reuse-values on the last user-supplied values over the new chart's;
    no values flags at all reuse the last user-supplied values; --reset-values never reuses."""
    new_values = options.values.user_values()
    if not history or options.reset_values:
        return new_values
    last = history[-1]
    if options.reuse_values:
        base = last.computed_values
    elif options.reset_then_reuse_values or not new_values:
        base = last.values
    else:
        return new_values
    _require_redacted_again(last, new_values, implicit=not (options.reuse_values or options.reset_then_reuse_values))
    return merge_maps(without_redacted(base), new_values)


def _require_redacted_again(last: Release, new_values: dict[str, Any], *, implicit: bool) -> None:
    """Reused values cannot bring writeOnly values back: the user must pass them again."""
    missing = [path for path in _redacted_paths(last.values) if not _has_path(new_values, path)]
    if not missing:
        return
    names = ", ".join(".".join(map(str, path)) for path in missing)
    verb = "was" if len(missing) == 1 else "were"
    how = "with --set-string or -f"
    if implicit:  # any values flag alone would replace every earlier value, as in Helm
        how = f"with --reset-then-reuse-values --set-string {missing[0] and '.'.join(map(str, missing[0]))}=… (or -f)"
    raise UsageError(
        f"{names} {verb} not stored (writeOnly) with revision {last.revision} of release {last.name}, so it cannot be "
        f"reused; pass it again {how}, or use --reset-values for the chart's defaults"
    )


def _redacted_paths(values: Any, prefix: tuple = ()) -> list[tuple]:
    if isinstance(values, dict):
        return [p for k, v in values.items() for p in _redacted_paths(v, (*prefix, k))]
    if isinstance(values, list):
        return [p for i, v in enumerate(values) for p in _redacted_paths(v, (*prefix, i))]
    return [prefix] if values == REDACTED else []


def _has_path(values: Any, path: tuple) -> bool:
    node = values
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return True


def _install_instead(
    config: Configuration, options: UpgradeOptions, history: list[Release], kube_version: str
) -> Release:
    if not options.install:
        raise ReleaseError(
            f"release {options.name!r} has no deployed releases in namespace {config.namespace} (use --install)"
        )
    from tfhelm.actions.install import install_locked

    rendered = _render(config, options, history, kube_version)
    return install_locked(config, rendered, options.name, options.deploy, history)


def _upgrade_locked(
    config: Configuration, options: UpgradeOptions, rendered: Rendered, history: list[Release], recovered: list[Release]
) -> Release:
    last = history[-1]
    deployed = next((r for r in reversed(history) if r.status is Status.DEPLOYED), None)
    pending = rendered.record(
        options.name, config.namespace, last.revision + 1, Status.PENDING_UPGRADE, "Upgrade underway"
    )
    pending.first_deployed = history[0].first_deployed
    baseline = deployed if deployed is last else None  # after a failure the cluster may hold anything
    cleanup = [r for r in (deployed, last, *recovered) if r is not None]
    try:
        release = deploy(
            config,
            pending,
            rendered.objects,
            options.deploy,
            verb="upgrade",
            baseline=baseline,
            cleanup=cleanup,
            history=history,
            success=options.deploy.description or "Upgrade complete",
        )
    except Exception as error:
        from tfhelm.errors import LockLostError, OwnershipError

        if not options.deploy.atomic or deployed is None or isinstance(error, (OwnershipError, LockLostError)):
            raise
        _roll_back_after_failure(config, options, deployed, error)
    return release


def _roll_back_after_failure(
    config: Configuration, options: UpgradeOptions, deployed: Release, error: Exception
) -> None:
    from tfhelm.actions.rollback import rollback_locked

    quiet = DeployOptions(
        wait=options.deploy.wait,
        timeout=options.deploy.timeout,
        force_conflicts=True,
        history_max=options.deploy.history_max,
    )
    history = config.storage.history(options.name)
    try:
        rollback_locked(config, deployed, history, quiet, atomic_note=" (--atomic, after a failed upgrade)")
    except Exception as rollback_error:  # noqa: BLE001
        raise ReleaseError(
            f"upgrade failed ({error}) and the --atomic rollback failed too: {rollback_error}"
        ) from error
    raise ReleaseError(
        f"{error}\nrelease {options.name} was rolled back to revision {deployed.revision} because of --atomic"
    ) from error
