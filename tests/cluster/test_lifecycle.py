"""A release's life on a real node: upgrade while the chief trains, rollback, uninstall.

Adding a worker to a run whose chief Job is training changes the Job's pod template, which
Kubernetes refuses (Job templates are immutable): tfhelm must say so in one readable line, keep
the run training, and let rollback restore revision 1. Uninstall must leave no pod and no object
of the release, read back with kubectl.
"""

from __future__ import annotations

import json

import pytest
from clusterkit import TF_CLUSTER, job_finished

from support.tfprograms import PS_TRAINING, python

pytestmark = pytest.mark.timeout(900)

RELEASE = "lc"
KINDS = "pods,services,statefulsets,jobs,configmaps,secrets,deployments"


def release_objects(cluster, namespace):
    listing = cluster.get(namespace, KINDS, "-l", f"app.kubernetes.io/instance={RELEASE}")["items"]
    records = cluster.get(namespace, "secrets", "-l", f"name={RELEASE},owner=tfhelm")["items"]
    return [f"{o['kind']}/{o['metadata']['name']}" for o in listing + records]


@pytest.fixture(scope="module")
def training(cluster, namespace, tfhelm):
    values = tfhelm.values_file("lifecycle", {
        "jobs": {"ps": {"tasks": 1}, "worker": {"tasks": 2},
                 "chief": {"tasks": 1, "command": python(PS_TRAINING),
                           "env": [{"name": "ROUNDS", "value": "40"}, {"name": "ROUND_PAUSE", "value": "1"}]}},
        "jupyter": {"enabled": False},
    })
    tfhelm("install", RELEASE, str(TF_CLUSTER), "-f", values, "--wait", "--timeout", "10m")
    chief = cluster.wait_for("the chief pod", lambda: cluster.pods(namespace, f"job-name={RELEASE}-chief-0"), timeout=120)[0]
    cluster.wait_for("the chief's first round", lambda: "ROUND 1 " in cluster.logs(namespace, chief["metadata"]["name"]), timeout=600)
    return {"values": values, "chief": chief}


def test_adding_a_worker_mid_training_is_refused_in_one_readable_line(cluster, namespace, tfhelm, training):
    upgraded = tfhelm("upgrade", RELEASE, str(TF_CLUSTER), "-f", training["values"], "--set", "jobs.worker.tasks=3", check=False)
    assert upgraded.returncode != 0
    error = [line for line in upgraded.stderr.splitlines() if line.strip()]
    assert len(error) == 1, upgraded.stderr
    assert f"Job/{RELEASE}-chief-0 (namespace {namespace}) rejected: spec.template: field is immutable" in error[0]
    assert "hint:" in error[0] and len(error[0]) < 400
    assert "Traceback" not in upgraded.stderr
    # The training pod is untouched: same pod, still running.
    chief = cluster.get(namespace, "pod", training["chief"]["metadata"]["name"])
    assert chief["metadata"]["uid"] == training["chief"]["metadata"]["uid"]
    assert job_finished(cluster, namespace, f"{RELEASE}-chief-0") in (None, "Complete")


def test_debug_shows_the_servers_whole_answer(tfhelm, training):
    upgraded = tfhelm("upgrade", RELEASE, str(TF_CLUSTER), "-f", training["values"], "--set", "jobs.worker.tasks=3", "--debug", check=False)
    assert upgraded.returncode != 0
    assert '"reason":"Invalid"' in upgraded.stderr.replace(" ", "") or "Invalid" in upgraded.stderr
    assert "spec.template" in upgraded.stderr and len(upgraded.stderr) > 1000


def test_rollback_restores_revision_one(cluster, namespace, tfhelm, training):
    tfhelm("rollback", RELEASE, "1", "--wait", "--timeout", "5m")
    history = json.loads(tfhelm("history", RELEASE, "-o", "json").stdout)
    assert history[-1]["status"] == "deployed"
    assert cluster.find(namespace, "statefulset", f"{RELEASE}-worker-2") is None
    spec = json.loads(cluster.get(namespace, "configmap", f"{RELEASE}-cluster-spec")["data"]["cluster-spec.json"])
    assert len(spec["worker"]) == 2


def test_uninstall_leaves_no_pod_and_no_object(cluster, namespace, tfhelm, training):
    assert release_objects(cluster, namespace)
    tfhelm("uninstall", RELEASE, "--wait", "--timeout", "5m")
    cluster.wait_for("every pod of the release to be gone",
                     lambda: not cluster.pods(namespace, f"app.kubernetes.io/instance={RELEASE}"), timeout=300)
    assert release_objects(cluster, namespace) == []
