"""The real ``tfhelm`` console script: package, repo index/add/list/update/remove, search, pull."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from chart_server import HELLO_CHART, StaticServer, copy_chart, isolated_homes
from helpers import run_cli

from tfhelm.yamlio import load_yaml


@pytest.fixture
def env(tmp_path):
    return isolated_homes(tmp_path)


@pytest.fixture
def site(tmp_path, env):
    """A repository built with the CLI itself: two packages and an index, served on 127.0.0.1."""
    site = tmp_path / "site"
    for version in ("0.1.0", "0.2.0"):
        done = run_cli("package", str(HELLO_CHART), "-d", str(site), "--version", version, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"Successfully packaged chart and saved it to: {site / f'hello-{version}.tgz'}\n"
    done = run_cli("repo", "index", str(site), env=env)
    assert done.returncode == 0 and done.stdout == f"wrote {site / 'index.yaml'}\n"
    with StaticServer(site) as server:
        yield server


def test_package_refuses_a_chart_that_fails_lint(tmp_path, env):
    chart = copy_chart(tmp_path / "hello")
    (chart / "templates" / "bad.yaml").write_text("{{ Values.nope }}\n")
    done = run_cli("package", str(chart), "-d", str(tmp_path / "out"), env=env)
    assert done.returncode == 1
    assert "not packaged, lint found 1 error(s)" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_package_rejects_a_bad_version(tmp_path, env):
    done = run_cli("package", str(HELLO_CHART), "-d", str(tmp_path), "--version", "v1", env=env)
    assert done.returncode == 1 and "--version: invalid SemVer 2 version 'v1'" in done.stderr


def test_repository_workflow(site, tmp_path, env):
    done = run_cli("repo", "add", "team", site.url, "--username", "ci", "--password-stdin", stdin="s3cret\n", env=env)
    assert (done.returncode, done.stdout) == (0, "'team' has been added to your repositories\n")
    for output in ("table", "json", "yaml"):
        listed = run_cli("repo", "list", "-o", output, env=env)
        assert listed.returncode == 0 and "s3cret" not in listed.stdout + listed.stderr
    assert json.loads(run_cli("repo", "list", "-o", "json", env=env).stdout) == [{"name": "team", "url": site.url}]

    table = run_cli("search", "repo", "hello", env=env).stdout.splitlines()
    assert table[0].split("\t")[0].strip() == "NAME" and table[1].startswith("team/hello\t0.2.0")
    found = json.loads(run_cli("search", "repo", "--version", "~0.1", "-o", "json", env=env).stdout)
    assert found == [{"name": "team/hello", "version": "0.1.0", "app_version": "1.0", "description": "Greets the cluster with a ConfigMap."}]
    assert [row["version"] for row in load_yaml(run_cli("search", "repo", "-l", "-o", "yaml", env=env).stdout)] == ["0.2.0", "0.1.0"]
    assert run_cli("search", "repo", "tensorflow", env=env).stdout == "No results found\n"

    updated = run_cli("repo", "update", env=env)
    assert updated.returncode == 0 and "Successfully got an update from the 'team' chart repository (1 charts)" in updated.stdout

    pulled = run_cli("pull", "team/hello", "--version", "0.1.0", "-d", str(tmp_path / "dl"), env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.startswith(f"Pulled: hello 0.1.0 to {tmp_path / 'dl' / 'hello-0.1.0.tgz'}\nDigest: sha256:")
    untarred = run_cli("pull", "team/hello", "--untar", "-d", str(tmp_path / "dl"), env=env)
    assert untarred.returncode == 0 and (tmp_path / "dl" / "hello" / "Chart.yaml").is_file()

    rendered = run_cli("template", "team/hello", "--version", "^0.2", env=env)
    assert rendered.returncode == 0 and "chart: hello-0.2.0" in rendered.stdout
    shown = run_cli("show", "chart", "team/hello", "--version", "0.1.0", env=env)
    assert "version: 0.1.0" in shown.stdout

    removed = run_cli("repo", "remove", "team", env=env)
    assert (removed.returncode, removed.stdout) == (0, "'team' has been removed from your repositories\n")
    gone = run_cli("repo", "remove", "team", env=env)
    assert gone.returncode == 1 and "no chart repository named 'team'" in gone.stderr


def test_pull_refuses_a_digest_mismatch(site, tmp_path, env):
    assert run_cli("repo", "add", "team", site.url, env=env).returncode == 0
    (tmp_path / "site" / "hello-0.2.0.tgz").write_bytes((tmp_path / "site" / "hello-0.1.0.tgz").read_bytes())
    done = run_cli("pull", "team/hello", "-d", str(tmp_path / "dl"), env=env)
    assert done.returncode == 1
    assert "Error: digest mismatch for " in done.stderr and "refusing it" in done.stderr
    assert not (tmp_path / "dl").exists()


def test_no_matching_version_lists_what_exists(site, env):
    assert run_cli("repo", "add", "team", site.url, env=env).returncode == 0
    done = run_cli("pull", "team/hello", "--version", "^3", env=env)
    assert done.returncode == 1 and "no version of team/hello matches '^3'; versions that exist: 0.2.0, 0.1.0" in done.stderr


def test_usage_errors(env):
    done = run_cli("repo", "add", "team", "https://charts.example", "--password-stdin", stdin="x", env=env)
    assert done.returncode == 2 and "--password-stdin needs --username" in done.stderr
    done = run_cli("repo", "add", "bad/name", "https://charts.example", env=env)
    assert done.returncode == 2 and "repository name 'bad/name' is not allowed" in done.stderr
    done = run_cli("pull", "just-a-name", env=env)
    assert done.returncode == 2 and "pull takes REPO/CHART or oci://HOST/PATH/CHART" in done.stderr
    done = run_cli("repo", "list", env=env)
    assert done.returncode == 1 and "no repositories to show" in done.stderr


def test_template_of_a_local_chart_does_not_import_httpx(env):
    code = (
        "import sys, io, contextlib\n"
        "from tfhelm.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['template', {str(HELLO_CHART)!r}])\n"
        "print(code, any(m.split('.')[0] in ('httpx', 'httpx2') for m in sys.modules), 'tfhelm.repo.http' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**env, "PATH": ""}, timeout=120)
    assert done.stdout.split() == ["0", "False", "False"], done.stderr
