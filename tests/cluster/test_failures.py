"""What goes wrong on a real node: an image that cannot be pulled, a worker lost mid-training."""

from __future__ import annotations

import json
import re

import pytest
from clusterkit import TF_CLUSTER, job_finished, ready

from support.tfprograms import PS_TRAINING, python

pytestmark = pytest.mark.timeout(900)


def test_wait_timeout_names_the_pod_the_pull_error_and_the_event(cluster, namespace, tfhelm):
    values = tfhelm.values_file("bad-image", {
        "image": {"repository": "registry.invalid/tensorflow/tensorflow", "tag": "does-not-exist"},
        "jobs": {"ps": {"tasks": 1}, "chief": {"tasks": 1, "command": ["true"]}},
        "jupyter": {"enabled": False},
    })
    failed = tfhelm("install", "bad", str(TF_CLUSTER), "-f", values, "--wait", "--timeout", "60s", check=False)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr
    assert "StatefulSet/bad-ps-0" in failed.stderr, failed.stderr
    assert "pod bad-ps-0-0: container tensorflow waiting:" in failed.stderr, failed.stderr
    assert re.search(r"ErrImagePull|ImagePullBackOff", failed.stderr), failed.stderr
    assert re.search(r"pod bad-ps-0-0 events: .*(Failed|BackOff): .*registry\.invalid/tensorflow/tensorflow:does-not-exist", failed.stderr), failed.stderr
    status = tfhelm("status", "bad", "-o", "json")
    assert json.loads(status.stdout)["status"] == "failed"


def test_a_worker_pod_deleted_mid_training_comes_back_and_the_run_completes(cluster, namespace, tfhelm):
    values = tfhelm.values_file("loss", {
        "jobs": {"ps": {"tasks": 2}, "worker": {"tasks": 2},
                 "chief": {"tasks": 1, "command": python(PS_TRAINING),
                           "env": [{"name": "ROUNDS", "value": "20"}, {"name": "ROUND_PAUSE", "value": "1"}]}},
        "jupyter": {"enabled": False},
    })
    tfhelm("install", "lw", str(TF_CLUSTER), "-f", values, "--wait", "--timeout", "10m")
    chief = cluster.wait_for("the chief pod", lambda: cluster.pods(namespace, "job-name=lw-chief-0"), timeout=120)[0]["metadata"]["name"]
    cluster.wait_for("the chief's third round", lambda: "ROUND 3 " in cluster.logs(namespace, chief), timeout=600)
    victim = cluster.get(namespace, "pod", "lw-worker-0-0")
    cluster.kubectl("-n", namespace, "delete", "pod", "lw-worker-0-0", "--wait=false")
    outcome = cluster.wait_for("the chief Job to finish", lambda: job_finished(cluster, namespace, "lw-chief-0"), timeout=600)
    log = cluster.logs(namespace, chief)
    assert outcome == "Complete", log
    losses = [float(x) for x in re.findall(r"^ROUND \d+ loss (\S+)$", log, re.M)]
    assert len(losses) == 21 and losses[-1] < losses[0] / 10, log
    replacement = cluster.wait_for("worker 0 to be back and Ready", lambda: (
        (pod := cluster.find(namespace, "pod", "lw-worker-0-0")) and ready(pod)
        and pod["metadata"]["uid"] != victim["metadata"]["uid"] and pod), timeout=300)
    assert replacement["metadata"]["uid"] != victim["metadata"]["uid"]
