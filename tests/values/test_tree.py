"""The values of a chart tree: built once, and the same for the CLI and the library.

Fixtures: ``tests/fixtures/deps/stack`` (``db`` behind a condition and, aliased ``cache``,
behind a tag; ``web`` with a conditional ``sidecar`` that has a ``leaf`` no dependency names;
the parent's values.yaml sets some subchart values and a ``global`` map) and
``tests/fixtures/deps/app`` (see tests/actions/test_subchart_rendering.py).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import tfhelm
from tfhelm.actions.configuration import Configuration
from tfhelm.actions.install import InstallOptions, install
from tfhelm.actions.template import TemplateOptions, run_template
from tfhelm.actions.upgrade import UpgradeOptions, upgrade
from tfhelm.errors import ChartError, SchemaError
from tfhelm.kube.fake import FakeKubeClient
from tfhelm.values import tree as tree_module
from tfhelm.values.options import ValueOptions
from tfhelm.values.tree import chart_values, values_tree

from helpers import run_cli

DEPS = Path(__file__).parents[1] / "fixtures" / "deps"
STACK, APP = DEPS / "stack", DEPS / "app"
# every chart position of the stack fixture, in render order (all are on by default)
STACK_POSITIONS = (
    "stack",
    "stack/charts/db",
    "stack/charts/cache",
    "stack/charts/web",
    "stack/charts/web/charts/sidecar",
    "stack/charts/web/charts/sidecar/charts/leaf",
)


def library_render(chart_dir: Path, *sets: str) -> tfhelm.RenderResult:
    """The documented library path: load_chart → merge_values → render."""
    chart = tfhelm.load_chart(chart_dir)
    values = tfhelm.merge_values(chart.values, values=list(sets))
    return tfhelm.render(chart, values, release=tfhelm.ReleaseInfo("rel", namespace="ns"))


def objects(result: tfhelm.RenderResult) -> dict[str, dict]:
    return {manifest.source: manifest.object for manifest in result.manifests}


def sources(tree) -> list[str]:
    return [node.source for node in tree.nodes]


def test_library_lays_a_subcharts_defaults_under_what_the_parent_sets():
    # stack/values.yaml sets db.port only; db's own default user must still be there
    service = objects(library_render(STACK))["stack/charts/db/templates/service.yaml"]
    assert service["metadata"]["labels"]["user"] == "admin"
    assert service["spec"]["ports"] == [{"port": 5433}]


def test_a_null_in_the_parents_values_deletes_a_default_for_that_alias_only():
    tree = chart_values(tfhelm.load_chart(STACK), {})
    assert tree.values["db"]["user"] == "admin"
    assert "user" not in tree.values["cache"]
    assert tree.values["cache"]["port"] == 6379


def test_globals_reach_every_level_and_the_parents_win():
    rendered = objects(library_render(STACK, "global.env=staging"))
    for source in ("stack/charts/web/charts/sidecar", "stack/charts/web/charts/sidecar/charts/leaf"):
        assert rendered[f"{source}/templates/configmap.yaml"]["data"]["env"] == "staging", source
    labels = rendered["stack/charts/db/templates/service.yaml"]["metadata"]["labels"]
    assert (labels["env"], labels["region"]) == ("staging", "eu")  # db's own global.env is dev


def test_conditions_tags_and_aliases_choose_the_charts_in_render_order():
    chart = tfhelm.load_chart(STACK)
    assert sources(chart_values(chart, {})) == list(STACK_POSITIONS)
    off = chart_values(
        chart, {"db": {"enabled": False}, "tags": {"caching": False}, "web": {"sidecar": {"enabled": False}}}
    )
    assert sources(off) == ["stack", "stack/charts/web"]
    assert [node.chart.name for node in chart_values(chart, {}).nodes][:3] == ["stack", "db", "cache"]


def test_disabled_subcharts_still_get_values_a_condition_may_read():
    tree = chart_values(tfhelm.load_chart(STACK), {"db": {"enabled": False}})
    assert "stack/charts/db" not in sources(tree)
    assert tree.values["db"] == {
        "enabled": False,
        "user": "admin",
        "port": 5433,
        "global": {"env": "prod", "region": "eu"},
    }


def test_each_enabled_charts_schema_checks_its_own_values():
    chart = tfhelm.load_chart(STACK)
    with pytest.raises(SchemaError) as caught:
        chart_values(chart, {"cache": {"port": 0}})
    assert caught.value.violations[0][0] == "port"
    chart_values(chart, {"cache": {"port": 0}, "tags": {"caching": False}})  # disabled: not checked
    chart_values(chart, {"cache": {"port": 0}}, validate=False)


def test_building_the_tree_leaves_its_input_alone():
    chart = tfhelm.load_chart(STACK)
    merged = tfhelm.merge_values(chart.values)
    snapshot = repr(merged)
    tree = values_tree(chart, merged)
    assert repr(merged) == snapshot
    assert tree.values["db"]["user"] == "admin" and "user" not in merged["db"]


def test_a_missing_dependency_is_refused_on_the_library_path_too(tmp_path):
    chart_yaml = "apiVersion: v2\nname: p\nversion: 0.1.0\ndependencies:\n  - name: gone\n    version: 1.0.0\n"
    (tmp_path / "Chart.yaml").write_text(chart_yaml)
    chart = tfhelm.load_chart(tmp_path)
    with pytest.raises(ChartError, match="missing in charts/ directory: gone"):
        tfhelm.render(chart, tfhelm.merge_values(chart.values))


CASES = [
    (STACK, ()),
    (STACK, ("db.enabled=false",)),
    (STACK, ("tags.caching=false",)),
    (STACK, ("web.sidecar.enabled=false", "web.replicas=2")),
    (STACK, ("global.env=staging", "cache.port=7000", "db.user=null")),
    (APP, ()),
    (APP, ("worker.enabled=false", "global.team=platform")),
    (APP, ("tags.training=false", "tags.observability=true")),
    (APP, ("global.metricsEnabled=false", "metrics.enabled=true", "trainer.image=t:2")),
]


@pytest.mark.parametrize(("chart_dir", "sets"), CASES, ids=[f"{c.name}:{','.join(s) or 'defaults'}" for c, s in CASES])
def test_the_library_renders_what_the_cli_prints(chart_dir, sets):
    flags = [flag for expression in sets for flag in ("--set", expression)]
    cli = run_cli("template", "rel", str(chart_dir), "-n", "ns", *flags)
    assert cli.returncode == 0, cli.stderr
    library = library_render(chart_dir, *sets)
    assert cli.stdout == library.manifest_text
    assert len(library.manifests) >= 2 and any("/charts/" in m.source for m in library.manifests)


@pytest.fixture
def walks(monkeypatch):
    """Every visit of a chart by the tree walk, by its position in the tree."""
    visits: Counter[str] = Counter()
    original = tree_module._walk

    def counting(chart, values, source, tags):
        visits[source] += 1
        return original(chart, values, source, tags)

    monkeypatch.setattr(tree_module, "_walk", counting)
    return visits


def test_template_walks_the_tree_once(walks):
    run_template(TemplateOptions(chart=str(STACK), release_name="rel"))
    assert walks == Counter(STACK_POSITIONS)


def test_install_and_upgrade_walk_the_tree_once_each(walks):
    kube = FakeKubeClient()
    config = Configuration.for_client(kube, "ml")
    install(config, InstallOptions(chart=str(STACK), name="rel"))
    assert walks == Counter(STACK_POSITIONS)
    walks.clear()
    upgrade(config, UpgradeOptions(name="rel", chart=str(STACK), values=ValueOptions(values=("web.replicas=3",))))
    assert walks == Counter(STACK_POSITIONS)
    walks.clear()
    kube.writes.clear()
    same = UpgradeOptions(name="rel", chart=str(STACK), values=ValueOptions(values=("web.replicas=3",)))
    unchanged = upgrade(config, same)  # the fingerprint matches: nothing rendered, nothing sent
    assert (unchanged.revision, kube.object_writes()) == (3, [])
    assert walks == Counter(STACK_POSITIONS)
