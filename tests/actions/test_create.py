"""``tfhelm create``: the starter chart lints clean (strict), renders with and without its options,
and is written whole or not at all."""

from __future__ import annotations

import pytest

from tfhelm.actions.create import CreateOptions, create_chart
from tfhelm.actions.lint import LintOptions, run_lint
from tfhelm.actions.template import TemplateOptions, run_template
from tfhelm.errors import ChartError, UsageError
from tfhelm.values.options import ValueOptions
import yaml

ALL_OPTIONS = ValueOptions(
    json_values=(
        'podAnnotations={"prometheus.io/scrape": "true"}',
        'resources={"requests": {"cpu": "100m", "memory": "128Mi"}}',
        'nodeSelector={"disktype": "ssd"}',
        'tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]',
        'affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": '
        '[{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}}',
    ),
    values=("replicaCount=3", "image.tag=1.25", "service.type=NodePort"),
)


def objects(chart, name="rel", values=ValueOptions()):
    result = run_template(TemplateOptions(chart=str(chart), release_name=name, values=values))
    return {doc["kind"]: doc for doc in yaml.safe_load_all(result.manifest_text) if doc}, result


def test_the_starter_chart_has_helms_layout(tmp_path):
    chart = create_chart(CreateOptions(tmp_path / "web"))
    files = sorted(p.relative_to(chart).as_posix() for p in chart.rglob("*") if p.is_file())
    assert files == [".tfhelmignore", "Chart.yaml", "templates/NOTES.txt", "templates/_helpers.tpl",
                     "templates/deployment.yaml", "templates/service.yaml", "values.schema.json", "values.yaml"]
    assert "name: web\n" in (chart / "Chart.yaml").read_text()


@pytest.mark.parametrize("values", [ValueOptions(), ALL_OPTIONS], ids=["defaults", "every-option"])
def test_the_starter_chart_lints_clean_even_strict(tmp_path, values):
    chart = create_chart(CreateOptions(tmp_path / "web"))
    report = run_lint(LintOptions(chart=str(chart), values=values, strict=True))
    assert not report.failed, [str(f) for f in report.findings]
    assert report.count("WARNING") == 0 and report.objects_checked == 2


def test_the_starter_chart_renders_a_deployment_and_a_service_that_select_the_pods(tmp_path):
    chart = create_chart(CreateOptions(tmp_path / "web"))
    rendered, result = objects(chart, "shop")
    deployment, service = rendered["Deployment"], rendered["Service"]
    assert deployment["metadata"]["name"] == service["metadata"]["name"] == "shop-web"
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27.0"
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    assert "port-forward service/shop-web 8080:80" in result.notes
    assert objects(chart, "web")[0]["Service"]["metadata"]["name"] == "web"  # the chart's name is not repeated


def test_every_option_reaches_the_deployment(tmp_path):
    chart = create_chart(CreateOptions(tmp_path / "web"))
    deployment = objects(chart, values=ALL_OPTIONS)[0]["Deployment"]
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["replicas"] == 3
    assert pod["metadata"]["annotations"] == {"prometheus.io/scrape": "true"}
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert pod["spec"]["containers"][0]["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"}}
    assert pod["spec"]["nodeSelector"] == {"disktype": "ssd"}
    assert pod["spec"]["tolerations"][0]["key"] == "gpu"
    assert "nodeAffinity" in pod["spec"]["affinity"]


def test_the_schema_refuses_a_typo(tmp_path):
    from tfhelm.errors import SchemaError

    chart = create_chart(CreateOptions(tmp_path / "web"))
    with pytest.raises(SchemaError, match=r"replicaCont: unknown key \(did you mean 'replicaCount'\?\)"):
        objects(chart, values=ValueOptions(values=("replicaCont=2",)))


def test_an_invalid_name_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(UsageError, match=r"cannot create a chart named 'My_Chart'.*e\.g\. 'my-chart'"):
        create_chart(CreateOptions(tmp_path / "My_Chart"))
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_keeps_its_files_and_gets_the_chart(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "notes.md").write_text("mine")
    create_chart(CreateOptions(tmp_path / "web"))
    assert (tmp_path / "web" / "notes.md").read_text() == "mine"
    assert (tmp_path / "web" / "templates" / "deployment.yaml").is_file()


def test_a_starter_file_already_there_stops_create_with_nothing_written(tmp_path):
    (tmp_path / "web" / "templates").mkdir(parents=True)
    (tmp_path / "web" / "values.yaml").write_text("mine: 1\n")
    with pytest.raises(ChartError, match=r"values\.yaml already there \(nothing was written\)"):
        create_chart(CreateOptions(tmp_path / "web"))
    assert sorted(p.name for p in (tmp_path / "web").rglob("*")) == ["templates", "values.yaml"]
    assert (tmp_path / "web" / "values.yaml").read_text() == "mine: 1\n"


def test_a_new_directory_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    from pathlib import Path

    real_write = Path.write_text

    def fail_on_the_schema(self, text, *args, **kwargs):
        if self.name == "values.schema.json":
            raise OSError("disk full")
        return real_write(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", fail_on_the_schema)
    with pytest.raises(OSError, match="disk full"):
        create_chart(CreateOptions(tmp_path / "web"))
    assert list(tmp_path.iterdir()) == []
