"""Is this object ready? One rule per kind, each answering with a reason a user can act on.

Deployments and StatefulSets: the controller saw the latest spec and every replica is updated
and ready. Jobs: complete, or running (an active pod); only complete with ``jobs_complete``
(``--wait-for-jobs``) — a failed Job is never ready. Pods:
condition Ready. Services of type LoadBalancer: an ingress address. PVCs: Bound. CRDs:
Established. Anything else is ready once it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Readiness", "conditions_text", "pod_problem", "readiness"]


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str
    failed: bool = False  # will never become ready by waiting (a failed Job)


def readiness(obj: dict[str, Any] | None, *, jobs_complete: bool = False) -> Readiness:
    """The readiness of a live object (None means it does not exist). With ``jobs_complete``
    (``--wait-for-jobs``) a Job is ready only once it has completed, not while it runs."""
    if obj is None:
        return Readiness(False, "does not exist")
    if jobs_complete and obj.get("kind") == "Job":
        state = _job(obj)
        if state.ready and not _is_true(obj, "Complete"):
            return Readiness(False, f"{state.reason}, not complete")
        return state
    check = _CHECKS.get(obj.get("kind", ""))
    return check(obj) if check else Readiness(True, "exists")


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("status") or {}


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in _status(obj).get("conditions") or []:
        if condition.get("type") == kind:
            return condition
    return None


def _is_true(obj: dict[str, Any], kind: str) -> bool:
    condition = _condition(obj, kind)
    return condition is not None and condition.get("status") == "True"


def conditions_text(obj: dict[str, Any]) -> str:
    """``Type=Status (Reason: message)`` for every condition, for timeout messages."""
    parts = []
    for condition in _status(obj).get("conditions") or []:
        detail = ": ".join(x for x in (condition.get("reason"), condition.get("message")) if x)
        parts.append(f"{condition.get('type')}={condition.get('status')}" + (f" ({detail})" if detail else ""))
    return ", ".join(parts)


def pod_problem(pod: dict[str, Any]) -> str:
    """Why a pod is not Ready, from its containers' states: ``container tensorflow waiting:
    ImagePullBackOff (Back-off pulling image "x")``; empty when no container says anything."""
    status = _status(pod)
    problems = []
    for container in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        state = container.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
            problems.append(_state_text(container, "waiting", waiting))
        elif terminated and terminated.get("exitCode", 0) != 0:
            problems.append(_state_text(container, "terminated", terminated))
        elif (container.get("restartCount") or 0) > 0 and not container.get("ready"):
            last = (container.get("lastState") or {}).get("terminated") or {}
            problems.append(
                f"container {container.get('name')} restarted {container['restartCount']} time(s)"
                + (f", last exit: {last.get('reason')} (code {last.get('exitCode')})" if last else "")
            )
    if not problems and status.get("phase") == "Pending":
        scheduled = _condition(pod, "PodScheduled") or {}
        if scheduled.get("status") == "False":
            return f"not scheduled: {scheduled.get('message') or scheduled.get('reason')}"
    return "; ".join(problems)


def _state_text(container: dict[str, Any], state: str, detail: dict[str, Any]) -> str:
    reason = detail.get("reason") or state
    message = " ".join(str(detail.get("message") or "").split())
    if len(message) > 200:
        message = message[:197] + "..."
    code = f" exit code {detail['exitCode']}" if "exitCode" in detail else ""
    return f"container {container.get('name')} {state}: {reason}{code}" + (f" ({message})" if message else "")


def _observed(obj: dict[str, Any]) -> bool:
    generation = (obj.get("metadata") or {}).get("generation")
    observed = _status(obj).get("observedGeneration")
    return generation is None or (observed is not None and observed >= generation)


def _replicas_ready(obj: dict[str, Any]) -> Readiness:
    if not _observed(obj):
        return Readiness(False, "rollout not yet observed by the controller")
    wanted = (obj.get("spec") or {}).get("replicas", 1)
    status = _status(obj)
    updated, ready = status.get("updatedReplicas", 0), status.get("readyReplicas", 0)
    if updated < wanted:
        return Readiness(False, f"{updated}/{wanted} replicas updated")
    if ready < wanted:
        return Readiness(False, f"{ready}/{wanted} replicas ready")
    return Readiness(True, f"{ready}/{wanted} replicas ready")


def _statefulset(obj: dict[str, Any]) -> Readiness:
    if not _observed(obj):
        return Readiness(False, "rollout not yet observed by the controller")
    status = _status(obj)
    revision, wanted = status.get("updateRevision"), (obj.get("spec") or {}).get("replicas", 1)
    if revision and status.get("currentRevision") not in (None, revision) and status.get("updatedReplicas", 0) < wanted:
        return Readiness(False, f"{status.get('updatedReplicas', 0)}/{wanted} replicas updated")
    ready = status.get("readyReplicas", 0)
    return Readiness(ready >= wanted, f"{ready}/{wanted} replicas ready")


def _job(obj: dict[str, Any]) -> Readiness:
    if _is_true(obj, "Failed"):
        condition = _condition(obj, "Failed") or {}
        return Readiness(
            False, f"failed: {condition.get('reason') or condition.get('message') or 'Failed'}", failed=True
        )
    if _is_true(obj, "Complete"):
        return Readiness(True, "complete")
    active = _status(obj).get("active", 0)
    return Readiness(active > 0, f"{active} pod(s) running" if active else "no pod running yet")


def _pod(obj: dict[str, Any]) -> Readiness:
    phase = _status(obj).get("phase", "Pending")
    if phase == "Succeeded":
        return Readiness(True, "succeeded")
    if phase == "Failed":
        return Readiness(False, "pod failed", failed=True)
    return Readiness(_is_true(obj, "Ready"), f"phase {phase}" + ("" if _is_true(obj, "Ready") else ", not Ready"))


def _service(obj: dict[str, Any]) -> Readiness:
    if (obj.get("spec") or {}).get("type") != "LoadBalancer":
        return Readiness(True, "exists")
    ingress = ((_status(obj).get("loadBalancer") or {}).get("ingress")) or []
    if not ingress:
        return Readiness(False, "waiting for a load balancer address")
    first = ingress[0]
    return Readiness(True, f"address {first.get('ip') or first.get('hostname')}")


def _pvc(obj: dict[str, Any]) -> Readiness:
    phase = _status(obj).get("phase", "Pending")
    return Readiness(phase == "Bound", f"phase {phase}")


def _crd(obj: dict[str, Any]) -> Readiness:
    established = _is_true(obj, "Established")
    return Readiness(established, "established" if established else "not yet established")


_CHECKS: dict[str, Callable[[dict[str, Any]], Readiness]] = {
    "Deployment": _replicas_ready,
    "ReplicaSet": _replicas_ready,
    "StatefulSet": _statefulset,
    "DaemonSet": lambda obj: Readiness(
        _status(obj).get("numberReady", 0) >= _status(obj).get("desiredNumberScheduled", 0) and _observed(obj),
        f"{_status(obj).get('numberReady', 0)}/{_status(obj).get('desiredNumberScheduled', 0)} ready",
    ),
    "Job": _job,
    "Pod": _pod,
    "Service": _service,
    "PersistentVolumeClaim": _pvc,
    "CustomResourceDefinition": _crd,
}
