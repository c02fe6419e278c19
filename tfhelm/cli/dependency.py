"""``tfhelm dependency update|build|list``; ``cli/app.py`` adds ``COMMANDS`` to the ``tfhelm`` group."""

from __future__ import annotations

import click

from tfhelm.cli.options import CONTEXT_SETTINGS, chart_source_from, registry_tls_flags, verify_flags
from tfhelm.cli.output import echo, terminal_safe

__all__ = ["COMMANDS"]


def _options(chart: str, params: dict, *, refresh: bool = True):
    from tfhelm.actions.dependency import DependencyOptions

    return DependencyOptions(chart, chart_source_from(params), refresh=refresh)


@click.group(context_settings=CONTEXT_SETTINGS)
def dependency() -> None:
    """Manage a chart's dependencies (charts/ and Chart.lock)."""


@dependency.command(context_settings=CONTEXT_SETTINGS)
@click.argument("chart", type=click.Path(file_okay=False))
@click.option("--skip-refresh", is_flag=True, help="Use the cached indexes of added repositories.")
@registry_tls_flags
@verify_flags
def update(chart: str, skip_refresh: bool, **params) -> None:
    """Resolve Chart.yaml dependencies, download them into charts/ and write Chart.lock."""
    from tfhelm.actions.dependency import update_dependencies

    result = update_dependencies(_options(chart, params, refresh=not skip_refresh))
    _report(result, "Saved")
    echo(f"Wrote {chart.rstrip('/')}/Chart.lock")


@dependency.command(context_settings=CONTEXT_SETTINGS)
@click.argument("chart", type=click.Path(file_okay=False))
@registry_tls_flags
@verify_flags
def build(chart: str, **params) -> None:
    """Restore charts/ exactly as Chart.lock records it."""
    from tfhelm.actions.dependency import build_dependencies

    _report(build_dependencies(_options(chart, params)), "Restored")


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
        for s in list_dependencies(_options(chart, {}))
    ]
    if len(rows) == 1:
        echo(f"{chart} has no dependencies")
        return
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        echo("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3])


COMMANDS = (dependency,)
