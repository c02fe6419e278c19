"""Printing releases: status blocks, tables, JSON/YAML, coloured diffs, the live ``--wait`` table."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

import click

if TYPE_CHECKING:
    from rich.live import Live

    from tfhelm.actions.wait import ResourceState

__all__ = ["WaitDisplay", "print_diff", "print_rows", "print_status"]


def _local_time(stamp: str) -> str:
    """Helm's ``LAST DEPLOYED`` format: ``Mon Jan  2 15:04:05 2006``."""
    if not stamp:
        return ""
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%a %b %e %H:%M:%S %Y")


def print_status(release, *, resources=None, show_notes: bool = True, manifest: bool = False) -> None:
    click.echo(f"NAME: {release.name}")
    click.echo(f"LAST DEPLOYED: {_local_time(release.last_deployed)}")
    click.echo(f"NAMESPACE: {release.namespace}")
    click.echo(f"STATUS: {release.status.value}")
    click.echo(f"REVISION: {release.revision}")
    click.echo(f"DESCRIPTION: {release.description}")
    if resources:
        click.echo("RESOURCES:")
        print_rows(
            [
                {"resource": str(s.ref), "ready": "yes" if s.readiness.ready else "no", "status": s.readiness.reason}
                for s in resources
            ],
            "table",
        )
    if manifest:
        click.echo("MANIFEST:")
        click.echo(release.manifest, nl=False)
    if show_notes and release.notes:
        click.echo("NOTES:")
        click.echo(release.notes.rstrip("\n"))


def print_rows(rows: list[dict[str, Any]], output: str, *, columns: list[str] | None = None) -> None:
    """``-o table|json|yaml`` of a list of rows (table headers are the keys, upper-cased)."""
    if output == "json":
        click.echo(json.dumps(rows))
        return
    if output == "yaml":
        from tfhelm.yamlio import dump_yaml

        click.echo(dump_yaml(rows), nl=False)
        return
    columns = columns or (list(rows[0]) if rows else [])
    if not columns:
        return
    table = [[c.replace("_", " ").upper() for c in columns]] + [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        click.echo("\t".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def print_diff(result) -> None:
    """Coloured unified diff per changed object, then ``N to create, M to change, K to delete``."""
    colours = {"+": "green", "-": "red", "@": "cyan"}
    for change in result.changes:
        if change.action == "unchanged":
            continue
        if change.action in ("skipped", "refused"):
            click.secho(
                f"{change.ref}: {change.action} ({change.note})",
                bold=True,
                fg="yellow" if change.action == "refused" else None,
            )
            continue
        click.secho(f"{change.ref}: {change.action}", bold=True)
        for line in change.diff.splitlines():
            colour = None if line.startswith(("+++", "---")) else colours.get(line[:1])
            click.secho(line, fg=colour)
    click.secho(f"Plan: {result.summary}", bold=True)


class WaitDisplay:
    """``--wait`` progress: a live table on a terminal, one line per change otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._live: Live | None = None
        self._last: dict[str, str] = {}

    def __call__(self, states: list[ResourceState]) -> None:
        if self.tty:
            self._draw(states)
        else:
            self._lines(states)

    def _lines(self, states: list[ResourceState]) -> None:
        ready = sum(1 for s in states if s.readiness.ready)
        changed = False
        for state in states:
            text = ("ready" if state.readiness.ready else "waiting") + f": {state.readiness.reason}"
            if self._last.get(str(state.ref)) != text:
                self._last[str(state.ref)] = text
                changed = True
                click.echo(f"  {state.ref}: {text}", file=self.stream)
        if changed:
            click.echo(f"{ready}/{len(states)} resources ready", file=self.stream)

    def _draw(self, states: list[ResourceState]) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.table import Table

        table = Table(title=f"{sum(s.readiness.ready for s in states)}/{len(states)} resources ready")
        for column in ("Resource", "Ready", "Status"):
            table.add_column(column)
        unready = [s for s in states if not s.readiness.ready]
        for state in (unready or states)[:30]:
            table.add_row(
                str(state.ref), "[green]yes[/]" if state.readiness.ready else "[yellow]no[/]", state.readiness.reason
            )
        if self._live is None:
            self._live = Live(table, console=Console(file=self.stream), refresh_per_second=4, transient=False)
            self._live.start()
        else:
            self._live.update(table)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
