"""Cluster DNS and MultiWorkerMirroredStrategy on real pods.

Every task's ``<release>-<job>-<i>.<ns>.svc.cluster.local`` name must resolve from inside a pod
before that task is Ready (TensorFlow servers dial each other while starting); MWMS workers with
no ps and no notebook must train to completion together.
"""

from __future__ import annotations

import json
import re

import pytest
from clusterkit import TF_CLUSTER, job_finished, ready, task_job, task_selector

from support.tfprograms import MWMS_TRAINING, RESOLVE_ALL, python

pytestmark = pytest.mark.timeout(900)


def test_every_task_address_resolves_inside_a_pod_before_the_task_is_ready(cluster, namespace, tfhelm):
    # The servers sleep instead of serving: their readiness probe (the gRPC port) never passes.
    never_ready = ["sleep", "infinity"]
    values = tfhelm.values_file("dns", {
        "jobs": {"ps": {"tasks": 2, "command": never_ready}, "worker": {"tasks": 2, "command": never_ready},
                 "chief": {"tasks": 1, "command": python(RESOLVE_ALL)}},
        "jupyter": {"enabled": False}, "run": {"cleanPodPolicy": "None"},  # the servers stay for the check
    })
    tfhelm("install", "dns", str(TF_CLUSTER), "-f", values)
    job = cluster.wait_for("the chief Job", lambda: task_job(cluster, namespace, "dns", "chief"), timeout=120)
    outcome = cluster.wait_for("the resolving chief to finish", lambda: job_finished(cluster, namespace, job), timeout=300)
    chief = cluster.pods(namespace, task_selector("dns", "chief"))[0]["metadata"]["name"]
    log = cluster.logs(namespace, chief)
    assert outcome == "Complete", log
    resolved = dict(re.findall(r"^RESOLVED (\S+) (\S+)$", log, re.M))
    pods = cluster.pods(namespace, "app.kubernetes.io/instance=dns")
    expected = {}
    for pod in pods:
        labels = pod["metadata"]["labels"]
        host = f"dns-{labels['tfhelm.io/job']}-{labels['tfhelm.io/task-index']}.{namespace}.svc.cluster.local"
        expected[host] = pod["status"]["podIP"]
        if labels["tfhelm.io/job"] != "chief":
            assert not ready(pod), f"{pod['metadata']['name']} became Ready: the test proves nothing"
    assert resolved == expected


def test_multi_worker_mirrored_strategy_trains_to_completion(cluster, namespace, tfhelm):
    values = tfhelm.values_file("mwms", {
        "jobs": {"ps": None, "worker": {"tasks": 2, "command": python(MWMS_TRAINING)}},
        "jupyter": {"enabled": False},
    })
    tfhelm("install", "mw", str(TF_CLUSTER), "-f", values, "--wait", "--timeout", "10m")
    results = []
    for index in range(2):
        job = task_job(cluster, namespace, "mw", "worker", index)
        outcome = cluster.wait_for(f"{job} to finish", lambda job=job: job_finished(cluster, namespace, job), timeout=600)
        pod = cluster.pods(namespace, task_selector("mw", "worker", index))[0]["metadata"]["name"]
        log = cluster.logs(namespace, pod)
        assert outcome == "Complete", log
        results.append(json.loads(re.search(r"^RESULT (.*)$", log, re.M).group(1)))
    assert [r["task"] for r in results] == [{"type": "worker", "index": 0}, {"type": "worker", "index": 1}]
    for result in results:
        assert result["replicas"] == 2, result  # the all-reduce spans both pods
        assert result["last"] < result["first"] / 10, result
