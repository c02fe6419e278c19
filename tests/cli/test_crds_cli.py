"""crds/ through the console script: template --include-crds, show crds, lint's findings."""

from __future__ import annotations

import yaml

from helpers import crd_document, run_cli, write_chart

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.name }}\n"


def chart_with_crds(tmp_path):
    root = write_chart(
        tmp_path / "app",
        {
            "crds/widget.yaml": "# as written: {{ not templated }}\n" + crd_document("Widget"),
            "templates/cm.yaml": CM,
        },
        name="app",
    )
    write_chart(root / "charts" / "sub", {"crds/gadget.yaml": crd_document("Gadget")}, name="sub")
    return root


def test_template_prints_crds_only_with_include_crds_first_and_as_written(tmp_path):
    root = chart_with_crds(tmp_path)
    plain = run_cli("template", "r", str(root))
    assert plain.returncode == 0, plain.stderr
    assert "CustomResourceDefinition" not in plain.stdout
    result = run_cli("template", "r", str(root), "--include-crds")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "---\n# Source: app/crds/widget.yaml\n# as written: {{ not templated }}\n" + crd_document("Widget") + "\n"
        "---\n# Source: app/charts/sub/crds/gadget.yaml\n" + crd_document("Gadget") + "\n" + plain.stdout
    )


def test_template_output_dir_writes_crds_beside_templates(tmp_path):
    root = chart_with_crds(tmp_path)
    result = run_cli("template", "r", str(root), "--include-crds", "--output-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "out" / "app" / "crds" / "widget.yaml").read_text()
    assert yaml.safe_load(written.split("\n", 2)[2])["metadata"]["name"] == "widgets.example.com"
    assert (tmp_path / "out" / "app" / "charts" / "sub" / "crds" / "gadget.yaml").is_file()


def test_show_crds_prints_every_crd_file_of_the_tree(tmp_path):
    result = run_cli("show", "crds", str(chart_with_crds(tmp_path)))
    assert result.returncode == 0, result.stderr
    widget = "---\n# as written: {{ not templated }}\n" + crd_document("Widget") + "\n"
    assert result.stdout == widget + "---\n" + crd_document("Gadget") + "\n"


def test_lint_refuses_a_non_crd_in_crds_and_warns_about_a_crd_in_templates(tmp_path):
    root = write_chart(
        tmp_path / "app",
        {
            "values.schema.json": "{}",
            "crds/oops.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
            "templates/crd.yaml": crd_document("Thing"),
            "templates/kept.yaml": crd_document("Kept").replace(
                "metadata:\n", "metadata:\n  annotations: {helm.sh/resource-policy: keep}\n", 1
            ),
        },
        name="app",
    )
    result = run_cli("lint", str(root))
    assert result.returncode == 1
    assert "[ERROR] crds: app/crds/oops.yaml: document 1 is v1 ConfigMap" in result.stdout
    warnings = [line for line in result.stdout.splitlines() if "deleted with the release" in line]
    assert len(warnings) == 1 and "things.example.com" in warnings[0] and "belongs" not in warnings[0]
    assert "move it to crds/" in warnings[0]
