"""The everyday release flags against the in-memory cluster: list status filters, get metadata,
--cleanup-on-fail (uninstall --wait is in test_release_actions.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.deploy import DeployOptions
from tfhelm.actions.get import GetOptions, get_release, release_metadata
from tfhelm.actions.install import InstallOptions, install
from tfhelm.actions.list import ListOptions, list_releases, statuses_of
from tfhelm.actions.uninstall import UninstallOptions, uninstall
from tfhelm.actions.upgrade import UpgradeOptions, upgrade
from tfhelm.errors import ClusterError, WaitTimeout
from tfhelm.kube import ObjectRef
from tfhelm.kube.fake import FakeKubeClient
from tfhelm.release import Status
from tfhelm.values.options import ValueOptions

CHART = str(Path(__file__).parents[1] / "fixtures" / "release" / "workers")
NS = "ml"


@pytest.fixture
def kube():
    return FakeKubeClient()


@pytest.fixture
def config(kube):
    return Configuration.for_client(kube, NS)


def do_install(config, name="demo", *sets, **deploy):
    options = InstallOptions(chart=CHART, name=name, values=ValueOptions(values=sets), deploy=DeployOptions(**deploy))
    return install(config, options)


def do_upgrade(config, name="demo", *sets, **deploy):
    options = UpgradeOptions(name=name, chart=CHART, values=ValueOptions(values=sets), deploy=DeployOptions(**deploy))
    return upgrade(config, options)


def ref(kind, name, api="v1"):
    return ObjectRef(api, kind, name, NS)


def names(config, *filters, show_all=False):
    listed = list_releases(config, ListOptions(show_all=show_all, statuses=statuses_of(filters)))
    return [(r.name, r.revision, r.status.value) for r in listed.releases]


@pytest.fixture
def four_releases(config, kube):
    """ok: deployed at revision 2 (1 superseded); gone: uninstalled, history kept; broken: failed."""
    do_install(config, "ok", "job=false,workers=0")
    do_upgrade(config, "ok", "job=false,workers=0,message=new")
    do_install(config, "gone", "job=false,workers=0")
    uninstall(config, UninstallOptions(name="gone", keep_history=True))
    kube.fail_on("apply", ClusterError("admission webhook denied"), lambda r: r.name == "broken-config")
    with pytest.raises(ClusterError):
        do_install(config, "broken", "job=false,workers=0")


def test_list_status_flags_pick_statuses_like_helm(config, four_releases):
    assert names(config) == [("broken", 1, "failed"), ("ok", 2, "deployed")]  # the default
    assert names(config, "deployed") == [("ok", 2, "deployed")]
    assert names(config, "failed") == [("broken", 1, "failed")]
    assert names(config, "uninstalled") == [("gone", 1, "uninstalled")]
    assert names(config, "deployed", "uninstalled") == [("gone", 1, "uninstalled"), ("ok", 2, "deployed")]
    assert names(config, "pending") == [] and names(config, "uninstalling") == []
    assert [n for n, _, _ in names(config, show_all=True)] == ["broken", "gone", "ok"]


def test_superseded_alone_lists_the_earlier_revisions(config, four_releases):
    assert names(config, "superseded") == [("ok", 1, "superseded")]
    assert names(config, "superseded", "deployed") == [("ok", 2, "deployed")]  # latest revisions only, as Helm


def test_get_metadata_has_helms_fields(config):
    do_install(config, "demo")
    metadata = release_metadata(get_release(config, GetOptions("demo")))
    assert list(metadata) == [
        "name", "chart", "version", "appVersion", "namespace", "revision", "status", "deployedAt", "applyMethod"
    ]
    assert metadata["chart"] == "workers" and metadata["version"] == "0.1.0" and metadata["appVersion"] == "1.0"
    assert (metadata["namespace"], metadata["revision"], metadata["status"]) == (NS, 1, "deployed")
    assert metadata["applyMethod"] == "ssa"
    assert metadata["deployedAt"].endswith("Z") and len(metadata["deployedAt"]) == len("2026-01-02T15:04:05Z")


def test_get_metadata_carries_chart_annotations_and_dependencies(config, tmp_path):
    import shutil

    chart = tmp_path / "annotated"
    shutil.copytree(CHART, chart)
    with (chart / "Chart.yaml").open("a") as stream:
        stream.write("annotations:\n  team: ml\ndependencies:\n  - name: sub\n    version: 1.0.0\n    enabled: false\n")
    sub = chart / "charts" / "sub"
    sub.mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 1.0.0\n")
    deploy = DeployOptions(skip_schema_validation=True)  # the fixture's schema does not know the subchart's key
    install(config, InstallOptions(chart=str(chart), name="demo", values=ValueOptions(values=("job=false",)), deploy=deploy))
    metadata = release_metadata(get_release(config, GetOptions("demo")))
    assert metadata["annotations"] == {"team": "ml"}
    assert [d["name"] for d in metadata["dependencies"]] == ["sub"]


def test_cleanup_on_fail_deletes_what_a_failed_install_created(config, kube):
    warnings = []
    with pytest.raises(WaitTimeout):
        do_install(config, "demo", wait=True, timeout=0.1, cleanup_on_fail=True, on_warning=warnings.append)
    assert kube.get(ref("ConfigMap", "demo-config")) is None
    assert kube.get(ref("StatefulSet", "demo-worker-0", "apps/v1")) is None
    failed = config.storage.get("demo")
    assert failed.status is Status.FAILED and failed.objects == []  # the record stays, without the deleted objects
    assert warnings == ["--cleanup-on-fail deleted 7 object(s) this operation created"]


def test_cleanup_on_fail_deletes_only_what_a_failed_upgrade_created(config, kube):
    do_install(config, "demo", "job=false,workers=1")
    kube.fail_on("apply", ClusterError("admission webhook denied"), lambda r: r.name == "demo-worker-2")
    with pytest.raises(ClusterError):
        do_upgrade(config, "demo", "job=false,workers=3,message=new", cleanup_on_fail=True, on_warning=lambda m: None)
    assert kube.get(ref("ConfigMap", "demo-config"))["data"]["message"] == "new"  # existed before: kept, as Helm
    assert kube.get(ref("StatefulSet", "demo-worker-0", "apps/v1")) is not None
    assert kube.get(ref("Service", "demo-worker-1")) is None  # created by the failed upgrade
    assert kube.get(ref("StatefulSet", "demo-worker-1", "apps/v1")) is None
    assert config.storage.get("demo").status is Status.FAILED


def test_without_cleanup_on_fail_a_failed_install_leaves_its_objects(config, kube):
    with pytest.raises(WaitTimeout):
        do_install(config, "demo", wait=True, timeout=0.1)
    assert kube.get(ref("ConfigMap", "demo-config")) is not None
