"""crds/ on install, upgrade and uninstall (in-memory cluster), and Helm's resource-policy: keep."""

from __future__ import annotations

import pytest
import yaml

from helpers import crd_document, write_chart
from tfhelm.actions.configuration import Configuration
from tfhelm.actions.deploy import DeployOptions
from tfhelm.actions.install import InstallOptions, install
from tfhelm.actions.uninstall import UninstallOptions, uninstall
from tfhelm.actions.upgrade import UpgradeOptions, upgrade
from tfhelm.errors import ChartError
from tfhelm.kube import ObjectRef
from tfhelm.kube.fake import FakeKubeClient
from tfhelm.values.options import ValueOptions

NS = "ml"
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec: {size: 1}\n"
CONFIG = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"


def crd_ref(kind):
    return ObjectRef("apiextensions.k8s.io/v1", "CustomResourceDefinition", kind.lower() + "s.example.com")


@pytest.fixture
def kube():
    return FakeKubeClient()


@pytest.fixture
def config(kube):
    return Configuration.for_client(kube, NS)


@pytest.fixture
def chart(tmp_path):
    """app: crds/widget.yaml, a Widget and a ConfigMap; subchart on (crds/gadget.yaml) and off (crds/gizmo.yaml)."""
    root = write_chart(
        tmp_path / "app",
        {
            "Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
            "  - name: gadgets\n  - name: gizmos\n    condition: gizmos.enabled\n",
            "values.yaml": "gizmos: {enabled: false}\n",
            "crds/widget.yaml": crd_document("Widget"),
            "templates/widget.yaml": WIDGET,
            "templates/config.yaml": CONFIG,
        },
        name="app",
    )
    write_chart(root / "charts" / "gadgets", {"crds/gadget.yaml": crd_document("Gadget")}, name="gadgets")
    write_chart(root / "charts" / "gizmos", {"crds/gizmo.yaml": crd_document("Gizmo")}, name="gizmos")
    return root


def do_install(config, chart, *sets, **deploy):
    values, deploy_options = ValueOptions(values=sets), DeployOptions(**deploy)
    return install(config, InstallOptions(chart=str(chart), name="demo", values=values, deploy=deploy_options))


def test_install_creates_the_crds_before_any_template_object(config, kube, chart):
    release = do_install(config, chart)
    writes = [(verb, ref.kind) for verb, ref in kube.writes if ref.kind != "Secret"]
    assert writes[:2] == [("create", "CustomResourceDefinition")] * 2
    assert sorted(writes[2:]) == [("apply", "ConfigMap"), ("apply", "Widget")]
    assert kube.get(crd_ref("Widget")) is not None and kube.get(crd_ref("Gadget")) is not None
    assert kube.get(crd_ref("Gizmo")) is None  # its subchart is disabled
    assert kube.get(ObjectRef("example.com/v1", "Widget", "w", NS))["metadata"]["namespace"] == NS
    # not release objects: no ownership annotations, not in the record
    assert "tfhelm.io/release-name" not in (kube.get(crd_ref("Widget"))["metadata"].get("annotations") or {})
    assert {s["kind"] for s in release.objects} == {"Widget", "ConfigMap"}
    assert "CustomResourceDefinition" not in release.manifest


def test_a_crd_already_present_is_left_exactly_as_it_is(config, kube, chart):
    theirs = yaml.safe_load(crd_document("Widget"))
    theirs["metadata"]["labels"] = {"mine": "yes"}
    existing = kube.create(theirs)
    do_install(config, chart)
    assert kube.get(crd_ref("Widget")) == existing
    assert ("create", crd_ref("Widget")) not in kube.writes[1:]


def test_skip_crds_creates_none(config, kube, chart):
    do_install(config, chart, skip_crds=True)
    assert not [ref for _, ref in kube.writes if ref.kind == "CustomResourceDefinition"]


def test_uninstall_leaves_the_crds_of_crds_dir(config, kube, chart):
    do_install(config, chart)
    result = uninstall(config, UninstallOptions(name="demo"))
    assert {ref.kind for ref in result.deleted} == {"Widget", "ConfigMap"}
    assert kube.get(crd_ref("Widget")) is not None and kube.get(crd_ref("Gadget")) is not None


def test_upgrade_neither_creates_nor_changes_crds(config, kube, chart):
    do_install(config, chart)
    before = kube.get(crd_ref("Widget"))
    (chart / "crds" / "widget.yaml").write_text(crd_document("Widget").replace("served: true", "served: false"))
    (chart / "crds" / "extra.yaml").write_text(crd_document("Extra"))
    upgrade(config, UpgradeOptions(name="demo", chart=str(chart), values=ValueOptions(values=("x=1",))))
    assert kube.get(crd_ref("Widget")) == before
    assert kube.get(crd_ref("Extra")) is None


def test_upgrade_install_creates_them_when_it_installs(config, kube, chart):
    upgrade(config, UpgradeOptions(name="demo", chart=str(chart), install=True))
    assert kube.get(crd_ref("Widget")) is not None


def test_a_non_crd_in_crds_is_refused_before_anything_is_written(config, kube, chart):
    (chart / "crds" / "oops.yaml").write_text(CONFIG)
    with pytest.raises(ChartError, match=r"app/crds/oops.yaml.*v1 ConfigMap"):
        do_install(config, chart)
    assert kube.writes == []


@pytest.mark.parametrize("annotation", ["helm.sh/resource-policy", "tfhelm.io/resource-policy"])
@pytest.mark.parametrize("value", ["keep", " Keep "])
def test_resource_policy_keep_survives_uninstall_and_removal_on_upgrade(config, kube, tmp_path, annotation, value):
    chart = write_chart(
        tmp_path / "kept",
        {
            "values.yaml": "extra: true\n",
            "templates/crd.yaml": crd_document("Thing").replace(
                "metadata:\n", f"metadata:\n  annotations:\n    {annotation}: '{value}'\n", 1
            ),
            "templates/extra.yaml": "{% if Values.extra %}\n"
            + CONFIG.replace("metadata:\n", f"metadata:\n  annotations: {{{annotation}: '{value}'}}\n")
            + "{% endif %}\n",
        },
        name="kept",
    )
    do_install(config, chart)
    upgrade(config, UpgradeOptions(name="demo", chart=str(chart), values=ValueOptions(values=("extra=false",))))
    assert kube.get(ObjectRef("v1", "ConfigMap", "c", NS)) is not None
    result = uninstall(config, UninstallOptions(name="demo"))
    assert crd_ref("Thing") in result.kept and result.deleted == []
    assert kube.get(crd_ref("Thing")) is not None


def test_a_crd_in_templates_without_keep_is_deleted_with_the_release(config, kube, tmp_path):
    chart = write_chart(tmp_path / "plain", {"templates/crd.yaml": crd_document("Thing")}, name="plain")
    do_install(config, chart)
    result = uninstall(config, UninstallOptions(name="demo"))
    assert result.deleted == [crd_ref("Thing")]
    assert kube.get(crd_ref("Thing")) is None
