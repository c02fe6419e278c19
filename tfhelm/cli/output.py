"""Printing for the CLI: the one way text reaches the terminal, and lint reports.

Text printed by tfhelm often comes from elsewhere: chart and index metadata, release records,
server answers. :func:`echo` is the only writer the commands use, and it shows every control
character a terminal would act on (escape sequences that retitle windows, write the clipboard,
hide or rewrite lines) as a visible escape such as ``\\x1b``; only tab and newline pass, and not
even those in one-line fields such as table cells.
"""

from __future__ import annotations

import re
from typing import IO, Any

import click

__all__ = ["echo", "print_document", "print_lint_report", "terminal_safe"]

_COLOURS = {"ERROR": "red", "WARNING": "yellow", "INFO": "cyan"}
# C0 but tab and newline, DEL, C1, and the bidirectional overrides that reorder what is shown
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def terminal_safe(text: str, *, one_line: bool = False) -> str:
    """``text`` with control characters shown as escapes (CRLF line ends become newlines).

    ``one_line=True`` escapes newlines and tabs too, for fields such as table cells, where a
    newline would forge a row and a tab a column.
    """
    if one_line:
        return _ANY_CONTROL.sub(_escape, text)
    return _CONTROL.sub(_escape, text.replace("\r\n", "\n"))


def echo(
    message: object = "", *, err: bool = False, nl: bool = True, file: IO[Any] | None = None, **styles: Any
) -> None:
    """Print ``message`` made terminal-safe, then styled (``fg=``, ``bold=``) by tfhelm itself."""
    text = terminal_safe(str(message))
    styles = {key: value for key, value in styles.items() if value is not None}
    click.echo(click.style(text, **styles) if styles else text, err=err, nl=nl, file=file)


def print_document(document: Any, output: str) -> None:
    """One JSON line, or a YAML document (``output`` is ``json`` or ``yaml``)."""
    import json

    if output == "json":
        echo(json.dumps(document))
    else:
        from tfhelm.yamlio import dump_yaml

        echo(dump_yaml(document), nl=False)


def print_lint_report(report) -> None:
    """``[SEVERITY] path: message`` lines, then one summary line."""
    echo(f"==> Linting {report.chart} (Kubernetes {report.kube_version})")
    for finding in report.findings:
        echo(f"[{finding.severity}]", fg=_COLOURS.get(finding.severity), nl=False)
        echo(f" {finding.path}: {finding.message}")
    errors, warnings = report.count("ERROR"), report.count("WARNING")
    verdict = "failed" if report.failed else "passed"
    strict = " (--strict: warnings count as errors)" if report.strict and warnings else ""
    echo(
        f"\n{report.chart}: {verdict}: {errors} error(s), {warnings} warning(s), "
        f"{report.objects_checked} object(s) checked against the Kubernetes schema{strict}"
    )
