"""Suite-wide rules: in CI (env CI set) a skipped test counts as a failure."""

from __future__ import annotations

import os

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

IN_CI = os.environ.get("CI", "") not in ("", "0", "false")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"


@pytest.fixture
def chart_dir(tmp_path):
    """A factory: ``chart_dir({"templates/x.yaml": "..."})`` writes a chart and returns its path."""
    from helpers import write_chart

    counter = iter(range(1000))

    def make(files: dict[str, str], *, name: str = "mini"):
        return write_chart(tmp_path / f"chart{next(counter)}", files, name=name)

    return make
