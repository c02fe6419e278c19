"""A release's life on a real node: upgrades that resize a run while it trains and after it has
finished, rollback, uninstall.

A Job's pod template is immutable, so every Job's name ends in the run revision: an upgrade that
changes the cluster creates the new run's Jobs and deletes the old ones (README "The training
run"). Uninstall must leave no pod and no object of the release, read back with kubectl.
"""

from __future__ import annotations

import json
import re

import pytest
from clusterkit import TF_CLUSTER, job_finished, task_job, task_selector

from support.tfprograms import PS_TRAINING, python

pytestmark = pytest.mark.timeout(900)

RELEASE = "lc"
KINDS = "pods,services,statefulsets,jobs,configmaps,secrets,deployments,serviceaccounts,roles,rolebindings"


def release_objects(cluster, namespace):
    listing = cluster.get(namespace, KINDS, "-l", f"app.kubernetes.io/instance={RELEASE}")["items"]
    records = cluster.get(namespace, "secrets", "-l", f"name={RELEASE},owner=tfhelm")["items"]
    return [f"{o['kind']}/{o['metadata']['name']}" for o in listing + records]


def run_of(cluster, namespace) -> set[str]:
    """The run revisions of the release's Jobs."""
    jobs = cluster.get(namespace, "jobs", "-l", f"app.kubernetes.io/instance={RELEASE}")["items"]
    return {j["metadata"]["labels"]["tfhelm.io/run"] for j in jobs}


def result_of(cluster, namespace, job):
    (pod,) = [p for p in cluster.pods(namespace, f"job-name={job}") if p["status"].get("phase") == "Succeeded"]
    log = cluster.logs(namespace, pod["metadata"]["name"])
    return json.loads(re.search(r"^RESULT (.*)$", log, re.M).group(1))


@pytest.fixture(scope="module")
def training(cluster, namespace, tfhelm):
    values = tfhelm.values_file("lifecycle", {
        "jobs": {"ps": {"tasks": 1}, "worker": {"tasks": 1},
                 "chief": {"tasks": 1, "command": python(PS_TRAINING),
                           "env": [{"name": "ROUNDS", "value": "15"}, {"name": "ROUND_PAUSE", "value": "1"}]}},
        "jupyter": {"enabled": False}, "run": {"pollSeconds": 2},
    })
    tfhelm("install", RELEASE, str(TF_CLUSTER), "-f", values, "--wait", "--timeout", "10m")
    chief = cluster.wait_for("the chief pod", lambda: cluster.pods(namespace, task_selector(RELEASE, "chief")), timeout=120)[0]
    cluster.wait_for("the chief's first round", lambda: "ROUND 1 " in cluster.logs(namespace, chief["metadata"]["name"]), timeout=600)
    return {"values": values, "chief": chief, "run": run_of(cluster, namespace)}


def test_adding_a_worker_mid_run_starts_a_new_run_that_completes(cluster, namespace, tfhelm, training):
    tfhelm("upgrade", RELEASE, str(TF_CLUSTER), "-f", training["values"], "--set", "jobs.worker.tasks=2",
           "--set-string", "jobs.chief.env[0].value=3", "--wait", "--wait-for-jobs", "--timeout", "10m")
    # The old run's Jobs and pods are gone; the new run has two workers and has completed.
    assert cluster.find(namespace, "pod", training["chief"]["metadata"]["name"]) is None
    (new_run,) = run_of(cluster, namespace)
    assert {new_run} != training["run"]
    chief = task_job(cluster, namespace, RELEASE, "chief")
    assert job_finished(cluster, namespace, chief) == "Complete"
    assert len(result_of(cluster, namespace, chief)["tf_config"]["cluster"]["worker"]) == 2
    assert [p["status"]["phase"] for p in cluster.pods(namespace, task_selector(RELEASE, "worker"))] == ["Succeeded"] * 2


def test_upgrading_a_finished_run_starts_a_new_one(cluster, namespace, tfhelm, training):
    before = run_of(cluster, namespace)
    tfhelm("upgrade", RELEASE, str(TF_CLUSTER), "-f", training["values"], "--set", "jobs.worker.tasks=1",
           "--set-string", "jobs.chief.env[0].value=2", "--wait", "--wait-for-jobs", "--timeout", "10m")
    assert run_of(cluster, namespace) != before
    chief = task_job(cluster, namespace, RELEASE, "chief")
    assert job_finished(cluster, namespace, chief) == "Complete"
    assert result_of(cluster, namespace, chief)["steps"] == 20
    # The same values again: the finished run is left alone (no new run).
    unchanged = run_of(cluster, namespace)
    tfhelm("upgrade", RELEASE, str(TF_CLUSTER), "-f", training["values"], "--set", "jobs.worker.tasks=1",
           "--set-string", "jobs.chief.env[0].value=2", "--wait", "--timeout", "5m")
    assert run_of(cluster, namespace) == unchanged and job_finished(cluster, namespace, chief) == "Complete"


def test_rollback_restores_revision_one(cluster, namespace, tfhelm, training):
    tfhelm("rollback", RELEASE, "1", "--wait", "--timeout", "5m")
    history = json.loads(tfhelm("history", RELEASE, "-o", "json").stdout)
    assert history[-1]["status"] == "deployed"
    assert run_of(cluster, namespace) == training["run"]
    spec = json.loads(cluster.get(namespace, "configmap", f"{RELEASE}-cluster-spec")["data"]["cluster-spec.json"])
    assert len(spec["worker"]) == 1


def test_uninstall_leaves_no_pod_and_no_object(cluster, namespace, tfhelm, training):
    assert release_objects(cluster, namespace)
    tfhelm("uninstall", RELEASE, "--wait", "--timeout", "5m")
    cluster.wait_for("every pod of the release to be gone",
                     lambda: not cluster.pods(namespace, f"app.kubernetes.io/instance={RELEASE}"), timeout=300)
    assert release_objects(cluster, namespace) == []
