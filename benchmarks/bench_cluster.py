"""A training run on the real one-node cluster: how long until it runs, trains, and is gone.

    .venv/bin/python benchmarks/bench_cluster.py [--workers 8] [--ps 2] [--kubeconfig FILE]

charts/tf-cluster with 2 ps + 8 workers and a chief Job (the PS-strategy program of
tests/support/tfprograms.py) is installed with the real CLI, ``tfhelm install --wait``; then the
chief's log is polled for its first finished training round; then ``tfhelm uninstall --wait``
returns once every object and pod is gone (checked again with kubectl). Without ``--kubeconfig``
a cluster is started with ``scripts/cluster up`` (and taken down). Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from support.tfprograms import PS_TRAINING, python  # noqa: E402

CHART = REPO / "charts" / "tf-cluster"


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=1800)
    if check and done.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} ... failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--ps", type=int, default=2)
    parser.add_argument("--kubeconfig", type=Path)
    args = parser.parse_args()
    kubectl = run(str(REPO / "scripts" / "fetch-helm"), "--kubectl").stdout.strip()
    with tempfile.TemporaryDirectory(prefix="tfhelm-bench-cluster-") as work:
        kubeconfig = args.kubeconfig
        if kubeconfig is None:
            run(str(REPO / "scripts" / "cluster"), "up", f"{work}/cluster", "--owner-pid", str(os.getpid()))
            kubeconfig = Path(work) / "cluster" / "kubeconfig"
        try:
            rows = bench(kubeconfig, kubectl, args.workers, args.ps, Path(work))
        finally:
            if args.kubeconfig is None:
                run(str(REPO / "scripts" / "cluster"), "down", f"{work}/cluster", check=False)
    print(f"\ntf-cluster on the one-node cluster: {args.ps} ps + {args.workers} workers + chief Job ({os.cpu_count()} cores)\n")
    print(f"{'phase':<52} {'seconds':>8}")
    for phase, seconds in rows:
        print(f"{phase:<52} {seconds:>8.1f}")


def bench(kubeconfig: Path, kubectl: str, workers: int, ps: int, work: Path) -> list[tuple[str, float]]:
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    kube = [kubectl, "--kubeconfig", str(kubeconfig), "-n", namespace]
    where = ["--kubeconfig", str(kubeconfig), "-n", namespace]
    tfhelm = [sys.executable, "-m", "tfhelm"]
    run(kubectl, "--kubeconfig", str(kubeconfig), "create", "namespace", namespace)
    values = work / "values.yaml"
    values.write_text(yaml.safe_dump({
        "jobs": {"ps": {"tasks": ps}, "worker": {"tasks": workers},
                 "chief": {"tasks": 1, "command": python(PS_TRAINING), "env": [{"name": "ROUNDS", "value": "3"}]}},
        "jupyter": {"enabled": False},
    }))
    start = time.perf_counter()
    run(*tfhelm, "install", "bench", str(CHART), "-f", str(values), "--wait", "--timeout", "20m", *where)
    installed = time.perf_counter() - start
    while True:
        pods = json.loads(run(*kube, "get", "pods", "-l", "app.kubernetes.io/instance=bench,tfhelm.io/job=chief", "-o", "json").stdout)["items"]
        log = run(*kube, "logs", pods[0]["metadata"]["name"], check=False).stdout if pods else ""
        if "ROUND 1 " in log:
            break
        time.sleep(0.5)
    first_round = time.perf_counter() - start
    uninstall = timed(lambda: run(*tfhelm, "uninstall", "bench", "--wait", "--timeout", "10m", *where))
    left = json.loads(run(*kube, "get", "pods", "-o", "json").stdout)["items"]
    return [
        (f"install --wait: all {ps + workers + 1} task Jobs have a pod running", installed),
        ("install to the chief's first 10 training steps done", first_round),
        (f"uninstall --wait until no pod is left ({len(left)} left)", uninstall),
    ]


if __name__ == "__main__":
    main()
