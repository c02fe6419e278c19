"""Small shared helpers of the cluster tests: where the chart is, and reading pod/Job state."""

from __future__ import annotations

from pathlib import Path

TF_CLUSTER = Path(__file__).resolve().parents[2] / "charts" / "tf-cluster"


def ready(pod: dict) -> bool:
    """The pod's Ready condition is True."""
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions") or [])


def job_finished(cluster, namespace: str, name: str) -> str | None:
    """``Complete`` or ``Failed`` once the Job has finished (read with kubectl), else None."""
    job = cluster.get(namespace, "job", name)
    for condition in job["status"].get("conditions") or []:
        if condition["type"] in ("Complete", "Failed") and condition["status"] == "True":
            return condition["type"]
    return None


def task_selector(release: str, job: str, index: int | None = None) -> str:
    """The label selector of one job's tasks (one task's with ``index``), any run."""
    selector = f"app.kubernetes.io/instance={release},tfhelm.io/job={job}"
    return selector if index is None else f"{selector},tfhelm.io/task-index={index}"


def task_job(cluster, namespace: str, release: str, job: str, index: int = 0) -> str | None:
    """The name of the Job of one task (``<release>-<job>-<index>-<run revision>``), read with
    kubectl; None while there is none, or while an old run's Job is still there too."""
    jobs = cluster.get(namespace, "jobs", "-l", task_selector(release, job, index))["items"]
    return jobs[0]["metadata"]["name"] if len(jobs) == 1 else None


def phases(cluster, namespace: str, release: str) -> dict[str, str]:
    """Every pod of the release: name -> phase."""
    return {p["metadata"]["name"]: p["status"].get("phase", "") for p in cluster.pods(namespace, f"app.kubernetes.io/instance={release}")}
