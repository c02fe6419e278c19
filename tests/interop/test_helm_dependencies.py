"""Chart.lock interoperability with the real Helm 4 binary.

tfhelm writes Helm's lock digest, so ``helm dependency build`` accepts a lock written by
``tfhelm dependency update`` and ``tfhelm dependency build`` accepts one written by Helm.
Skipped only when the helm binary is absent outside CI.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from chart_repository import ChartRepository
from oci_registry import find_helm, helm_env

from tfhelm.actions.dependency import DependencyOptions, build_dependencies, update_dependencies
from tfhelm.repo.dependencies import read_lock


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    monkeypatch.setenv("TFHELM_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("TFHELM_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TFHELM_REPOSITORY_CONFIG", raising=False)


@pytest.fixture
def helm(tmp_path):
    binary = find_helm()
    home = tmp_path / "helm-home"
    env = helm_env(home)

    def run(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, f"helm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    return run


@pytest.fixture
def repo(tmp_path):
    server = ChartRepository(tmp_path / "served")
    yield server
    server.stop()


def charts_with_dependencies(tmp_path: Path, repo_url: str) -> Path:
    sibling = tmp_path / "sibling"
    (sibling / "templates").mkdir(parents=True)
    (sibling / "Chart.yaml").write_text("apiVersion: v2\nname: sibling\nversion: 0.4.0\n")
    parent = tmp_path / "parent"
    parent.mkdir()
    (parent / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n"
        f"  - name: base\n    version: '>=1.0.0 <2.0.0'\n    repository: {repo_url}\n    condition: base.enabled\n"
        "  - name: sibling\n    version: ~0.4\n    repository: file://../sibling\n    alias: buddy\n    tags: [extra]\n"
    )
    return parent


def test_helm_builds_from_a_lock_written_by_tfhelm(helm, repo, tmp_path):
    repo.publish("base", "1.0.0")
    published = repo.publish("base", "1.3.0")
    parent = charts_with_dependencies(tmp_path, repo.url)
    update_dependencies(DependencyOptions(parent))
    (parent / "charts" / "base-1.3.0.tgz").unlink()
    helm("repo", "add", "team", repo.url)  # helm's build, unlike its update, needs the repository added
    result = helm("dependency", "build", str(parent))
    assert "Saving 2 charts" in result.stdout
    assert (parent / "charts" / "base-1.3.0.tgz").read_bytes() == published
    listed = helm("dependency", "list", str(parent)).stdout
    assert [line.split()[-1] for line in listed.strip().splitlines()[1:]] == ["ok", "ok"]


def test_tfhelm_builds_from_a_lock_written_by_helm_with_the_same_digest(helm, repo, tmp_path):
    repo.publish("base", "1.2.0")
    parent = charts_with_dependencies(tmp_path, repo.url)
    helm("dependency", "update", str(parent))
    helm_lock = read_lock(parent)
    assert [(d.name, d.version) for d in helm_lock.dependencies] == [("base", "1.2.0"), ("sibling", "0.4.0")]
    for archive in (parent / "charts").iterdir():
        archive.unlink()
    build_dependencies(DependencyOptions(parent))
    assert sorted(path.name for path in (parent / "charts").iterdir()) == ["base-1.2.0.tgz", "sibling-0.4.0.tgz"]
    update_dependencies(DependencyOptions(parent))
    assert read_lock(parent).digest == helm_lock.digest
