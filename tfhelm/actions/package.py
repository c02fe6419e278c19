"""``tfhelm package``: lint a chart, then write its byte-reproducible ``<name>-<version>.tgz``
(and, with ``sign``, Helm's ``<name>-<version>.tgz.prov`` beside it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tfhelm.actions.lint import LintOptions, LintReport, run_lint
from tfhelm.errors import LintError
from tfhelm.values.options import ValueOptions

__all__ = ["PackageOptions", "PackageResult", "SignOptions", "run_package"]


@dataclass(frozen=True)
class SignOptions:
    """``--sign``: the key (a user ID, part of one, or a fingerprint) in ``keyring`` (secret keys)."""

    key: str
    keyring: Path
    passphrase_file: str | None = None  # its first line; "-" reads standard input
    ask_passphrase: Callable[[str], bytes] | None = None  # asked (once) when the key needs one and no file was given


@dataclass(frozen=True)
class PackageOptions:
    chart: str
    destination: Path = field(default_factory=lambda: Path("."))
    version: str | None = None
    app_version: str | None = None
    values: ValueOptions = field(default_factory=ValueOptions)  # what lint renders with; not packaged
    sign: SignOptions | None = None


@dataclass(frozen=True)
class PackageResult:
    path: Path
    lint: LintReport
    provenance: Path | None = None


def run_package(options: PackageOptions) -> PackageResult:
    """Lint the chart (errors stop packaging), then archive it; return the path written.

    Lint renders with the chart's defaults plus ``values`` (for charts that require a value
    the user must choose); those values only feed lint and never enter the package.
    ``.tfhelmignore`` was already applied when the chart was read, so ignored files stay out.
    """
    from tfhelm.chart.archive import chart_archive
    from tfhelm.chart.loader import load_chart
    from tfhelm.chart.provenance import provenance_path
    from tfhelm.fileio import write_file_atomically

    report = run_lint(LintOptions(chart=options.chart, values=options.values))
    if report.failed:
        errors = [str(finding) for finding in report.findings if finding.severity == "ERROR"]
        hint = "(lint renders with the chart's default values; give -f/--set to lint with values users must set)"
        heading = f"{options.chart}: not packaged, lint found {len(errors)} error(s):"
        raise LintError("\n".join([heading, *errors, hint]))
    chart = load_chart(options.chart)
    file_name, data = chart_archive(chart, version=options.version, app_version=options.app_version)
    path = Path(options.destination) / file_name
    signature = _signature(data, path, options.sign) if options.sign else None
    write_file_atomically(path, data)
    if signature is None:
        return PackageResult(path=path, lint=report)
    provenance = provenance_path(path)
    write_file_atomically(provenance, signature)
    return PackageResult(path=path, lint=report, provenance=provenance)


def _signature(data: bytes, path: Path, sign: SignOptions) -> bytes:
    """Signed before anything is written, so a refused key or passphrase leaves no unsigned package."""
    from tfhelm.chart.provenance import read_passphrase, sign_package_bytes

    passphrase = read_passphrase(sign.passphrase_file) if sign.passphrase_file else None
    return sign_package_bytes(
        data,
        path.name,
        key=sign.key,
        keyring=sign.keyring,
        passphrase=passphrase,
        ask_passphrase=sign.ask_passphrase,
        source=str(path),
    )
