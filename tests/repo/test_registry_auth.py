"""The registry credentials file: location, permissions, round trip, and secrecy."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from helpers import DEMO_CHART

from tfhelm.errors import RepoError
from tfhelm.repo.registry_auth import (
    RegistryLogin,
    load_login,
    normalize_host,
    registry_config_path,
    remove_login,
    save_login,
)


@pytest.fixture(autouse=True)
def config_path(tmp_path, monkeypatch):
    path = tmp_path / "nested" / "registry.json"
    monkeypatch.setenv("TFHELM_REGISTRY_CONFIG", str(path))
    return path


def test_env_var_overrides_the_location(config_path):
    assert registry_config_path() == config_path


def test_default_location_is_under_the_config_home(monkeypatch, tmp_path):
    monkeypatch.delenv("TFHELM_REGISTRY_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("TFHELM_CONFIG_HOME", raising=False)
    assert registry_config_path().name == "config.json"
    assert str(tfhelm_dir := registry_config_path().parent.parent).startswith(str(tmp_path / "xdg"))
    assert tfhelm_dir.name == "tfhelm"


def test_save_and_load_round_trip_with_0600_permissions(config_path):
    save_login("oci://Registry.Example.com:5000/charts", RegistryLogin("ci", "p:ss w0rd", plain_http=True))
    assert stat.S_IMODE(os.stat(config_path).st_mode) == 0o600
    login = load_login("registry.example.com:5000")
    assert (login.username, login.password, login.plain_http) == ("ci", "p:ss w0rd", True)
    assert "p:ss w0rd" not in config_path.read_text()


def test_permissions_stay_0600_when_the_file_is_rewritten(config_path):
    save_login("a.example", RegistryLogin("u", "p"))
    os.chmod(config_path, 0o644)
    save_login("b.example", RegistryLogin("u", "p"))
    assert stat.S_IMODE(os.stat(config_path).st_mode) == 0o600
    assert load_login("a.example") is not None and load_login("b.example") is not None


def test_remove_forgets_only_that_host():
    save_login("a.example", RegistryLogin("u", "p"))
    save_login("b.example", RegistryLogin("u", "p"))
    assert remove_login("a.example") is True
    assert remove_login("a.example") is False
    assert load_login("a.example") is None and load_login("b.example") is not None


def test_repr_never_shows_the_password():
    assert "hunter2" not in repr(RegistryLogin("u", "hunter2"))


def test_a_damaged_file_is_a_clear_error(config_path):
    config_path.parent.mkdir(parents=True)
    config_path.write_text('{"auths": {"a.example": {"auth": "not base64!"}}}')
    with pytest.raises(RepoError, match="damaged; run `tfhelm registry login a.example` again"):
        load_login("a.example")
    config_path.write_text("[1, 2]")
    with pytest.raises(RepoError, match="not a JSON object"):
        load_login("a.example")


@pytest.mark.parametrize("host", ["", "oci://", "https:///x"])
def test_an_empty_host_is_rejected(host):
    with pytest.raises(RepoError, match="not a registry host"):
        normalize_host(host)


def test_template_of_a_local_chart_never_imports_httpx():
    code = (
        "import sys\n"
        "from tfhelm.cli import main\n"
        f"code = main(['template', {str(DEMO_CHART)!r}])\n"
        "assert code == 0, code\n"
        "assert not {'httpx', 'httpx2'} & set(sys.modules), 'an HTTP client was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
