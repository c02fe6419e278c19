"""Printing releases: status blocks, tables, JSON/YAML, coloured diffs, the live ``--wait`` table."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from tfhelm.cli.output import echo, terminal_safe

if TYPE_CHECKING:
    from rich.live import Live

    from tfhelm.actions.wait import ResourceState

__all__ = ["WaitDisplay", "print_diff", "print_metadata", "print_rows", "print_status"]


def _local_time(stamp: str) -> str:
    """Helm's ``LAST DEPLOYED`` format: ``Mon Jan  2 15:04:05 2006``."""
    if not stamp:
        return ""
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%a %b %e %H:%M:%S %Y")


def print_status(release, *, resources=None, run=None, show_notes: bool = True, manifest: bool = False) -> None:
    echo(f"NAME: {terminal_safe(release.name, one_line=True)}")
    echo(f"LAST DEPLOYED: {_local_time(release.last_deployed)}")
    echo(f"NAMESPACE: {terminal_safe(release.namespace, one_line=True)}")
    echo(f"STATUS: {release.status.value}")
    echo(f"REVISION: {release.revision}")
    echo(f"DESCRIPTION: {terminal_safe(str(release.description), one_line=True)}")
    if resources:
        echo("RESOURCES:")
        print_rows(
            [
                {"resource": str(s.ref), "ready": "yes" if s.readiness.ready else "no", "status": s.readiness.reason}
                for s in resources
            ],
            "table",
        )
    if run is not None:
        print_run(run)
    if manifest:
        echo("MANIFEST:")
        echo(release.manifest, nl=False)
    if show_notes and release.notes:
        echo("NOTES:")
        echo(release.notes.rstrip("\n"))


def print_metadata(metadata: dict[str, Any]) -> None:
    """``helm get metadata``'s table: one ``KEY: value`` line per field, maps as ``k=v,…``."""
    annotations = ",".join(f"{k}={v}" for k, v in sorted(metadata.get("annotations", {}).items()))
    dependencies = ",".join(sorted(str(d.get("alias") or d.get("name", "")) for d in metadata.get("dependencies", [])))
    lines = [
        ("NAME", metadata["name"]),
        ("CHART", metadata["chart"]),
        ("VERSION", metadata["version"]),
        ("APP_VERSION", metadata["appVersion"]),
        ("ANNOTATIONS", annotations),
        ("LABELS", ""),
        ("DEPENDENCIES", dependencies),
        ("NAMESPACE", metadata["namespace"]),
        ("REVISION", metadata["revision"]),
        ("STATUS", metadata["status"]),
        ("DEPLOYED_AT", metadata["deployedAt"]),
        ("APPLY_METHOD", "server-side apply"),
    ]
    for key, value in lines:
        echo(f"{key}: {terminal_safe(str(value), one_line=True)}")


def print_run(run) -> None:
    """The run's outcome, a row per job, and the pods the scheduler cannot place."""
    echo(f"RUN: {run.outcome} ({terminal_safe(run.reason, one_line=True)})")
    columns = ["job", "tasks", "running", "pending", "succeeded", "failed", "restarts", "last_exit"]
    print_rows([{c: getattr(job, c) for c in columns} for job in run.jobs], "table", columns=columns)
    for job in run.jobs:
        for line in job.unscheduled:
            echo(f"UNSCHEDULED {terminal_safe(job.job, one_line=True)}: {terminal_safe(line, one_line=True)}")


def print_rows(rows: list[dict[str, Any]], output: str, *, columns: list[str] | None = None) -> None:
    """``-o table|json|yaml`` of a list of rows (table headers are the keys, upper-cased)."""
    if output == "json":
        echo(json.dumps(rows))
        return
    if output == "yaml":
        from tfhelm.yamlio import dump_yaml

        echo(dump_yaml(rows), nl=False)
        return
    columns = columns or (list(rows[0]) if rows else [])
    if not columns:
        return
    # one line per row: a newline in a cell (a description, a server's reason) would forge rows
    table = [[c.replace("_", " ").upper() for c in columns]]
    table += [[terminal_safe(str(row.get(c, "")), one_line=True) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        echo("\t".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def print_diff(result) -> None:
    """Coloured unified diff per changed object, then ``N to create, M to change, K to delete``."""
    colours = {"+": "green", "-": "red", "@": "cyan"}
    for change in result.changes:
        if change.action == "unchanged":
            continue
        if change.action in ("skipped", "refused"):
            echo(
                f"{change.ref}: {change.action} ({change.note})",
                bold=True,
                fg="yellow" if change.action == "refused" else None,
            )
            continue
        echo(f"{change.ref}: {change.action}", bold=True)
        for line in change.diff.splitlines():
            colour = None if line.startswith(("+++", "---")) else colours.get(line[:1])
            echo(line, fg=colour)
    echo(f"Plan: {result.summary}", bold=True)


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
            reason = terminal_safe(state.readiness.reason, one_line=True)
            text = ("ready" if state.readiness.ready else "waiting") + f": {reason}"
            if self._last.get(str(state.ref)) != text:
                self._last[str(state.ref)] = text
                changed = True
                echo(f"  {state.ref}: {text}", file=self.stream)
        if changed:
            echo(f"{ready}/{len(states)} resources ready", file=self.stream)

    def _draw(self, states: list[ResourceState]) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=f"{sum(s.readiness.ready for s in states)}/{len(states)} resources ready")
        for column in ("Resource", "Ready", "Status"):
            table.add_column(column)
        unready = [s for s in states if not s.readiness.ready]
        for state in (unready or states)[:30]:
            # rich draws this table itself: its cells are made terminal-safe (and markup-free) here
            table.add_row(
                escape(terminal_safe(str(state.ref), one_line=True)),
                "[green]yes[/]" if state.readiness.ready else "[yellow]no[/]",
                escape(terminal_safe(state.readiness.reason, one_line=True)),
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
