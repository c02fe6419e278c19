"""Interoperability with the real Helm 4 binary through a real OCI registry.

A chart pushed by ``tfhelm push`` is pulled (and shown) by ``helm``, byte for byte; a chart
pushed by ``helm push`` is pulled by tfhelm, with its ``+`` version, through the CLI and the
library. Skipped only when helm or the registry is absent outside CI.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import run_cli
from oci_registry import find_helm, helm_env, start_registry

from tfhelm.chart.archive import build_chart_archive, read_chart_archive_bytes
from tfhelm.repo.oci import fetch_chart
from tfhelm.chartsource import ChartSource

SMALL_CHART = Path(__file__).parents[1] / "fixtures" / "oci" / "small"


@pytest.fixture(scope="module")
def helm(tmp_path_factory):
    binary = find_helm()
    home = tmp_path_factory.mktemp("helm-home")
    env = helm_env(home)

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run([binary, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
        assert result.returncode == 0, f"helm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    return run


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    server = start_registry(tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def registry_config(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "registry.json"
    monkeypatch.setenv("TFHELM_REGISTRY_CONFIG", str(path))
    return path


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_helm_pulls_and_shows_a_chart_pushed_by_tfhelm(helm, registry, tmp_path, registry_config):
    packaged = tmp_path / "small-0.3.0.tgz"
    packaged.write_bytes(build_chart_archive("small", _files(SMALL_CHART)))
    pushed = run_cli("push", str(packaged), f"oci://{registry.address}/from-tfhelm", "--plain-http",
                     env={"TFHELM_REGISTRY_CONFIG": str(registry_config)})
    assert pushed.returncode == 0, pushed.stderr
    digest = pushed.stdout.split("Digest: ")[1].strip()

    pulled_dir = tmp_path / "helm-pulled"
    pulled_dir.mkdir()
    result = helm("pull", f"oci://{registry.address}/from-tfhelm/small", "--version", "0.3.0",
                  "--plain-http", "-d", str(pulled_dir))
    assert digest in result.stdout + result.stderr
    assert (pulled_dir / "small-0.3.0.tgz").read_bytes() == packaged.read_bytes()
    shown = helm("show", "chart", f"oci://{registry.address}/from-tfhelm/small", "--version", "0.3.0", "--plain-http")
    assert "name: small" in shown.stdout and "version: 0.3.0" in shown.stdout
    (tmp_path / "latest").mkdir()
    latest = helm("pull", f"oci://{registry.address}/from-tfhelm/small", "--plain-http", "-d", str(tmp_path / "latest"))
    assert "small:0.3.0" in latest.stdout + latest.stderr


def test_tfhelm_pulls_a_chart_pushed_by_helm(helm, registry, tmp_path, registry_config):
    helm("create", "helmmade", cwd=tmp_path)
    chart_yaml = tmp_path / "helmmade" / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.0", "version: 2.5.0+exp.1"))
    helm("package", "helmmade", "-d", str(tmp_path / "dist"), cwd=tmp_path)
    packaged = tmp_path / "dist" / "helmmade-2.5.0+exp.1.tgz"
    helm("push", str(packaged), f"oci://{registry.address}/from-helm", "--plain-http")

    pulled = fetch_chart(f"oci://{registry.address}/from-helm/helmmade", ChartSource(version="^2", plain_http=True))
    assert (pulled.version, pulled.reference.tag) == ("2.5.0+exp.1", "2.5.0_exp.1")
    assert pulled.data == packaged.read_bytes()
    files = read_chart_archive_bytes(pulled.data, source="pulled")
    assert "templates/deployment.yaml" in files
