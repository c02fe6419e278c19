"""Kubeconfig resolution: merging, contexts, namespaces, relative paths, in-cluster, errors."""

from __future__ import annotations

import pytest
import yaml

from tfhelm.errors import ClusterError
from tfhelm.kube import config as kube_config
from tfhelm.kube.config import load_settings


def write_config(path, *, current=None, clusters=(), users=(), contexts=()):
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": c} for n, c in clusters],
        "users": [{"name": n, "user": u} for n, u in users],
        "contexts": [{"name": n, "context": c} for n, c in contexts],
    }
    if current:
        document["current-context"] = current
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture
def two_files(tmp_path, monkeypatch):
    first = write_config(
        tmp_path / "a.yaml", current="alpha",
        clusters=[("one", {"server": "https://127.0.0.1:6443/", "certificate-authority": "ca.crt"})],
        users=[("admin", {"token": "abc"})],
        contexts=[("alpha", {"cluster": "one", "user": "admin", "namespace": "team"})],
    )
    second = write_config(
        tmp_path / "sub" / "b.yaml" if (tmp_path / "sub").mkdir() is None else None, current="beta",
        clusters=[("one", {"server": "https://ignored:1"}), ("two", {"server": "https://127.0.0.2:6443"})],
        users=[("robot", {"client-certificate": "robot.crt", "client-key": "robot.key"})],
        contexts=[("beta", {"cluster": "two", "user": "robot"})],
    )
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing.yaml'}:{second}")
    return tmp_path


def test_kubeconfig_list_is_merged_first_definition_wins(two_files):
    settings = load_settings()
    assert settings.context == "alpha"
    assert settings.server == "https://127.0.0.1:6443"
    assert settings.namespace == "team"
    assert settings.user == {"token": "abc"}
    assert settings.cluster["certificate-authority"] == str(two_files / "ca.crt")


def test_kube_context_flag_selects_a_context_from_a_later_file(two_files):
    settings = load_settings(context="beta")
    assert settings.server == "https://127.0.0.2:6443"
    assert settings.namespace == "default"
    assert settings.user["client-key"] == str(two_files / "sub" / "robot.key")


def test_namespace_flag_beats_the_context_namespace(two_files):
    assert load_settings(namespace="other").namespace == "other"


def test_unknown_context_lists_the_known_ones(two_files):
    with pytest.raises(ClusterError, match=r"context 'nope' not found .*contexts: alpha, beta"):
        load_settings(context="nope")


def test_explicit_kubeconfig_ignores_the_environment(two_files, tmp_path):
    only = write_config(
        tmp_path / "only.yaml", current="c",
        clusters=[("x", {"server": "https://127.0.0.9:1"})], contexts=[("c", {"cluster": "x"})],
    )
    settings = load_settings(kubeconfig=str(only))
    assert settings.server == "https://127.0.0.9:1"
    assert settings.user == {}


def test_missing_explicit_kubeconfig_is_an_error(tmp_path):
    with pytest.raises(ClusterError, match="does not exist"):
        load_settings(kubeconfig=str(tmp_path / "nope"))


def test_no_configuration_at_all_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ClusterError, match="no Kubernetes configuration found"):
        load_settings()


def test_in_cluster_service_account(tmp_path, monkeypatch):
    account = tmp_path / "sa"
    account.mkdir()
    (account / "token").write_text("tok")
    (account / "namespace").write_text("jobs\n")
    monkeypatch.setattr(kube_config, "SERVICE_ACCOUNT_DIR", account)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    settings = load_settings()
    assert settings.server == "https://10.0.0.1:443"
    assert settings.namespace == "jobs"
    assert settings.user == {"tokenFile": str(account / "token")}


def test_exec_command_with_a_path_is_relative_to_its_file(tmp_path, monkeypatch):
    config = write_config(
        tmp_path / "c.yaml", current="c",
        clusters=[("x", {"server": "https://127.0.0.1:1"})],
        users=[("u", {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "bin/plugin"}}),
               ("v", {})],
        contexts=[("c", {"cluster": "x", "user": "u"})],
    )
    settings = load_settings(kubeconfig=str(config))
    assert settings.user["exec"]["command"] == str(tmp_path / "bin" / "plugin")


def test_malformed_kubeconfig_error_never_quotes_the_secret_line(tmp_path):
    from tfhelm.errors import ClusterError
    from tfhelm.kube.config import _load

    path = tmp_path / "kubeconfig"
    path.write_text('apiVersion: v1\nusers:\n- name: u\n  user: {token: "SUPERSECRET"TOKEN}\n')
    with pytest.raises(ClusterError) as caught:
        _load(path)
    assert f"kubeconfig {path}:4: invalid YAML" in str(caught.value)
    assert "SUPERSECRET" not in str(caught.value)


@pytest.mark.parametrize(("section", "key"), [("clusters", "cluster"), ("users", "user"), ("contexts", "context")])
def test_an_entry_body_that_is_not_a_mapping_is_named(tmp_path, section, key):
    document = {"current-context": "c", section: [{"name": "bad", key: "oops"}]}
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ClusterError) as caught:
        load_settings(kubeconfig=str(path))
    assert str(caught.value) == f"kubeconfig {path}: {section}[bad].{key} must be a mapping"


@pytest.mark.parametrize(("document", "message"), [
    ({"clusters": "oops"}, "clusters must be a list"),
    ({"users": ["oops"]}, "users[0] must be a mapping with name and user"),
    ({"contexts": [{"name": ["x"], "context": {}}]}, r"contexts[0].name must be a string"),
    ({"clusters": [{"name": "x", "cluster": {"server": 5}}]}, "clusters[x].cluster.server must be a string"),
    ({"users": [{"name": "u", "user": {"exec": "gcloud"}}]}, "users[u].user.exec must be a mapping"),
    ({"current-context": ["c"]}, "current-context must be a string"),
])
def test_other_misshapen_kubeconfig_fields_are_named(tmp_path, document, message):
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ClusterError) as caught:
        load_settings(kubeconfig=str(path))
    assert str(caught.value) == f"kubeconfig {path}: {message}"
