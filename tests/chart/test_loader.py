import pytest

from helpers import DEMO_CHART

from tfhelm.chart import load_chart
from tfhelm.errors import ChartError, ChartNotFoundError


def test_demo_chart_loads_every_part():
    chart = load_chart(DEMO_CHART)
    assert chart.name == "demo" and chart.version == "1.2.3"
    assert chart.values["service"] == {"enabled": True, "port": 80}
    assert chart.schema["type"] == "object"
    assert "templates/_helpers.tpl" in chart.templates
    assert chart.notes_template == "templates/NOTES.txt"
    assert set(chart.files) == {"README.md"}
    assert chart.readme.startswith("# demo")


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ChartNotFoundError, match="not found"):
        load_chart(tmp_path / "nope")


def test_directory_without_chart_yaml(tmp_path):
    with pytest.raises(ChartNotFoundError, match="Chart.yaml is missing"):
        load_chart(tmp_path)


def test_plain_file_is_not_a_chart(tmp_path):
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ChartNotFoundError, match="neither a chart directory nor"):
        load_chart(tmp_path / "x.txt")


def test_values_yaml_errors_name_file_and_line(chart_dir):
    root = chart_dir({"values.yaml": "a: 1\nb: [1,\n"})
    with pytest.raises(ChartError) as caught:
        load_chart(root)
    assert f"{root}/values.yaml:" in str(caught.value) and "invalid YAML" in str(caught.value)


def test_values_yaml_must_be_a_mapping(chart_dir):
    with pytest.raises(ChartError, match="must be a mapping of values, not a list"):
        load_chart(chart_dir({"values.yaml": "- 1\n"}))


def test_empty_values_yaml_is_empty_defaults(chart_dir):
    assert load_chart(chart_dir({"values.yaml": "# nothing\n"})).values == {}


def test_integers_stay_integers_and_dates_stay_strings(chart_dir):
    chart = load_chart(chart_dir({"values.yaml": "n: 10\nbig: 12345678901234567890\nf: 1.5\nd: 2024-01-01\n"}))
    assert chart.values == {"n": 10, "big": 12345678901234567890, "f": 1.5, "d": "2024-01-01"}


def test_schema_json_errors_name_line(chart_dir):
    with pytest.raises(ChartError) as caught:
        load_chart(chart_dir({"values.schema.json": '{\n  "type": "object",\n}\n'}))
    assert "values.schema.json:3" in str(caught.value)


def test_invalid_schema_is_a_chart_error(chart_dir):
    with pytest.raises(ChartError, match="invalid schema"):
        load_chart(chart_dir({"values.schema.json": '{"type": "nope"}'}))


def test_tfhelmignore_excludes_files_and_folders(chart_dir):
    root = chart_dir({
        ".tfhelmignore": "*.bak\nsecrets/\n!keep.bak\n",
        "notes.bak": "x",
        "keep.bak": "x",
        "secrets/token": "x",
        "config/app.conf": "x",
        "templates/old.yaml.bak": "x",
    })
    chart = load_chart(root)
    assert set(chart.files) == {".tfhelmignore", "keep.bak", "config/app.conf"}
    assert "templates/old.yaml.bak" not in chart.templates


def test_templates_must_be_utf8(chart_dir):
    root = chart_dir({})
    (root / "templates").mkdir()
    (root / "templates" / "bad.yaml").write_bytes(b"\xff\xfe")
    with pytest.raises(ChartError, match="not UTF-8"):
        load_chart(root)


def test_subchart_directories_are_loaded(chart_dir):
    root = chart_dir({
        "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.2.0\n",
        "charts/sub/values.yaml": "x: 1\n",
    })
    chart = load_chart(root)
    assert [sub.name for sub in chart.subcharts] == ["sub"]
    assert "charts/sub/values.yaml" not in chart.files


def test_links_inside_the_chart_are_followed_links_outside_refused(chart_dir, tmp_path):
    outside = tmp_path / "kubeconfig"
    outside.write_text("token: secret\n")
    root = chart_dir({"files/real.conf": "a=1\n"})
    (root / "files" / "inside.conf").symlink_to(root / "files" / "real.conf")
    assert load_chart(root).files["files/inside.conf"] == b"a=1\n"
    (root / "files" / "stolen").symlink_to(outside)
    with pytest.raises(ChartError, match="files/stolen is a link to .*outside the chart"):
        load_chart(root)
    (root / ".tfhelmignore").write_text("files/stolen\n")
    assert "files/stolen" not in load_chart(root).files
