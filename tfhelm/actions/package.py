"""``tfhelm package``: lint a chart, then write its byte-reproducible ``<name>-<version>.tgz``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tfhelm.actions.lint import LintOptions, LintReport, run_lint
from tfhelm.errors import LintError
from tfhelm.values.options import ValueOptions

__all__ = ["PackageOptions", "PackageResult", "run_package"]


@dataclass(frozen=True)
class PackageOptions:
    chart: str
    destination: Path = field(default_factory=lambda: Path("."))
    version: str | None = None
    app_version: str | None = None
    values: ValueOptions = field(default_factory=ValueOptions)  # what lint renders with; not packaged


@dataclass(frozen=True)
class PackageResult:
    path: Path
    lint: LintReport


def run_package(options: PackageOptions) -> PackageResult:
    """Lint the chart (errors stop packaging), then archive it; return the path written.

    Lint renders with the chart's defaults plus ``values`` (for charts that require a value
    the user must choose); those values only feed lint and never enter the package.
    ``.tfhelmignore`` was already applied when the chart was read, so ignored files stay out.
    """
    from tfhelm.chart.archive import write_chart_archive
    from tfhelm.chart.loader import load_chart

    report = run_lint(LintOptions(chart=options.chart, values=options.values))
    if report.failed:
        errors = [str(finding) for finding in report.findings if finding.severity == "ERROR"]
        hint = "(lint renders with the chart's default values; give -f/--set to lint with values users must set)"
        heading = f"{options.chart}: not packaged, lint found {len(errors)} error(s):"
        raise LintError("\n".join([heading, *errors, hint]))
    chart = load_chart(options.chart)
    path = write_chart_archive(chart, options.destination, version=options.version, app_version=options.app_version)
    return PackageResult(path=path, lint=report)
