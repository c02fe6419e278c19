"""``tfhelm dependency update|build|list``, registered on the ``tfhelm`` group when imported."""

from __future__ import annotations

import click

from tfhelm.cli.app import CONTEXT_SETTINGS, cli
from tfhelm.cli.options import verify_flags, verify_keyring_from
from tfhelm.cli.output import echo, terminal_safe

__all__ = ["dependency"]


def _fetch_flags(function):
    function = verify_flags(function)
    function = click.option(
        "--ca-file",
        type=click.Path(exists=True, dir_okay=False),
        help="Verify OCI registries' certificates with this CA bundle.",
    )(function)
    function = click.option(
        "--insecure-skip-tls-verify", is_flag=True, help="Do not verify OCI registries' TLS certificates."
    )(function)
    return click.option("--plain-http", is_flag=True, help="Talk plain HTTP to OCI registries.")(function)


def _settings(refresh: bool, params: dict):
    from tfhelm.repo.dependencies import FetchSettings

    return FetchSettings(
        refresh=refresh,
        plain_http=params["plain_http"],
        insecure_skip_tls_verify=params["insecure_skip_tls_verify"],
        ca_file=params["ca_file"],
        verify_keyring=verify_keyring_from(params),
    )


@cli.group(context_settings=CONTEXT_SETTINGS)
def dependency() -> None:
    """Manage a chart's dependencies (charts/ and Chart.lock)."""


@dependency.command(context_settings=CONTEXT_SETTINGS)
@click.argument("chart", type=click.Path(file_okay=False))
@click.option("--skip-refresh", is_flag=True, help="Use the cached indexes of added repositories.")
@_fetch_flags
def update(chart: str, skip_refresh: bool, **params) -> None:
    """Resolve Chart.yaml dependencies, download them into charts/ and write Chart.lock."""
    from tfhelm.actions.dependency import update_dependencies

    result = update_dependencies(chart, _settings(not skip_refresh, params))
    _report(result, "Saved")
    echo(f"Wrote {chart.rstrip('/')}/Chart.lock")


@dependency.command(context_settings=CONTEXT_SETTINGS)
@click.argument("chart", type=click.Path(file_okay=False))
@_fetch_flags
def build(chart: str, **params) -> None:
    """Restore charts/ exactly as Chart.lock records it."""
    from tfhelm.actions.dependency import build_dependencies

    _report(build_dependencies(chart, _settings(False, params)), "Restored")


def _report(result, verb: str) -> None:
    for path in result.written:
        echo(f"{verb} {path}")
    for path in result.removed:
        echo(f"Deleted outdated {path}")


@dependency.command(name="list", context_settings=CONTEXT_SETTINGS)
@click.argument("chart", type=click.Path(file_okay=False))
def list_command(chart: str) -> None:
    """List the dependencies and whether charts/ holds the right version of each."""
    from tfhelm.actions.dependency import list_dependencies

    rows: list[tuple[str, ...]] = [("NAME", "VERSION", "REPOSITORY", "STATUS")]
    # one line per row: a newline in a name or repository would forge rows
    rows += [
        tuple(terminal_safe(str(cell), one_line=True) for cell in (s.name, s.version, s.repository, s.status))
        for s in list_dependencies(chart)
    ]
    if len(rows) == 1:
        echo(f"{chart} has no dependencies")
        return
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        echo("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3])
