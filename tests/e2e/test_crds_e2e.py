"""crds/ and resource-policy: keep on a real kube-apiserver, through the real CLI.

What landed is read back with the independent client (``support.kubeapi``). Each test uses its
own API group, since CustomResourceDefinitions are cluster-wide.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from helpers import crd_document, write_chart
from support.kubeapi import KubeAPI, UnknownKind

REPO = Path(__file__).resolve().parents[2]
CRD = "apiextensions.k8s.io/v1"

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def api(plane):
    return KubeAPI(plane)


@pytest.fixture
def ns(api):
    name = f"t-{uuid.uuid4().hex[:8]}"
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


@pytest.fixture
def group():
    return f"g{uuid.uuid4().hex[:8]}.example.com"


@pytest.fixture
def tfhelm(plane, ns):
    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "tfhelm", *args, "--kubeconfig", str(plane.kubeconfig), "-n", ns]
        done = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=REPO)
        if check and done.returncode != 0:
            raise AssertionError(f"tfhelm {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    return run


def widget(group: str, name: str = "w") -> str:
    return f"apiVersion: {group}/v1\nkind: Widget\nmetadata:\n  name: {name}\nspec: {{size: 3}}\n"


def established(crd: dict) -> bool:
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)


def wait_established(api: KubeAPI, name: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        crd = api.get(CRD, "CustomResourceDefinition", name)
        if crd is not None and established(crd):
            time.sleep(1)  # NamesAccepted and Established may come in two writes
            return api.get(CRD, "CustomResourceDefinition", name)
        time.sleep(0.2)
    raise AssertionError(f"{name} not Established after {timeout}s")


def gone(api: KubeAPI, name: str, timeout: float = 60.0) -> bool:
    """Whether the CRD disappears (the API server deletes its custom resources first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.get(CRD, "CustomResourceDefinition", name) is None:
            return True
        time.sleep(0.5)
    return False


def test_crds_are_created_before_templates_established_and_outlive_the_release(api, ns, group, tfhelm, tmp_path):
    chart = write_chart(
        tmp_path / "app",
        {
            "crds/widget.yaml": crd_document("Widget", group),
            "templates/widget.yaml": widget(group),
            "templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        },
        name="app",
    )
    tfhelm("install", "demo", str(chart))
    crd = api.get(CRD, "CustomResourceDefinition", f"widgets.{group}")
    assert crd is not None and established(crd)
    assert "tfhelm.io/release-name" not in (crd["metadata"].get("annotations") or {})  # not a release object
    assert api.get(f"{group}/v1", "Widget", "w", ns)["spec"] == {"size": 3}  # the custom resource landed
    tfhelm("uninstall", "demo")
    assert api.get(f"{group}/v1", "Widget", "w", ns) is None
    assert api.get("v1", "ConfigMap", "c", ns) is None
    assert api.get(CRD, "CustomResourceDefinition", f"widgets.{group}") is not None


def test_an_existing_crd_is_left_alone(api, ns, group, tfhelm, tmp_path):
    import yaml

    theirs = yaml.safe_load(crd_document("Widget", group))
    theirs["metadata"]["labels"] = {"owner": "platform-team"}
    api.create(theirs)
    before = wait_established(api, f"widgets.{group}")  # the API server's own status writes are done
    chart = write_chart(tmp_path / "app", {"crds/widget.yaml": crd_document("Widget", group)}, name="app")
    tfhelm("install", "demo", str(chart))
    after = api.get(CRD, "CustomResourceDefinition", f"widgets.{group}")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["metadata"]["labels"] == {"owner": "platform-team"}
    assert "tfhelm" not in {entry.get("manager") for entry in after["metadata"].get("managedFields") or []}


def test_skip_crds_creates_none(api, ns, group, tfhelm, tmp_path):
    chart = write_chart(
        tmp_path / "app",
        {
            "crds/widget.yaml": crd_document("Widget", group),
            "templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        },
        name="app",
    )
    tfhelm("install", "demo", str(chart), "--skip-crds")
    assert api.get("v1", "ConfigMap", "c", ns) is not None
    assert api.get(CRD, "CustomResourceDefinition", f"widgets.{group}") is None
    with pytest.raises(UnknownKind):
        api.get(f"{group}/v1", "Widget", "w", ns)


def test_helm_keep_policy_keeps_a_templated_crd_a_plain_one_goes_with_a_warning(api, ns, group, tfhelm, tmp_path):
    keep = "metadata:\n  annotations:\n    helm.sh/resource-policy: keep\n"
    chart = write_chart(
        tmp_path / "app",
        {
            "templates/kept.yaml": crd_document("Kept", group).replace("metadata:\n", keep, 1),
            "templates/plain.yaml": crd_document("Plain", group),
            "templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\n" + keep + "  name: c\n",
        },
        name="app",
    )
    tfhelm("install", "demo", str(chart))
    assert api.get(CRD, "CustomResourceDefinition", f"plains.{group}") is not None
    done = tfhelm("uninstall", "demo")
    assert f"kepts.{group}" in done.stdout and "resource-policy: keep" in done.stdout
    assert f"plains.{group}" in done.stderr and "every custom resource of its kind" in done.stderr
    assert api.get(CRD, "CustomResourceDefinition", f"kepts.{group}") is not None
    assert api.get("v1", "ConfigMap", "c", ns) is not None
    assert gone(api, f"plains.{group}")
