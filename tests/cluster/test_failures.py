"""What goes wrong on a real node: an image that cannot be pulled (a lost worker or ps: test_run.py)."""

from __future__ import annotations

import json
import re

import pytest
from clusterkit import TF_CLUSTER

pytestmark = pytest.mark.timeout(900)


def test_wait_timeout_names_the_pod_the_pull_error_and_the_event(cluster, namespace, tfhelm):
    values = tfhelm.values_file("bad-image", {
        "image": {"repository": "registry.invalid/tensorflow/tensorflow", "tag": "does-not-exist"},
        "jobs": {"ps": {"tasks": 1}, "chief": {"tasks": 1, "command": ["true"]}},
        "jupyter": {"enabled": False},
    })
    # Every task is a Job: --wait-for-jobs waits for the run to end, so the stuck pull times out.
    failed = tfhelm("install", "bad", str(TF_CLUSTER), "-f", values, "--wait", "--wait-for-jobs", "--timeout", "60s", check=False)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr
    assert re.search(r"Job/bad-ps-0-[0-9a-f]{6}", failed.stderr), failed.stderr
    pod = re.search(r"pod (bad-ps-0-[0-9a-f]{6}-\w{5}): container tensorflow waiting:", failed.stderr)
    assert pod, failed.stderr
    assert re.search(r"ErrImagePull|ImagePullBackOff", failed.stderr), failed.stderr
    assert re.search(rf"pod {pod.group(1)} events: .*(Failed|BackOff): .*registry\.invalid/tensorflow/tensorflow:does-not-exist", failed.stderr), failed.stderr
    status = tfhelm("status", "bad", "-o", "json")
    assert json.loads(status.stdout)["status"] == "failed"
