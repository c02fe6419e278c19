"""``tfhelm package``: lint first, ignore files, reproducible bytes, version overrides."""

from __future__ import annotations

import os
import shutil
import tarfile

import pytest
from chart_server import HELLO_CHART, copy_chart

from tfhelm.actions.package import PackageOptions, run_package
from tfhelm.chart.loader import load_chart
from tfhelm.errors import LintError
from tfhelm.values.options import ValueOptions


def test_package_writes_the_archive_and_returns_its_path(tmp_path):
    result = run_package(PackageOptions(str(HELLO_CHART), tmp_path / "out"))
    assert result.path == tmp_path / "out" / "hello-0.1.0.tgz"
    assert not result.lint.failed
    assert load_chart(result.path).raw_files == load_chart(HELLO_CHART).raw_files


def test_lint_errors_stop_packaging_and_nothing_is_written(tmp_path):
    chart = copy_chart(tmp_path / "hello")
    (chart / "values.yaml").write_text("greeting: hello\nreplicas: 0\n")  # the schema wants >= 1
    with pytest.raises(LintError) as raised:
        run_package(PackageOptions(str(chart), tmp_path / "out"))
    assert "not packaged, lint found 1 error(s)" in str(raised.value)
    assert "[ERROR] values: replicas: 0 is less than the minimum of 1" in str(raised.value)
    assert not (tmp_path / "out").exists()


def test_values_for_lint_fix_a_chart_that_needs_them_and_stay_out_of_the_package(tmp_path):
    chart = copy_chart(tmp_path / "hello")
    (chart / "values.yaml").write_text("greeting: hello\nreplicas: 0\n")  # users must choose replicas
    with pytest.raises(LintError, match="give -f/--set to lint with values users must set"):
        run_package(PackageOptions(str(chart), tmp_path / "out"))
    result = run_package(PackageOptions(str(chart), tmp_path / "out", values=ValueOptions(values=("replicas=3",))))
    assert load_chart(result.path).values == {"greeting": "hello", "replicas": 0}


def test_packaging_twice_and_from_a_fresh_copy_gives_identical_bytes(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = run_package(PackageOptions(str(HELLO_CHART), tmp_path / "a")).path.read_bytes()
    second = run_package(PackageOptions(str(HELLO_CHART), tmp_path / "b")).path.read_bytes()
    copy = tmp_path / "clone" / "hello"
    previous = os.umask(0o027)
    try:
        shutil.copytree(HELLO_CHART, copy, copy_function=shutil.copy)  # copy: new mtimes, umask modes
    finally:
        os.umask(previous)
    (copy / "values.yaml").chmod(0o640)
    os.utime(copy / "Chart.yaml", (2_000_000_000, 2_000_000_000))
    third = run_package(PackageOptions(str(copy), tmp_path / "c")).path.read_bytes()
    assert first == second == third


def test_source_date_epoch_changes_only_the_times(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")
    path = run_package(PackageOptions(str(HELLO_CHART), tmp_path)).path
    with tarfile.open(path) as tar:
        assert {member.mtime for member in tar.getmembers()} == {1704067200}


def test_tfhelmignore_is_honoured(tmp_path):
    chart = copy_chart(tmp_path / "hello")
    (chart / "values.yaml.bak").write_text("old: true\n")
    (chart / "notes").mkdir()
    (chart / "notes" / "draft.md").write_text("draft\n")
    with tarfile.open(run_package(PackageOptions(str(chart), tmp_path / "out")).path) as tar:
        names = tar.getnames()
    assert "hello/values.yaml" in names
    assert "hello/values.yaml.bak" not in names and "hello/notes/draft.md" not in names


def test_version_and_app_version_flags(tmp_path):
    result = run_package(PackageOptions(str(HELLO_CHART), tmp_path, version="1.4.0", app_version="2.16"))
    chart = load_chart(result.path)
    assert result.path.name == "hello-1.4.0.tgz"
    assert (chart.version, chart.metadata.app_version) == ("1.4.0", "2.16")
