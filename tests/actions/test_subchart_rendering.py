"""A parent chart with subcharts renders each subchart with its own values, as Helm does.

The fixture ``tests/fixtures/deps/app`` vendors ``worker`` (used twice: as itself and under the
alias ``trainer``, with a values schema) and ``metrics`` (behind a condition and a tag).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhelm.actions.template import TemplateOptions, run_template
from tfhelm.errors import SchemaError
from tfhelm.values.options import ValueOptions

APP = Path(__file__).parents[1] / "fixtures" / "deps" / "app"


def render(*set_values: str):
    return run_template(TemplateOptions(chart=str(APP), release_name="rel", values=ValueOptions(values=set_values)))


def objects(result) -> dict[str, dict]:
    return {manifest.source: manifest.object for manifest in result.manifests}


def test_each_subchart_sees_its_own_values_over_its_defaults():
    rendered = objects(render("worker.image=custom:1"))
    worker = rendered["app/charts/worker/templates/deployment.yaml"]
    assert worker["spec"]["replicas"] == 2  # parent's values.yaml under "worker"
    assert worker["spec"]["template"]["spec"]["containers"][0]["image"] == "custom:1"  # user's --set
    assert worker["spec"]["selector"]["matchLabels"] == {"role": "worker"}  # the subchart's default
    assert rendered["app/charts/metrics/templates/service.yaml"]["spec"]["ports"] == [{"port": 9090}]


def test_global_values_reach_subcharts_and_override_their_global_defaults():
    worker = objects(render("global.team=platform"))["app/charts/worker/templates/deployment.yaml"]
    assert worker["metadata"]["labels"] == {"team": "platform", "zone": "eu"}  # zone: the subchart's own global


def test_an_alias_renders_the_same_chart_again_under_its_own_name_and_values():
    trainer = objects(render())["app/charts/trainer/templates/deployment.yaml"]
    assert trainer["metadata"]["name"] == "rel-trainer"  # Chart.name is the alias, as in Helm
    assert trainer["spec"]["replicas"] == 4
    assert trainer["spec"]["selector"]["matchLabels"] == {"role": "trainer"}


def test_a_false_condition_disables_a_subchart():
    sources = set(objects(render("worker.enabled=false")))
    assert "app/charts/worker/templates/deployment.yaml" not in sources
    assert "app/charts/trainer/templates/deployment.yaml" in sources  # the alias has no condition


def test_tags_disable_a_subchart_unless_its_condition_says_otherwise():
    assert "app/charts/trainer/templates/deployment.yaml" not in objects(render("tags.training=false"))
    assert "app/charts/metrics/templates/service.yaml" not in objects(render("tags.observability=false"))
    # the condition is checked first: metrics.enabled=true wins over its tag
    enabled = objects(render("tags.observability=false", "metrics.enabled=true"))
    assert "app/charts/metrics/templates/service.yaml" in enabled


def test_the_first_condition_path_that_is_set_decides():
    assert "app/charts/metrics/templates/service.yaml" not in objects(render("global.metricsEnabled=false"))
    both = objects(render("metrics.enabled=true", "global.metricsEnabled=false"))
    assert "app/charts/metrics/templates/service.yaml" in both


def test_objects_from_all_charts_are_sorted_together_by_kind():
    kinds = [manifest.object["kind"] for manifest in render().manifests]
    assert kinds == ["ConfigMap", "Service", "Deployment", "Deployment"]


def test_a_subchart_schema_validates_its_own_part_with_the_path_in_the_message():
    with pytest.raises(SchemaError) as caught:
        render("worker.replicas=0")
    assert caught.value.chart == "worker"
    assert [path for path, _ in caught.value.violations] == ["replicas"]


def test_a_subchart_schema_checks_each_alias_separately():
    with pytest.raises(SchemaError) as caught:
        render("trainer.role=7")
    assert caught.value.chart == "trainer"


def test_a_disabled_subchart_is_not_validated():
    result = render("worker.enabled=false", "worker.replicas=0")
    assert "app/charts/worker/templates/deployment.yaml" not in objects(result)


def test_subcharts_render_from_packaged_archives_too(tmp_path):
    import shutil

    from tfhelm.chart.archive import write_chart_archive
    from tfhelm.chart.loader import load_chart

    parent = tmp_path / "app"
    shutil.copytree(APP, parent)
    worker = parent / "charts" / "worker"
    write_chart_archive(load_chart(worker), parent / "charts")
    shutil.rmtree(worker)
    result = run_template(TemplateOptions(chart=str(parent), release_name="rel"))
    assert {"app/charts/worker/templates/deployment.yaml", "app/charts/trainer/templates/deployment.yaml"} <= set(objects(result))
