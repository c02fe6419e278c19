"""A real one-node Kubernetes cluster whose pods run, for tests: ``scripts/cluster`` owns it.

The script builds (once, cached) and starts etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, a kubelet, containerd, a CNI bridge and cluster DNS, with the locally built
TensorFlow image tagged as the chart's default. This module starts it for a test session, hands
out its kubeconfig, and reads what landed with an independent client: ``kubectl`` (the v1.34 one
``scripts/fetch-helm --kubectl`` caches) and raw HTTPS (``Cluster.request``), never tfhelm's code.

The cluster is taken down at interpreter exit and, should pytest be SIGKILLed, by the script's
``--owner-pid`` watchdog; ``scripts/cluster down`` kills every pod container by id, so a test
run leaves no container, mount or bridge behind.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support import SCRIPTS_DIR, unavailable
from support.controlplane import ControlPlane, ControlPlaneError, _read_state

SCRIPT = SCRIPTS_DIR / "cluster"

__all__ = ["Cluster", "cluster_or_skip"]


def _kubernetes_built() -> bool:
    from support.controlplane import apiserver_binary

    apiserver = apiserver_binary()
    images = Path(os.environ.get("TFHELM_CACHE", Path.home() / ".cache" / "tfhelm")) / "images"
    return apiserver is not None and (apiserver.parent / "kubelet").is_file() and any(images.glob("tensorflow-*.tar"))


def _kubectl_binary() -> Path:
    result = subprocess.run(
        [str(SCRIPTS_DIR / "fetch-helm"), "--kubectl"], capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        unavailable(f"kubectl is not available (scripts/fetch-helm --kubectl: {result.stderr.strip()[-300:]})")
    return Path(result.stdout.strip())


@dataclass
class Cluster(ControlPlane):
    """A running one-node cluster; ``cluster_dir`` holds its state, logs and ``kubeconfig``."""

    cluster_dir: Path | None = None
    kubectl_bin: Path | None = None
    startup_log: str = ""
    shutdown_log: str = ""

    @classmethod
    def up(cls, cluster_dir: Path, kubectl_bin: Path) -> Cluster:
        """``scripts/cluster up DIR --owner-pid <pytest>``; blocks until the node is Ready."""
        cluster_dir = Path(cluster_dir).resolve()
        done = subprocess.run(
            [str(SCRIPT), "up", str(cluster_dir), "--owner-pid", str(os.getpid())],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise ControlPlaneError(f"scripts/cluster up failed (exit {done.returncode}):\n{done.stderr.strip()}")
        state = _read_state(cluster_dir / "control-plane")
        cluster = cls(
            kubeconfig=cluster_dir / "kubeconfig",
            server=state["SERVER"],
            token=state["TOKEN"],
            state_dir=cluster_dir / "control-plane",
            cluster_dir=cluster_dir,
            kubectl_bin=kubectl_bin,
        )
        cluster._running = True
        cluster.startup_log = done.stderr
        atexit.register(cluster.stop)
        return cluster

    def stop(self) -> None:
        """``scripts/cluster down``: every container killed, every process stopped by its pid."""
        if self._running and self.cluster_dir is not None:
            self._running = False
            done = subprocess.run(
                [str(SCRIPT), "down", str(self.cluster_dir)], capture_output=True, text=True, timeout=300, check=False
            )
            self.shutdown_log = f"scripts/cluster down: exit {done.returncode}\n{done.stdout}{done.stderr}"

    # -- the independent client ----------------------------------------------------------------

    def kubectl(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        """Run kubectl against this cluster; raises with its output when ``check`` and it fails."""
        assert self.kubectl_bin is not None
        command = [str(self.kubectl_bin), "--kubeconfig", str(self.kubeconfig), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def get(self, namespace: str, *what: str) -> dict[str, Any]:
        """``kubectl get WHAT -o json`` in ``namespace``, decoded."""
        return json.loads(self.kubectl("-n", namespace, "get", *what, "-o", "json").stdout)

    def find(self, namespace: str, kind: str, name: str) -> dict[str, Any] | None:
        """One object as kubectl reads it, or None when it does not exist (or cannot be read)."""
        done = self.kubectl("-n", namespace, "get", kind, name, "-o", "json", check=False)
        return json.loads(done.stdout) if done.returncode == 0 else None

    def pods(self, namespace: str, selector: str = "") -> list[dict[str, Any]]:
        """The pods in ``namespace`` (matching the label ``selector``), as kubectl reads them."""
        args = ["pods"] + (["-l", selector] if selector else [])
        return self.get(namespace, *args)["items"]

    def logs(self, namespace: str, pod: str, container: str = "", previous: bool = False) -> str:
        """A container's log through the API server and the kubelet (kubectl logs); "" while the
        container has not started yet (a Job's pod counts as active from its creation)."""
        args = ["-n", namespace, "logs", pod] + (["-c", container] if container else [])
        done = self.kubectl(*args, *(["--previous"] if previous else []), check=False)
        if done.returncode != 0 and "is waiting to start" in done.stderr:
            return ""
        if done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def wait_for(self, what: str, predicate, timeout: float = 300, interval: float = 2.0):
        """Poll ``predicate()`` until it returns something truthy; fail naming ``what`` on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}", pytrace=False)
            time.sleep(interval)

    def leftovers(self) -> list[str]:
        """What a stopped cluster must not leave: container shims of its containerd, processes
        running from its directory, mounts under it, its network bridge. Empty when clean."""
        assert self.cluster_dir is not None
        marker = str(self.cluster_dir)
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(f"process {proc.name}: {cmdline.strip()[:200]}")
        for line in Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines():
            mount_point = line.split()[4]
            if mount_point.startswith(marker + "/"):
                found.append(f"mount {mount_point}")
        if Path("/sys/class/net/cni0").exists():
            found.append("network bridge cni0")
        return found


def cluster_or_skip(tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    """A started cluster; skips locally, fails in CI, when ``scripts/cluster build`` has not run."""
    if os.geteuid() != 0:
        unavailable("the one-node cluster needs root (containers, mounts, a network bridge)")
    if not _kubernetes_built():
        unavailable("the one-node cluster is not built; run `scripts/cluster build` (about 20 minutes, as root)")
    for tool in ("containerd", "ctr", "dnsmasq", "etcd"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed; run `scripts/cluster build`")
    kubectl = _kubectl_binary()
    try:
        return Cluster.up(tmp_path_factory.mktemp("cluster"), kubectl)
    except (ControlPlaneError, subprocess.TimeoutExpired) as error:
        pytest.fail(f"could not start the one-node cluster: {error}", pytrace=False)
