"""The everyday release flags on a real kube-apiserver, through the real CLI: uninstall --wait,
--cleanup-on-fail, list's status filters and --short, get metadata, get values -o yaml.

What landed is read back with the independent client (``support.kubeapi``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from support.kubeapi import KubeAPI

REPO = Path(__file__).resolve().parents[2]
WORKERS = REPO / "tests" / "fixtures" / "release" / "workers"

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def api(plane):
    return KubeAPI(plane)


@pytest.fixture
def ns(api):
    name = f"t-{uuid.uuid4().hex[:8]}"
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


def command(plane, ns, *args):
    return [sys.executable, "-m", "tfhelm", *args, "--kubeconfig", str(plane.kubeconfig), "-n", ns]


@pytest.fixture
def tfhelm(plane, ns):
    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(command(plane, ns, *args), capture_output=True, text=True, timeout=240, cwd=REPO)
        if check and done.returncode != 0:
            raise AssertionError(f"tfhelm {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    return run


def secrets_of(api, ns, name):
    return sorted(s["metadata"]["labels"]["status"] for s in api.list("v1", "Secret", ns, f"owner=tfhelm,name={name}")
                  if s.get("type") == "tfhelm.io/release.v1")


def test_uninstall_wait_returns_only_once_the_objects_are_gone(plane, api, ns, tfhelm):
    tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=0")
    config_map = api.get("v1", "ConfigMap", "demo-config", ns)
    config_map["metadata"]["finalizers"] = ["example.com/hold"]  # deletion waits for this to go
    api.replace(config_map)
    process = subprocess.Popen(command(plane, ns, "uninstall", "demo", "--wait", "--timeout", "60s"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    deadline = time.monotonic() + 30
    while (api.get("v1", "ConfigMap", "demo-config", ns) or {}).get("metadata", {}).get("deletionTimestamp") is None:
        assert time.monotonic() < deadline, "the ConfigMap was never deleted"
        time.sleep(0.1)
    time.sleep(1.5)
    assert process.poll() is None, "uninstall --wait returned while the ConfigMap still existed"
    held = api.get("v1", "ConfigMap", "demo-config", ns)
    held["metadata"]["finalizers"] = []
    api.replace(held)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert 'release "demo" uninstalled' in out
    assert api.get("v1", "ConfigMap", "demo-config", ns) is None


def test_uninstall_wait_times_out_naming_what_is_left(api, ns, tfhelm):
    tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=0")
    config_map = api.get("v1", "ConfigMap", "demo-config", ns)
    config_map["metadata"]["finalizers"] = ["example.com/hold"]
    api.replace(config_map)
    done = tfhelm("uninstall", "demo", "--wait", "--timeout", "2s", check=False)
    assert done.returncode == 1
    assert f"ConfigMap/demo-config (namespace {ns})" in done.stderr and "Traceback" not in done.stderr
    held = api.get("v1", "ConfigMap", "demo-config", ns)
    held["metadata"]["finalizers"] = []
    api.replace(held)


def test_cleanup_on_fail_deletes_what_the_failed_upgrade_created(api, ns, tfhelm):
    tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=0")
    done = tfhelm("upgrade", "demo", str(WORKERS), "--set", "job=false,workers=1,message=new", "--wait",
                  "--timeout", "2s", "--cleanup-on-fail", check=False)
    assert done.returncode == 1 and "timed out" in done.stderr
    assert "--cleanup-on-fail deleted 2 object(s) this operation created" in done.stderr
    assert api.get("apps/v1", "StatefulSet", "demo-worker-0", ns) is None
    assert api.get("v1", "Service", "demo-worker-0", ns) is None
    assert api.get("v1", "ConfigMap", "demo-config", ns)["data"]["message"] == "new"  # existed before: kept
    assert secrets_of(api, ns, "demo") == ["deployed", "failed"]  # revision 1 stays the deployed one


def test_cleanup_on_fail_on_install_keeps_the_failed_record(api, ns, tfhelm):
    done = tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=1", "--wait", "--timeout", "2s",
                  "--cleanup-on-fail", check=False)
    assert done.returncode == 1
    for kind, name, version in (("ConfigMap", "demo-config", "v1"), ("Secret", "demo-auth", "v1"),
                                ("StatefulSet", "demo-worker-0", "apps/v1"), ("Service", "demo-worker-0", "v1")):
        assert api.get(version, kind, name, ns) is None, kind
    assert secrets_of(api, ns, "demo") == ["failed"]
    assert "demo" in tfhelm("list", "--failed", "-q").stdout.split()


def test_list_status_filters_and_short(api, ns, tfhelm):
    tfhelm("install", "ok", str(WORKERS), "--set", "job=false,workers=0")
    tfhelm("upgrade", "ok", str(WORKERS), "--set", "job=false,workers=0,message=two")
    tfhelm("install", "gone", str(WORKERS), "--set", "job=false,workers=0")
    tfhelm("uninstall", "gone", "--keep-history")
    assert tfhelm("list", "-q").stdout == "ok\n"
    assert tfhelm("list", "--uninstalled", "-q").stdout == "gone\n"
    assert json.loads(tfhelm("list", "--deployed", "--uninstalled", "-q", "-o", "json").stdout) == ["gone", "ok"]
    superseded = json.loads(tfhelm("list", "--superseded", "-o", "json").stdout)
    assert [(r["name"], r["revision"], r["status"]) for r in superseded] == [("ok", "1", "superseded")]
    assert yaml.safe_load(tfhelm("list", "--all", "--short", "-o", "yaml").stdout) == ["gone", "ok"]
    assert tfhelm("list", "--failed").stdout.splitlines() == ["NAME\tNAMESPACE\tREVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION"]


def test_get_metadata_and_clean_values(api, ns, tfhelm):
    tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=0,message=hi")
    table = tfhelm("get", "metadata", "demo").stdout
    assert table.splitlines()[:4] == ["NAME: demo", "CHART: workers", "VERSION: 0.1.0", "APP_VERSION: 1.0"]
    assert f"NAMESPACE: {ns}\nREVISION: 1\nSTATUS: deployed\nDEPLOYED_AT: " in table
    assert table.endswith("APPLY_METHOD: server-side apply\n")
    document = json.loads(tfhelm("get", "metadata", "demo", "-o", "json").stdout)
    assert (document["name"], document["revision"], document["status"]) == ("demo", 1, "deployed")
    clean = tfhelm("get", "values", "demo", "-o", "yaml").stdout
    assert yaml.safe_load(clean) == {"job": False, "workers": 0, "message": "hi"} and "VALUES" not in clean
    assert tfhelm("get", "values", "demo").stdout.startswith("USER-SUPPLIED VALUES:\n")
    assert yaml.safe_load(tfhelm("get", "values", "demo", "--all", "-o", "yaml").stdout)["password"] == "<redacted>"
