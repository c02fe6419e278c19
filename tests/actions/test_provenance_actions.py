"""Signed charts through the actions: package signs before writing; install, upgrade, pull and
dependency update/build with a ``ChartSource(verify_keyring=…)`` refuse an unsigned, tampered or foreign chart and
then write nothing (no release record, no archive, no charts/ entry).

Releases go to the in-memory cluster; repositories are served over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from chart_repository import ChartRepository
from signing import signing_keys  # noqa: F401 - the fixture

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.dependency import DependencyOptions, build_dependencies, update_dependencies
from tfhelm.actions.install import InstallOptions, install
from tfhelm.actions.package import PackageOptions, SignOptions, run_package
from tfhelm.actions.pull import PullOptions, run_pull
from tfhelm.actions.upgrade import UpgradeOptions, upgrade
from tfhelm.chart.provenance import sign_package, verify_package
from tfhelm.chartsource import ChartSource
from tfhelm.errors import ProvenanceError
from tfhelm.kube.fake import FakeKubeClient
from tfhelm.repo.config import Repository, RepositoryConfig, save_repositories
from tfhelm.repo.resolve import update_index

WORKERS = Path(__file__).parents[1] / "fixtures" / "release" / "workers"
NS = "ml"


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    monkeypatch.setenv("TFHELM_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("TFHELM_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TFHELM_REPOSITORY_CONFIG", raising=False)


@pytest.fixture
def config():
    return Configuration.for_client(FakeKubeClient(), NS)


@pytest.fixture
def signed_workers(tmp_path, signing_keys) -> Path:
    sign = SignOptions("Chart Signer", signing_keys["signer"].secring)
    return run_package(PackageOptions(str(WORKERS), tmp_path / "pkg", sign=sign)).path


@pytest.fixture
def repo(tmp_path, signing_keys):
    """A repository with base 1.0.0 (signed) and 2.0.0 (unsigned), added as 'team'."""
    server = ChartRepository(tmp_path / "served")
    server.publish("base", "1.0.0")
    sign_package(server.root / "base-1.0.0.tgz", key="Chart Signer", keyring=signing_keys["signer"].secring)
    server.publish("base", "2.0.0")
    repository = Repository(name="team", url=server.url)
    save_repositories(RepositoryConfig(tmp_path / "config" / "repositories.yaml", [repository]))
    update_index(repository)
    yield server
    server.stop()


def _verified(signing_keys, version: str | None = None, *, key: str = "signer") -> ChartSource:
    """--verify against ``key``'s public keyring (and ``version`` from a repository)."""
    return ChartSource(version, verify_keyring=signing_keys[key].pubring)


def test_package_with_sign_writes_the_archive_and_its_prov(signed_workers, signing_keys):
    assert signed_workers.name == "workers-0.1.0.tgz"
    assert verify_package(signed_workers, keyring=signing_keys["signer"].pubring).signed_by.startswith("Chart Signer")


def test_package_with_a_refused_key_writes_nothing(tmp_path, signing_keys):
    sign = SignOptions("Locked Signer", signing_keys["locked"].secring, passphrase_file=str(tmp_path / "wrong"))
    (tmp_path / "wrong").write_text("not the passphrase\n")
    with pytest.raises(ProvenanceError, match="wrong passphrase for key 'Locked Signer"):
        run_package(PackageOptions(str(WORKERS), tmp_path / "pkg", sign=sign))
    assert not (tmp_path / "pkg").exists()


def test_install_verifies_a_local_package_and_refuses_a_tampered_one(config, signed_workers, signing_keys):
    keyring = signing_keys["signer"].pubring
    release = install(
        config, InstallOptions(chart=str(signed_workers), name="good", source=ChartSource(verify_keyring=keyring))
    )
    assert release.status.value == "deployed"
    signed_workers.write_bytes(signed_workers.read_bytes() + b"\0")
    with pytest.raises(ProvenanceError, match="workers-0.1.0.tgz is not the archive that was signed"):
        install(
            config, InstallOptions(chart=str(signed_workers), name="bad", source=ChartSource(verify_keyring=keyring))
        )
    assert config.storage.history("bad") == []


def test_install_verify_refuses_a_chart_directory_and_a_foreign_key(config, signed_workers, signing_keys):
    with pytest.raises(ProvenanceError, match="unpacked charts cannot be verified"):
        install(config, InstallOptions(chart=str(WORKERS), name="dir", source=_verified(signing_keys)))
    with pytest.raises(ProvenanceError, match="which is not in the keyring"):
        install(
            config,
            InstallOptions(chart=str(signed_workers), name="foreign", source=_verified(signing_keys, key="stranger")),
        )
    assert config.storage.history("dir") == [] and config.storage.history("foreign") == []


def test_upgrade_verifies_and_refuses_an_unsigned_package(config, signed_workers, signing_keys, tmp_path):
    keyring = signing_keys["signer"].pubring
    install(config, InstallOptions(chart=str(signed_workers), name="demo"))
    unsigned = tmp_path / "unsigned" / signed_workers.name
    unsigned.parent.mkdir()
    shutil.copy(signed_workers, unsigned)
    with pytest.raises(ProvenanceError, match=r"no provenance file: the chart is not signed"):
        upgrade(config, UpgradeOptions(name="demo", chart=str(unsigned), source=ChartSource(verify_keyring=keyring)))
    assert [release.revision for release in config.storage.history("demo")] == [1]
    upgraded = upgrade(
        config, UpgradeOptions(name="demo", chart=str(signed_workers), source=ChartSource(verify_keyring=keyring))
    )
    assert upgraded.revision == 2


def test_pull_verify_saves_the_prov_beside_the_archive(repo, tmp_path, signing_keys):
    result = run_pull(PullOptions("team/base", tmp_path / "dl", source=_verified(signing_keys, "1.0.0")))
    assert result.provenance == tmp_path / "dl" / "base-1.0.0.tgz.prov"
    assert result.provenance.read_bytes() == (repo.root / "base-1.0.0.tgz.prov").read_bytes()
    assert result.verification is not None and result.verification.fingerprint == signing_keys["signer"].fingerprint
    assert verify_package(result.path, keyring=signing_keys["signer"].pubring).file_name == "base-1.0.0.tgz"


def test_pull_verify_refuses_an_unsigned_chart_and_writes_nothing(repo, tmp_path, signing_keys):
    with pytest.raises(ProvenanceError) as raised:
        run_pull(PullOptions("team/base", tmp_path / "dl", source=_verified(signing_keys, "2.0.0")))
    assert "base-2.0.0.tgz.prov" in str(raised.value) and "HTTP 404" in str(raised.value)
    assert "the chart is not signed, or repository 'team' does not serve its .prov file" in str(raised.value)
    assert not (tmp_path / "dl").exists()


def test_pull_verify_refuses_a_chart_swapped_with_its_index(repo, tmp_path, signing_keys):
    """The index and archive agree, but the .prov vouches for other bytes: a re-published chart."""
    repo.publish("base", "1.0.0", note="re-published")
    update_index(Repository(name="team", url=repo.url))
    with pytest.raises(ProvenanceError, match="base-1.0.0.tgz is not the archive that was signed"):
        run_pull(PullOptions("team/base", tmp_path / "dl", source=_verified(signing_keys, "1.0.0")))
    assert not (tmp_path / "dl").exists()


def _parent(tmp_path: Path, version: str, url: str) -> Path:
    root = tmp_path / "parent"
    root.mkdir(exist_ok=True)
    dependencies = f"- name: base\n  version: {version}\n  repository: {url}\n"
    (root / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n" + textwrap.indent(dependencies, "  ")
    )
    return root


def test_dependency_update_and_build_verify_each_downloaded_chart(repo, tmp_path, signing_keys):
    parent = _parent(tmp_path, "1.0.0", repo.url)
    options = DependencyOptions(parent, _verified(signing_keys))
    assert [path.name for path in update_dependencies(options).written] == ["base-1.0.0.tgz"]
    shutil.rmtree(parent / "charts")
    built = build_dependencies(DependencyOptions(parent, _verified(signing_keys), refresh=False))
    assert [path.name for path in built.written] == ["base-1.0.0.tgz"]


def test_dependency_build_verify_refuses_an_unsigned_dependency(repo, tmp_path, signing_keys):
    parent = _parent(tmp_path, "2.0.0", repo.url)
    update_dependencies(DependencyOptions(parent))  # locked without --verify
    shutil.rmtree(parent / "charts")
    with pytest.raises(ProvenanceError, match=r"dependency 'base': .*base-2.0.0.tgz.prov.*HTTP 404"):
        build_dependencies(DependencyOptions(parent, _verified(signing_keys), refresh=False))
    assert not (parent / "charts").exists()


def test_install_verify_from_a_repository(config, repo, signing_keys):
    keyring = signing_keys["signer"].pubring
    good = install(
        config, InstallOptions(chart="team/base", name="good", source=ChartSource("1.0.0", verify_keyring=keyring))
    )
    assert (good.status.value, good.chart.version) == ("deployed", "1.0.0")
    unsigned = ChartSource("2.0.0", verify_keyring=keyring)
    with pytest.raises(ProvenanceError, match=r"base-2.0.0.tgz.prov.*HTTP 404"):
        install(config, InstallOptions(chart="team/base", name="unsigned", source=unsigned))
    assert config.storage.history("unsigned") == []
