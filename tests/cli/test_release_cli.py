"""Release commands' flag handling and import hygiene (cluster behaviour is in tests/e2e)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

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
        "assert main(['--help']) == 0\n"
        "assert main(['template', 'tests/fixtures/release/workers']) == 0\n"
        "assert main(['install', '--help']) == 0\n"
        "assert 'jinja2' in sys.modules, 'nothing was rendered'\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('lightkube', 'httpx', 'httpx2'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "kind: StatefulSet" in done.stdout and "Usage: tfhelm install" in done.stdout


def test_every_release_command_is_registered():
    done = run("--help")
    for command in ("install", "upgrade", "rollback", "uninstall", "list", "history", "status", "get", "diff"):
        assert f"  {command} " in done.stdout


def test_missing_kubeconfig_is_one_clear_line(tmp_path):
    done = run("list", "--kubeconfig", str(tmp_path / "nope"))
    assert done.returncode == 1
    assert done.stderr == f"Error: kubeconfig {tmp_path / 'nope'} does not exist\n"


UNREACHABLE_KUBECONFIG = """apiVersion: v1
kind: Config
current-context: c
clusters: [{name: x, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
contexts: [{name: c, context: {cluster: x, user: u}}]
users: [{name: u, user: {token: t}}]
"""


def test_dry_run_is_a_flag_so_name_and_chart_stay_arguments(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(UNREACHABLE_KUBECONFIG)
    client = run("install", "--dry-run", "demo", "tests/fixtures/release/workers", "--kubeconfig", str(kubeconfig))
    assert client.returncode == 0, client.stderr
    assert "NAME: demo" in client.stdout and "MANIFEST:" in client.stdout  # client mode: the cluster is never asked
    server = run("install", "--dry-run=server", "demo", "tests/fixtures/release/workers", "--kubeconfig", str(kubeconfig))
    assert server.returncode == 1 and "unreachable at https://127.0.0.1:1" in server.stderr
    none = run("install", "--dry-run=none", "demo", "tests/fixtures/release/workers", "--kubeconfig", str(kubeconfig))
    assert none.returncode == 1 and "unreachable at https://127.0.0.1:1" in none.stderr
    bad = run("install", "--dry-run=bogus", "demo", "tests/fixtures/release/workers", "--kubeconfig", str(kubeconfig))
    assert bad.returncode == 2
    assert "Invalid value for '--dry-run': 'bogus' is not one of 'client', 'server', 'none'" in bad.stderr


@pytest.mark.parametrize("command", [["install"], ["upgrade"], ["diff", "upgrade"]])
def test_chart_commands_take_devel_and_registry_tls_flags(command):
    done = run(*command, "--help")
    flags = ("--devel", "--plain-http", "--insecure-skip-tls-verify", "--ca-file", "--version", "--verify", "--keyring")
    for flag in flags:
        assert flag in done.stdout
    if command != ["diff", "upgrade"]:
        assert "--take-ownership" in done.stdout
    if command != ["install"]:
        assert "--reset-values" in done.stdout


def test_devel_registry_tls_and_verify_reach_locate_chart(monkeypatch):
    from tfhelm.actions import common
    from tfhelm.actions.configuration import Configuration
    from tfhelm.actions.install import InstallOptions, install
    from tfhelm.actions.upgrade import UpgradeOptions, plan_upgrade
    from tfhelm.chart.loader import load_chart
    from tfhelm.kube.fake import FakeKubeClient
    from tfhelm.chartsource import ChartSource

    calls = []

    def locate(reference, source):
        calls.append((reference, source))
        return load_chart("tests/fixtures/release/workers")

    monkeypatch.setattr(common, "locate_chart", locate)
    source = ChartSource(version="^0.1", devel=True, plain_http=True, ca_file="/tmp/ca.pem")
    verified = replace(source, verify_keyring=Path("/tmp/pubring.gpg"))
    config = Configuration.for_client(FakeKubeClient(), "ml")
    install(config, InstallOptions(chart="oci://127.0.0.1:5000/charts/workers", name="demo", source=verified,
                                   dry_run="client"))
    plan_upgrade(config, UpgradeOptions(name="demo", chart="oci://127.0.0.1:5000/charts/workers", install=True,
                                        source=source))
    reference = "oci://127.0.0.1:5000/charts/workers"
    assert calls == [(reference, verified), (reference, source)]


def test_list_warns_about_a_corrupt_record_and_still_lists_the_good_ones(monkeypatch, capsys):
    from tfhelm.actions.configuration import Configuration
    from tfhelm.cli import main
    from tfhelm.kube.fake import FakeKubeClient
    from tfhelm.release import ChartInfo, Release, Status

    kube = FakeKubeClient()
    config = Configuration.for_client(kube, "ml")
    for name in ("good", "bad"):
        config.storage.create(Release(name, "ml", 1, Status.DEPLOYED, ChartInfo("workers", "0.1.0")))
    secret = kube.get_secret("sh.tfhelm.release.v1.bad.v1", "ml")
    secret["data"]["release"] = "bm90IGd6aXA="  # base64 of "not gzip"
    kube.replace_secret(secret)
    monkeypatch.setattr(Configuration, "connect", staticmethod(lambda **flags: config))

    assert main(["list", "-o", "json"]) == 0
    out, err = capsys.readouterr()
    assert [row["name"] for row in json.loads(out)] == ["good"]
    assert err.startswith("WARNING: skipped release record Secret ml/sh.tfhelm.release.v1.bad.v1 is corrupt: "
                          "its data is not gzip")


def test_a_zero_timeout_checks_readiness_once_instead_of_waiting_five_minutes(monkeypatch, capsys):
    from tfhelm.actions.configuration import Configuration
    from tfhelm.cli import main
    from tfhelm.kube.fake import FakeKubeClient

    config = Configuration.for_client(FakeKubeClient(), "ml")
    monkeypatch.setattr(Configuration, "connect", staticmethod(lambda **flags: config))
    seen = []

    def wait(kube, refs, timeout, **kwargs):
        seen.append(timeout)
        return []

    monkeypatch.setattr("tfhelm.actions.wait.wait_for_ready", wait)
    assert main(["install", "demo", "tests/fixtures/release/workers", "--wait", "--timeout", "0s"]) == 0
    assert main(["upgrade", "demo", "tests/fixtures/release/workers", "--wait"]) == 0
    assert seen == [0.0, 300.0]


def test_a_client_dry_run_never_loads_the_test_cluster(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(UNREACHABLE_KUBECONFIG)
    probe = (
        "import sys\n"
        "from tfhelm.cli import main\n"
        f"assert main(['install', '--dry-run', 'demo', 'tests/fixtures/release/workers', '--kubeconfig', {str(kubeconfig)!r}]) == 0\n"
        "assert 'tfhelm.kube.fake' not in sys.modules, 'the production path imported the test double'\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "namespace: default" in done.stdout or "NAMESPACE: default" in done.stdout
