"""Interoperability with the real Helm 4 binary through static chart repositories on 127.0.0.1.

* A repository made by ``tfhelm package`` + ``tfhelm repo index`` and served by
  ``python -m http.server`` is accepted by ``helm repo add``, ``helm search repo`` and
  ``helm pull``; the bytes Helm downloads hash to the index's digest, and ``helm show chart``
  reads the archive.
* An index made by ``helm repo index`` over ``helm package`` archives is read by tfhelm:
  ``search repo``, ``pull`` (digest verified by tfhelm) and rendering the pulled chart.

Helm 4.1 does not compare a downloaded archive with the index digest (it accepts a swapped
file, which tfhelm refuses: see tests/repo/test_live_repository.py); these tests check the
digest of what Helm downloaded themselves.

Skipped only when the helm binary is absent outside CI; in CI a skip is a failure.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from chart_server import HELLO_CHART, StaticServer, isolated_homes
from helpers import run_cli

from tfhelm.yamlio import load_yaml


@pytest.fixture
def helm(tmp_path):
    from chart_server import helm_binary

    binary = helm_binary()
    env = {**isolated_homes(tmp_path), "HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, f"helm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    return run


@pytest.fixture
def tfhelm(tmp_path):
    env = isolated_homes(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess:
        done = run_cli(*args, env=env)
        assert done.returncode == 0, f"tfhelm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    return run


def test_helm_uses_a_repository_made_by_tfhelm(tmp_path, helm, tfhelm):
    site = tmp_path / "site"
    for version in ("0.1.0", "0.2.0", "0.3.0-rc.1"):
        tfhelm("package", str(HELLO_CHART), "-d", str(site), "--version", version)
    with StaticServer(site) as server:
        tfhelm("repo", "index", str(site), "--url", server.url)
        index = load_yaml((site / "index.yaml").read_text())

        helm("repo", "add", "tf", server.url)
        found = json.loads(helm("search", "repo", "tf/hello", "-l", "-o", "json").stdout)
        assert [(row["name"], row["version"], row["app_version"]) for row in found] == [("tf/hello", "0.2.0", "1.0"), ("tf/hello", "0.1.0", "1.0")]
        newest = json.loads(helm("search", "repo", "tf/", "--devel", "-o", "json").stdout)
        assert [row["version"] for row in newest] == ["0.3.0-rc.1"]
        assert json.loads(helm("search", "repo", "greeting", "--version", "~0.1", "-o", "json").stdout)[0]["version"] == "0.1.0"

        downloads = tmp_path / "helm-downloads"
        downloads.mkdir()
        helm("pull", "tf/hello", "--version", "^0.1", "-d", str(downloads))
        helm("pull", "tf/hello", "-d", str(downloads))
    for name in ("hello-0.1.0.tgz", "hello-0.2.0.tgz"):
        pulled = (downloads / name).read_bytes()
        assert pulled == (site / name).read_bytes()
        version = name.removeprefix("hello-").removesuffix(".tgz")
        expected = next(entry["digest"] for entry in index["entries"]["hello"] if entry["version"] == version)
        assert hashlib.sha256(pulled).hexdigest() == expected
    shown = load_yaml(helm("show", "chart", str(downloads / "hello-0.2.0.tgz")).stdout)
    assert (shown["name"], shown["version"], shown["appVersion"], shown["keywords"]) == ("hello", "0.2.0", "1.0", ["greeting", "example"])
    assert helm("show", "values", str(downloads / "hello-0.2.0.tgz")).stdout.strip() == (HELLO_CHART / "values.yaml").read_text().strip()
    assert helm("show", "readme", str(downloads / "hello-0.2.0.tgz")).stdout.strip() == (HELLO_CHART / "README.md").read_text().strip()


def test_helm_resolves_the_relative_urls_of_a_tfhelm_index(tmp_path, helm, tfhelm):
    site = tmp_path / "site"
    tfhelm("package", str(HELLO_CHART), "-d", str(site))
    tfhelm("repo", "index", str(site))  # relative urls: Helm resolves them against the repo URL
    with StaticServer(site) as server:
        helm("repo", "add", "rel", server.url)
        downloads = tmp_path / "dl"
        downloads.mkdir()
        helm("pull", "rel/hello", "-d", str(downloads))
    assert (downloads / "hello-0.1.0.tgz").read_bytes() == (site / "hello-0.1.0.tgz").read_bytes()


def test_tfhelm_uses_a_repository_made_by_helm(tmp_path, helm, tfhelm):
    site = tmp_path / "site"
    for version in ("1.0.0", "1.1.0", "2.0.0-beta.1"):
        helm("package", str(HELLO_CHART), "-d", str(site), "--version", version)
    with StaticServer(site) as server:
        helm("repo", "index", str(site), "--url", server.url)
        tfhelm("repo", "add", "helmmade", server.url)
        found = json.loads(tfhelm("search", "repo", "helmmade/", "-l", "-o", "json").stdout)
        assert [(row["name"], row["version"]) for row in found] == [("helmmade/hello", "1.1.0"), ("helmmade/hello", "1.0.0")]
        devel = json.loads(tfhelm("search", "repo", "hello", "--devel", "-o", "json").stdout)
        assert [row["version"] for row in devel] == ["2.0.0-beta.1"]

        downloads = tmp_path / "dl"
        pulled = tfhelm("pull", "helmmade/hello", "--version", "~1.0", "-d", str(downloads))
        assert f"Pulled: hello 1.0.0 to {downloads / 'hello-1.0.0.tgz'}" in pulled.stdout
        rendered = tfhelm("template", "helmmade/hello", "--version", ">=1.1 <2")
        assert "chart: hello-1.1.0" in rendered.stdout
    helm_index = load_yaml((site / "index.yaml").read_text())
    digest = next(entry["digest"] for entry in helm_index["entries"]["hello"] if entry["version"] == "1.0.0")
    assert f"Digest: sha256:{digest}" in pulled.stdout
    assert (downloads / "hello-1.0.0.tgz").read_bytes() == (site / "hello-1.0.0.tgz").read_bytes()

    # tfhelm's --merge keeps the versions of Helm's index that a new directory lacks
    newer = tmp_path / "newer"
    tfhelm("package", str(HELLO_CHART), "-d", str(newer), "--version", "3.0.0")
    tfhelm("repo", "index", str(newer), "--merge", str(site / "index.yaml"))
    merged = load_yaml((newer / "index.yaml").read_text())
    assert [entry["version"] for entry in merged["entries"]["hello"]] == ["3.0.0", "2.0.0-beta.1", "1.1.0", "1.0.0"]
    helm("repo", "index", str(newer), "--merge", str(newer / "index.yaml"))  # and Helm reads tfhelm's merged index
    assert len(load_yaml(Path(newer / "index.yaml").read_text())["entries"]["hello"]) == 4
