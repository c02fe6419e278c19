"""The files of a chart's crds/: which are CRD files, their objects, and what is refused."""

from __future__ import annotations

import pytest

from helpers import crd_document, write_chart
from tfhelm.chart.crds import CrdFile, chart_crd_files
from tfhelm.chart.loader import load_chart
from tfhelm.errors import ChartError


def test_yaml_yml_and_json_files_at_any_depth_in_path_order(tmp_path):
    chart = load_chart(
        write_chart(
            tmp_path / "app",
            {
                "crds/b.yaml": crd_document("Beta"),
                "crds/a.yml": crd_document("Alpha"),
                "crds/nested/c.json": '{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"}',
                "crds/README.md": "not a CRD file",
                "templates/cm.yaml": "{{ not even valid jinja",
            },
            name="app",
        )
    )
    files = chart_crd_files(chart)
    assert [f.source for f in files] == ["app/crds/a.yml", "app/crds/b.yaml", "app/crds/nested/c.json"]
    assert files[1].text == crd_document("Beta")  # as written, never templated
    assert "crds/b.yaml" in chart.files  # still readable through Files, as in Helm


def test_a_subchart_is_named_by_its_place_in_the_tree(tmp_path):
    chart = load_chart(write_chart(tmp_path / "sub", {"crds/x.yaml": crd_document("X")}, name="sub"))
    assert [f.source for f in chart_crd_files(chart, "app/charts/sub")] == ["app/charts/sub/crds/x.yaml"]


def test_objects_of_a_multi_document_file_skip_empty_documents():
    text = "# leading comment\n" + crd_document("One") + "---\n---\n" + crd_document("Two")
    objects = CrdFile("app/crds/two.yaml", text).objects()
    assert [o["metadata"]["name"] for o in objects] == ["ones.example.com", "twos.example.com"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "document 2 is v1 ConfigMap"),
        ("- a\n- b\n", "document 2 is a list, not a mapping"),
        (
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {}\n",
            "document 2 has no metadata.name",
        ),
        ("a: [1\n", "invalid YAML"),
    ],
)
def test_anything_but_a_crd_is_refused_naming_the_file(text, fragment):
    with pytest.raises(ChartError, match=r"app/crds/bad\.yaml") as caught:
        CrdFile("app/crds/bad.yaml", crd_document("Fine") + "---\n" + text).objects()
    assert fragment in str(caught.value)
