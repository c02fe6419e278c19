"""Printing helpers for the CLI: lint reports (tables arrive with releases)."""

from __future__ import annotations

import click

__all__ = ["print_lint_report"]

_COLOURS = {"ERROR": "red", "WARNING": "yellow", "INFO": "cyan"}


def print_lint_report(report) -> None:
    """``[SEVERITY] path: message`` lines, then one summary line."""
    click.echo(f"==> Linting {report.chart} (Kubernetes {report.kube_version})")
    for finding in report.findings:
        label = click.style(f"[{finding.severity}]", fg=_COLOURS.get(finding.severity))
        click.echo(f"{label} {finding.path}: {finding.message}")
    errors, warnings = report.count("ERROR"), report.count("WARNING")
    verdict = "failed" if report.failed else "passed"
    strict = " (--strict: warnings count as errors)" if report.strict and warnings else ""
    click.echo(
        f"\n{report.chart}: {verdict}: {errors} error(s), {warnings} warning(s), "
        f"{report.objects_checked} object(s) checked against the Kubernetes schema{strict}"
    )
