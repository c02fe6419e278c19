"""``dependency update|build|list`` against real servers on 127.0.0.1.

Chart repositories are directories served by ``http.server`` (indexed with tfhelm's own
``index_directory``); OCI dependencies go to a real registry (see ``tests/oci_registry.py``).
"""

from __future__ import annotations

import hashlib
import shutil
import textwrap
from pathlib import Path

import pytest
from chart_repository import ChartRepository
from helpers import run_cli
from oci_registry import start_registry

from tfhelm.actions.dependency import DependencyOptions, build_dependencies, list_dependencies, update_dependencies
from tfhelm.chart.archive import build_chart_archive
from tfhelm.errors import ArchiveError, ChartError, RepoError
from tfhelm.repo.config import Repository, RepositoryConfig, save_repositories
from tfhelm.repo.dependencies import read_lock, requirements_digest
from tfhelm.repo.oci import push_chart
from tfhelm.chartsource import ChartSource


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    monkeypatch.setenv("TFHELM_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("TFHELM_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TFHELM_REPOSITORY_CONFIG", raising=False)
    monkeypatch.setenv("TFHELM_REGISTRY_CONFIG", str(tmp_path / "config" / "registry.json"))


@pytest.fixture
def repo(tmp_path):
    server = ChartRepository(tmp_path / "served")
    yield server
    server.stop()


def parent_chart(tmp_path: Path, dependencies: str, name: str = "parent") -> Path:
    root = tmp_path / name
    root.mkdir(exist_ok=True)
    (root / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {name}\nversion: 1.0.0\ndependencies:\n" + textwrap.indent(textwrap.dedent(dependencies), "  ")
    )
    return root


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- update


def test_update_resolves_the_newest_allowed_version_and_writes_a_lock(repo, tmp_path):
    for version in ("1.0.0", "1.2.0", "2.0.0"):
        repo.publish("base", version)
    wanted = repo.publish("base", "1.2.0")
    chart = parent_chart(tmp_path, f"- name: base\n  version: ^1.0\n  repository: {repo.url}\n")
    result = update_dependencies(DependencyOptions(chart))
    assert [path.name for path in result.written] == ["base-1.2.0.tgz"]
    assert (chart / "charts" / "base-1.2.0.tgz").read_bytes() == wanted
    lock = read_lock(chart)
    assert [(d.name, d.version, d.repository, d.digest) for d in lock.dependencies] == [("base", "1.2.0", repo.url, sha256(wanted))]
    assert lock.digest.startswith("sha256:") and lock.generated
    text = (chart / "Chart.lock").read_text()
    assert text.index("dependencies:") < text.index("\ndigest:") < text.index("generated:")


def test_repository_aliases_resolve_to_the_added_repository_url(repo, tmp_path):
    repo.publish("base", "1.0.0")
    config = RepositoryConfig(tmp_path / "config" / "repositories.yaml", [Repository("team", repo.url)])
    save_repositories(config)
    chart = parent_chart(tmp_path, "- name: base\n  version: 1.x\n  repository: '@team'\n"
                                   "- name: base\n  alias: other\n  version: 1.x\n  repository: alias:team\n")
    update_dependencies(DependencyOptions(chart))
    assert [d.repository for d in read_lock(chart).dependencies] == [repo.url, repo.url]
    assert sorted(path.name for path in (chart / "charts").iterdir()) == ["base-1.0.0.tgz"]


def test_an_unknown_repository_alias_names_the_configured_ones(tmp_path):
    chart = parent_chart(tmp_path, "- name: base\n  version: 1.x\n  repository: '@nowhere'\n")
    with pytest.raises(RepoError, match="no chart repository named 'nowhere'"):
        update_dependencies(DependencyOptions(chart))


def test_update_replaces_archives_of_older_versions(repo, tmp_path):
    repo.publish("base", "1.0.0")
    chart = parent_chart(tmp_path, f"- name: base\n  version: ^1\n  repository: {repo.url}\n")
    update_dependencies(DependencyOptions(chart))
    (chart / "charts" / "unrelated-0.1.0.tgz").write_bytes(b"kept")
    repo.publish("base", "1.1.0")
    result = update_dependencies(DependencyOptions(chart))
    assert [path.name for path in result.removed] == ["base-1.0.0.tgz"]
    assert sorted(path.name for path in (chart / "charts").iterdir()) == ["base-1.1.0.tgz", "unrelated-0.1.0.tgz"]


def test_nothing_is_written_when_any_dependency_fails(repo, tmp_path):
    repo.publish("base", "1.0.0")
    chart = parent_chart(tmp_path, f"- name: base\n  version: ^1\n  repository: {repo.url}\n"
                                   f"- name: absent\n  version: ^1\n  repository: {repo.url}\n")
    with pytest.raises(RepoError, match="dependency 'absent'.*chart 'absent' not found"):
        update_dependencies(DependencyOptions(chart))
    assert not (chart / "charts").exists() and not (chart / "Chart.lock").exists()


def test_no_matching_version_lists_the_versions_that_exist(repo, tmp_path):
    repo.publish("base", "1.0.0")
    chart = parent_chart(tmp_path, f"- name: base\n  version: ^3\n  repository: {repo.url}\n")
    with pytest.raises(RepoError, match="versions that exist: 1.0.0"):
        update_dependencies(DependencyOptions(chart))


def test_file_dependencies_are_packaged_reproducibly_and_their_version_checked(tmp_path):
    sibling = tmp_path / "sibling"
    (sibling / "templates").mkdir(parents=True)
    (sibling / "Chart.yaml").write_text("apiVersion: v2\nname: sibling\nversion: 0.4.0\n")
    chart = parent_chart(tmp_path, "- name: sibling\n  version: ~0.4\n  repository: file://../sibling\n")
    update_dependencies(DependencyOptions(chart))
    first = (chart / "charts" / "sibling-0.4.0.tgz").read_bytes()
    assert [(d.version, d.repository, d.digest) for d in read_lock(chart).dependencies] == [("0.4.0", "file://../sibling", None)]
    update_dependencies(DependencyOptions(chart))
    assert (chart / "charts" / "sibling-0.4.0.tgz").read_bytes() == first

    (sibling / "Chart.yaml").write_text("apiVersion: v2\nname: sibling\nversion: 0.5.0\n")
    with pytest.raises(RepoError, match=r"has version 0.5.0, which does not match '~0.4'"):
        update_dependencies(DependencyOptions(chart))


def test_oci_dependencies_resolve_over_the_registry_tags(tmp_path, tmp_path_factory):
    registry = start_registry(tmp_path_factory)
    try:
        for version in ("0.1.0", "0.2.0", "1.0.0"):
            archive = tmp_path / f"engine-{version}.tgz"
            archive.write_bytes(build_chart_archive("engine", {"Chart.yaml": f"apiVersion: v2\nname: engine\nversion: {version}\n".encode()}))
            push_chart(archive, f"oci://{registry.address}/deps", ChartSource(plain_http=True))
        chart = parent_chart(tmp_path, f"- name: engine\n  version: '<1.0.0'\n  repository: oci://{registry.address}/deps\n")
        update_dependencies(DependencyOptions(chart, ChartSource(plain_http=True)))
        locked = read_lock(chart).dependencies[0]
        assert (locked.version, locked.repository) == ("0.2.0", f"oci://{registry.address}/deps")
        data = (chart / "charts" / "engine-0.2.0.tgz").read_bytes()
        assert locked.digest == sha256(data) == sha256((tmp_path / "engine-0.2.0.tgz").read_bytes())
        shutil.rmtree(chart / "charts")
        build_dependencies(DependencyOptions(chart, ChartSource(plain_http=True)))
        assert (chart / "charts" / "engine-0.2.0.tgz").read_bytes() == data
    finally:
        registry.stop()


def test_a_vendored_dependency_without_repository_is_locked_from_charts(tmp_path):
    chart = parent_chart(tmp_path, "- name: local\n  version: 2.x\n")
    (chart / "charts" / "local").mkdir(parents=True)
    (chart / "charts" / "local" / "Chart.yaml").write_text("apiVersion: v2\nname: local\nversion: 2.1.0\n")
    update_dependencies(DependencyOptions(chart))
    assert [(d.name, d.version, d.repository) for d in read_lock(chart).dependencies] == [("local", "2.1.0", "")]
    shutil.rmtree(chart / "charts")
    with pytest.raises(RepoError, match="has no repository and is not in"):
        update_dependencies(DependencyOptions(chart))


# --------------------------------------------------------------------------- build


def test_build_restores_exactly_what_the_lock_records(repo, tmp_path):
    repo.publish("base", "1.0.0")
    locked_bytes = repo.publish("base", "1.1.0")
    chart = parent_chart(tmp_path, f"- name: base\n  version: ^1\n  repository: {repo.url}\n")
    update_dependencies(DependencyOptions(chart))
    lock_text = (chart / "Chart.lock").read_text()
    repo.publish("base", "1.2.0")  # newer, but the lock pins 1.1.0
    shutil.rmtree(chart / "charts")
    result = build_dependencies(DependencyOptions(chart))
    assert [path.name for path in result.written] == ["base-1.1.0.tgz"]
    assert (chart / "charts" / "base-1.1.0.tgz").read_bytes() == locked_bytes
    assert (chart / "Chart.lock").read_text() == lock_text


def test_build_refuses_when_chart_yaml_changed_since_the_lock(repo, tmp_path):
    repo.publish("base", "1.0.0")
    chart = parent_chart(tmp_path, f"- name: base\n  version: ^1\n  repository: {repo.url}\n")
    update_dependencies(DependencyOptions(chart))
    parent_chart(tmp_path, f"- name: base\n  version: ^1.0.0\n  repository: {repo.url}\n")
    with pytest.raises(RepoError, match="out of sync with the dependencies"):
        build_dependencies(DependencyOptions(chart))


def test_build_refuses_a_republished_archive_whose_bytes_changed(repo, tmp_path):
    repo.publish("base", "1.0.0", note="original")
    chart = parent_chart(tmp_path, f"- name: base\n  version: ^1\n  repository: {repo.url}\n")
    update_dependencies(DependencyOptions(chart))
    repo.publish("base", "1.0.0", note="replaced")  # same version, new bytes, index updated to match
    shutil.rmtree(chart / "charts")
    with pytest.raises(ArchiveError, match="Chart.lock records sha256:"):
        build_dependencies(DependencyOptions(chart))
    assert not (chart / "charts").exists()


def test_build_without_a_lock_says_to_update(tmp_path):
    chart = parent_chart(tmp_path, "- name: base\n  version: ^1\n  repository: https://example.invalid\n")
    with pytest.raises(RepoError, match="has no Chart.lock; run `tfhelm dependency update"):
        build_dependencies(DependencyOptions(chart))


# --------------------------------------------------------------------------- list and the lock digest


def test_list_reports_ok_missing_wrong_version_and_corrupt(repo, tmp_path):
    repo.publish("good", "1.0.0")
    chart = parent_chart(tmp_path, f"- name: good\n  version: ^1\n  repository: {repo.url}\n"
                                   f"- name: gone\n  version: ^1\n  repository: {repo.url}\n"
                                   f"- name: old\n  version: ^2\n  repository: {repo.url}\n"
                                   f"- name: broken\n  version: ^1\n  repository: {repo.url}\n")
    charts = chart / "charts"
    charts.mkdir()
    (charts / "good-1.0.0.tgz").write_bytes(repo.publish("good", "1.0.0"))
    (charts / "old-1.0.0.tgz").write_bytes(build_chart_archive("old", {"Chart.yaml": b"apiVersion: v2\nname: old\nversion: 1.0.0\n"}))
    (charts / "broken-1.0.0.tgz").write_bytes(b"not a gzip file")
    statuses = {s.name: (s.version, s.repository, s.status) for s in list_dependencies(DependencyOptions(chart))}
    assert statuses == {
        "good": ("^1", repo.url, "ok"),
        "gone": ("^1", repo.url, "missing"),
        "old": ("^2", repo.url, "wrong version"),
        "broken": ("^1", repo.url, "corrupt"),
    }


def test_list_compares_with_the_locked_version_when_there_is_a_lock(repo, tmp_path):
    repo.publish("base", "1.1.0")
    chart = parent_chart(tmp_path, f"- name: base\n  version: ^1\n  repository: {repo.url}\n")
    update_dependencies(DependencyOptions(chart))
    (chart / "charts" / "base-1.1.0.tgz").unlink()
    (chart / "charts" / "base-1.0.0.tgz").write_bytes(repo.publish("base", "1.0.0"))
    assert [s.status for s in list_dependencies(DependencyOptions(chart))] == ["wrong version"]


def test_lock_digest_is_helms():
    """The value Helm 4 wrote for the same Chart.yaml dependency (see tests/interop for the live check)."""
    from tfhelm.chart.model import Dependency
    from tfhelm.repo.dependencies import LockedDependency

    requirement = Dependency("sub", ">=0.1.0", "file://../sub", "sub.enabled", ("a", "b"), "mysub")
    locked = LockedDependency("sub", "0.1.0", "file://../sub", digest="sha256:ignored-by-helm")
    assert requirements_digest([requirement], [locked]) == (
        "sha256:0852d9ddfa68af3e52172c95d505dc85f752b30807a84f4442e0df706331880c"
    )


def test_a_malformed_lock_names_the_file(tmp_path):
    chart = parent_chart(tmp_path, "- name: base\n  version: ^1\n  repository: https://example.invalid\n")
    (chart / "Chart.lock").write_text("dependencies:\n  - version: 1.0.0\n")
    with pytest.raises(ChartError, match=r"Chart.lock: dependencies\[0\] needs a name"):
        build_dependencies(DependencyOptions(chart))


def test_the_cli_updates_lists_and_builds(repo, tmp_path):
    repo.publish("base", "1.0.0")
    chart = parent_chart(tmp_path, f"- name: base\n  version: ^1\n  repository: {repo.url}\n")
    env = {"TFHELM_CONFIG_HOME": str(tmp_path / "config"), "TFHELM_CACHE_HOME": str(tmp_path / "cache")}
    updated = run_cli("dependency", "update", str(chart), env=env)
    assert updated.returncode == 0, updated.stderr
    assert "base-1.0.0.tgz" in updated.stdout
    listed = run_cli("dependency", "list", str(chart), env=env)
    assert listed.stdout.splitlines()[1].split() == ["base", "^1", repo.url, "ok"]
    (chart / "charts" / "base-1.0.0.tgz").unlink()
    assert run_cli("dependency", "list", str(chart), env=env).stdout.splitlines()[1].split()[-1] == "missing"
    built = run_cli("dependency", "build", str(chart), env=env)
    assert built.returncode == 0, built.stderr
    assert (chart / "charts" / "base-1.0.0.tgz").is_file()
