"""ParameterServerStrategy on real pods: 2 ps, 2 workers and a chief Job that trains.

``tfhelm install --wait --wait-for-jobs`` must return only once the whole run has ended: the
chief's Job and every server's (read back with kubectl, not tfhelm); the chief's log must show the
loss falling and the model's variables placed on both parameter servers, reached through the
cluster DNS names.
"""

from __future__ import annotations

import json
import re

import pytest
from clusterkit import TF_CLUSTER, job_finished, task_job, task_selector

from support.tfprograms import PS_TRAINING, python

pytestmark = pytest.mark.timeout(900)

RELEASE = "tf"


def report(log: str) -> dict:
    """The program's closing RESULT report."""
    return json.loads(re.search(r"^RESULT (.*)$", log, re.M).group(1))


@pytest.fixture(scope="module")
def run(cluster, namespace, tfhelm):
    values = tfhelm.values_file("ps", {
        "jobs": {"ps": {"tasks": 2}, "worker": {"tasks": 2}, "chief": {"tasks": 1, "command": python(PS_TRAINING)}},
        "jupyter": {"enabled": False},
    })
    installed = tfhelm("install", RELEASE, str(TF_CLUSTER), "-f", values, "--wait", "--wait-for-jobs", "--timeout", "10m")
    pods_at_return = cluster.pods(namespace, f"app.kubernetes.io/instance={RELEASE}")
    chief = task_job(cluster, namespace, RELEASE, "chief")
    outcome = job_finished(cluster, namespace, chief)
    chief_pod = cluster.pods(namespace, task_selector(RELEASE, "chief"))[0]["metadata"]["name"]
    return {"installed": installed, "pods_at_return": pods_at_return, "outcome": outcome,
            "log": cluster.logs(namespace, chief_pod)}


def test_install_wait_for_jobs_returns_once_the_whole_run_has_ended(run):
    servers = {(p["metadata"]["labels"]["tfhelm.io/job"], p["metadata"]["labels"]["tfhelm.io/task-index"]): p["status"]["phase"]
               for p in run["pods_at_return"] if p["metadata"]["labels"]["tfhelm.io/job"] in ("ps", "worker")}
    assert sorted(servers) == [("ps", "0"), ("ps", "1"), ("worker", "0"), ("worker", "1")]
    assert set(servers.values()) == {"Succeeded"}, f"install --wait-for-jobs returned with servers still running: {servers}"


def test_the_chief_trains_and_the_loss_falls(run):
    assert run["outcome"] == "Complete", run["log"]
    losses = [float(x) for x in re.findall(r"^ROUND \d+ loss (\S+)$", run["log"], re.M)]
    assert len(losses) == 9, run["log"]
    assert losses[-1] < losses[0] / 10, losses
    assert report(run["log"])["steps"] == 80


def test_the_variables_live_on_every_ps_task(run):
    devices = report(run["log"])["devices"]
    assert len(devices) == 2, run["log"]
    assert {re.search(r"/job:ps/replica:0/task:(\d)", d).group(1) for d in devices} == {"0", "1"}, devices
