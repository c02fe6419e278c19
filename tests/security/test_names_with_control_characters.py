"""Finding 4: a file name with a newline (or any control character) cannot forge output lines.

A template called ``x.yaml\\n---\\n<a Secret>`` added a document to ``tfhelm template``'s
output through its ``# Source:`` line. Such names are refused when a chart is loaded, from a
directory or an archive, with an error that shows the name escaped.
"""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from helpers import run_cli
from security.hostile import assert_refused, files_under
from tfhelm.chart.archive import build_chart_archive, read_chart_archive_bytes
from tfhelm.chart.loader import load_chart
from tfhelm.chart.metadata import parse_metadata
from tfhelm.errors import ArchiveError, ChartError

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
FORGED = "x.yaml\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: injected\n#"


@pytest.mark.parametrize("name", [FORGED, "a\rb.yaml", "a\x1b]0;title\x07.yaml", "tab\there.yaml", "c1\x9b2J.yaml", "del\x7f.yaml"])
def test_template_refuses_a_template_whose_name_holds_a_control_character(chart_dir, tmp_path, name):
    chart = chart_dir({f"templates/{name}": CM})
    result = run_cli("template", str(chart), "--output-dir", str(tmp_path / "out"))
    assert_refused(result, f"{chart}: the file name {f'templates/{name}'!r} contains a control character")
    assert "\n---\n" not in result.stderr and "\x1b" not in result.stderr and "\r" not in result.stderr
    assert files_under(tmp_path / "out") == []


def test_lint_and_package_refuse_it_too(chart_dir, tmp_path):
    chart = chart_dir({f"templates/{FORGED}": CM})
    lint = run_cli("lint", str(chart))
    assert lint.returncode == 1 and "contains a control character" in lint.stdout + lint.stderr
    assert "Traceback" not in lint.stderr
    package = run_cli("package", str(chart), "-d", str(tmp_path / "dist"))
    assert package.returncode == 1 and "contains a control character" in package.stderr
    assert files_under(tmp_path / "dist") == []


def test_any_chart_file_is_checked_not_only_templates(chart_dir):
    with pytest.raises(ChartError, match=r"'files/a\\nb' contains a control character"):
        load_chart(chart_dir({"files/a\nb": "x"}))


def test_an_archive_entry_with_a_newline_is_refused_before_anything_is_used():
    data = build_chart_archive("evil", {"Chart.yaml": b"apiVersion: v2\nname: evil\nversion: 1.0.0\n",
                                        f"templates/{FORGED}": CM.encode()})
    with pytest.raises(ArchiveError, match=r"entry 'evil/templates/x.yaml\\n---.*contains a control character"):
        read_chart_archive_bytes(data, source="evil-1.0.0.tgz")


def test_template_of_such_an_archive_fails_cleanly(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in (("evil/Chart.yaml", "apiVersion: v2\nname: evil\nversion: 1.0.0\n"), (f"evil/templates/{FORGED}", CM)):
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    archive = tmp_path / "evil-1.0.0.tgz"
    archive.write_bytes(buffer.getvalue())
    assert_refused(run_cli("template", str(archive)), "unsafe chart archive", "contains a control character")


@pytest.mark.parametrize("name", ["mini\n", "mini\n---", "\x1bmini"])
def test_a_chart_name_with_a_trailing_newline_is_not_a_valid_name(name):
    with pytest.raises(ChartError, match="is not a valid chart name"):
        parse_metadata(f"apiVersion: v2\nname: {json.dumps(name)}\nversion: 0.1.0\n")


def test_ordinary_unicode_names_still_load(chart_dir):
    chart = load_chart(chart_dir({"templates/café.yaml": CM, "files/données.txt": "x"}))
    assert "templates/café.yaml" in chart.templates and "files/données.txt" in chart.files
