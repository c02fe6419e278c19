"""Release commands' flag handling and import hygiene (cluster behaviour is in tests/e2e)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tfhelm.actions.wait import format_duration, parse_duration
from tfhelm.errors import UsageError


def run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "tfhelm", *args], capture_output=True, text=True, timeout=60, **kwargs)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("1h30m", 5400), ("1.5h", 5400), ("300ms", 0.3), ("5m0s", 300), ("2m30.5s", 150.5)],
)
def test_helm_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "300", "5 m", "1d", "m5", "5mm"])
def test_bad_durations_are_usage_errors(text):
    with pytest.raises(UsageError, match="invalid duration"):
        parse_duration(text)


def test_format_duration_spells_like_go():
    assert [format_duration(s) for s in (300, 90, 5400, 2)] == ["5m0s", "1m30s", "1h30m0s", "2s"]


def test_timeout_without_unit_is_a_usage_error_with_a_hint():
    done = run("install", "x", "charts/tf-cluster", "--timeout", "300")
    assert done.returncode == 2
    assert "did you mean 300s?" in done.stderr


def test_help_and_template_never_import_the_cluster_client(tmp_path):
    probe = (
        "import sys\n"
        "from tfhelm.cli import main\n"
        "main(['--help'])\n"
        "main(['template', 'tests/fixtures/release/workers'])\n"
        "main(['install', '--help'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('lightkube', 'httpx', 'httpx2'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_every_release_command_is_registered():
    done = run("--help")
    for command in ("install", "upgrade", "rollback", "uninstall", "list", "history", "status", "get", "diff"):
        assert f"  {command} " in done.stdout


def test_missing_kubeconfig_is_one_clear_line(tmp_path):
    done = run("list", "--kubeconfig", str(tmp_path / "nope"))
    assert done.returncode == 1
    assert done.stderr == f"Error: kubeconfig {tmp_path / 'nope'} does not exist\n"
