"""Suite-wide rules about skips: a skipped test never passes silently.

In CI (env ``CI`` set) a skipped test counts as a failure. Elsewhere the run ends with a banner
listing every skipped test and why, and exits non-zero unless ``TFHELM_ALLOW_SKIPS=1``: a
missing docker-registry or kube-apiserver must not leave a green run that tested less.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

IN_CI = os.environ.get("CI", "") not in ("", "0", "false")
ALLOW_SKIPS = not IN_CI and os.environ.get("TFHELM_ALLOW_SKIPS", "") not in ("", "0", "false")
_skipped: list[tuple[str, str]] = []  # (test or module, reason), in the order they happened


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {_skip_reason(report)}"


def _skip_reason(report) -> str:
    longrepr = report.longrepr  # (file, line, "Skipped: reason") for a skip
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def _note_skip(report) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append((report.nodeid, _skip_reason(report)))


def pytest_runtest_logreport(report):
    _note_skip(report)


def pytest_collectreport(report):
    _note_skip(report)  # a module that skips as a whole (pytest.skip(..., allow_module_level=True))


def pytest_sessionfinish(session, exitstatus):
    if _skipped and not ALLOW_SKIPS and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _skipped:
        return
    write = terminalreporter.write_line
    terminalreporter.section(f"{len(_skipped)} TEST(S) SKIPPED: THIS RUN TESTED LESS THAN IT SAYS", sep="!", red=True)
    for nodeid, reason in _skipped:
        write(f"SKIPPED {nodeid}: {reason}", red=True)
    if ALLOW_SKIPS:
        write("Accepted because TFHELM_ALLOW_SKIPS is set.", yellow=True)
    elif IN_CI:
        write("In CI a skip is a failure: install what they need (./scripts/test does).", red=True, bold=True)
    else:
        write("The run fails because of them. Install what they need (./scripts/test does, as root), "
              "or set TFHELM_ALLOW_SKIPS=1 to accept them.", red=True, bold=True)


def pytest_unconfigure(config):
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if _skipped and not ALLOW_SKIPS and reporter is not None:
        accept = "in CI nothing accepts them" if IN_CI else "TFHELM_ALLOW_SKIPS=1 accepts them"
        reporter.write_line(f"FAILED: {len(_skipped)} test(s) skipped (listed above; {accept})", red=True)


@pytest.fixture
def chart_dir(tmp_path):
    """A factory: ``chart_dir({"templates/x.yaml": "..."})`` writes a chart and returns its path."""
    from helpers import write_chart

    counter = iter(range(1000))

    def make(files: dict[str, str], *, name: str = "mini"):
        return write_chart(tmp_path / f"chart{next(counter)}", files, name=name)

    return make
