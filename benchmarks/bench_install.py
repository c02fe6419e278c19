"""Install throughput: tfhelm install vs. a raw server-side apply of the same objects (the floor).

    .venv/bin/python benchmarks/bench_install.py [--workers 1000] [--threads 4,8,16,32] [--pools 8,16,32]
                                                 [--kubeconfig FILE]

charts/tf-cluster with N workers (2 ps, the notebook) is rendered once by tfhelm; the floor is
those very objects sent as server-side applies (field manager ``bench``) by T threads, each with
its own connection, in no particular order and with nothing else: no release record, no lock,
no ownership check. tfhelm's install runs in-process through its action (render, ownership
check, record, apply in Helm's kind order, record deployed), once per apply pool size. Each run
gets a fresh namespace on the same API server. Prints one table, with the 1-minute load average
at each row (this machine is shared); asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CHART = REPO / "charts" / "tf-cluster"
SCRIPT = REPO / "scripts" / "control-plane"


def values_for(workers: int) -> tuple[str, ...]:
    return (f"jobs.worker.tasks={workers}", "jobs.ps.tasks=2", "jupyter.password=benchmark-password")


def rendered_objects(kubeconfig: Path, workers: int) -> list[dict]:
    from tfhelm.actions.common import locate_chart
    from tfhelm.actions.configuration import Configuration
    from tfhelm.actions.deploy import render_revision
    from tfhelm.values.options import ValueOptions

    config = Configuration.connect(kubeconfig=str(kubeconfig), namespace="placeholder")
    chart = locate_chart(str(CHART))
    user = ValueOptions(values=values_for(workers)).user_values()
    rendered = render_revision(config, chart, user, name="bench", revision=1, is_upgrade=False)
    config.kube.close()
    return rendered.objects


def floor(kubeconfig: Path, objects: list[dict], threads: int) -> tuple[float, int]:
    """Seconds and requests to server-side apply ``objects`` with ``threads`` threads."""
    from tfhelm.kube import connect

    namespace = f"floor-{uuid.uuid4().hex[:6]}"
    kube = connect(kubeconfig=str(kubeconfig), namespace=namespace)
    kube.ensure_namespace(namespace)
    mine = [{**o, "metadata": {**o["metadata"], "namespace": namespace}} for o in objects]
    for api_version, kind in {(o["apiVersion"], o["kind"]) for o in mine}:  # discovery, outside the timing
        kube.is_namespaced(api_version, kind)
    before = kube.requests
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda o: kube.apply(o, field_manager="bench"), mine))
    seconds = time.perf_counter() - start
    requests = kube.requests - before
    kube.close()
    return seconds, requests


def tfhelm_install(kubeconfig: Path, workers: int, pool_size: int) -> tuple[float, int]:
    from tfhelm.actions import apply as apply_module
    from tfhelm.actions.configuration import Configuration
    from tfhelm.actions.install import InstallOptions, install
    from tfhelm.values.options import ValueOptions

    apply_module.POOL_SIZE = pool_size
    namespace = f"tfhelm-{uuid.uuid4().hex[:6]}"
    config = Configuration.connect(kubeconfig=str(kubeconfig), namespace=namespace)
    config.kube.ensure_namespace(namespace)
    before = config.kube.requests
    start = time.perf_counter()
    install(config, InstallOptions(chart=str(CHART), name="bench", values=ValueOptions(values=values_for(workers))))
    seconds = time.perf_counter() - start
    requests = config.kube.requests - before
    config.kube.close()
    return seconds, requests


def render_seconds(workers: int) -> float:
    """What rendering alone costs in-process (part of every tfhelm install row)."""
    from tfhelm.actions.common import compute_values, locate_chart
    from tfhelm.engine import ReleaseInfo, render
    from tfhelm.values.options import ValueOptions

    chart = locate_chart(str(CHART))
    start = time.perf_counter()
    computed = compute_values(chart, user_values=ValueOptions(values=values_for(workers)).user_values())
    render(chart, computed, release=ReleaseInfo("bench", namespace="x", revision=1, is_install=True, is_upgrade=False))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--threads", default="4,8,16,32")
    parser.add_argument("--pools", default="8,16,32")
    parser.add_argument("--kubeconfig", type=Path)
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tfhelm-bench-install-"))
    kubeconfig = arguments.kubeconfig
    if kubeconfig is None:
        subprocess.run(
            [str(SCRIPT), "start", str(work), "--owner-pid", str(os.getpid())], check=True, capture_output=True
        )
        kubeconfig = work / "kubeconfig"
    try:
        objects = rendered_objects(kubeconfig, arguments.workers)
        print(f"{arguments.workers} workers: {len(objects)} objects")
        print("| run | seconds | requests | load (1 min) |")
        print("|---|---|---|---|")
        print(f"| render only (in-process) | {render_seconds(arguments.workers):.2f} | 0 | {os.getloadavg()[0]:.1f} |")
        for threads in (int(t) for t in arguments.threads.split(",")):
            seconds, requests = floor(kubeconfig, objects, threads)
            load = os.getloadavg()[0]
            print(f"| raw server-side apply, {threads} threads | {seconds:.2f} | {requests:,} | {load:.1f} |")
        for pool in (int(p) for p in arguments.pools.split(",")):
            seconds, requests = tfhelm_install(kubeconfig, arguments.workers, pool)
            load = os.getloadavg()[0]
            print(f"| tfhelm install, apply pool {pool} | {seconds:.2f} | {requests:,} | {load:.1f} |")
    finally:
        if arguments.kubeconfig is None:
            subprocess.run([str(SCRIPT), "stop", str(work)], capture_output=True)


if __name__ == "__main__":
    main()
