"""Support for the tf-cluster chart tests: render the chart and look into what it produced.

Rendering goes through what ``tfhelm template`` runs (load, the values tree with its schema
checks, render), so what the tests see is exactly what it prints.
"""

from __future__ import annotations

import json
import socket
from functools import lru_cache
from pathlib import Path
from typing import Any

from tfhelm.chart.loader import load_chart
from tfhelm.chart.model import Chart
from tfhelm.engine import PreviousRevision, ReleaseInfo, RenderResult, render_tree
from tfhelm.values.merge import merge_maps
from tfhelm.values.options import load_values_file
from tfhelm.values.tree import chart_values

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "tf-cluster"
EXAMPLES = CHART / "examples"
EXAMPLE_NAMES = ("small", "gpu", "seed", "large")
PASSWORD = "correct-horse-battery"
# made with jupyter_server.auth.passwd(PASSWORD): a hash users pin for byte-identical renders
HASHED_PASSWORD = "argon2:$argon2id$v=19$m=10240,t=10,p=8$nXDENLMVG2VrYjQxcbUUKA$g3kxmO+2Ypi8Phqs5Lx9bv6eBxdN8GoJS03/+DBdhIs"
# values that satisfy the chart's required settings, for tests that do not care about them
BASE = {"jupyter": {"password": PASSWORD}}


@lru_cache(maxsize=1)
def chart() -> Chart:
    return load_chart(CHART)


def render_chart(
    values: dict[str, Any] | None = None,
    *,
    example: str | None = None,
    release: str = "tf",
    namespace: str = "default",
    base: dict[str, Any] | None = BASE,
    previous: RenderResult | None = None,
) -> RenderResult:
    """Render tf-cluster with ``base``, then an example file, then ``values`` merged over it.

    ``previous`` plays the release's previous revision (an upgrade keeps its password hash)."""
    user = dict(base or {})
    if example is not None:
        user = merge_maps(user, load_values_file(str(EXAMPLES / f"{example}.yaml")))
    user = merge_maps(user, values or {})
    tree = chart_values(chart(), user)
    before = PreviousRevision(previous.manifest_text, namespace) if previous is not None else None
    return render_tree(tree, release=ReleaseInfo(release, namespace=namespace), previous=before)


@lru_cache(maxsize=1)
def large_render() -> RenderResult:
    """examples/large.yaml (1,000 workers, 100 ps), rendered once per test session."""
    return render_chart(example="large", base=None)


def task_name(obj: dict[str, Any]) -> str:
    """An object's name; a task's Job without its run revision (``tf-ps-0-1a2b3c`` -> ``tf-ps-0``)."""
    name = obj["metadata"]["name"]
    revision = (obj["metadata"].get("labels") or {}).get("tfhelm.io/run")
    return name.removesuffix("-" + revision) if obj["kind"] == "Job" and revision else name


def objects(result: RenderResult) -> dict[tuple[str, str], dict[str, Any]]:
    """Rendered objects keyed by (kind, name); a task's Job by its task name (``task_name``)."""
    return {(m.kind, task_name(m.object)): m.object for m in result.manifests}


def run_wrapper(spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    """A task container's command split into the run supervisor (``python3 /etc/tfhelm/run.py
    MODE``) and what it runs."""
    command = spec["command"]
    if command[:2] == ["python3", "/etc/tfhelm/run.py"]:
        return command[:3], command[3:]
    return [], command


def of_kind(result: RenderResult, kind: str) -> list[dict[str, Any]]:
    return [m.object for m in result.manifests if m.kind == kind]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def container(workload: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [c for c in pod_spec(workload)["containers"] if c["name"] == name]
    return found


def argv(spec: dict[str, Any]) -> list[str]:
    """What a container executes: its command followed by its args."""
    return [*spec.get("command", []), *spec.get("args", [])]


def plain_env(spec: dict[str, Any]) -> dict[str, str]:
    """A container's literal environment variables (valueFrom ones are left out)."""
    return {item["name"]: item["value"] for item in spec.get("env", []) if "value" in item}


def cluster_spec(result: RenderResult) -> dict[str, list[str]]:
    (config_map,) = [m.object for m in result.manifests if m.kind == "ConfigMap" and m.name.endswith("cluster-spec")]
    return json.loads(config_map["data"]["cluster-spec.json"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
