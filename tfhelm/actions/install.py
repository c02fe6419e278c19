"""``tfhelm install``: the first revision of a release.

reachable? → values → schema → render → objects → lock → record pending-install → apply →
wait → record deployed (or failed; with ``atomic``, the objects are removed again).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.deploy import DeployOptions, Rendered, deploy, render_revision, server_kube_version
from tfhelm.errors import ReleaseError, UsageError
from tfhelm.release import Release, Status
from tfhelm.values.options import ValueOptions

__all__ = ["InstallOptions", "install", "install_locked"]

_RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class InstallOptions:
    chart: str
    name: str | None = None
    generate_name: bool = False
    values: ValueOptions = field(default_factory=ValueOptions)
    create_namespace: bool = False
    dry_run: str | None = None  # None, "client" or "server"
    version: str | None = None
    devel: bool = False  # allow prerelease chart versions
    registry_tls: dict[str, Any] = field(default_factory=dict)  # plain_http, insecure_skip_tls_verify, ca_file
    verify_keyring: Path | None = None  # --verify: the chart's .prov must verify against this keyring
    deploy: DeployOptions = field(default_factory=DeployOptions)


def install(config: Configuration, options: InstallOptions) -> Release:
    """Install ``options.chart`` as a new release; returns its record."""
    from tfhelm.actions.common import locate_chart
    from tfhelm.release.lock import ReleaseLock

    chart = locate_chart(
        options.chart,
        version=options.version,
        devel=options.devel,
        verify_keyring=options.verify_keyring,
        **options.registry_tls,
    )
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
        from tfhelm.actions.objects import OwnershipError
        from tfhelm.release.lock import LockLostError

        if not options.atomic or isinstance(error, (OwnershipError, LockLostError)):  # nothing written / not ours now
            raise
        _uninstall_after_failure(config, pending, error, options)
        raise ReleaseError(f"{error}\nrelease {name} was uninstalled because of --atomic") from error
    return release


def _release_name(options: InstallOptions, chart_name: str) -> str:
    if options.generate_name:
        return f"{chart_name}-{int(time.time())}"
    name = options.name or chart_name
    if len(name) > 53 or not _RELEASE_NAME.fullmatch(name):
        raise UsageError(
            f"invalid release name {name!r}: use at most 53 lower-case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit"
        )
    return name


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
