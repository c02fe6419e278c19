"""Test helpers for chart repositories: a real ``python -m http.server`` on 127.0.0.1, a repository
built with tfhelm itself, isolated tfhelm/Helm home directories, and the Helm 4 binary."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HELLO_CHART = REPO / "tests" / "fixtures" / "sharing" / "hello"
IN_CI = os.environ.get("CI", "") not in ("", "0", "false")


class StaticServer:
    """``python -m http.server`` serving ``directory`` on 127.0.0.1 (a free port); a context manager."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> StaticServer:
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(self.directory)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline()  # "Serving HTTP on 127.0.0.1 port 40123 (http://...) ..."
        match = re.search(r"port (\d+)", line)
        if not match:
            self.__exit__()
            raise RuntimeError(f"http.server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{match.group(1)}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process.stdout.close()


def copy_chart(destination: Path, *, version: str | None = None, source: Path = HELLO_CHART) -> Path:
    """A copy of the test chart, optionally with another version in Chart.yaml."""
    shutil.copytree(source, destination)
    if version:
        chart_yaml = destination / "Chart.yaml"
        chart_yaml.write_text(re.sub(r"(?m)^version: .*$", f"version: {version}", chart_yaml.read_text()))
    return destination


def build_repository(site: Path, versions: list[str], *, url: str | None = None) -> Path:
    """Package the test chart at each version into ``site`` and index it, with tfhelm's API."""
    from tfhelm.actions.repo import IndexOptions, repo_index
    from tfhelm.chart.archive import write_chart_archive
    from tfhelm.chart.loader import load_chart

    chart = load_chart(HELLO_CHART)
    for version in versions:
        write_chart_archive(chart, site, version=version)
    repo_index(IndexOptions(site, url=url))
    return site


def isolated_homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch | None = None) -> dict[str, str]:
    """Environment variables that keep tfhelm and Helm away from the user's real config and cache."""
    env = {
        "TFHELM_CONFIG_HOME": str(tmp_path / "tfhelm-config"),
        "TFHELM_CACHE_HOME": str(tmp_path / "tfhelm-cache"),
        "HELM_CONFIG_HOME": str(tmp_path / "helm-config"),
        "HELM_CACHE_HOME": str(tmp_path / "helm-cache"),
        "HELM_DATA_HOME": str(tmp_path / "helm-data"),
    }
    if monkeypatch is not None:
        monkeypatch.delenv("TFHELM_REPOSITORY_CONFIG", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
    return env


def helm_binary() -> str:
    """The Helm 4 binary: ``scripts/fetch-helm`` when it exists, else the usual cache path.

    Skips when Helm is absent outside CI; fails in CI.
    """
    candidates = []
    fetch = REPO / "scripts" / "fetch-helm"
    if fetch.exists():
        result = subprocess.run([str(fetch)], capture_output=True, text=True, timeout=600)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(result.stdout.strip().splitlines()[-1])
    candidates.append(str(Path.home() / ".cache" / "tfhelm" / "helm-v4" / "helm"))
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    message = "the Helm 4 binary is not available (scripts/fetch-helm, or ~/.cache/tfhelm/helm-v4/helm)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)
