"""Release speed on the local kube-apiserver: install, upgrade (+1 worker), no-op upgrade, uninstall.

    .venv/bin/python benchmarks/bench_release.py [--workers 100,300,1000] [--no-helm] [--kubeconfig FILE]

charts/tf-cluster with N workers (and 2 ps, the notebook) is installed, upgraded to N+1
workers, upgraded again with the same values (no-op) and uninstalled, each phase in a fresh
namespace. tfhelm runs in-process through its actions; its API requests are counted in the kube
layer. The peer is the real Helm 4 binary (``~/.cache/tfhelm/helm-v4/helm`` or ``$HELM``) on the
same server, installing an equivalent chart: the very manifests tfhelm rendered, as static
templates. Helm's request counts come from the API server's ``apiserver_request_total`` metric.
Without ``--kubeconfig``, a control plane is started with scripts/control-plane (and stopped).
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CHART = REPO / "charts" / "tf-cluster"
SCRIPT = REPO / "scripts" / "control-plane"


def start_plane(work: Path) -> Path:
    subprocess.run([str(SCRIPT), "start", str(work), "--owner-pid", str(os.getpid())], check=True, capture_output=True)
    return work / "kubeconfig"


def values_for(workers: int) -> list[str]:
    return [f"jobs.worker.tasks={workers}", "jobs.ps.tasks=2", "jupyter.password=benchmark-password"]


def timed(call):
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def bench_tfhelm(kubeconfig: Path, workers: int) -> list[tuple[str, float, int]]:
    from tfhelm.actions.configuration import Configuration
    from tfhelm.actions.install import InstallOptions, install
    from tfhelm.actions.uninstall import UninstallOptions, uninstall
    from tfhelm.actions.upgrade import UpgradeOptions, upgrade
    from tfhelm.values.options import ValueOptions

    namespace = f"bench-tfhelm-{uuid.uuid4().hex[:6]}"
    config = Configuration.connect(kubeconfig=str(kubeconfig), namespace=namespace)
    config.kube.ensure_namespace(namespace)
    rows = []

    def phase(label, call):
        before = config.kube.requests
        seconds, _ = timed(call)
        rows.append((label, seconds, config.kube.requests - before))

    phase("install", lambda: install(config, InstallOptions(chart=str(CHART), name="bench", values=ValueOptions(values=tuple(values_for(workers))))))
    plus_one = ValueOptions(values=tuple(values_for(workers + 1)))
    phase("upgrade +1", lambda: upgrade(config, UpgradeOptions(name="bench", chart=str(CHART), values=plus_one)))
    phase("no-op upgrade", lambda: upgrade(config, UpgradeOptions(name="bench", chart=str(CHART), values=plus_one)))
    phase("uninstall", lambda: uninstall(config, UninstallOptions(name="bench")))
    config.kube.close()
    return rows


def static_chart(directory: Path, workers: int) -> Path:
    """A Helm chart whose one template is tfhelm's rendered output for ``workers`` workers."""
    rendered = subprocess.run(
        [sys.executable, "-m", "tfhelm", "template", "bench", str(CHART), *sum((["--set", v] for v in values_for(workers)), [])],
        check=True, capture_output=True, text=True, cwd=REPO,
    ).stdout
    chart = directory / f"static-{workers}"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: tf-cluster-static\nversion: 0.1.{workers}\n")
    # Helm would parse {{ }} in the text; the rendered manifests contain none that matter, but escape anyway.
    (chart / "templates" / "all.yaml").write_text(rendered.replace("{{", '{{ "{{" }}'))
    return chart


def request_total(kubeconfig: Path) -> int:
    from tfhelm.kube import connect

    kube = connect(kubeconfig=str(kubeconfig))
    try:
        text = kube._http.get("/metrics").text  # noqa: SLF001 - the benchmark reads raw metrics
    finally:
        kube.close()
    return int(sum(float(m) for m in re.findall(r"^apiserver_request_total\{[^}]*\} (\S+)$", text, re.MULTILINE)))


def bench_helm(helm: str, kubeconfig: Path, workers: int, work: Path) -> list[tuple[str, float, int]]:
    namespace = f"bench-helm-{uuid.uuid4().hex[:6]}"
    base = static_chart(work, workers)
    bigger = static_chart(work, workers + 1)
    common = ["--kubeconfig", str(kubeconfig), "-n", namespace]
    rows = []

    def phase(label, *args):
        before = request_total(kubeconfig)
        seconds, done = timed(lambda: subprocess.run([helm, *args, *common], capture_output=True, text=True))
        if done.returncode != 0:
            raise SystemExit(f"helm {' '.join(args)} failed: {done.stderr}")
        rows.append((label, seconds, request_total(kubeconfig) - before - 1))  # minus our own /metrics read

    phase("install", "install", "bench", str(base), "--create-namespace")
    phase("upgrade +1", "upgrade", "bench", str(bigger))
    phase("no-op upgrade", "upgrade", "bench", str(bigger))
    phase("uninstall", "uninstall", "bench")
    return rows


def find_helm() -> str | None:
    candidate = os.environ.get("HELM") or str(Path.home() / ".cache" / "tfhelm" / "helm-v4" / "helm")
    return candidate if Path(candidate).is_file() else shutil.which("helm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="100,300,1000")
    parser.add_argument("--no-helm", action="store_true")
    parser.add_argument("--kubeconfig", type=Path)
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tfhelm-bench-"))
    kubeconfig = arguments.kubeconfig or start_plane(work / "plane")
    helm = None if arguments.no_helm else find_helm()
    print(f"{'workers':>7}  {'tool':<7} {'phase':<14} {'seconds':>8} {'requests':>9}")
    try:
        for workers in (int(w) for w in arguments.workers.split(",")):
            runs = [("tfhelm", bench_tfhelm(kubeconfig, workers))]
            if helm:
                runs.append(("helm", bench_helm(helm, kubeconfig, workers, work)))
            for tool, rows in runs:
                for label, seconds, requests in rows:
                    print(f"{workers:>7}  {tool:<7} {label:<14} {seconds:>8.2f} {requests:>9}", flush=True)
    finally:
        if not arguments.kubeconfig:
            subprocess.run([str(SCRIPT), "stop", str(work / "plane")], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
