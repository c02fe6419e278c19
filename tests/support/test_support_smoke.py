"""Smoke tests for the end-to-end infrastructure: the API server, the registry and the Helm peer.

These prove the real things work on this machine before any tfhelm e2e test relies on them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from support import SCRIPTS_DIR, unavailable
from support.controlplane import ControlPlane, control_plane_or_skip
from support.registry import Registry, registry_or_skip

CONFIGMAP_PATH = "/api/v1/namespaces/default/configmaps"


@pytest.fixture(scope="module")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    plane = control_plane_or_skip(tmp_path_factory)
    yield plane
    plane.stop()


def configmap_manifest(name: str, data: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}, "data": data}


def apply_with_http(plane: ControlPlane, manifest: dict) -> None:
    # JSON is valid YAML, so it can go out as an apply patch as is.
    name = manifest["metadata"]["name"]
    status, body = plane.request(
        "PATCH",
        f"{CONFIGMAP_PATH}/{name}?fieldManager=test",
        json.dumps(manifest),
        content_type="application/apply-patch+yaml",
    )
    assert status in (200, 201), body


def apply_with_kubectl(plane: ControlPlane, manifest: dict) -> None:
    subprocess.run(
        ["kubectl", "--kubeconfig", str(plane.kubeconfig), "apply", "--server-side", "--field-manager=test", "-f", "-"],
        input=json.dumps(manifest),
        text=True,
        capture_output=True,
        check=True,
        timeout=60,
    )


def read_configmap(plane: ControlPlane, name: str) -> dict:
    status, body = plane.request("GET", f"{CONFIGMAP_PATH}/{name}")
    assert status == 200, body
    return body


def test_server_side_apply_round_trips_a_configmap(control_plane: ControlPlane) -> None:
    manifest = configmap_manifest("smoke-apply", {"greeting": "hello"})
    if shutil.which("kubectl"):
        apply_with_kubectl(control_plane, manifest)
    else:
        apply_with_http(control_plane, manifest)

    stored = read_configmap(control_plane, "smoke-apply")

    assert stored["data"] == {"greeting": "hello"}
    managers = {entry["manager"] for entry in stored["metadata"]["managedFields"]}
    assert managers == {"test"}


def test_apply_patch_over_https_updates_and_reports_conflicts(control_plane: ControlPlane) -> None:
    apply_with_http(control_plane, configmap_manifest("smoke-http", {"a": "1"}))
    apply_with_http(control_plane, configmap_manifest("smoke-http", {"a": "2"}))

    status, body = control_plane.request(
        "PATCH",
        f"{CONFIGMAP_PATH}/smoke-http?fieldManager=intruder",
        json.dumps(configmap_manifest("smoke-http", {"a": "3"})),
        content_type="application/apply-patch+yaml",
    )

    assert read_configmap(control_plane, "smoke-http")["data"] == {"a": "2"}
    assert status == 409, body


def test_restarted_apiserver_keeps_port_token_and_objects(control_plane: ControlPlane) -> None:
    if not control_plane.managed:
        pytest.skip("TFHELM_E2E_KUBECONFIG points at an external cluster, which tests must not restart")
    apply_with_http(control_plane, configmap_manifest("smoke-restart", {"kept": "yes"}))
    server = control_plane.server

    control_plane.restart_apiserver()

    assert control_plane.server == server
    assert read_configmap(control_plane, "smoke-restart")["data"] == {"kept": "yes"}


@pytest.fixture
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    started = registry_or_skip(tmp_path_factory)
    yield started
    started.stop()


def test_registry_answers_v2(registry: Registry) -> None:
    assert registry.address.startswith("127.0.0.1:")
    assert registry.get("/v2/") == (200, b"{}")


def test_registry_with_auth_rejects_anonymous_requests(tmp_path_factory: pytest.TempPathFactory) -> None:
    registry = registry_or_skip(tmp_path_factory, auth=("alice", "s3cret"))
    try:
        assert registry.get("/v2/", authenticated=False)[0] == 401
        assert registry.get("/v2/")[0] == 200
    finally:
        registry.stop()


def test_fetch_helm_gives_a_working_helm_4() -> None:
    fetched = subprocess.run(
        [str(SCRIPTS_DIR / "fetch-helm")], capture_output=True, text=True, timeout=600, check=False
    )
    if fetched.returncode != 0:
        unavailable(f"scripts/fetch-helm failed (npm registry unreachable?): {fetched.stderr.strip()}")
    helm = fetched.stdout.strip()

    version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True, timeout=60, check=True)

    assert version.stdout.startswith("v4."), version.stdout
