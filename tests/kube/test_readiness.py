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


def test_a_failed_job_is_failed_not_just_unready():
    job = {"kind": "Job", "status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}}
    result = readiness(job)
    assert (result.ready, result.failed) == (False, True)
    assert "BackoffLimitExceeded" in result.reason


def test_conditions_text_lists_type_status_reason_and_message():
    obj = {"status": {"conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "no pods"}]}}
    assert conditions_text(obj) == "Available=False (MinimumReplicasUnavailable: no pods)"
