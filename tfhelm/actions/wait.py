"""``--wait``: poll the release's objects until every one is ready, or say exactly why not.

Each poll lists every (kind, namespace) once rather than getting objects one by one. Progress
goes to a callback (the CLI draws a live table); on timeout the error names every resource that
is still not ready, with its conditions and its last events.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfhelm.actions.objects import identity
from tfhelm.errors import ClusterError, ResourceFailed, WaitTimeout
from tfhelm.kube import KubeClient, ObjectRef
from tfhelm.kube.readiness import Readiness, conditions_text, pod_problem, readiness

__all__ = [
    "PodSelector",
    "ResourceState",
    "format_duration",
    "parse_duration",
    "pod_selector",
    "wait_for_deletion",
    "wait_for_ready",
]

POLL_SECONDS = 1.0
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


@dataclass(frozen=True)
class ResourceState:
    ref: ObjectRef
    readiness: Readiness


def parse_duration(text: str) -> float:
    """Seconds in a Go/Helm duration: ``90s``, ``5m``, ``1h30m``, ``1.5h``, ``300ms``."""
    import re

    from tfhelm.errors import UsageError

    stripped = text.strip()
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(h|ms|us|µs|ns|m|s)", stripped)
    if not stripped or "".join(n + u for n, u in parts) != stripped:
        hint = f" (did you mean {stripped}s?)" if stripped.isdigit() else ""
        raise UsageError(f"invalid duration {text!r}: use Go durations such as 90s, 5m or 1h30m{hint}")
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def format_duration(seconds: float) -> str:
    """Go's spelling: ``5m0s``, ``1h30m0s``, ``90s`` → ``1m30s``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def current_states(kube: KubeClient, refs: list[ObjectRef], *, jobs_complete: bool = False) -> list[ResourceState]:
    """Readiness of every ref, reading each (apiVersion, kind, namespace) with one list."""
    wanted: dict[tuple[str, str, str | None], list[ObjectRef]] = {}
    for r in refs:
        wanted.setdefault((r.api_version, r.kind, r.namespace), []).append(r)
    live: dict[str, dict[str, Any]] = {}
    for (api_version, kind, namespace), members in wanted.items():
        if len(members) == 1:
            found = kube.get(members[0])
            if found is not None:
                live[identity(members[0])] = found
            continue
        for obj in kube.list(api_version, kind, namespace):
            live[identity({**obj, "apiVersion": api_version, "kind": kind})] = obj
    return [ResourceState(r, readiness(live.get(identity(r)), jobs_complete=jobs_complete)) for r in refs]


def wait_for_ready(
    kube: KubeClient,
    refs: list[ObjectRef],
    timeout: float,
    *,
    on_progress: Callable[[list[ResourceState]], None] | None = None,
    poll: float = POLL_SECONDS,
    jobs_complete: bool = False,
) -> list[ResourceState]:
    """Block until every ref is ready (Jobs complete, with ``jobs_complete``); WaitTimeout naming
    each unready one after ``timeout``; ResourceFailed at once when a Job fails."""
    deadline = time.monotonic() + timeout
    while True:
        states = current_states(kube, refs, jobs_complete=jobs_complete)
        if on_progress:
            on_progress(states)
        failed = [s for s in states if s.readiness.failed]
        if failed:
            raise ResourceFailed("; ".join(f"{s.ref}: {s.readiness.reason}" for s in failed))
        if all(s.readiness.ready for s in states):
            return states
        if time.monotonic() >= deadline:
            unready = [s for s in states if not s.readiness.ready]
            raise WaitTimeout(format_duration(timeout), [(s, _why(kube, s.ref)) for s in unready])
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))


@dataclass(frozen=True)
class PodSelector:
    """The pods a workload owns: its namespace and ``spec.selector.matchLabels`` as a selector."""

    namespace: str
    labels: str


def pod_selector(workload: dict[str, Any] | None) -> PodSelector | None:
    """The selector of a live Deployment/StatefulSet/Job/...; None for objects that own no pods."""
    if workload is None or workload.get("kind") == "Pod":
        return None
    labels = ((workload.get("spec") or {}).get("selector") or {}).get("matchLabels")
    namespace = (workload.get("metadata") or {}).get("namespace")
    if not labels or not namespace:
        return None
    return PodSelector(namespace, ",".join(f"{key}={value}" for key, value in sorted(labels.items())))


def wait_for_deletion(
    kube: KubeClient, refs: list[ObjectRef], pods: list[PodSelector], timeout: float, *, poll: float = POLL_SECONDS
) -> None:
    """Block until every ref and every pod the selectors match is gone (their containers stopped);
    WaitTimeout naming what is left after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        left = [ResourceState(r, Readiness(False, "still exists")) for r in refs if kube.get(r) is not None]
        for selector in pods:
            for pod in kube.list("v1", "Pod", selector.namespace, label_selector=selector.labels):
                ref = ObjectRef("v1", "Pod", pod["metadata"]["name"], selector.namespace)
                left.append(ResourceState(ref, Readiness(False, "still terminating")))
        if not left:
            return
        if time.monotonic() >= deadline:
            raise WaitTimeout(format_duration(timeout), [(state, "") for state in left], waiting_for="be deleted")
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))


def _why(kube: KubeClient, ref: ObjectRef) -> str:
    """Conditions, the last few events, and the unready pods of an unready object."""
    details = []
    live = kube.get(ref)
    if live is not None and conditions_text(live):
        details.append(f"conditions: {conditions_text(live)}")
    events = _last_events(kube, ref)
    if events:
        details.append(f"last events: {events}")
    if live is not None:
        details += _unready_pods(kube, live)
    return "".join(f"\n      {d}" for d in details)


def _last_events(kube: KubeClient, ref: ObjectRef, count: int = 3) -> str:
    try:
        events = kube.events_for(ref)[-count:]
    except ClusterError:
        return ""
    return "; ".join(f"{e.get('reason')}: {' '.join(str(e.get('message') or '').split())}" for e in events)


_PODS_SHOWN = 3


def _unready_pods(kube: KubeClient, workload: dict[str, Any]) -> list[str]:
    """``pod NAME: container ... waiting: ImagePullBackOff (...)`` and its events, for the pods a
    workload selects that are not Ready: the pod, not its controller, says what went wrong."""
    selector = pod_selector(workload)
    if selector is None:
        return []
    try:
        pods = kube.list("v1", "Pod", selector.namespace, label_selector=selector.labels)
    except ClusterError:
        return []
    unready = [pod for pod in pods if not readiness(pod).ready]
    lines = []
    for pod in unready[:_PODS_SHOWN]:
        name = (pod.get("metadata") or {}).get("name", "?")
        lines.append(f"pod {name}: {pod_problem(pod) or readiness(pod).reason}")
        events = _last_events(kube, ObjectRef("v1", "Pod", name, selector.namespace), count=2)
        if events:
            lines.append(f"  pod {name} events: {events}")
    if len(unready) > _PODS_SHOWN:
        lines.append(f"... and {len(unready) - _PODS_SHOWN} more unready pod(s)")
    return lines
