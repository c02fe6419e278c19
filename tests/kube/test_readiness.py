"""Readiness rules per kind."""

from __future__ import annotations

import pytest

from tfhelm.kube.readiness import conditions_text, readiness


def deployment(replicas=2, **status):
    return {"kind": "Deployment", "metadata": {"generation": 1}, "spec": {"replicas": replicas}, "status": status}


@pytest.mark.parametrize(
    ("obj", "ready", "reason"),
    [
        (None, False, "does not exist"),
        ({"kind": "ConfigMap"}, True, "exists"),
        (deployment(), False, "rollout not yet observed"),
        (deployment(observedGeneration=1, updatedReplicas=2, readyReplicas=1), False, "1/2 replicas ready"),
        (deployment(observedGeneration=1, updatedReplicas=1), False, "1/2 replicas updated"),
        (deployment(observedGeneration=1, updatedReplicas=2, readyReplicas=2), True, "2/2 replicas ready"),
        ({"kind": "StatefulSet", "spec": {"replicas": 3}, "status": {"readyReplicas": 3}}, True, "3/3"),
        ({"kind": "StatefulSet", "spec": {"replicas": 3}, "status": {"readyReplicas": 1}}, False, "1/3"),
        ({"kind": "Job", "status": {"active": 1}}, True, "1 pod(s) running"),
        ({"kind": "Job", "status": {}}, False, "no pod running yet"),
        ({"kind": "Job", "status": {"conditions": [{"type": "Complete", "status": "True"}]}}, True, "complete"),
        ({"kind": "Pod", "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}, True, "Running"),
        ({"kind": "Pod", "status": {"phase": "Pending"}}, False, "not Ready"),
        ({"kind": "Service", "spec": {"type": "ClusterIP"}}, True, "exists"),
        ({"kind": "Service", "spec": {"type": "LoadBalancer"}}, False, "load balancer"),
        ({"kind": "Service", "spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}}, True, "1.2.3.4"),
        ({"kind": "PersistentVolumeClaim", "status": {"phase": "Bound"}}, True, "Bound"),
        ({"kind": "PersistentVolumeClaim", "status": {"phase": "Pending"}}, False, "Pending"),
        ({"kind": "CustomResourceDefinition", "status": {"conditions": [{"type": "Established", "status": "True"}]}}, True, "established"),
        ({"kind": "CustomResourceDefinition"}, False, "not yet established"),
    ],
)
def test_readiness_per_kind(obj, ready, reason):
    result = readiness(obj)
    assert result.ready is ready
    assert reason in result.reason


def statefulset(**status):
    return {"kind": "StatefulSet", "metadata": {"generation": 2}, "spec": {"replicas": 3}, "status": status}


# A rolling update: the controller has seen generation 2 (revision "new"); the old pods are still
# Ready, so only the updated count tells that the rollout is not over.
ROLLING = {"observedGeneration": 2, "currentRevision": "old", "updateRevision": "new", "readyReplicas": 3}


@pytest.mark.parametrize(
    ("status", "ready", "reason"),
    [
        ({**ROLLING, "observedGeneration": 1}, False, "rollout not yet observed by the controller"),
        ({**ROLLING, "updatedReplicas": 1}, False, "1/3 replicas updated"),
        (ROLLING, False, "0/3 replicas updated"),
        # every pod is on the new revision; the controller moves currentRevision a moment later
        ({**ROLLING, "updatedReplicas": 3}, True, "3/3 replicas ready"),
        ({**ROLLING, "updatedReplicas": 3, "readyReplicas": 2}, False, "2/3 replicas ready"),
        # currentRevision caught up with updateRevision: nothing is rolling out
        ({**ROLLING, "currentRevision": "new"}, True, "3/3 replicas ready"),
    ],
)
def test_statefulset_rollout(status, ready, reason):
    result = readiness(statefulset(**status))
    assert (result.ready, result.reason) == (ready, reason)


def test_a_failed_job_is_failed_not_just_unready():
    job = {"kind": "Job", "status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}}
    result = readiness(job)
    assert (result.ready, result.failed) == (False, True)
    assert "BackoffLimitExceeded" in result.reason


def test_conditions_text_lists_type_status_reason_and_message():
    obj = {"status": {"conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "no pods"}]}}
    assert conditions_text(obj) == "Available=False (MinimumReplicasUnavailable: no pods)"


def _pod(*containers, phase="Pending", conditions=()):
    return {"kind": "Pod", "status": {"phase": phase, "containerStatuses": list(containers), "conditions": list(conditions)}}


def test_pod_problem_names_a_waiting_container_and_its_reason():
    from tfhelm.kube.readiness import pod_problem

    pod = _pod({"name": "tensorflow", "state": {"waiting": {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "x:1"'}}})
    assert pod_problem(pod) == 'container tensorflow waiting: ImagePullBackOff (Back-off pulling image "x:1")'


def test_pod_problem_reports_crashes_and_unscheduled_pods_but_not_normal_start_up():
    from tfhelm.kube.readiness import pod_problem

    crashed = _pod({"name": "tf", "restartCount": 2, "ready": False, "state": {"running": {}},
                    "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}, phase="Running")
    assert pod_problem(crashed) == "container tf restarted 2 time(s), last exit: Error (code 1)"
    failed = _pod({"name": "tf", "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}, phase="Failed")
    assert pod_problem(failed) == "container tf terminated: OOMKilled exit code 137"
    unscheduled = _pod(conditions=[{"type": "PodScheduled", "status": "False", "message": "0/1 nodes are available"}])
    assert pod_problem(unscheduled) == "not scheduled: 0/1 nodes are available"
    assert pod_problem(_pod({"name": "tf", "state": {"waiting": {"reason": "ContainerCreating"}}})) == ""


def test_with_jobs_complete_a_running_job_is_not_ready_and_a_complete_one_is():
    running = {"kind": "Job", "status": {"active": 1}}
    assert readiness(running).ready
    waited = readiness(running, jobs_complete=True)
    assert not waited.ready and waited.reason == "1 pod(s) running, not complete"
    complete = {"kind": "Job", "status": {"conditions": [{"type": "Complete", "status": "True"}]}}
    assert readiness(complete, jobs_complete=True).ready
    failed = {"kind": "Job", "status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}}
    assert readiness(failed, jobs_complete=True).failed
