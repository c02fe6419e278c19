"""Chart features rendered by tfhelm and by the real Helm 4 binary give the same objects.

Templates are Jinja2 in tfhelm and Go templates in Helm, so each chart here is written twice
when it needs template syntax (the same Chart.yaml, values and crds/, templates in each
language) and once when its templates are plain YAML. Skipped only when the helm binary is
absent outside CI.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from oci_registry import find_helm, helm_env

from helpers import crd_document, write_chart

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def helm(tmp_path):
    binary = find_helm()
    env = helm_env(tmp_path / "helm-home")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=120)
        if check:
            assert result.returncode == 0, f"helm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    return run


def tfhelm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "tfhelm", *args], capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, f"tfhelm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def objects(stream: str) -> list[dict]:
    return [document for document in yaml.safe_load_all(stream) if document]


def chart_with_crds(root: Path) -> Path:
    """Plain YAML only: crds/ with two documents in one file and a non-YAML file, an enabled
    subchart with its own crds/, a disabled one, and a static template."""
    chart = write_chart(
        root,
        {
            "Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
            "  - name: gadgets\n  - name: gizmos\n    condition: gizmos.enabled\n",
            "values.yaml": "gizmos:\n  enabled: false\n",
            "crds/widgets.yaml": "# two CRDs\n" + crd_document("Widget") + "---\n" + crd_document("Sprocket"),
            "crds/notes.txt": "not a CRD file: {{ ignored }}\n",
            "templates/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
        },
        name="app",
    )
    write_chart(chart / "charts" / "gadgets", {"crds/gadget.yaml": crd_document("Gadget")}, name="gadgets")
    write_chart(chart / "charts" / "gizmos", {"crds/gizmo.yaml": crd_document("Gizmo")}, name="gizmos")
    return chart


def test_template_include_crds_prints_what_helm_prints(helm, tmp_path):
    chart = chart_with_crds(tmp_path / "app")
    ours = tfhelm("template", "r", str(chart), "--include-crds").stdout
    theirs = helm("template", "r", str(chart), "--include-crds").stdout
    assert ours == theirs
    assert [o["metadata"]["name"] for o in objects(ours)] == [
        "widgets.example.com",
        "sprockets.example.com",
        "gadgets.example.com",  # the disabled subchart's gizmos are left out by both
        "w",
    ]


def test_template_without_include_crds_leaves_them_out_like_helm(helm, tmp_path):
    chart = chart_with_crds(tmp_path / "app")
    assert tfhelm("template", "r", str(chart)).stdout == helm("template", "r", str(chart)).stdout


def test_show_crds_is_byte_for_byte_helms(helm, tmp_path):
    chart = chart_with_crds(tmp_path / "app")
    ours = tfhelm("show", "crds", str(chart)).stdout
    assert ours == helm("show", "crds", str(chart)).stdout
    assert "gizmos.example.com" in ours  # show reads every subchart, enabled or not, as Helm does
