"""``tfhelm status``: one revision's record, optionally with the live state of its objects, and
the state of the release's run when it has Jobs (tf-cluster: one Job per task, README "The
training run"): per job, how many tasks run, succeeded or failed, restarts, the last exit code
or OOMKilled, pods the scheduler cannot place and why, and the run's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.objects import summary_ref
from tfhelm.actions.wait import ResourceState, current_states
from tfhelm.release import Release

__all__ = ["JobState", "ReleaseStatus", "RunState", "StatusOptions", "run_state", "status"]

FATAL_MESSAGE = "tfhelm-run: fatal"  # what the chart's run.py writes as a termination message


@dataclass
class JobState:
    """One TensorFlow job (``tfhelm.io/job``; else one Kubernetes Job) of the run."""

    job: str
    tasks: int = 0
    running: int = 0
    pending: int = 0
    succeeded: int = 0
    failed: int = 0
    restarts: int = 0
    last_exit: str = ""
    unscheduled: list[str] = field(default_factory=list)


@dataclass
class RunState:
    outcome: str  # running, succeeded or failed
    reason: str
    jobs: list[JobState]


@dataclass(frozen=True)
class StatusOptions:
    name: str
    revision: int | None = None  # the latest when None
    show_resources: bool = False  # read the live state of the release's objects


@dataclass
class ReleaseStatus:
    release: Release
    resources: list[ResourceState] = field(default_factory=list)
    run: RunState | None = None


def status(config: Configuration, options: StatusOptions) -> ReleaseStatus:
    release = config.storage.get(options.name, options.revision)
    result = ReleaseStatus(release)
    refs = [summary_ref(s) for s in release.objects]
    if options.show_resources:
        result.resources = current_states(config.kube, refs)
    names = {r.name for r in refs if r.kind == "Job"}
    if names:
        namespace = release.namespace
        jobs = [j for j in config.kube.list("batch/v1", "Job", namespace) if j["metadata"]["name"] in names]
        result.run = run_state(jobs, config.kube.list("v1", "Pod", namespace))
    return result


def run_state(jobs: list[dict[str, Any]], pods: list[dict[str, Any]]) -> RunState:
    """The run made of ``jobs`` (live batch/v1 Jobs) and their ``pods`` (any pods: each is matched
    to its Job by owner)."""
    by_uid = {j["metadata"]["uid"]: j for j in jobs}
    groups: dict[str, JobState] = {}
    for job in jobs:
        group = _group_of(groups, job)
        group.tasks += 1
    fatal = ""
    for pod in pods:
        owner = next((o["uid"] for o in pod["metadata"].get("ownerReferences") or [] if o["uid"] in by_uid), None)
        if owner is None:
            continue
        group = _group_of(groups, by_uid[owner])
        found = _count_pod(group, pod)  # every pod counts, also after a fatal one
        fatal = fatal or found
    return RunState(*_outcome(jobs, fatal), jobs=sorted(groups.values(), key=lambda g: g.job))


def _group_of(groups: dict[str, JobState], job: dict[str, Any]) -> JobState:
    name = (job["metadata"].get("labels") or {}).get("tfhelm.io/job") or job["metadata"]["name"]
    return groups.setdefault(name, JobState(name))


def _count_pod(group: JobState, pod: dict[str, Any]) -> str:
    """Add one pod to its job's counts; the fatal termination message it carries, if any."""
    status = pod.get("status") or {}
    phase = status.get("phase", "Pending")
    attribute = {"Running": "running", "Succeeded": "succeeded", "Failed": "failed"}.get(phase, "pending")
    setattr(group, attribute, getattr(group, attribute) + 1)
    fatal = ""
    for container in status.get("containerStatuses") or []:
        group.restarts += container.get("restartCount", 0)
        for state in (container.get("state") or {}, container.get("lastState") or {}):
            terminated = state.get("terminated")
            if terminated:
                reason = terminated.get("reason", "")
                group.last_exit = "OOMKilled" if reason == "OOMKilled" else f"exit {terminated.get('exitCode', '?')}"
                if (terminated.get("message") or "").startswith(FATAL_MESSAGE):
                    fatal = f"{pod['metadata']['name']}: {terminated['message'].strip()}"
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            why = ": ".join(x for x in (condition.get("reason"), condition.get("message")) if x)
            group.unscheduled.append(f"{pod['metadata']['name']}: {why}")
    return fatal


def _condition(job: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind and condition.get("status") == "True":
            return condition
    return None


def _outcome(jobs: list[dict[str, Any]], fatal: str) -> tuple[str, str]:
    """Failed when a Job failed or a task failed fatally; succeeded when every deciding Job
    (``tfhelm.io/decides``; without that label, every Job) has completed."""
    if fatal:
        return "failed", fatal
    for job in jobs:
        failed = _condition(job, "Failed")
        if failed:
            return "failed", f"Job {job['metadata']['name']}: {failed.get('reason') or 'Failed'}"
    deciding = [j for j in jobs if (j["metadata"].get("labels") or {}).get("tfhelm.io/decides") == "true"] or jobs
    done = sum(1 for j in deciding if _condition(j, "Complete"))
    if done == len(deciding):
        return "succeeded", f"{done} deciding Job(s) completed"
    return "running", f"{done} of {len(deciding)} deciding Job(s) completed"
