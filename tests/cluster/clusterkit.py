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
