import pytest

from tfhelm.chart.metadata import parse_metadata
from tfhelm.errors import ChartError

VALID = "apiVersion: v2\nname: tf-cluster\nversion: 1.4.0\n"


def test_minimal_chart_yaml_parses_with_defaults():
    metadata = parse_metadata(VALID)
    assert (metadata.name, metadata.version, metadata.type) == ("tf-cluster", "1.4.0", "application")
    assert metadata.raw == {"apiVersion": "v2", "name": "tf-cluster", "version": "1.4.0"}


def test_all_known_fields_are_kept():
    text = VALID + """appVersion: "2.21.0"
description: TF
kubeVersion: ">=1.25.0-0"
keywords: [tensorflow]
maintainers:
  - name: ML platform
    email: ml@example.com
annotations:
  team: ml
dependencies:
  - name: redis
    version: ^18
    repository: https://charts.example.com
    condition: redis.enabled
    alias: cache
home: https://example.com
sources: [https://example.com/src]
icon: https://example.com/icon.png
deprecated: false
"""
    metadata = parse_metadata(text)
    assert metadata.app_version == "2.21.0"
    assert metadata.maintainers[0].email == "ml@example.com"
    assert metadata.dependencies[0].values_key == "cache"
    assert metadata.annotations == {"team": "ml"}


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (VALID + "appversion: 1.0\n", 4, "unknown field 'appversion'"),
        ("apiVersion: v2\nname: tf\n", None, "'version' is required"),
        ("apiVersion: v1\nname: tf\nversion: 1.0.0\n", 1, "apiVersion must be 'v2'"),
        ("apiVersion: v2\nname: TF_Cluster\nversion: 1.0.0\n", 2, "name 'TF_Cluster' is not a valid chart name"),
        ("apiVersion: v2\nname: tf\nversion: '1.0'\n", 3, "version '1.0' is not a valid SemVer 2 version"),
        ("apiVersion: v2\nname: tf\nversion: v1.0.0\n", 3, "not a valid SemVer 2"),
        (VALID + "appVersion: 2.0\n", 4, "appVersion must be a string"),
        (VALID + "kubeVersion: '>=>1'\n", 4, "kubeVersion '>=>1' is not a valid constraint"),
        (VALID + "type: plugin\n", 4, "type must be one of application, library"),
        (VALID + "dependencies:\n  - name: x\n    repo: y\n", 4, "dependencies[0] has unknown field(s): repo"),
        (VALID + "annotations:\n  a: 1\n", 4, "annotations must be a mapping of strings"),
        (VALID + "dependencies:\n  - name: x\n    condition: [a]\n", 4, "dependencies[0].condition must be a string"),
        (VALID + "dependencies:\n  - name: x\n    enabled: 'yes'\n", 4, "dependencies[0].enabled must be true or false"),
        (VALID + "dependencies:\n  - name: x\n    tags: [1]\n", 4, "dependencies[0].tags must be a list of strings"),
    ],
)
def test_invalid_chart_yaml_names_file_line_and_problem(text, line, expected):
    with pytest.raises(ChartError) as caught:
        parse_metadata(text, source="charts/tf")
    message = str(caught.value)
    assert expected in message
    prefix = "charts/tf/Chart.yaml" + (f":{line}" if line else "")
    assert message.startswith(prefix + ":"), message


def test_malformed_yaml_reports_line():
    with pytest.raises(ChartError) as caught:
        parse_metadata("apiVersion: v2\nname: [tf\nversion: 1.0.0\n", source="c")
    assert str(caught.value).startswith("c/Chart.yaml:")
    assert "invalid YAML" in str(caught.value)
    assert caught.value.line is not None


def test_chart_yaml_must_be_a_mapping():
    with pytest.raises(ChartError, match="must be a mapping"):
        parse_metadata("- a\n- b\n")


def test_python_tags_are_not_executed():
    with pytest.raises(ChartError, match="invalid YAML"):
        parse_metadata(VALID + "x: !!python/object/apply:os.system ['true']\n")
