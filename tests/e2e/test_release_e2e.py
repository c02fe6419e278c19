"""Releases on a real kube-apiserver: the issue's end-to-end list, through the real CLI.

Each test works in its own namespace. No controllers run on this API server, so readiness is
reached by writing ``status`` through the status subresource, as envtest users do. What landed is
read back with an independent client (``support.kubeapi``: plain HTTPS, no tfhelm code), which
tells a missing object from a kind the server does not serve.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from support.kubeapi import KubeAPI, UnknownKind
from tfhelm.release.storage import decode

REPO = Path(__file__).resolve().parents[2]
TF_CLUSTER = REPO / "charts" / "tf-cluster"
SMALL = TF_CLUSTER / "examples" / "small.yaml"
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


@pytest.fixture
def tfhelm(plane, ns):
    """Run the real CLI against the control plane in the test's namespace."""

    def run(*args: str, check: bool = True, namespace: str | None = None) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "tfhelm", *args, "--kubeconfig", str(plane.kubeconfig), "-n", namespace or ns]
        done = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=REPO)
        if check and done.returncode != 0:
            raise AssertionError(f"tfhelm {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    return run


def spawn(plane, ns, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "tfhelm", *args, "--kubeconfig", str(plane.kubeconfig), "-n", ns]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)


def record(api, ns, name, revision):
    secret = api.get("v1", "Secret", f"sh.tfhelm.release.v1.{name}.v{revision}", ns)
    return (secret, decode(secret["data"]["release"])) if secret else (None, None)


def statuses(api, ns, name):
    """(revision, status) of every record of release ``name``, oldest first; labels agree with records."""
    history = []
    for secret in api.list("v1", "Secret", ns, f"owner=tfhelm,name={name}"):
        if secret.get("type") != "tfhelm.io/release.v1":
            continue  # the release's lock carries the same labels
        release = decode(secret["data"]["release"])
        labels = secret["metadata"]["labels"]
        assert (labels["version"], labels["status"]) == (str(release.revision), release.status.value), labels
        history.append((release.revision, release.status.value))
    return sorted(history)


def live(api, ns, kind, name, api_version="v1"):
    return api.get(api_version, kind, name, ns)


def task_job(api, ns, release, job, index):
    """The Job of one tf-cluster task (its name ends in the run revision), or None."""
    selector = f"app.kubernetes.io/instance={release},tfhelm.io/job={job},tfhelm.io/task-index={index}"
    jobs = api.list("batch/v1", "Job", ns, selector)
    assert len(jobs) <= 1, [j["metadata"]["name"] for j in jobs]
    return jobs[0] if jobs else None


def live_object(api, summary):
    """The live object a record's object summary names."""
    return api.get(summary["apiVersion"], summary["kind"], summary["name"], summary.get("namespace"))


def resource_versions(api, release):
    return {f"{s['kind']}/{s['name']}": live_object(api, s)["metadata"]["resourceVersion"] for s in release.objects}


def wait_until(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def keep_ready(api, ns, name, revision, process):
    """Play the controllers: mark revision's workloads ready until ``process`` ends."""
    wait_until(lambda: record(api, ns, name, revision)[0] is not None, what=f"revision {revision}")
    objects = record(api, ns, name, revision)[1].objects
    while process.poll() is None:
        try:
            make_ready(api, ns, objects)
        except Exception:  # noqa: BLE001 - not applied yet; try again
            pass
        time.sleep(0.3)


def make_ready(api, ns, objects):
    for obj in objects:
        where = (obj["apiVersion"], obj["kind"], obj["name"], ns)
        if obj["kind"] in ("StatefulSet", "Deployment"):
            generation = api.get(*where)["metadata"].get("generation", 1)
            api.patch_status(*where, {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1, "availableReplicas": 1,
                                      "observedGeneration": generation})
        elif obj["kind"] == "Job":
            api.patch_status(*where, {"active": 1})


# ------------------------------------------------------------------------------- lifecycle


def test_the_independent_reader_tells_a_missing_object_from_an_unknown_kind(api, ns):
    assert api.get("v1", "ConfigMap", "nothing-here", ns) is None
    with pytest.raises(UnknownKind, match="serves no kind Widget in v1"):
        api.get("v1", "Widget", "w", ns)
    with pytest.raises(UnknownKind, match="does not serve example.com/v1"):
        api.get("example.com/v1", "Widget", "w", ns)


def test_install_tf_cluster_creates_every_object_and_the_record(api, ns, tfhelm):
    out = tfhelm("install", "demo", str(TF_CLUSTER), "-f", str(SMALL)).stdout
    assert "STATUS: deployed" in out and "REVISION: 1" in out
    secret, release = record(api, ns, "demo", 1)
    assert secret["type"] == "tfhelm.io/release.v1"
    assert secret["metadata"]["labels"] == {"name": "demo", "owner": "tfhelm", "status": "deployed", "version": "1"}
    assert release.chart.name == "tf-cluster" and release.chart.digest.startswith("sha256:")
    assert release.values["jupyter"]["password"] == "<redacted>"
    assert len(release.objects) >= 12
    for summary in release.objects:
        obj = live_object(api, summary)
        assert obj is not None, summary
        managers = {m["manager"] for m in obj["metadata"]["managedFields"]}
        assert "tfhelm" in managers
    worker = task_job(api, ns, "demo", "worker", 1)
    assert worker["metadata"]["annotations"]["tfhelm.io/release-name"] == "demo"
    assert worker["spec"]["template"]["spec"]["containers"][0]["image"].startswith("tensorflow/tensorflow")
    assert "demo-worker-1" in live(api, ns, "ConfigMap", "demo-cluster-spec")["data"]["cluster-spec.json"]
    assert api.get("v1", "Secret", "sh.tfhelm.lock.v1.demo", ns) is None
    shown = tfhelm("get", "values", "demo", "--all").stdout + tfhelm("get", "all", "demo").stdout
    assert "password: <redacted>" in shown and "change-me-please" not in shown
    assert "NOTES:" in tfhelm("get", "notes", "demo").stdout


def test_create_namespace(api, tfhelm):
    namespace = f"t-new-{uuid.uuid4().hex[:6]}"
    missing = tfhelm("install", "demo", str(WORKERS), "--set", "workers=0,job=false", namespace=namespace, check=False)
    assert missing.returncode == 1 and "--create-namespace" in missing.stderr
    tfhelm("install", "demo", str(WORKERS), "--set", "workers=0,job=false", "--create-namespace", namespace=namespace)
    assert live(api, namespace, "ConfigMap", "demo-config") is not None


def test_upgrade_to_more_workers_then_remove_a_job(api, ns, tfhelm):
    tfhelm("install", "demo", str(TF_CLUSTER), "-f", str(SMALL))
    spec_before = live(api, ns, "ConfigMap", "demo-cluster-spec")
    evaluator = ["--set", "jobs.evaluator.tasks=1", "--set-json", 'jobs.evaluator.command=["python","eval.py"]']
    tfhelm("upgrade", "demo", str(TF_CLUSTER), "-f", str(SMALL), "--set", "jobs.worker.tasks=3", *evaluator)
    assert task_job(api, ns, "demo", "worker", 2) is not None
    assert task_job(api, ns, "demo", "evaluator", 0) is not None
    assert live(api, ns, "Service", "demo-worker-2") is not None
    spec_after = live(api, ns, "ConfigMap", "demo-cluster-spec")
    assert spec_after["data"] != spec_before["data"]
    checksum = "tfhelm.io/cluster-spec-checksum"
    assert spec_after["metadata"]["annotations"][checksum] != spec_before["metadata"]["annotations"][checksum]
    assert statuses(api, ns, "demo") == [(1, "superseded"), (2, "deployed")]

    tfhelm("upgrade", "demo", str(TF_CLUSTER), "-f", str(SMALL), "--set", "jobs.worker.tasks=3")
    assert task_job(api, ns, "demo", "evaluator", 0) is None
    assert live(api, ns, "Service", "demo-evaluator-0") is None
    assert task_job(api, ns, "demo", "worker", 2) is not None
    assert statuses(api, ns, "demo") == [(1, "superseded"), (2, "superseded"), (3, "deployed")]


def test_no_op_upgrade_writes_nothing(api, ns, tfhelm):
    tfhelm("install", "demo", str(TF_CLUSTER), "-f", str(SMALL))
    _, release = record(api, ns, "demo", 1)
    before = resource_versions(api, release)
    tfhelm("upgrade", "demo", str(TF_CLUSTER), "-f", str(SMALL))
    assert resource_versions(api, release) == before
    assert statuses(api, ns, "demo") == [(1, "superseded"), (2, "deployed")]


def test_upgrade_without_values_reuses_them_and_asks_for_the_password_again(api, ns, tfhelm):
    tfhelm("install", "demo", str(TF_CLUSTER), "-f", str(SMALL), "--set", "jobs.worker.tasks=3")
    done = tfhelm("upgrade", "demo", str(TF_CLUSTER), check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr  # a usage error
    assert "jupyter.password was not stored (writeOnly) with revision 1 of release demo" in done.stderr
    assert "--reset-then-reuse-values --set-string jupyter.password=…" in done.stderr
    assert statuses(api, ns, "demo") == [(1, "deployed")]
    tfhelm("upgrade", "demo", str(TF_CLUSTER), "--reset-then-reuse-values", "--set-string", "jupyter.password=another-password")
    assert task_job(api, ns, "demo", "worker", 2) is not None  # tasks=3 was reused
    assert statuses(api, ns, "demo") == [(1, "superseded"), (2, "deployed")]


def test_the_notebook_password_hash_is_kept_while_the_password_is_the_same(api, ns, tfhelm):
    tfhelm("install", "demo", str(TF_CLUSTER), "-f", str(SMALL))
    secret = live(api, ns, "Secret", "demo-jupyter")
    checksum = live(api, ns, "Deployment", "demo-jupyter", "apps/v1")["spec"]["template"]["metadata"]["annotations"]["tfhelm.io/secret-checksum"]
    diff = tfhelm("diff", "upgrade", "demo", str(TF_CLUSTER), "-f", str(SMALL), "--set", "jobs.worker.tasks=3")
    assert re.search(r"Job/demo-worker-2-[0-9a-f]+", diff.stdout) and "Secret/demo-jupyter" not in diff.stdout  # unchanged: not listed
    tfhelm("upgrade", "demo", str(TF_CLUSTER), "-f", str(SMALL), "--set", "jobs.worker.tasks=3")
    assert task_job(api, ns, "demo", "worker", 2) is not None
    assert live(api, ns, "Secret", "demo-jupyter")["metadata"]["resourceVersion"] == secret["metadata"]["resourceVersion"]
    notebook = live(api, ns, "Deployment", "demo-jupyter", "apps/v1")["spec"]["template"]["metadata"]["annotations"]
    assert notebook["tfhelm.io/secret-checksum"] == checksum
    tfhelm("upgrade", "demo", str(TF_CLUSTER), "-f", str(SMALL), "--set-string", "jupyter.password=another-password")
    assert live(api, ns, "Secret", "demo-jupyter")["data"] != secret["data"]


def test_rollback_restores_revision_one(api, ns, tfhelm):
    tfhelm("install", "demo", str(TF_CLUSTER), "-f", str(SMALL))
    spec_v1 = live(api, ns, "ConfigMap", "demo-cluster-spec")["data"]
    tfhelm("upgrade", "demo", str(TF_CLUSTER), "-f", str(SMALL), "--set", "jobs.worker.tasks=4")
    out = tfhelm("rollback", "demo", "1").stdout
    assert "now at revision 3" in out
    assert live(api, ns, "ConfigMap", "demo-cluster-spec")["data"] == spec_v1
    assert task_job(api, ns, "demo", "worker", 3) is None
    assert statuses(api, ns, "demo") == [(1, "superseded"), (2, "superseded"), (3, "deployed")]


def test_history_and_list_output(api, ns, tfhelm):
    tfhelm("install", "demo", str(WORKERS), "--set", "workers=1")
    tfhelm("upgrade", "demo", str(WORKERS), "--set", "workers=2", "--description", "two workers")
    table = tfhelm("history", "demo").stdout.splitlines()
    assert table[0].split() == ["REVISION", "UPDATED", "STATUS", "CHART", "APP", "VERSION", "DESCRIPTION"]
    assert "superseded" in table[1] and "Install complete" in table[1]
    assert "deployed" in table[2] and "two workers" in table[2] and "workers-0.1.0" in table[2]
    rows = json.loads(tfhelm("list", "-o", "json").stdout)
    assert rows == [{"name": "demo", "namespace": ns, "revision": "2", "updated": rows[0]["updated"],
                     "status": "deployed", "chart": "workers-0.1.0", "app_version": "1.0"}]
    assert rows[0]["updated"].endswith("+0000 UTC")
    everywhere = yaml.safe_load(tfhelm("list", "-A", "-o", "yaml").stdout)
    assert {"name": "demo", "namespace": ns} in [{"name": r["name"], "namespace": r["namespace"]} for r in everywhere]
    status = tfhelm("status", "demo", "--show-resources").stdout
    assert "STATUS: deployed" in status and "StatefulSet/demo-worker-1" in status
    values = tfhelm("get", "values", "demo").stdout
    assert "workers: 2" in values and "USER-SUPPLIED VALUES" in values
    assert "kind: StatefulSet" in tfhelm("get", "manifest", "demo", "--revision", "1").stdout


def test_uninstall_removes_everything_and_keep_history_keeps_records(api, ns, tfhelm):
    tfhelm("install", "demo", str(WORKERS))
    _, release = record(api, ns, "demo", 1)
    tfhelm("uninstall", "demo")
    assert [s for s in release.objects if live_object(api, s) is not None] == []
    assert api.list("v1", "Secret", ns, "owner=tfhelm") == []

    tfhelm("install", "kept", str(WORKERS))
    tfhelm("uninstall", "kept", "--keep-history")
    assert statuses(api, ns, "kept") == [(1, "uninstalled")]
    assert live(api, ns, "ConfigMap", "kept-config") is None
    assert json.loads(tfhelm("list", "-o", "json").stdout) == []
    assert json.loads(tfhelm("list", "--all", "-o", "json").stdout)[0]["status"] == "uninstalled"


# ------------------------------------------------------------------------------- wait and atomic


def test_wait_succeeds_once_status_is_patched_ready(plane, api, ns):
    process = spawn(plane, ns, "install", "demo", str(WORKERS), "--set", "workers=2", "--wait", "--timeout", "60s")
    keep_ready(api, ns, "demo", 1, process)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "STATUS: deployed" in out
    assert "resources ready" in err  # plain progress lines when not on a terminal


def test_wait_timeout_names_each_unready_resource(api, ns, tfhelm):
    done = tfhelm("install", "demo", str(WORKERS), "--set", "workers=2", "--wait", "--timeout", "2s", check=False)
    assert done.returncode == 1
    assert "timed out after 2s waiting for 3 resource(s)" in done.stderr
    assert f"StatefulSet/demo-worker-0 (namespace {ns}): rollout not yet observed" in done.stderr
    assert f"Job/demo-setup (namespace {ns}): no pod running yet" in done.stderr
    assert "Traceback" not in done.stderr
    assert statuses(api, ns, "demo") == [(1, "failed")]


def test_atomic_install_and_upgrade_undo_themselves(api, ns, tfhelm):
    done = tfhelm("install", "demo", str(WORKERS), "--atomic", "--timeout", "2s", check=False)
    assert done.returncode == 1 and "uninstalled because of --atomic" in done.stderr
    assert live(api, ns, "ConfigMap", "demo-config") is None and statuses(api, ns, "demo") == []

    tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=0")
    done = tfhelm("upgrade", "demo", str(WORKERS), "--set", "job=false,workers=1,message=new", "--atomic",
                  "--timeout", "2s", check=False)
    assert done.returncode == 1 and "rolled back to revision 1 because of --atomic" in done.stderr
    assert live(api, ns, "ConfigMap", "demo-config")["data"]["message"] == "hello"
    assert live(api, ns, "StatefulSet", "demo-worker-0", "apps/v1") is None
    assert statuses(api, ns, "demo") == [(1, "superseded"), (2, "failed"), (3, "deployed")]


# ------------------------------------------------------------------------------- concurrency and recovery


def test_two_concurrent_upgrades_exactly_one_proceeds(plane, api, ns, tfhelm):
    tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=1")
    first = spawn(plane, ns, "upgrade", "demo", str(WORKERS), "--set", "job=false,workers=1,message=a",
                  "--wait", "--timeout", "60s")
    wait_until(lambda: api.get("v1", "Secret", "sh.tfhelm.lock.v1.demo", ns) is not None, what="the first lock")
    second = tfhelm("upgrade", "demo", str(WORKERS), "--set", "job=false,workers=1,message=b", check=False)
    assert second.returncode == 1
    assert "release demo is busy: upgrade by" in second.stderr and "since" in second.stderr
    keep_ready(api, ns, "demo", 2, first)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert live(api, ns, "ConfigMap", "demo-config")["data"]["message"] == "a"
    assert statuses(api, ns, "demo") == [(1, "superseded"), (2, "deployed")]


@pytest.mark.parametrize("recovery", ["upgrade", "rollback"])
def test_killed_upgrade_is_recovered_by_the_next_command(plane, api, ns, tfhelm, recovery):
    tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=1")
    process = spawn(plane, ns, "upgrade", "demo", str(WORKERS), "--set", "job=false,workers=2", "--wait", "--timeout", "60s")
    wait_until(lambda: record(api, ns, "demo", 2)[0] is not None, what="revision 2 pending")
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert statuses(api, ns, "demo") == [(1, "deployed"), (2, "pending-upgrade")]
    assert api.get("v1", "Secret", "sh.tfhelm.lock.v1.demo", ns) is not None
    if recovery == "upgrade":
        tfhelm("upgrade", "demo", str(WORKERS), "--set", "job=false,workers=2")
        assert live(api, ns, "StatefulSet", "demo-worker-1", "apps/v1") is not None
    else:
        tfhelm("rollback", "demo", "1")
        assert live(api, ns, "StatefulSet", "demo-worker-1", "apps/v1") is None
    history = statuses(api, ns, "demo")
    assert history == [(1, "superseded"), (2, "failed"), (3, "deployed")]
    _, interrupted = record(api, ns, "demo", 2)
    assert f"pending-upgrade interrupted (upgrade by" in interrupted.description
    assert f"recovered by {recovery}" in interrupted.description
    assert api.get("v1", "Secret", "sh.tfhelm.lock.v1.demo", ns) is None


def test_an_upgrade_that_lost_its_lease_stops_before_recording(plane, api, ns, tfhelm):
    tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=1")
    command = [sys.executable, "-m", "tfhelm", "upgrade", "demo", str(WORKERS), "--set", "job=false,workers=1,message=a",
               "--wait", "--timeout", "60s", "--kubeconfig", str(plane.kubeconfig), "-n", ns]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                               env={**os.environ, "TFHELM_LOCK_TTL": "3"})
    wait_until(lambda: record(api, ns, "demo", 2)[0] is not None, what="revision 2 pending")
    lease = api.get("v1", "Secret", "sh.tfhelm.lock.v1.demo", ns)  # another command takes the lease over
    lease["metadata"]["annotations"]["tfhelm.io/lock-holder"] = "ci@elsewhere (pid 1)"
    api.replace(lease)
    time.sleep(2.5)  # the heartbeat (every TTL/3) finds out
    keep_ready(api, ns, "demo", 2, process)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1 and "Traceback" not in err
    assert "lost the lock of release demo: another command took it over" in err
    assert "stopped before: record revision 2 as deployed" in err
    assert statuses(api, ns, "demo") == [(1, "deployed"), (2, "pending-upgrade")]
    assert api.get("v1", "Secret", "sh.tfhelm.lock.v1.demo", ns)["metadata"]["annotations"]["tfhelm.io/lock-holder"] == "ci@elsewhere (pid 1)"


def test_conflict_with_another_field_manager_is_reported_then_forced(api, ns, tfhelm):
    tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=0")
    api.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "demo-config", "namespace": ns},
                "data": {"message": "edited"}}, field_manager="kubectl-edit", force=True)
    done = tfhelm("upgrade", "demo", str(WORKERS), "--set", "job=false,workers=0,message=new", check=False)
    assert done.returncode == 1
    assert "ConfigMap/demo-config" in done.stderr and "kubectl-edit" in done.stderr and "--force-conflicts" in done.stderr
    tfhelm("upgrade", "demo", str(WORKERS), "--set", "job=false,workers=0,message=new", "--force-conflicts")
    assert live(api, ns, "ConfigMap", "demo-config")["data"]["message"] == "new"


def test_an_existing_object_is_refused_then_adopted_and_foreign_ones_never_deleted(api, ns, tfhelm):
    api.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "demo-config", "namespace": ns},
                "data": {"owner": "someone"}}, field_manager="kubectl-client-side-apply", force=True)
    done = tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=0", "--atomic", check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (f"ConfigMap/demo-config in namespace {ns} exists and is not managed by release demo "
            "(managed by another tool (kubectl-client-side-apply))") in done.stderr
    assert "pass --take-ownership to adopt it" in done.stderr
    assert live(api, ns, "ConfigMap", "demo-config")["data"] == {"owner": "someone"}
    assert statuses(api, ns, "demo") == []
    tfhelm("install", "demo", str(WORKERS), "--set", "job=false,workers=0", "--take-ownership", "--force-conflicts")
    adopted = live(api, ns, "ConfigMap", "demo-config")["metadata"]
    assert adopted["annotations"]["tfhelm.io/release-name"] == "demo"
    assert adopted["labels"]["app.kubernetes.io/managed-by"] == "tfhelm"

    secret = live(api, ns, "Secret", "demo-auth")  # another release adopts one of ours
    api.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "demo-auth", "namespace": ns, "annotations": {
        "tfhelm.io/release-name": "other", "tfhelm.io/release-namespace": ns}}}, field_manager="other", force=True)
    assert secret is not None
    done = tfhelm("uninstall", "demo")
    assert f"not deleting Secret/demo-auth (namespace {ns}): it is not managed by release demo" in done.stderr
    assert live(api, ns, "Secret", "demo-auth") is not None
    assert live(api, ns, "ConfigMap", "demo-config") is None


def test_diff_masks_secret_data_and_summarises(api, ns, tfhelm):
    tfhelm("install", "demo", str(WORKERS), "--set", "password=first-secret,workers=1")
    done = tfhelm("diff", "upgrade", "demo", str(WORKERS), "--set", "password=second-secret,workers=2,job=false")
    import base64

    for secret in ("first-secret", "second-secret"):
        assert secret not in done.stdout
        assert base64.b64encode(secret.encode()).decode() not in done.stdout
    assert "(masked, 20 chars, new value)" in done.stdout
    assert "Plan: 2 to create, 3 to change, 1 to delete" in done.stdout
    assert "+  name: demo-worker-1" in done.stdout
    dry = tfhelm("upgrade", "demo", str(WORKERS), "--set", "password=second-secret,workers=2,job=false", "--dry-run")
    assert "Plan: 2 to create" in dry.stdout
    assert statuses(api, ns, "demo") == [(1, "deployed")]


def test_server_dry_run_install_changes_nothing(api, ns, tfhelm):
    out = tfhelm("install", "--dry-run=server", "demo", str(WORKERS)).stdout
    assert "MANIFEST:" in out
    assert live(api, ns, "ConfigMap", "demo-config") is None and statuses(api, ns, "demo") == []


# ------------------------------------------------------------------------------- cluster access


def test_exec_plugin_kubeconfig(plane, tmp_path, ns):
    if not plane.token:
        pytest.skip("the cluster's kubeconfig has no bearer token to hand out")
    plugin = tmp_path / "gke-gcloud-auth-plugin"
    plugin.write_text(
        f"#!{sys.executable}\nimport json\n"
        f"print(json.dumps({{'kind': 'ExecCredential', 'apiVersion': 'client.authentication.k8s.io/v1beta1',"
        f" 'status': {{'token': {plane.token!r}, 'expirationTimestamp': '2999-01-01T00:00:00Z'}}}}))\n"
    )
    plugin.chmod(0o755)
    original = yaml.safe_load(plane.kubeconfig.read_text())
    cluster = original["clusters"][0]["cluster"]
    if cluster.get("certificate-authority") and not os.path.isabs(cluster["certificate-authority"]):
        cluster["certificate-authority"] = str(plane.kubeconfig.parent / cluster["certificate-authority"])
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "gke_project_zone_cluster",
        "clusters": [{"name": "gke", "cluster": cluster}],
        "contexts": [{"name": "gke_project_zone_cluster", "context": {"cluster": "gke", "user": "gke", "namespace": ns}}],
        "users": [{"name": "gke", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin),
            "installHint": "Install gke-gcloud-auth-plugin for use with kubectl", "provideClusterInfo": True,
            "interactiveMode": "IfAvailable"}}}],
    }
    path = tmp_path / "gke-kubeconfig"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "KUBECONFIG": str(path)}
    done = subprocess.run([sys.executable, "-m", "tfhelm", "install", "viaexec", str(WORKERS), "--set", "workers=0,job=false"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "NAMESPACE: " + ns in done.stdout  # the context's namespace


def test_unreachable_cluster_is_one_line(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
              "clusters": [{"name": "x", "cluster": {"server": f"https://127.0.0.1:{port}", "insecure-skip-tls-verify": True}}],
              "contexts": [{"name": "c", "context": {"cluster": "x", "user": "u"}}],
              "users": [{"name": "u", "user": {"token": "t"}}]}
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    done = subprocess.run([sys.executable, "-m", "tfhelm", "list", "--kubeconfig", str(path)],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 1
    assert done.stderr == f"Error: Kubernetes cluster unreachable at https://127.0.0.1:{port}: connection refused\n"


# ------------------------------------------------------------------------------- API server outage (last: restarts it)


def test_api_server_stopped_mid_install_then_recovered(plane, api, ns, tfhelm):
    if not plane.managed:
        pytest.skip("cannot stop an external cluster's API server")
    process = spawn(plane, ns, "install", "demo", str(WORKERS), "--set", "workers=2", "--wait", "--timeout", "60s")
    wait_until(lambda: live(api, ns, "Job", "demo-setup", "batch/v1") is not None, what="objects applied")
    plane.stop_apiserver()
    try:
        _, err = process.communicate(timeout=120)
    finally:
        plane.start_apiserver()
    assert process.returncode == 1
    assert "unreachable at https://127.0.0.1:" in err and "Traceback" not in err
    assert statuses(api, ns, "demo") == [(1, "pending-install")]
    recovered = tfhelm("upgrade", "demo", str(WORKERS), "--set", "workers=2")
    assert "STATUS: deployed" in recovered.stdout
    assert statuses(api, ns, "demo") == [(1, "failed"), (2, "deployed")]
    _, first = record(api, ns, "demo", 1)
    assert "pending-install interrupted" in first.description
    for name in ("demo-config", "demo-auth"):
        assert live(api, ns, "ConfigMap" if name.endswith("config") else "Secret", name) is not None
    assert live(api, ns, "StatefulSet", "demo-worker-1", "apps/v1") is not None
