"""Everyday chart commands through the real CLI: create, show readme."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "tfhelm", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_create_then_lint_strict_and_template(tmp_path):
    done = run("create", "charts/web", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Creating charts/web\n"
    lint = run("lint", "--strict", "charts/web", cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "passed: 0 error(s), 0 warning(s), 2 object(s) checked" in lint.stdout
    template = run("template", "shop", "charts/web", "--set", "replicaCount=2", cwd=tmp_path)
    assert template.returncode == 0, template.stderr
    assert "kind: Deployment" in template.stdout and "kind: Service" in template.stdout
    assert "replicas: 2" in template.stdout


def test_create_refuses_to_overwrite_and_exits_1(tmp_path):
    assert run("create", "web", cwd=tmp_path).returncode == 0
    again = run("create", "web", cwd=tmp_path)
    assert again.returncode == 1 and "already there (nothing was written)" in again.stderr
    assert "Traceback" not in again.stderr


def test_show_readme_of_a_chart_without_one_prints_nothing_like_helm(tmp_path):
    assert run("create", "web", cwd=tmp_path).returncode == 0
    done = run("show", "readme", "web", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    (tmp_path / "web" / "readme.md").write_text("# web\n")  # any case, as Helm
    assert run("show", "readme", "web", cwd=tmp_path).stdout == "# web\n"
    everything = run("show", "all", "web", cwd=tmp_path).stdout
    assert everything.count("---\n") == 3 and "# web\n" in everything
