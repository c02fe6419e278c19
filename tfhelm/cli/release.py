"""Release commands: install, upgrade, rollback, uninstall, list, history, status, get, diff.

Each command parses flags, builds a Configuration, calls one action and prints. Imports of
the cluster client happen inside the commands, so ``tfhelm template`` never pays for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tfhelm.cli.options import (
    CONTEXT_SETTINGS,
    DryRunCommand,
    Duration,
    chart_source_flags,
    chart_source_from,
    cluster_flags,
    configuration,
    deploy_flags,
    deploy_options,
    dry_run,
    dry_run_flags,
    name_and_chart,
    output_flag,
    release_status_flags,
    revision_flag,
    skip_crds_flag,
    take_ownership_flag,
    value_flags,
    value_options_from,
    verify_flags,
    with_display,
)
from tfhelm.cli.output import echo, print_document

if TYPE_CHECKING:
    from tfhelm.actions.upgrade import UpgradeOptions

__all__ = ["COMMANDS"]


@click.command(cls=DryRunCommand, context_settings=CONTEXT_SETTINGS)
@click.argument("args", nargs=-1, required=True, metavar="[NAME] CHART")
@value_flags
@cluster_flags
@deploy_flags
@dry_run_flags
@take_ownership_flag
@skip_crds_flag
@click.option("--generate-name", is_flag=True, help="Generate the release name (<chart>-<timestamp>).")
@click.option("--create-namespace", is_flag=True, help="Create the release namespace if it does not exist.")
@chart_source_flags
@verify_flags
def install(args: tuple[str, ...], **params: Any) -> None:
    """Install a chart as a new release. NAME defaults to the chart's name."""
    from tfhelm.actions.install import InstallOptions, install as run_install
    from tfhelm.cli.release_output import print_status

    params["dry_run"] = dry_run(params)
    name, chart = (None, args[0]) if params["generate_name"] and len(args) == 1 else name_and_chart(args)
    config = configuration(params)
    release = with_display(
        lambda display: run_install(
            config,
            InstallOptions(
                chart=chart,
                name=name,
                generate_name=params["generate_name"],
                values=value_options_from(params),
                create_namespace=params["create_namespace"],
                dry_run=params["dry_run"],
                source=chart_source_from(params),
                deploy=deploy_options(params, display),
            ),
        )
    )
    print_status(release, manifest=bool(params["dry_run"]))


@click.command(cls=DryRunCommand, context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@click.argument("chart")
@value_flags
@cluster_flags
@deploy_flags
@dry_run_flags
@take_ownership_flag
@click.option("-i", "--install", "install_missing", is_flag=True, help="Install the release if it does not exist.")
@skip_crds_flag
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
@verify_flags
def upgrade(name: str, chart: str, **params: Any) -> None:
    """Upgrade a release to a new chart or new values (--dry-run prints the diff)."""
    from tfhelm.actions.upgrade import upgrade as run_upgrade
    from tfhelm.cli.release_output import print_status

    params["dry_run"] = dry_run(params)
    config = configuration(params)
    counts: list = []  # what the apply did, for the first line
    make = lambda display: _upgrade_options(name, chart, params, display, counts)  # noqa: E731
    if params["dry_run"]:
        from tfhelm.actions.diff import diff_upgrade
        from tfhelm.cli.release_output import print_diff

        print_diff(diff_upgrade(config, make(None)))
        return
    release = with_display(lambda display: run_upgrade(config, make(display)))
    done = f": {counts[-1]}" if counts else ""
    verb = "upgraded" if release.revision > 1 else "installed"
    echo(f'Release "{name}" has been {verb}{done}.')
    print_status(release)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@click.argument("revision", type=int, required=False)
@cluster_flags
@deploy_flags
@click.option("--dry-run", is_flag=True, help="Show which revision would be restored.")
def rollback(name: str, revision: int | None, **params: Any) -> None:
    """Roll a release back to REVISION (default: the one before the current)."""
    from tfhelm.actions.rollback import RollbackOptions, rollback as run_rollback

    config = configuration(params)
    release = with_display(
        lambda display: run_rollback(
            config,
            RollbackOptions(
                name=name, revision=revision, dry_run=params["dry_run"], deploy=deploy_options(params, display)
            ),
        )
    )
    if params["dry_run"]:
        echo(f"Would roll back {name} to revision {release.revision}")
    else:
        echo(f"Rollback was a success! {name} is now at revision {release.revision} ({release.description}).")


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@cluster_flags
@click.option("--keep-history", is_flag=True, help="Keep the release records (status uninstalled).")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted.")
@click.option("--description", default=None, help="Description recorded with --keep-history.")
@click.option("--wait", is_flag=True, help="Wait until every deleted object and its pods are gone.")
@click.option(
    "--timeout", default="5m0s", show_default=True, type=Duration(), help="How long --wait waits (90s, 5m, 1h30m)."
)
def uninstall(names: tuple[str, ...], **params: Any) -> None:
    """Uninstall releases: delete their objects (reverse order) and their records."""
    from tfhelm.actions.uninstall import UninstallOptions, uninstall as run_uninstall

    config = configuration(params)
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
            echo(f"  kept {ref} (resource-policy: keep)")
        for ref in result.deleted:
            if ref.kind == "CustomResourceDefinition":
                echo(
                    f"WARNING: {verb} {ref} (from templates/) and with it every custom resource of its kind; "
                    "ship CRDs in crds/ or annotate them helm.sh/resource-policy: keep to keep them",
                    err=True,
                )
        for ref, owner in result.skipped:
            echo(f"WARNING: not deleting {ref}: it is not managed by release {name} ({owner})", err=True)


@click.command(name="list", context_settings=CONTEXT_SETTINGS)
@cluster_flags
@output_flag
@click.option("-A", "--all-namespaces", is_flag=True, help="Releases of every namespace.")
@click.option("-a", "--all", "show_all", is_flag=True, help="Every status (superseded, uninstalled … too).")
@release_status_flags
@click.option("-q", "--short", is_flag=True, help="Release names only (a line each, or a JSON/YAML list).")
@click.option("--filter", "filter_text", default=None, metavar="REGEX", help="Only releases whose name matches.")
def list_command(**params: Any) -> None:
    """List releases (by default deployed, failed and pending ones; the status flags pick others)."""
    from tfhelm.actions.list import ListOptions, list_releases, release_row, statuses_of
    from tfhelm.cli.release_output import print_rows

    config = configuration(params, all_namespaces=params["all_namespaces"])
    options = ListOptions(
        show_all=params["show_all"], filter_text=params["filter_text"], statuses=statuses_of(params["statuses"])
    )
    listed = list_releases(config, options)
    for problem in listed.skipped:
        echo(f"WARNING: skipped {problem}", err=True)
    if params["short"]:
        names = [release.name for release in listed.releases]
        if params["output"] == "table":
            for name in names:
                echo(name)
        else:
            print_document(names, params["output"])
        return
    rows = [release_row(r) for r in listed.releases]
    print_rows(
        rows, params["output"], columns=["name", "namespace", "revision", "updated", "status", "chart", "app_version"]
    )


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@cluster_flags
@output_flag
@click.option(
    "--max", "max_revisions", default=256, show_default=True, type=int, help="Show at most this many revisions."
)
def history(name: str, **params: Any) -> None:
    """Show a release's revisions."""
    from tfhelm.actions.history import HistoryOptions, history as run_history, history_row
    from tfhelm.cli.release_output import print_rows

    revisions = run_history(configuration(params), HistoryOptions(name, max_revisions=params["max_revisions"]))
    rows = [history_row(r) for r in revisions]
    print_rows(rows, params["output"])


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@cluster_flags
@output_flag
@click.option("--revision", type=int, default=None, help="Show this revision (default: the latest).")
@click.option("--show-resources", is_flag=True, help="Show the release's objects and whether each is ready.")
def status(name: str, **params: Any) -> None:
    """Show a release's status."""
    from tfhelm.actions.status import StatusOptions, status as run_status
    from tfhelm.cli.release_output import print_status

    result = run_status(
        configuration(params),
        StatusOptions(name, revision=params["revision"], show_resources=params["show_resources"]),
    )
    if params["output"] != "table":
        document = result.release.to_dict()
        document.pop("computed_values", None)
        if result.run is not None:
            from dataclasses import asdict

            document["run"] = asdict(result.run)
        print_document(document, params["output"])
        return
    print_status(result.release, resources=result.resources, run=result.run)


@click.group(context_settings=CONTEXT_SETTINGS)
def get() -> None:
    """Show a release's values, manifest, notes or metadata."""


@get.command(name="values", context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@cluster_flags
@revision_flag
@click.option("-a", "--all", "all_values", is_flag=True, help="The computed values, not just the user-supplied ones.")
@output_flag
def get_values(name: str, **params: Any) -> None:
    """Print the values of a revision (writeOnly values redacted).

    The table output starts with a USER-SUPPLIED VALUES: (or COMPUTED VALUES:) line, as Helm's;
    -o yaml and -o json print only the values, ready to pass back with -f.
    """
    from tfhelm.actions.get import GetOptions, get_release

    release = get_release(configuration(params), GetOptions(name, revision=params["revision"]))
    values = release.computed_values if params["all_values"] else release.values
    if params["output"] == "table":
        echo("COMPUTED VALUES:" if params["all_values"] else "USER-SUPPLIED VALUES:")
    print_document(values, "json" if params["output"] == "json" else "yaml")


@get.command(name="metadata", context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@cluster_flags
@revision_flag
@output_flag
def get_metadata(name: str, **params: Any) -> None:
    """Print a revision's metadata: chart, versions, annotations, status, when it was deployed."""
    from tfhelm.actions.get import GetOptions, get_release, release_metadata
    from tfhelm.cli.release_output import print_metadata

    release = get_release(configuration(params), GetOptions(name, revision=params["revision"]))
    metadata = release_metadata(release)
    if params["output"] == "table":
        print_metadata(metadata)
    else:
        print_document(metadata, params["output"])


def _get_command(what: str, help_text: str) -> None:
    @get.command(name=what, help=help_text, context_settings=CONTEXT_SETTINGS)
    @click.argument("name")
    @cluster_flags
    @revision_flag
    def command(name: str, **params: Any) -> None:
        from tfhelm.actions.get import GetOptions, get_release

        release = get_release(configuration(params), GetOptions(name, revision=params["revision"]))
        if what == "manifest":
            echo(release.manifest, nl=False)
        elif what == "notes":
            echo("NOTES:\n" + (release.notes or "").rstrip("\n"))
        else:
            from tfhelm.cli.release_output import print_status

            print_status(release, show_notes=False)
            echo("USER-SUPPLIED VALUES:")
            print_document(release.values, "yaml")
            echo("\nCOMPUTED VALUES:")
            print_document(release.computed_values, "yaml")
            echo("\nMANIFEST:")
            echo(release.manifest, nl=False)
            if release.notes:
                echo("NOTES:\n" + release.notes.rstrip("\n"))


for _what, _help in (
    ("manifest", "Print the manifest of a revision."),
    ("notes", "Print the notes of a revision."),
    ("all", "Print everything recorded for a revision."),
):
    _get_command(_what, _help)


@click.group(context_settings=CONTEXT_SETTINGS)
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
@verify_flags
def diff_upgrade_command(name: str, chart: str, **params: Any) -> None:
    """Diff of live objects vs. what `upgrade NAME CHART` would apply (Secret data masked)."""
    from tfhelm.actions.diff import diff_upgrade
    from tfhelm.cli.release_output import print_diff

    print_diff(diff_upgrade(configuration(params), _upgrade_options(name, chart, params)))


def _upgrade_options(
    name: str, chart: str, params: dict[str, Any], display: Any = None, counts: list | None = None
) -> UpgradeOptions:
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
        source=chart_source_from(params),
        deploy=deploy_options(params, display, counts),
    )


COMMANDS = (install, upgrade, rollback, uninstall, list_command, history, status, get, diff)
