"""repositories.yaml, XDG directories and their overrides, private permissions, hidden passwords."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tfhelm.errors import RepoError, UsageError
from tfhelm.repo import config
from tfhelm.repo.config import (
    Repository,
    RepositoryConfig,
    load_repositories,
    locked_repositories,
    save_repositories,
    strip_userinfo,
    with_credentials,
)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for variable in ("TFHELM_CONFIG_HOME", "TFHELM_CACHE_HOME", "TFHELM_REPOSITORY_CONFIG", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


def test_directories_default_to_the_home_directory(clean_env, tmp_path):
    assert config.config_home() == tmp_path / "home" / ".config" / "tfhelm"
    assert config.cache_home() == tmp_path / "home" / ".cache" / "tfhelm"
    assert config.repository_config_path() == tmp_path / "home" / ".config" / "tfhelm" / "repositories.yaml"
    assert config.index_cache_path("team") == tmp_path / "home" / ".cache" / "tfhelm" / "repository" / "team-index.yaml"


def test_xdg_variables_are_honoured_and_relative_ones_ignored(clean_env, tmp_path):
    clean_env.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    clean_env.setenv("XDG_CACHE_HOME", "relative/cache")  # invalid per the XDG spec
    assert config.config_home() == tmp_path / "xdg-config" / "tfhelm"
    assert config.cache_home() == tmp_path / "home" / ".cache" / "tfhelm"


def test_tfhelm_variables_override_everything(clean_env, tmp_path):
    clean_env.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    clean_env.setenv("TFHELM_CONFIG_HOME", str(tmp_path / "own-config"))
    clean_env.setenv("TFHELM_CACHE_HOME", str(tmp_path / "own-cache"))
    assert config.config_home() == tmp_path / "own-config"
    assert config.cache_home() == tmp_path / "own-cache"
    clean_env.setenv("TFHELM_REPOSITORY_CONFIG", str(tmp_path / "repos.yaml"))
    assert config.repository_config_path() == tmp_path / "repos.yaml"


def test_round_trip_with_private_permissions(tmp_path):
    path = tmp_path / "config" / "repositories.yaml"
    repos = [
        Repository("team", "https://charts.example.com", username="ci", password="s3cret", ca_file="/ca.pem"),
        Repository("public", "http://127.0.0.1:8080/charts", insecure_skip_tls_verify=True),
    ]
    save_repositories(RepositoryConfig(path, repos))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_repositories(path).repositories == repos
    assert "caFile: /ca.pem" in path.read_text()


def test_permissions_are_tightened_when_rewriting(tmp_path):
    path = tmp_path / "repositories.yaml"
    path.write_text("repositories: []\n")
    path.chmod(0o644)
    save_repositories(RepositoryConfig(path, [Repository("a", "https://a.example")]))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_passwords_never_appear_in_repr():
    repo = Repository("team", "https://charts.example.com", username="ci", password="s3cret")
    assert "s3cret" not in repr(repo) and "s3cret" not in str(repo)


def test_credentials_in_the_url_move_into_fields():
    repo = with_credentials(Repository("t", "https://ci:p%40ss@charts.example.com/x"), None, None)
    assert (repo.url, repo.username, repo.password) == ("https://charts.example.com/x", "ci", "p@ss")
    assert strip_userinfo("https://u:p@h.example:8443/a") == "https://h.example:8443/a"


@pytest.mark.parametrize("name", ["has/slash", "", "-dash", "a b"])
def test_bad_repository_names(name):
    with pytest.raises(UsageError, match="is not allowed"):
        Repository(name, "https://x.example")


def test_oci_urls_are_pointed_elsewhere():
    with pytest.raises(UsageError, match="OCI registries need no `repo add`"):
        Repository("r", "oci://registry.example.com/charts")


def test_missing_file_is_empty_and_broken_file_is_an_error(tmp_path):
    assert load_repositories(tmp_path / "none.yaml").repositories == []
    broken = tmp_path / "broken.yaml"
    broken.write_text("repositories: [\n")
    with pytest.raises(RepoError, match=r"broken.yaml:\d+: invalid YAML"):
        load_repositories(broken)
    broken.write_text("repositories:\n- name: x\n")
    with pytest.raises(RepoError, match="every repository needs a name and a url"):
        load_repositories(broken)


def test_locked_update_saves_only_on_change(tmp_path):
    path = tmp_path / "c" / "repositories.yaml"
    with locked_repositories(path) as repos:
        repos.put(Repository("a", "https://a.example"))
    with locked_repositories(path) as repos:
        repos.put(Repository("a", "https://a2.example"))  # replaced in place
        repos.put(Repository("b", "https://b.example"))
    assert [(r.name, r.url) for r in load_repositories(path).repositories] == [("a", "https://a2.example"), ("b", "https://b.example")]
    with pytest.raises(RepoError, match=r"no chart repository named 'zzz' \(configured: a, b\)"):
        load_repositories(path).require("zzz")


def test_an_error_inside_the_lock_saves_nothing(tmp_path):
    path = tmp_path / "repositories.yaml"
    with pytest.raises(RuntimeError), locked_repositories(path) as repos:
        repos.put(Repository("a", "https://a.example"))
        raise RuntimeError("boom")
    assert not Path(path).exists()
