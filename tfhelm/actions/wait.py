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
from tfhelm.errors import ClusterError
from tfhelm.kube import KubeClient, ObjectRef
from tfhelm.kube.readiness import Readiness, conditions_text, readiness

__all__ = ["ResourceState", "WaitTimeout", "format_duration", "parse_duration", "wait_for_ready"]

POLL_SECONDS = 1.0
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


@dataclass(frozen=True)
class ResourceState:
    ref: ObjectRef
    readiness: Readiness


class WaitTimeout(ClusterError):
    """Resources were not ready in time; ``unready`` lists them."""

    def __init__(self, timeout: float, unready: list[tuple[ResourceState, str]]):
        self.unready = [state for state, _ in unready]
        lines = [f"timed out after {format_duration(timeout)} waiting for {len(unready)} resource(s) to be ready:"]
        lines += [f"  {state.ref}: {state.readiness.reason}{details}" for state, details in unready]
        super().__init__("\n".join(lines))


class ResourceFailed(ClusterError):
    """A resource failed for good (a failed Job): waiting longer cannot help."""


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
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def current_states(kube: KubeClient, refs: list[ObjectRef]) -> list[ResourceState]:
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
    return [ResourceState(r, readiness(live.get(identity(r)))) for r in refs]


def wait_for_ready(
    kube: KubeClient,
    refs: list[ObjectRef],
    timeout: float,
    *,
    on_progress: Callable[[list[ResourceState]], None] | None = None,
    poll: float = POLL_SECONDS,
) -> list[ResourceState]:
    """Block until every ref is ready; WaitTimeout (naming each unready one) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        states = current_states(kube, refs)
        if on_progress:
            on_progress(states)
        failed = [s for s in states if s.readiness.failed]
        if failed:
            raise ResourceFailed("; ".join(f"{s.ref}: {s.readiness.reason}" for s in failed))
        if all(s.readiness.ready for s in states):
            return states
        if time.monotonic() >= deadline:
            unready = [s for s in states if not s.readiness.ready]
            raise WaitTimeout(timeout, [(s, _why(kube, s.ref)) for s in unready])
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))


def _why(kube: KubeClient, ref: ObjectRef) -> str:
    """Conditions and the last few events of an unready object, for the timeout message."""
    details = []
    live = kube.get(ref)
    if live is not None and conditions_text(live):
        details.append(f"conditions: {conditions_text(live)}")
    try:
        events = kube.events_for(ref)[-3:]
    except ClusterError:
        events = []
    if events:
        details.append("last events: " + "; ".join(f"{e.get('reason')}: {e.get('message')}" for e in events))
    return "".join(f"\n      {d}" for d in details)
