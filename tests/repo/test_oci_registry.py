"""Push and pull against a real registry server (distribution 2.8) on 127.0.0.1.

Covers the round trip through the CLI, digests checked on pull (a blob tampered with in the
registry's own storage is refused), ``+`` in versions, constraints over the tag list, and
``registry login`` with htpasswd basic auth.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from helpers import run_cli
from oci_registry import blob_path, start_registry

from tfhelm.chart.archive import build_chart_archive
from tfhelm.errors import RepoError
from tfhelm.repo.oci import fetch_chart, list_chart_versions, pull_chart, push_chart
from tfhelm.chartsource import ChartSource

SMALL_CHART = Path(__file__).parents[1] / "fixtures" / "oci" / "small"


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory):
    server = start_registry(tmp_path_factory, auth=("ci", "correct horse"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def registry_config(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "config" / "registry.json"
    monkeypatch.setenv("TFHELM_REGISTRY_CONFIG", str(path))
    return path


def archive(tmp_path: Path, name: str, version: str) -> Path:
    chart_yaml = f"apiVersion: v2\nname: {name}\nversion: {version}\n".encode()
    path = tmp_path / f"{name}-{version}.tgz"
    path.write_bytes(build_chart_archive(name, {"Chart.yaml": chart_yaml}))
    return path


def test_push_and_pull_round_trip_through_the_cli(registry, tmp_path, registry_config):
    packaged = tmp_path / "small-0.3.0.tgz"
    packaged.write_bytes(build_chart_archive("small", _files(SMALL_CHART)))
    result = run_cli("push", str(packaged), f"oci://{registry.address}/round", "--plain-http",
                     env={"TFHELM_REGISTRY_CONFIG": str(registry_config)})
    assert result.returncode == 0, result.stderr
    assert f"Pushed: {registry.address}/round/small:0.3.0" in result.stdout
    digest = result.stdout.split("Digest: ")[1].strip()
    pulled = fetch_chart(f"oci://{registry.address}/round/small", ChartSource(version="0.3.0", plain_http=True))
    assert pulled.data == packaged.read_bytes()
    assert pulled.manifest_digest == digest


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_without_plain_http_the_client_speaks_tls_and_fails_clearly(registry, tmp_path):
    with pytest.raises(RepoError, match=f"cannot reach the registry https://{registry.address}"):
        push_chart(archive(tmp_path, "tls", "1.0.0"), f"oci://{registry.address}/tls")


def test_a_blob_tampered_with_in_the_registry_storage_is_refused(registry, tmp_path):
    push_chart(archive(tmp_path, "tamper", "1.0.0"), f"oci://{registry.address}/t", ChartSource(plain_http=True))
    manifest_digest = fetch_chart(f"oci://{registry.address}/t/tamper:1.0.0", ChartSource(plain_http=True)).manifest_digest
    manifest = json.loads(blob_path(registry, manifest_digest).read_bytes())
    layer = blob_path(registry, manifest["layers"][0]["digest"])
    data = bytearray(layer.read_bytes())
    data[-5] ^= 0xFF  # same size, different bytes
    layer.write_bytes(bytes(data))
    with pytest.raises(RepoError, match="digest mismatch for blob"):
        pull_chart(f"oci://{registry.address}/t/tamper:1.0.0", ChartSource(plain_http=True))


def test_a_tampered_manifest_is_refused(registry, tmp_path):
    push_chart(archive(tmp_path, "badmanifest", "1.0.0"), f"oci://{registry.address}/t", ChartSource(plain_http=True))
    digest = fetch_chart(f"oci://{registry.address}/t/badmanifest:1.0.0", ChartSource(plain_http=True)).manifest_digest
    stored = blob_path(registry, digest)
    stored.write_bytes(stored.read_bytes().replace(b'"schemaVersion":2', b'"schemaVersion": 2'))
    with pytest.raises(RepoError, match="digest mismatch for the manifest"):
        pull_chart(f"oci://{registry.address}/t/badmanifest:1.0.0", ChartSource(plain_http=True))


def test_versions_with_build_metadata_are_tagged_with_underscore(registry, tmp_path):
    reference, _ = push_chart(archive(tmp_path, "plus", "1.2.3+build.7"), f"oci://{registry.address}/p", ChartSource(plain_http=True))
    assert reference.endswith("/p/plus:1.2.3_build.7")
    assert list_chart_versions(f"oci://{registry.address}/p/plus", ChartSource(plain_http=True)) == ["1.2.3+build.7"]
    assert fetch_chart(f"oci://{registry.address}/p/plus", ChartSource(version="1.2.3+build.7", plain_http=True)).version == "1.2.3+build.7"
    assert fetch_chart(f"oci://{registry.address}/p/plus:1.2.3+build.7", ChartSource(plain_http=True)).version == "1.2.3+build.7"


def test_constraints_resolve_over_the_tag_list(registry, tmp_path):
    for version in ("1.0.0", "1.3.1", "1.4.0", "2.0.0-beta.1", "2.1.0"):
        push_chart(archive(tmp_path, "ranged", version), f"oci://{registry.address}/r", ChartSource(plain_http=True))
    where = f"oci://{registry.address}/r/ranged"
    picks = {c: fetch_chart(where, ChartSource(version=c, plain_http=True)).version for c in ("^1.2", "~1.3.0", ">=1.0 <1.4", "1.x || 3.x")}
    assert picks == {"^1.2": "1.4.0", "~1.3.0": "1.3.1", ">=1.0 <1.4": "1.3.1", "1.x || 3.x": "1.4.0"}
    assert fetch_chart(where, ChartSource(plain_http=True)).version == "2.1.0"
    assert fetch_chart(where, ChartSource(version=">=2.0.0-0 <2.1", plain_http=True)).version == "2.0.0-beta.1"
    with pytest.raises(RepoError, match=r"versions in the registry: 2\.1\.0, 2\.0\.0-beta\.1, 1\.4\.0, 1\.3\.1, 1\.0\.0"):
        fetch_chart(where, ChartSource(version="^3", plain_http=True))


def test_login_with_basic_auth_then_push_pull_and_logout(auth_registry, tmp_path, registry_config):
    env = {"TFHELM_REGISTRY_CONFIG": str(registry_config)}
    packaged = archive(tmp_path, "private", "0.1.0")
    denied = run_cli("push", str(packaged), f"oci://{auth_registry.address}/team", "--plain-http", env=env)
    assert denied.returncode == 1
    assert f"tfhelm registry login {auth_registry.address}" in denied.stderr

    wrong = run_cli("registry", "login", auth_registry.address, "-u", "ci", "--password-stdin", "--plain-http",
                    stdin="wrong horse\n", env=env)
    assert wrong.returncode == 1 and "login to" in wrong.stderr
    assert "wrong horse" not in wrong.stdout + wrong.stderr
    assert not registry_config.exists()

    login = run_cli("registry", "login", auth_registry.address, "-u", "ci", "--password-stdin", "--plain-http",
                    stdin="correct horse\n", env=env)
    assert login.returncode == 0, login.stderr
    assert "correct horse" not in login.stdout + login.stderr
    assert stat.S_IMODE(os.stat(registry_config).st_mode) == 0o600
    assert "correct horse" not in registry_config.read_text()  # encoded, as Docker's config.json does

    pushed = run_cli("push", str(packaged), f"oci://{auth_registry.address}/team", env=env)  # plain HTTP remembered
    assert pushed.returncode == 0, pushed.stderr
    assert pull_chart(f"oci://{auth_registry.address}/team/private:0.1.0") == packaged.read_bytes()
    shown = run_cli("show", "chart", f"oci://{auth_registry.address}/team/private", "--version", "^0.1", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "name: private" in shown.stdout
    pulled = run_cli("pull", f"oci://{auth_registry.address}/team/private", "-d", str(tmp_path / "out"), env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert (tmp_path / "out" / "private-0.1.0.tgz").read_bytes() == packaged.read_bytes()

    logout = run_cli("registry", "logout", auth_registry.address, env=env)
    assert logout.returncode == 0 and auth_registry.address in logout.stdout
    with pytest.raises(RepoError, match="authentication required"):
        pull_chart(f"oci://{auth_registry.address}/team/private:0.1.0", ChartSource(plain_http=True))


def test_pull_and_template_from_an_anonymous_plain_http_registry(registry, tmp_path, registry_config):
    push_chart(archive(tmp_path, "anon", "1.2.0"), f"oci://{registry.address}/anon", ChartSource(plain_http=True))
    env = {"TFHELM_REGISTRY_CONFIG": str(registry_config)}
    pulled = run_cli("pull", f"oci://{registry.address}/anon/anon", "--version", "^1", "--plain-http",
                     "-d", str(tmp_path / "out"), env=env)
    assert pulled.returncode == 0, pulled.stderr
    assert (tmp_path / "out" / "anon-1.2.0.tgz").read_bytes() == (tmp_path / "anon-1.2.0.tgz").read_bytes()
    shown = run_cli("show", "chart", f"oci://{registry.address}/anon/anon", "--version", "1.2.0", "--plain-http", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "name: anon" in shown.stdout
    refused = run_cli("pull", f"oci://{registry.address}/anon/anon", "-d", str(tmp_path / "tls"), env=env)
    assert refused.returncode == 1 and f"https://{registry.address}" in refused.stderr
