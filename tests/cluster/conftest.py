"""Fixtures for tests on the real one-node cluster (``scripts/cluster``): one cluster per session,
one namespace per test module, and the real tfhelm CLI pointed at it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

# The tests import their helper module (clusterkit.py) by name.
sys.path.insert(0, str(Path(__file__).parent))
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    from support.cluster import cluster_or_skip

    running = cluster_or_skip(tmp_path_factory)
    yield running
    running.stop()
    left = running.leftovers()
    assert left == [], "scripts/cluster down left these behind:\n" + "\n".join(left) + "\n" + running.shutdown_log


def new_namespace(cluster) -> str:
    name = f"c-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    return name


@pytest.fixture(scope="module")
def namespace(cluster):
    name = new_namespace(cluster)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


class Tfhelm:
    """The real CLI (``python -m tfhelm``) against the cluster, in one namespace."""

    def __init__(self, cluster, namespace: str, workdir: Path):
        self.cluster, self.namespace, self.workdir = cluster, namespace, workdir

    def __call__(self, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "tfhelm", *args, "--kubeconfig", str(self.cluster.kubeconfig), "-n", self.namespace]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO)
        if check and done.returncode != 0:
            raise AssertionError(f"tfhelm {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def values_file(self, name: str, values: dict) -> str:
        path = self.workdir / f"{name}.yaml"
        path.write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
        return str(path)


@pytest.fixture(scope="module")
def tfhelm(cluster, namespace, tmp_path_factory):
    return Tfhelm(cluster, namespace, tmp_path_factory.mktemp("values"))
