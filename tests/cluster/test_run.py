"""A release is one training run (README "The training run"), on real pods: it ends, its servers
stop, a fatal exit fails it at once, a lost parameter server restarts it, and upgrades apply.

Everything is read back with kubectl: Job conditions, pod phases, pod logs.
"""

from __future__ import annotations

import json
import re

import pytest
from clusterkit import TF_CLUSTER, job_finished, phases, task_job, task_selector

from support.tfprograms import PS_TRAINING, python

pytestmark = pytest.mark.timeout(900)


def ps_run(tfhelm, name: str, rounds: int, **chief) -> str:
    chief = {"tasks": 1, "command": python(PS_TRAINING),
             "env": [{"name": "ROUNDS", "value": str(rounds)}, {"name": "ROUND_PAUSE", "value": "1"}], **chief}
    return tfhelm.values_file(name, {
        "jobs": {"ps": {"tasks": 1}, "worker": {"tasks": 1}, "chief": chief},
        "jupyter": {"enabled": False}, "run": {"pollSeconds": 2, "backoffLimit": 2},
    })


def chief_outcome(cluster, namespace, release):
    job = cluster.wait_for("the chief Job", lambda: task_job(cluster, namespace, release, "chief"), timeout=120)
    return job, cluster.wait_for(f"{job} to finish", lambda: job_finished(cluster, namespace, job), timeout=600)


def logs_of(cluster, namespace, selector):
    return {p["metadata"]["name"]: cluster.logs(namespace, p["metadata"]["name"]) for p in cluster.pods(namespace, selector)}


def test_a_run_that_succeeds_leaves_no_serving_pod_running(cluster, namespace, tfhelm):
    values = ps_run(tfhelm, "ok", 3)
    tfhelm("install", "ok", str(TF_CLUSTER), "-f", values, "--wait", "--wait-for-jobs", "--timeout", "10m")
    # --wait-for-jobs returned: every Job of the run (the servers' too) has completed.
    jobs = cluster.get(namespace, "jobs", "-l", "app.kubernetes.io/instance=ok")["items"]
    assert sorted(j["metadata"]["labels"]["tfhelm.io/job"] for j in jobs) == ["chief", "ps", "worker"]
    assert all(job_finished(cluster, namespace, j["metadata"]["name"]) == "Complete" for j in jobs)
    assert set(phases(cluster, namespace, "ok").values()) == {"Succeeded"}
    for job in ("ps", "worker"):
        (log,) = logs_of(cluster, namespace, task_selector("ok", job)).values()
        assert "tfhelm-run: the run has succeeded: stopping this task" in log
    (chief_log,) = logs_of(cluster, namespace, task_selector("ok", "chief")).values()
    assert "ROUND 3 loss" in chief_log
    run = json.loads(tfhelm("status", "ok", "-o", "json").stdout)["run"]
    assert run["outcome"] == "succeeded"
    assert {j["job"]: (j["tasks"], j["succeeded"], j["running"]) for j in run["jobs"]} == {
        "chief": (1, 1, 0), "ps": (1, 1, 0), "worker": (1, 1, 0)}


def test_a_chief_exiting_1_fails_the_run_without_retries(cluster, namespace, tfhelm):
    values = ps_run(tfhelm, "fatal", 1, command=["python3", "-c", "print('TRAINING ONCE', flush=True); raise SystemExit(1)"])
    tfhelm("install", "fa", str(TF_CLUSTER), "-f", values, "--wait", "--timeout", "5m")
    job, outcome = chief_outcome(cluster, namespace, "fa")
    assert outcome == "Failed"
    chief_logs = logs_of(cluster, namespace, task_selector("fa", "chief"))
    assert sum("TRAINING ONCE" in log for log in chief_logs.values()) == 1, chief_logs
    assert sum("exit 1 is fatal" in log for log in chief_logs.values()) == 1, chief_logs
    # The servers saw the fatal exit and stopped: their Jobs completed, no pod runs.
    for server in ("ps", "worker"):
        server_job = task_job(cluster, namespace, "fa", server)
        assert cluster.wait_for(f"{server_job} to stop", lambda j=server_job: job_finished(cluster, namespace, j), timeout=120) == "Complete"
    assert "Running" not in phases(cluster, namespace, "fa").values()
    status = tfhelm("status", "fa").stdout
    assert re.search(r"^RUN: failed \(fa-chief-0-\w+-\w+: tfhelm-run: fatal .*exit 1\)+$", status, re.M), status
    assert re.search(r"^chief\s+1\s+0\s+0\s+0\s+[1-3]\s+0\s+exit 1$", status, re.M), status
    assert re.search(r"^ps\s+1\s+0\s+0\s+1\s+0\s+0\s+exit 0$", status, re.M), status


def test_a_worker_deleted_mid_run_comes_back_and_the_run_succeeds(cluster, namespace, tfhelm):
    values = ps_run(tfhelm, "worker-loss", 15)
    tfhelm("install", "wl", str(TF_CLUSTER), "-f", values, "--wait", "--timeout", "10m")
    chief = cluster.wait_for("the chief pod", lambda: cluster.pods(namespace, task_selector("wl", "chief")), timeout=120)[0]["metadata"]["name"]
    cluster.wait_for("the chief's third round", lambda: "ROUND 3 " in cluster.logs(namespace, chief), timeout=600)
    (victim,) = cluster.pods(namespace, task_selector("wl", "worker", 0))
    cluster.kubectl("-n", namespace, "delete", "pod", victim["metadata"]["name"], "--wait=false")
    _, outcome = chief_outcome(cluster, namespace, "wl")
    log = cluster.logs(namespace, chief)
    assert outcome == "Complete", log
    losses = [float(x) for x in re.findall(r"^ROUND \d+ loss (\S+)$", log, re.M)]
    assert len(losses) == 16 and losses[-1] < losses[0] / 10, log
    workers = cluster.pods(namespace, task_selector("wl", "worker", 0))
    assert victim["metadata"]["uid"] not in {p["metadata"]["uid"] for p in workers}
    assert len(workers) == 1  # the Job replaced the deleted pod, which is gone
    cluster.wait_for("the servers to stop", lambda: "Running" not in phases(cluster, namespace, "wl").values(), timeout=120)


def test_a_ps_deleted_mid_run_restarts_the_run_which_succeeds(cluster, namespace, tfhelm):
    values = ps_run(tfhelm, "ps-loss", 12)
    tfhelm("install", "pl", str(TF_CLUSTER), "-f", values, "--wait", "--timeout", "10m")
    first = cluster.wait_for("the chief pod", lambda: cluster.pods(namespace, task_selector("pl", "chief")), timeout=120)[0]["metadata"]["name"]
    cluster.wait_for("the chief's third round", lambda: "ROUND 3 " in cluster.logs(namespace, first), timeout=600)
    (ps,) = cluster.pods(namespace, task_selector("pl", "ps", 0))
    cluster.kubectl("-n", namespace, "delete", "pod", ps["metadata"]["name"], "--wait=false")
    _, outcome = chief_outcome(cluster, namespace, "pl")
    chief_logs = logs_of(cluster, namespace, task_selector("pl", "chief"))
    assert outcome == "Complete", chief_logs
    assert len(chief_logs) == 2, chief_logs  # the run restarted once: a second chief pod
    assert "after a parameter server was lost: the run restarts" in chief_logs[first]
    (second,) = [log for name, log in chief_logs.items() if name != first]
    losses = [float(x) for x in re.findall(r"^ROUND \d+ loss (\S+)$", second, re.M)]
    assert len(losses) == 13 and losses[-1] < losses[0] / 10, second
    cluster.wait_for("the servers to stop", lambda: "Running" not in phases(cluster, namespace, "pl").values(), timeout=120)
