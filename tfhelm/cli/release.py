"""Release commands: install, upgrade, rollback, uninstall, list, history, status, get, diff.

Each command parses flags, builds a Configuration, calls one action and prints. Imports of
the cluster client happen inside the commands, so ``tfhelm template`` never pays for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tfhelm.cli.app import CONTEXT_SETTINGS, _name_and_chart, _registry_tls, cli
from tfhelm.cli.options import (
    _compose,
    registry_tls_flags,
    value_flags,
    value_options_from,
    verify_flags,
    verify_keyring_from,
)
from tfhelm.cli.output import echo

if TYPE_CHECKING:
    from tfhelm.actions.upgrade import UpgradeOptions

__all__: list[str] = []


class _Duration(click.ParamType):
    """Helm's durations (``90s``, ``5m``, ``1h30m``), converted to seconds while parsing flags."""

    name = "DURATION"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        from tfhelm.actions.wait import parse_duration
        from tfhelm.errors import UsageError

        try:
            return parse_duration(value)
        except UsageError as error:
            self.fail(str(error), param, ctx)


cluster_flags = _compose(
    click.option("-n", "--namespace", default=None, help="Namespace of the release (default: the context's)."),
    click.option(
        "--kubeconfig", default=None, metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)."
    ),
    click.option("--kube-context", default=None, metavar="NAME", help="kubeconfig context to use."),
)
deploy_flags = _compose(
    click.option(
        "--wait",
        is_flag=True,
        help="Wait until every resource is ready (live table; a timeout names the unready ones).",
    ),
    click.option(
        "--timeout",
        default="5m0s",
        show_default=True,
        type=_Duration(),
        help="How long --wait waits (90s, 5m, 1h30m; 0s checks readiness once).",
    ),
    click.option(
        "--wait-for-jobs",
        is_flag=True,
        help="With --wait (implied): Jobs must complete; a failed Job fails at once.",
    ),
    click.option(
        "--atomic",
        is_flag=True,
        help="On failure, undo: uninstall a failed install, roll back a failed upgrade. Implies --wait.",
    ),
    click.option("--force-conflicts", is_flag=True, help="Take ownership of fields another field manager set."),
    click.option("--description", default=None, help="Description recorded with the revision."),
    click.option(
        "--history-max", default=10, show_default=True, type=int, help="Revisions kept per release (0: no limit)."
    ),
    click.option("--skip-schema-validation", is_flag=True, help="Do not validate values against values.schema.json."),
)
take_ownership_flag = click.option(
    "--take-ownership",
    is_flag=True,
    help="Adopt objects that already exist but are not managed by this release (default: refuse).",
)
output_flag = click.option(
    "-o", "--output", type=click.Choice(["table", "json", "yaml"]), default="table", show_default=True
)


def _configuration(params: dict[str, Any], *, all_namespaces: bool = False):
    from tfhelm.actions.configuration import Configuration

    return Configuration.connect(
        kubeconfig=params.get("kubeconfig"),
        context=params.get("kube_context"),
        namespace=params.get("namespace"),
        all_namespaces=all_namespaces,
    )


def _deploy_options(params: dict[str, Any], display=None):
    from tfhelm.actions.deploy import DeployOptions

    return DeployOptions(
        wait=params.get("wait", False) or params.get("atomic", False) or params.get("wait_for_jobs", False),
        timeout=params.get("timeout", 300.0),  # 0s means check once, not the default
        wait_for_jobs=params.get("wait_for_jobs", False),
        atomic=params.get("atomic", False),
        force_conflicts=params.get("force_conflicts", False),
        history_max=params.get("history_max", 10),
        description=params.get("description"),
        skip_schema_validation=params.get("skip_schema_validation", False),
        take_ownership=params.get("take_ownership", False),
        on_progress=display,
        on_warning=lambda message: echo(f"WARNING: {message}", err=True),
    )


def _with_display(run):
    from tfhelm.cli.release_output import WaitDisplay

    display = WaitDisplay()
    try:
        return run(display)
    finally:
        display.close()


chart_source_flags = _compose(
    click.option(
        "--version", "chart_version", metavar="CONSTRAINT", help="Chart version constraint (repository and OCI charts)."
    ),
    click.option("--devel", is_flag=True, help="Allow prerelease chart versions from repositories and registries."),
    registry_tls_flags,
    verify_flags,
)


class _DryRunCommand(click.Command):
    """``--dry-run`` is a flag (client); a mode is given only as ``--dry-run=client|server|none``.

    A separate value would swallow the next argument (``install --dry-run NAME CHART``), so the
    ``=`` form is rewritten to a hidden ``--dry-run-mode`` before click parses."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten, rest = [], list(args)
        while rest:
            arg = rest.pop(0)
            if arg == "--":
                rewritten += [arg, *rest]
                break
            rewritten.append("--dry-run-mode=" + arg.partition("=")[2] if arg.startswith("--dry-run=") else arg)
        return super().parse_args(ctx, rewritten)


dry_run_flag = _compose(
    click.option(
        "--dry-run",
        "dry_run_flag",
        is_flag=True,
        help="Simulate: render and plan (client). --dry-run=server also sends a server-side dry-run apply; "
        "--dry-run=none does not simulate.",
    ),
    click.option(
        "--dry-run-mode",
        "dry_run_mode",
        default=None,
        hidden=True,
        callback=lambda ctx, param, value: _dry_run_mode(value),
    ),
)


def _dry_run_mode(value: str | None) -> str | None:
    if value is not None and value not in ("client", "server", "none"):
        raise click.BadParameter(f"{value!r} is not one of 'client', 'server', 'none'", param_hint="'--dry-run'")
    return value


def _dry_run(params: dict[str, Any]) -> str | None:
    """None (really run), "client" or "server"."""
    mode = params.pop("dry_run_mode", None) or ("client" if params.pop("dry_run_flag", False) else None)
    params.pop("dry_run_flag", None)
    return None if mode == "none" else mode


@cli.command(cls=_DryRunCommand, context_settings=CONTEXT_SETTINGS)
@click.argument("args", nargs=-1, required=True, metavar="[NAME] CHART")
@value_flags
@cluster_flags
@deploy_flags
@dry_run_flag
@take_ownership_flag
@click.option("--generate-name", is_flag=True, help="Generate the release name (<chart>-<timestamp>).")
@click.option("--create-namespace", is_flag=True, help="Create the release namespace if it does not exist.")
@chart_source_flags
def install(args: tuple[str, ...], **params: Any) -> None:
    """Install a chart as a new release. NAME defaults to the chart's name."""
    from tfhelm.actions.install import InstallOptions, install as run_install
    from tfhelm.cli.release_output import print_status

    params["dry_run"] = _dry_run(params)
    name, chart = (None, args[0]) if params["generate_name"] and len(args) == 1 else _name_and_chart(args)
    config = _configuration(params)
    release = _with_display(
        lambda display: run_install(
            config,
            InstallOptions(
                chart=chart,
                name=name,
                generate_name=params["generate_name"],
                values=value_options_from(params),
                create_namespace=params["create_namespace"],
                dry_run=params["dry_run"],
                version=params["chart_version"],
                devel=params["devel"],
                registry_tls=_registry_tls(params),
                verify_keyring=verify_keyring_from(params),
                deploy=_deploy_options(params, display),
            ),
        )
    )
    print_status(release, manifest=bool(params["dry_run"]))


@cli.command(cls=_DryRunCommand, context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@click.argument("chart")
@value_flags
@cluster_flags
@deploy_flags
@dry_run_flag
@take_ownership_flag
@click.option("-i", "--install", "install_missing", is_flag=True, help="Install the release if it does not exist.")
@click.option("--reuse-values", is_flag=True, help="Build on the last release's values (and its chart's defaults).")
@click.option(
    "--reset-then-reuse-values",
    is_flag=True,
    help="New chart defaults, then the last release's values, then these flags.",
)
@click.option(
    "--reset-values",
    is_flag=True,
    help="Only the chart's defaults and these flags (without values flags, the last release's values are reused).",
)
@click.option("--create-namespace", is_flag=True, help="With --install: create the namespace if missing.")
@chart_source_flags
def upgrade(name: str, chart: str, **params: Any) -> None:
    """Upgrade a release to a new chart or new values (--dry-run prints the diff)."""
    from tfhelm.actions.upgrade import upgrade as run_upgrade
    from tfhelm.cli.release_output import print_status

    params["dry_run"] = _dry_run(params)
    config = _configuration(params)
    make = lambda display: _upgrade_options(name, chart, params, display)  # noqa: E731
    if params["dry_run"]:
        from tfhelm.actions.diff import diff_upgrade
        from tfhelm.cli.release_output import print_diff

        print_diff(diff_upgrade(config, make(None)))
        return
    release = _with_display(lambda display: run_upgrade(config, make(display)))
    echo(f'Release "{name}" has been upgraded.' if release.revision > 1 else f'Release "{name}" has been installed.')
    print_status(release)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@click.argument("revision", type=int, required=False)
@cluster_flags
@deploy_flags
@click.option("--dry-run", is_flag=True, help="Show which revision would be restored.")
def rollback(name: str, revision: int | None, **params: Any) -> None:
    """Roll a release back to REVISION (default: the one before the current)."""
    from tfhelm.actions.rollback import RollbackOptions, rollback as run_rollback

    config = _configuration(params)
    release = _with_display(
        lambda display: run_rollback(
            config,
            RollbackOptions(
                name=name, revision=revision, dry_run=params["dry_run"], deploy=_deploy_options(params, display)
            ),
        )
    )
    if params["dry_run"]:
        echo(f"Would roll back {name} to revision {release.revision}")
    else:
        echo(f"Rollback was a success! {name} is now at revision {release.revision} ({release.description}).")


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@cluster_flags
@click.option("--keep-history", is_flag=True, help="Keep the release records (status uninstalled).")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted.")
@click.option("--description", default=None, help="Description recorded with --keep-history.")
@click.option("--wait", is_flag=True, help="Wait until every deleted object and its pods are gone.")
@click.option(
    "--timeout", default="5m0s", show_default=True, type=_Duration(), help="How long --wait waits (90s, 5m, 1h30m)."
)
def uninstall(names: tuple[str, ...], **params: Any) -> None:
    """Uninstall releases: delete their objects (reverse order) and their records."""
    from tfhelm.actions.uninstall import UninstallOptions, uninstall as run_uninstall

    config = _configuration(params)
    for name in names:
        result = run_uninstall(
            config,
            UninstallOptions(
                name=name,
                keep_history=params["keep_history"],
                dry_run=params["dry_run"],
                description=params["description"],
                wait=params["wait"],
                timeout=params["timeout"],
            ),
        )
        verb = "would delete" if params["dry_run"] else "deleted"
        echo(
            f'release "{name}" uninstalled ({verb} {len(result.deleted)} objects)'
            if not params["dry_run"]
            else f'release "{name}": {verb} {len(result.deleted)} objects'
        )
        for ref in result.kept:
            echo(f"  kept {ref} (tfhelm.io/resource-policy: keep)")
        for ref, owner in result.skipped:
            echo(f"WARNING: not deleting {ref}: it is not managed by release {name} ({owner})", err=True)


@cli.command(name="list", context_settings=CONTEXT_SETTINGS)
@cluster_flags
@output_flag
@click.option("-A", "--all-namespaces", is_flag=True, help="Releases of every namespace.")
@click.option("-a", "--all", "show_all", is_flag=True, help="Every status (superseded, uninstalled … too).")
@click.option("--filter", "filter_text", default=None, metavar="REGEX", help="Only releases whose name matches.")
def list_command(**params: Any) -> None:
    """List releases."""
    from tfhelm.actions.list import list_releases, release_row
    from tfhelm.cli.release_output import print_rows

    config = _configuration(params, all_namespaces=params["all_namespaces"])
    problems: list = []
    releases = list_releases(config, show_all=params["show_all"], filter_text=params["filter_text"], problems=problems)
    for problem in problems:
        echo(f"WARNING: skipped {problem}", err=True)
    rows = [release_row(r) for r in releases]
    print_rows(
        rows, params["output"], columns=["name", "namespace", "revision", "updated", "status", "chart", "app_version"]
    )


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@cluster_flags
@output_flag
@click.option(
    "--max", "max_revisions", default=256, show_default=True, type=int, help="Show at most this many revisions."
)
def history(name: str, **params: Any) -> None:
    """Show a release's revisions."""
    from tfhelm.actions.history import history as run_history, history_row
    from tfhelm.cli.release_output import print_rows

    rows = [history_row(r) for r in run_history(_configuration(params), name, max_revisions=params["max_revisions"])]
    print_rows(rows, params["output"])


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@cluster_flags
@output_flag
@click.option("--revision", type=int, default=None, help="Show this revision (default: the latest).")
@click.option("--show-resources", is_flag=True, help="Show the release's objects and whether each is ready.")
def status(name: str, **params: Any) -> None:
    """Show a release's status."""
    from tfhelm.actions.status import status as run_status
    from tfhelm.cli.release_output import print_status

    result = run_status(
        _configuration(params), name, revision=params["revision"], show_resources=params["show_resources"]
    )
    if params["output"] != "table":
        document = result.release.to_dict()
        document.pop("computed_values", None)
        _print_document(document, params["output"])
        return
    print_status(result.release, resources=result.resources)


def _print_document(document: Any, output: str) -> None:
    import json

    if output == "json":
        echo(json.dumps(document))
    else:
        from tfhelm.yamlio import dump_yaml

        echo(dump_yaml(document), nl=False)


@cli.group(context_settings=CONTEXT_SETTINGS)
def get() -> None:
    """Show a release's values, manifest or notes."""


def _get_command(what: str, help_text: str) -> None:
    @get.command(name=what, help=help_text, context_settings=CONTEXT_SETTINGS)
    @click.argument("name")
    @cluster_flags
    @click.option("--revision", type=int, default=None, help="Revision to show (default: the latest).")
    @click.option(
        "-a", "--all", "all_values", is_flag=True, help="values: the computed values, not just the user-supplied ones."
    )
    @click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
    def command(name: str, **params: Any) -> None:
        from tfhelm.actions.get import get_release

        release = get_release(_configuration(params), name, revision=params["revision"])
        values = release.computed_values if params["all_values"] else release.values
        if what == "values":
            if params["output"] == "yaml":
                echo("COMPUTED VALUES:" if params["all_values"] else "USER-SUPPLIED VALUES:")
            _print_document(values, params["output"])
        elif what == "manifest":
            echo(release.manifest, nl=False)
        elif what == "notes":
            echo("NOTES:\n" + (release.notes or "").rstrip("\n"))
        else:
            from tfhelm.cli.release_output import print_status

            print_status(release, show_notes=False)
            echo("USER-SUPPLIED VALUES:")
            _print_document(release.values, "yaml")
            echo("\nCOMPUTED VALUES:")
            _print_document(release.computed_values, "yaml")
            echo("\nMANIFEST:")
            echo(release.manifest, nl=False)
            if release.notes:
                echo("NOTES:\n" + release.notes.rstrip("\n"))


for _what, _help in (
    ("values", "Print the values of a revision (writeOnly values redacted)."),
    ("manifest", "Print the manifest of a revision."),
    ("notes", "Print the notes of a revision."),
    ("all", "Print everything recorded for a revision."),
):
    _get_command(_what, _help)


@cli.group(context_settings=CONTEXT_SETTINGS)
def diff() -> None:
    """Show what a command would change in the cluster."""


@diff.command(name="upgrade", context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@click.argument("chart")
@value_flags
@cluster_flags
@click.option("--reuse-values", is_flag=True)
@click.option("--reset-then-reuse-values", is_flag=True)
@click.option("--reset-values", is_flag=True)
@click.option(
    "-i", "--install", "install_missing", is_flag=True, help="Diff against nothing when the release does not exist."
)
@click.option("--force-conflicts", is_flag=True)
@click.option("--skip-schema-validation", is_flag=True)
@chart_source_flags
def diff_upgrade_command(name: str, chart: str, **params: Any) -> None:
    """Diff of live objects vs. what `upgrade NAME CHART` would apply (Secret data masked)."""
    from tfhelm.actions.diff import diff_upgrade
    from tfhelm.cli.release_output import print_diff

    print_diff(diff_upgrade(_configuration(params), _upgrade_options(name, chart, params)))


def _upgrade_options(name: str, chart: str, params: dict[str, Any], display: Any = None) -> UpgradeOptions:
    """What `upgrade` and `diff upgrade` both ask for, from their shared flags (diff has no
    --create-namespace or --dry-run: it never writes)."""
    from tfhelm.actions.upgrade import UpgradeOptions

    return UpgradeOptions(
        name=name,
        chart=chart,
        values=value_options_from(params),
        install=params["install_missing"],
        reuse_values=params["reuse_values"],
        reset_then_reuse_values=params["reset_then_reuse_values"],
        reset_values=params["reset_values"],
        create_namespace=params.get("create_namespace", False),
        dry_run=params.get("dry_run"),
        version=params["chart_version"],
        devel=params["devel"],
        registry_tls=_registry_tls(params),
        verify_keyring=verify_keyring_from(params),
        deploy=_deploy_options(params, display),
    )
