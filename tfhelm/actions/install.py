"""``tfhelm install``: the first revision of a release.

reachable? → values → schema → render → objects → lock → the CRDs of ``crds/`` (created when
absent, see :mod:`tfhelm.actions.crds`) → record pending-install → apply → wait → record deployed
(or failed; with ``atomic``, the objects are removed again; CRDs of ``crds/`` stay).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.deploy import DeployOptions, Rendered, deploy, render_revision, server_kube_version
from tfhelm.chartsource import ChartSource
from tfhelm.errors import ReleaseError
from tfhelm.names import check_release_name
from tfhelm.release import Release, Status
from tfhelm.values.options import ValueOptions

__all__ = ["InstallOptions", "install", "install_locked"]


@dataclass(frozen=True)
class InstallOptions:
    chart: str
    name: str | None = None
    generate_name: bool = False
    values: ValueOptions = field(default_factory=ValueOptions)
    create_namespace: bool = False
    dry_run: str | None = None  # None, "client" or "server"
    source: ChartSource = field(default_factory=ChartSource)  # which version, and how to reach it
    deploy: DeployOptions = field(default_factory=DeployOptions)


def install(config: Configuration, options: InstallOptions) -> Release:
    """Install ``options.chart`` as a new release; returns its record."""
    from tfhelm.actions.common import locate_chart
    from tfhelm.release.lock import ReleaseLock

    chart = locate_chart(options.chart, options.source)
    name = _release_name(options, chart.name)
    offline = options.dry_run == "client"
    kube_version = None if offline else server_kube_version(config)
    user_values = options.values.user_values()
    if not offline:
        _check_name_free(config, name)
    rendered = render_revision(
        config,
        chart,
        user_values,
        name=name,
        revision=1,
        is_upgrade=False,
        skip_schema_validation=options.deploy.skip_schema_validation,
        kube_version=kube_version,
        offline=offline,
    )
    if options.dry_run:
        return _dry_run(config, rendered, name, options)
    if options.create_namespace:
        config.kube.ensure_namespace(config.namespace)
    with ReleaseLock(config.kube, config.namespace, name, "install") as lock:
        config = config.holding(lock)
        history = config.storage.history(name)
        _check_name_free(config, name, history)
        return install_locked(config, rendered, name, options.deploy, history)


def install_locked(
    config: Configuration, rendered: Rendered, name: str, options: DeployOptions, history: list[Release]
) -> Release:
    """Install while holding the release's lock (``upgrade --install`` comes here too)."""
    revision = history[-1].revision + 1 if history else 1
    if not options.skip_crds and rendered.result.crds:
        from tfhelm.actions.crds import install_crds

        on_event = options.on_event
        install_crds(config.kube, rendered.result.crds, before_write=config.check_lock, on_event=on_event)
    pending = rendered.record(name, config.namespace, revision, Status.PENDING_INSTALL, "Initial install underway")
    try:
        release = deploy(
            config,
            pending,
            rendered.objects,
            options,
            verb="install",
            cleanup=history[-1:],
            history=history,
            success=options.description or "Install complete",
        )
    except Exception as error:
        from tfhelm.errors import LockLostError, OwnershipError

        if not options.atomic or isinstance(error, (OwnershipError, LockLostError)):  # nothing written / not ours now
            raise
        _uninstall_after_failure(config, pending, error, options)
        raise ReleaseError(f"{error}\nrelease {name} was uninstalled because of --atomic") from error
    return release


def _release_name(options: InstallOptions, chart_name: str) -> str:
    if options.generate_name:
        return f"{chart_name}-{int(time.time())}"
    return check_release_name(options.name or chart_name)


def _check_name_free(config: Configuration, name: str, history: list[Release] | None = None) -> None:
    history = config.storage.history(name) if history is None else history
    if history and history[-1].status is not Status.UNINSTALLED:
        raise ReleaseError(
            f"cannot install release {name!r}: a release with that name exists in namespace {config.namespace} "
            f"(revision {history[-1].revision}, {history[-1].status}); use `tfhelm upgrade {name} CHART` "
            "(it also recovers a failed or interrupted install), or choose another name"
        )


def _dry_run(config: Configuration, rendered: Rendered, name: str, options: InstallOptions) -> Release:
    if options.dry_run == "server":
        from tfhelm.actions.apply import apply_objects

        apply_objects(config.kube, rendered.objects, dry_run=True, force=options.deploy.force_conflicts)
    release = rendered.record(name, config.namespace, 1, Status.PENDING_INSTALL, "Dry run complete")
    return release


def _uninstall_after_failure(
    config: Configuration, pending: Release, error: BaseException, options: DeployOptions
) -> None:
    """``--atomic``: remove what the failed install created (only objects it owns), and its records."""
    from tfhelm.actions.apply import delete_objects
    from tfhelm.actions.deploy import skipped_warning
    from tfhelm.actions.objects import summary_ref

    warning = skipped_warning(pending.name)
    try:
        delete_objects(
            config.kube,
            [summary_ref(s) for s in pending.objects if not s.get("keep")],
            owner=(pending.name, config.namespace),
            on_skipped=lambda ref, owner: options.warn(warning(ref, owner)),
            before_batch=lambda phase: config.check_lock(f"--atomic: {phase}", ["install failed"]),
        )
        for release in config.storage.history(pending.name):
            config.check_lock(f"--atomic: delete record of revision {release.revision}", ["install failed"])
            config.storage.delete(release)
    except Exception as cleanup_error:  # noqa: BLE001
        raise ReleaseError(f"install failed ({error}) and --atomic could not clean up: {cleanup_error}") from error
