"""Vendored dependencies survive ``dependency update``, and a missing dependency is an error.

A dependency declared in Chart.yaml without a ``repository`` is vendored by hand in
``charts/``. ``dependency update`` used to delete its archive, after which template, lint and
package succeeded silently without it. Now it is left in place (as Helm does), and a chart
whose Chart.yaml names a dependency missing from ``charts/`` is refused with Helm's words.
"""

from __future__ import annotations

import textwrap

import pytest

from chart_server import isolated_homes
from helpers import run_cli
from security.hostile import assert_refused, files_under
from tfhelm.chart.archive import build_chart_archive

MISSING = "found in Chart.yaml, but missing in charts/ directory"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  from: {name}\n"


def write_subchart(root, name: str) -> None:
    root.mkdir(parents=True)
    (root / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (root / "templates").mkdir()
    (root / "templates" / "cm.yaml").write_text(CONFIGMAP.format(name=name))


@pytest.fixture
def env(tmp_path):
    return isolated_homes(tmp_path)


@pytest.fixture
def parent(tmp_path):
    """A chart with a vendored archive, a vendored directory and a file:// dependency."""
    root = tmp_path / "parent"
    (root / "charts").mkdir(parents=True)
    (root / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n"
        + textwrap.indent(
            "- name: vendored\n  version: 0.1.0\n"
            "- name: unpacked\n  version: 0.1.0\n  repository: ''\n"
            "- name: local\n  version: 0.1.0\n  repository: file://../local\n",
            "  ",
        )
    )
    (root / "templates").mkdir()
    (root / "templates" / "cm.yaml").write_text(CONFIGMAP.format(name="parent"))
    vendored = {
        "Chart.yaml": b"apiVersion: v2\nname: vendored\nversion: 0.1.0\n",
        "templates/cm.yaml": CONFIGMAP.format(name="vendored").encode(),
    }
    (root / "charts" / "vendored-0.1.0.tgz").write_bytes(build_chart_archive("vendored", vendored))
    write_subchart(root / "charts" / "unpacked", "unpacked")
    write_subchart(tmp_path / "local", "local")
    return root


def test_dependency_update_keeps_vendored_dependencies(parent, env):
    result = run_cli("dependency", "update", str(parent), env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(files_under(parent / "charts")) == [
        "local-0.1.0.tgz",
        "unpacked/Chart.yaml",
        "unpacked/templates/cm.yaml",
        "vendored-0.1.0.tgz",
    ]
    rendered = run_cli("template", str(parent), env=env)
    assert rendered.returncode == 0, rendered.stderr
    for name in ("parent", "vendored", "unpacked", "local"):
        assert f"from: {name}" in rendered.stdout
    # and again: a second update (with Chart.lock in place) keeps them too
    assert run_cli("dependency", "update", str(parent), env=env).returncode == 0
    assert (parent / "charts" / "vendored-0.1.0.tgz").is_file()


def test_dependency_build_keeps_vendored_dependencies(parent, env):
    assert run_cli("dependency", "update", str(parent), env=env).returncode == 0
    (parent / "charts" / "local-0.1.0.tgz").unlink()
    result = run_cli("dependency", "build", str(parent), env=env)
    assert result.returncode == 0, result.stderr
    assert (parent / "charts" / "vendored-0.1.0.tgz").is_file()
    assert (parent / "charts" / "local-0.1.0.tgz").is_file()


@pytest.mark.parametrize("missing", ["vendored", "unpacked", "local"])
def test_template_lint_and_package_refuse_a_missing_dependency(parent, env, tmp_path, missing):
    assert run_cli("dependency", "update", str(parent), env=env).returncode == 0
    target = next(path for path in (parent / "charts").iterdir() if path.name.startswith(missing))
    if target.is_dir():
        for path in sorted(target.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        target.rmdir()
    else:
        target.unlink()
    out = tmp_path / "out"
    assert_refused(run_cli("template", str(parent), "--output-dir", str(out), env=env), f"{parent}: {MISSING}: {missing}")
    assert files_under(out) == []
    lint = run_cli("lint", str(parent), env=env)
    assert lint.returncode == 1 and "Traceback" not in lint.stderr
    assert f"{MISSING}: {missing}" in lint.stdout + lint.stderr
    dist = tmp_path / "dist"
    package = run_cli("package", str(parent), "-d", str(dist), env=env)
    assert package.returncode == 1 and "Traceback" not in package.stderr
    assert f"{MISSING}: {missing}" in package.stderr
    assert files_under(dist) == []


def test_every_missing_dependency_is_named(parent, env):
    for path in (parent / "charts").glob("*.tgz"):
        path.unlink()
    result = run_cli("template", str(parent), env=env)
    assert_refused(result, f"{MISSING}: vendored, local", "tfhelm dependency build")


def test_a_subchart_missing_its_own_dependency_is_refused(tmp_path, env):
    root = tmp_path / "top"
    write_subchart(root, "top")
    middle = root / "charts" / "middle"
    write_subchart(middle, "middle")
    (middle / "Chart.yaml").write_text("apiVersion: v2\nname: middle\nversion: 0.1.0\ndependencies:\n  - name: leaf\n    version: 0.1.0\n")
    assert_refused(run_cli("template", str(root), env=env), f"{root}/charts/middle: {MISSING}: leaf")
