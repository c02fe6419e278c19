"""Where a chart comes from travels as one ChartSource from the flags to every chart-fetching action."""

from pathlib import Path

import pytest

from tfhelm.chartsource import ChartSource
from tfhelm.cli import main

SOURCE_FLAGS = ["--version", "^1.2", "--devel", "--plain-http", "--insecure-skip-tls-verify"]
EXPECTED = ChartSource(version="^1.2", devel=True, plain_http=True, insecure_skip_tls_verify=True)


def _capture(monkeypatch, target: str, result):
    seen = []

    def action(*args, **kwargs):
        seen.append(args[-1])
        return result

    monkeypatch.setattr(target, action)
    return seen


class _Pulled:
    path, name, version, digest, verification = "x.tgz", "x", "1.2.0", "sha256:0", None


class _Dependencies:
    written, removed = (), ()


class _Rendered:
    manifest_text, notes = "", ""


@pytest.mark.parametrize(
    ("argv", "target", "result"),
    [
        (["show", "chart", "team/x"], "tfhelm.actions.show.show_chart", ""),
        (["pull", "team/x"], "tfhelm.actions.pull.run_pull", _Pulled()),
        (["template", "team/x"], "tfhelm.actions.template.run_template", _Rendered()),
    ],
)
def test_chart_commands_build_one_chart_source_from_the_shared_flags(monkeypatch, capsys, argv, target, result):
    seen = _capture(monkeypatch, target, result)
    assert main([*argv, *SOURCE_FLAGS]) == 0, capsys.readouterr().err
    assert seen[0].source == EXPECTED


def test_registry_flags_reach_dependency_update_and_push(monkeypatch, capsys, tmp_path):
    class _Result:
        written, removed = (), ()

    seen = _capture(monkeypatch, "tfhelm.actions.dependency.update_dependencies", _Result())
    assert main(["dependency", "update", str(tmp_path), "--plain-http", "--skip-refresh"]) == 0
    assert seen[0].source == ChartSource(plain_http=True) and seen[0].refresh is False

    class _Pushed:
        reference, digest = "h/p/x:1", "sha256:0"

    pushed = _capture(monkeypatch, "tfhelm.actions.push.run_push", _Pushed())
    assert main(["push", "x.tgz", "oci://h/p", "--insecure-skip-tls-verify"]) == 0
    assert pushed[0].source == ChartSource(insecure_skip_tls_verify=True)
    capsys.readouterr()


@pytest.mark.parametrize(
    ("argv", "target", "result"),
    [
        (["pull", "team/x"], "tfhelm.actions.pull.run_pull", _Pulled()),
        (["dependency", "update", "."], "tfhelm.actions.dependency.update_dependencies", _Dependencies()),
        (["dependency", "build", "."], "tfhelm.actions.dependency.build_dependencies", _Dependencies()),
    ],
)
def test_verify_and_keyring_travel_in_the_chart_source(monkeypatch, capsys, argv, target, result):
    seen = _capture(monkeypatch, target, result)
    assert main([*argv, "--plain-http", "--verify", "--keyring", "/tmp/trusted.gpg"]) == 0, capsys.readouterr().err
    assert seen[0].source == ChartSource(plain_http=True, verify_keyring=Path("/tmp/trusted.gpg"))
    assert main([*argv, "--keyring", "/tmp/trusted.gpg"]) == 0  # a keyring alone asks for no verification
    assert seen[1].source == ChartSource()
    capsys.readouterr()


def test_repo_add_carries_credentials_and_tls_in_the_same_type(monkeypatch, capsys):
    seen = _capture(monkeypatch, "tfhelm.actions.repo.repo_add", "added")
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("s3cret\n"))
    argv = ["repo", "add", "team", "https://charts.test", "--username", "ci", "--password-stdin", "--pass-credentials"]
    assert main([*argv, "--insecure-skip-tls-verify"]) == 0
    source = seen[0].source
    assert (source.username, source.password, source.pass_credentials_all) == ("ci", "s3cret", True)
    assert source.insecure_skip_tls_verify and "s3cret" not in repr(source)
    capsys.readouterr()
