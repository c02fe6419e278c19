"""Finding 1: a dependency alias must not steer ``template --output-dir`` (or anything) outside DIR."""

from __future__ import annotations

import json

import pytest

from helpers import run_cli, write_chart
from security.hostile import assert_refused, files_under
from tfhelm.actions.template import write_output_dir
from tfhelm.chart.metadata import parse_metadata
from tfhelm.engine import Manifest, RenderResult
from tfhelm.errors import ChartError

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.name }}-cm\n"
ESCAPE = "../../../../escaped"


def chart_with_alias(root, alias: str):
    write_chart(root / "charts" / "sub", {"templates/cm.yaml": CM}, name="sub")
    chart_yaml = (
        "apiVersion: v2\nname: parent\nversion: 0.1.0\n"
        f"dependencies:\n  - name: sub\n    version: 0.1.0\n    alias: {json.dumps(alias)}\n"
    )
    return write_chart(root, {"Chart.yaml": chart_yaml, "templates/cm.yaml": CM}, name="parent")


@pytest.mark.parametrize("alias", [ESCAPE, "a/b", "/etc", ".", "..", "x y", "trainer\n", "träner", "a\\b"])
def test_chart_yaml_refuses_an_alias_that_is_not_a_plain_name(alias):
    text = f"apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: sub\n    alias: {json.dumps(alias)}\n"
    with pytest.raises(ChartError) as caught:
        parse_metadata(text, source="app")
    message = str(caught.value)
    assert message.startswith("app/Chart.yaml:4: dependencies[0].alias ")
    assert repr(alias) in message and "letters, digits, '_' and '-'" in message


@pytest.mark.parametrize("alias", ["trainer", "Trainer_2", "ps-0", ""])
def test_helm_style_aliases_still_load(alias):
    text = f"apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: sub\n    alias: {json.dumps(alias)}\n"
    assert parse_metadata(text).dependencies[0].values_key == (alias or "sub")


def test_template_output_dir_refuses_a_climbing_alias_and_writes_nothing(tmp_path):
    chart = chart_with_alias(tmp_path / "chart", ESCAPE)
    out = tmp_path / "work" / "a" / "b" / "out"
    result = run_cli("template", str(chart), "--output-dir", str(out))
    assert_refused(result, f"{chart}/Chart.yaml:4: dependencies[0].alias {ESCAPE!r}")
    assert not out.exists()
    assert [name for name in files_under(tmp_path) if not name.startswith("chart/")] == []


def test_lint_and_package_refuse_the_chart_too(tmp_path):
    chart = chart_with_alias(tmp_path / "chart", ESCAPE)
    lint = run_cli("lint", str(chart))
    assert lint.returncode == 1 and "Traceback" not in lint.stderr
    assert f"dependencies[0].alias {ESCAPE!r}" in lint.stdout
    dest = tmp_path / "dist"
    package = run_cli("package", str(chart), "-d", str(dest))
    assert_refused(package, "not packaged", f"dependencies[0].alias {ESCAPE!r}")
    assert files_under(dest) == []


def _result(*sources: str) -> RenderResult:
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    return RenderResult([Manifest(source, "kind: ConfigMap", manifest) for source in sources], None, {}, [], "parent")


@pytest.mark.parametrize("source", [
    "parent/charts/../../../escaped/templates/cm.yaml",
    "../escaped.yaml",
    "/tmp/escaped.yaml",
])
def test_output_dir_writer_refuses_any_path_outside_dir_before_writing(tmp_path, source):
    out = tmp_path / "out"
    with pytest.raises(ChartError, match="outside --output-dir"):
        write_output_dir(_result("parent/templates/a.yaml", source), out)
    assert files_under(tmp_path) == []


def test_output_dir_writer_does_not_follow_a_link_out_of_dir(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "parent").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ChartError, match="outside --output-dir"):
        write_output_dir(_result("parent/templates/a.yaml"), out)
    assert files_under(elsewhere) == []


def test_output_dir_writer_still_writes_inside_dir(tmp_path):
    out = tmp_path / "out"
    written = write_output_dir(_result("parent/templates/a.yaml", "parent/charts/sub/templates/b.yaml"), out)
    assert [path.relative_to(out).as_posix() for path in written] == [
        "parent/charts/sub/templates/b.yaml", "parent/templates/a.yaml"]
