"""Release actions against the in-memory cluster: the whole lifecycle and its failure modes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.deploy import DeployOptions
from tfhelm.actions.diff import diff_upgrade
from tfhelm.actions.history import HistoryOptions, history
from tfhelm.actions.install import InstallOptions, install
from tfhelm.actions.list import ListOptions, list_releases, release_row
from tfhelm.actions.rollback import RollbackOptions, rollback
from tfhelm.actions.status import StatusOptions, status
from tfhelm.actions.uninstall import UninstallOptions, uninstall
from tfhelm.actions.upgrade import UpgradeOptions, upgrade
from tfhelm.errors import WaitTimeout
from tfhelm.errors import ClusterError, ReleaseError, UsageError
from tfhelm.kube import ObjectRef
from tfhelm.kube.fake import FakeKubeClient
from tfhelm.release import Status
from tfhelm.release.lock import ReleaseLock
from tfhelm.values.options import ValueOptions

CHART = str(Path(__file__).parents[1] / "fixtures" / "release" / "workers")
NS = "ml"


@pytest.fixture
def kube():
    return FakeKubeClient()


@pytest.fixture
def config(kube):
    return Configuration.for_client(kube, NS)


def values(*sets):
    return ValueOptions(values=tuple(sets))


def do_install(config, *sets, **deploy):
    return install(config, InstallOptions(chart=CHART, name="demo", values=values(*sets), deploy=DeployOptions(**deploy)))


def do_upgrade(config, *sets, **flags):
    deploy = DeployOptions(**{k: flags.pop(k) for k in list(flags) if k in DeployOptions.__dataclass_fields__})
    return upgrade(config, UpgradeOptions(name="demo", chart=CHART, values=values(*sets), deploy=deploy, **flags))


def ref(kind, name, api="v1"):
    return ObjectRef(api, kind, name, NS)


def test_install_applies_every_object_and_records_deployed(config, kube):
    release = do_install(config)
    assert release.status is Status.DEPLOYED and release.revision == 1
    assert release.description == "Install complete"
    assert kube.get(ref("StatefulSet", "demo-worker-1", "apps/v1"))["metadata"]["namespace"] == NS
    assert kube.get(ref("ConfigMap", "demo-config"))["metadata"]["annotations"]["tfhelm.io/release-name"] == "demo"
    assert len(release.objects) == 1 + 1 + 2 * 2 + 1
    assert release.notes.strip() == "demo runs 2 workers (revision 1)."
    secret = kube.get_secret("sh.tfhelm.release.v1.demo.v1", NS)
    assert secret["metadata"]["labels"]["status"] == "deployed"
    assert kube.get_secret("sh.tfhelm.lock.v1.demo", NS) is None


def test_write_only_values_are_redacted_in_the_record(config):
    release = do_install(config, "password=s3cret")
    assert release.values == {"password": "<redacted>"}
    assert release.computed_values["password"] == "<redacted>"
    assert "s3cret" not in str(config.storage.get("demo").to_dict()["values"])


def test_install_refuses_a_name_in_use(config):
    do_install(config)
    with pytest.raises(ReleaseError, match="cannot install release 'demo'.*tfhelm upgrade demo CHART"):
        do_install(config)


def test_upgrade_adds_workers_changes_config_and_supersedes(config, kube):
    do_install(config)
    before = kube.get(ref("StatefulSet", "demo-worker-0", "apps/v1"))
    release = do_upgrade(config, "workers=3")
    assert (release.revision, release.status) == (2, Status.DEPLOYED)
    assert kube.get(ref("StatefulSet", "demo-worker-2", "apps/v1")) is not None
    assert kube.get(ref("ConfigMap", "demo-config"))["data"]["workers"] == "3"
    after = kube.get(ref("StatefulSet", "demo-worker-0", "apps/v1"))
    assert after["spec"]["template"]["metadata"]["annotations"] != before["spec"]["template"]["metadata"]["annotations"]
    assert [r.status for r in history(config, HistoryOptions("demo"))] == [Status.SUPERSEDED, Status.DEPLOYED]


def test_upgrade_removing_objects_deletes_them_but_keeps_annotated_ones(config, kube):
    do_install(config, "keepConfig=true")
    do_upgrade(config, "job=false,workers=1,keepConfig=true")
    assert kube.get(ref("Job", "demo-setup", "batch/v1")) is None
    assert kube.get(ref("Service", "demo-worker-1")) is None
    assert kube.get(ref("Service", "demo-worker-0")) is not None


def test_no_op_upgrade_sends_no_object_write(config, kube):
    do_install(config)
    kube.writes.clear()
    release = do_upgrade(config)
    assert release.revision == 2
    assert kube.object_writes() == []


def test_upgrade_counts_what_it_created_changed_left_alone_and_deleted(config, kube):
    from tfhelm.actions.apply import ApplyCounts

    do_install(config)
    counts = []
    kube.writes.clear()
    do_upgrade(config, "workers=3", on_counts=counts.append)
    applied = [ref for verb, ref in kube.object_writes() if verb == "apply"]
    assert {(r.kind, r.name) for r in applied} >= {("Service", "demo-worker-2"), ("StatefulSet", "demo-worker-2")}
    (first,) = counts
    assert first.created == 2 and first.created + first.changed == len(applied)
    assert first.unchanged == 9 - len(applied) and first.deleted == 0
    kube.writes.clear()
    do_upgrade(config, "workers=3", "job=false", on_counts=counts.append)
    assert counts[1].deleted == 1 and counts[1].created == 0
    assert counts[1].changed == len([w for w in kube.object_writes() if w[0] == "apply"])
    kube.writes.clear()
    do_upgrade(config, "workers=3", "job=false", on_counts=counts.append)
    assert counts[2] == ApplyCounts(created=0, changed=0, unchanged=8, deleted=0) and kube.object_writes() == []
    assert str(ApplyCounts(1, 1, 2003, 0)) == "1 created, 1 changed, 2,003 unchanged, 0 deleted"


def test_install_counts_every_object_as_created(config):
    counts = []
    do_install(config, on_counts=counts.append)
    assert [(c.created, c.changed, c.unchanged, c.deleted) for c in counts] == [(7, 0, 0, 0)]


def test_an_object_deleted_behind_our_back_is_reapplied(config, kube):
    do_install(config)
    kube.delete(ref("ConfigMap", "demo-config"))
    kube.writes.clear()
    do_upgrade(config)
    assert kube.object_writes() == [("apply", ref("ConfigMap", "demo-config"))]


def test_rollback_restores_the_earlier_objects(config, kube):
    do_install(config)
    do_upgrade(config, "workers=3,message=changed")
    release = rollback(config, RollbackOptions(name="demo", revision=1))
    assert (release.revision, release.status, release.description) == (3, Status.DEPLOYED, "Rollback to 1")
    assert kube.get(ref("ConfigMap", "demo-config"))["data"] == {"message": "hello", "workers": "2"}
    assert kube.get(ref("StatefulSet", "demo-worker-2", "apps/v1")) is None
    assert [r.status for r in history(config, HistoryOptions("demo"))] == [Status.SUPERSEDED] * 2 + [Status.DEPLOYED]


def test_rollback_sends_only_the_objects_that_differ(config, kube):
    do_install(config)
    do_upgrade(config, "message=changed")
    kube.writes.clear()
    counts = []
    rollback(config, RollbackOptions(name="demo", revision=1, deploy=DeployOptions(on_counts=counts.append)))
    first, second = config.storage.get("demo", 1), config.storage.get("demo", 2)
    differ = {(s["kind"], s["name"]) for s in first.objects} - {(s["kind"], s["name"]) for s in first.objects
                                                                  if s in second.objects}
    assert ("ConfigMap", "demo-config") in differ and len(differ) < len(first.objects)
    assert sorted((r.kind, r.name) for verb, r in kube.object_writes()) == sorted(differ)
    assert [(c.created, c.changed, c.unchanged, c.deleted) for c in counts] == [(0, len(differ), 7 - len(differ), 0)]
    assert kube.get(ref("ConfigMap", "demo-config"))["data"]["message"] == "hello"


def test_list_rows_have_helms_fields(config):
    do_install(config)
    rows = [release_row(r) for r in list_releases(config, ListOptions()).releases]
    assert list(rows[0]) == ["name", "namespace", "revision", "updated", "status", "chart", "app_version"]
    assert rows[0]["chart"] == "workers-0.1.0" and rows[0]["revision"] == "1" and rows[0]["status"] == "deployed"


def test_uninstall_deletes_objects_and_records(config, kube):
    do_install(config)
    result = uninstall(config, UninstallOptions(name="demo"))
    assert len(result.deleted) == 7
    assert kube.object_writes()[-1][0] == "delete"
    assert [o for o in kube.objects if o[1] != "Secret" or o[3].startswith("demo")] == []
    assert config.storage.history("demo") == []


def test_uninstall_keep_history_marks_uninstalled_and_allows_reinstall(config):
    do_install(config)
    uninstall(config, UninstallOptions(name="demo", keep_history=True))
    assert config.storage.get("demo").status is Status.UNINSTALLED
    assert list_releases(config, ListOptions()).releases == []
    assert [r.name for r in list_releases(config, ListOptions(show_all=True)).releases] == ["demo"]
    assert do_install(config).revision == 2


def test_wait_succeeds_once_status_is_ready(config, kube):
    def make_ready():
        import time

        while kube.get(ref("Job", "demo-setup", "batch/v1")) is None:
            time.sleep(0.05)
        for index in range(2):
            kube.patch_status(ref("StatefulSet", f"demo-worker-{index}", "apps/v1"), {"readyReplicas": 1})
        kube.patch_status(ref("Job", "demo-setup", "batch/v1"), {"active": 1})

    helper = threading.Thread(target=make_ready)
    helper.start()
    release = do_install(config, wait=True, timeout=10)
    helper.join()
    assert release.status is Status.DEPLOYED


def test_wait_timeout_names_every_unready_resource_with_events(config, kube):
    kube.add_event(ref("Job", "demo-setup", "batch/v1"), "FailedCreate", "quota exceeded")
    with pytest.raises(WaitTimeout) as caught:
        do_install(config, wait=True, timeout=0.2)
    message = str(caught.value)
    assert "timed out after 0s waiting for 3 resource(s)" in message
    assert "StatefulSet/demo-worker-0 (namespace ml): 0/1 replicas ready" in message
    assert "Job/demo-setup (namespace ml): no pod running yet" in message
    assert "FailedCreate: quota exceeded" in message
    assert config.storage.get("demo").status is Status.FAILED


def test_atomic_install_removes_everything_on_failure(config, kube):
    with pytest.raises(ReleaseError, match="uninstalled because of --atomic"):
        do_install(config, wait=True, timeout=0.1, atomic=True)
    assert kube.get(ref("ConfigMap", "demo-config")) is None
    assert config.storage.history("demo") == []


def test_atomic_upgrade_rolls_back(config, kube):
    do_install(config)
    kube.fail_on("apply", ClusterError("admission webhook denied"), lambda r: r.name == "demo-worker-2")
    with pytest.raises(ReleaseError, match="rolled back to revision 1 because of --atomic"):
        do_upgrade(config, "workers=3,message=new", atomic=True)
    assert kube.get(ref("ConfigMap", "demo-config"))["data"]["message"] == "hello"
    assert [r.status for r in history(config, HistoryOptions("demo"))] == [Status.SUPERSEDED, Status.FAILED, Status.DEPLOYED]


def test_a_held_lock_refuses_a_second_upgrade(config):
    do_install(config)
    with ReleaseLock(config.kube, NS, "demo", "upgrade"):
        with pytest.raises(ReleaseError, match="release demo is busy: upgrade by"):
            do_upgrade(config)


def test_interrupted_upgrade_is_recovered_by_the_next_one(config, kube):
    do_install(config)
    stuck = config.storage.get("demo").copy(revision=2, status=Status.PENDING_UPGRADE, description="Upgrade underway")
    config.storage.create(stuck)
    ReleaseLock(kube, NS, "demo", "upgrade", ttl=-1).acquire()  # a dead command's lease
    release = do_upgrade(config, "workers=3")
    revisions = history(config, HistoryOptions("demo"))
    assert [r.status for r in revisions] == [Status.SUPERSEDED, Status.FAILED, Status.DEPLOYED]
    assert "pending-upgrade interrupted (upgrade by" in revisions[1].description
    assert "recovered by upgrade" in revisions[1].description
    assert release.revision == 3


def test_conflict_with_another_manager_is_reported_then_forced(config, kube):
    do_install(config)
    cm = kube.get(ref("ConfigMap", "demo-config"))
    kube.update_as({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "demo-config", "namespace": NS},
                    "data": {"message": "edited by hand"}}, manager="kubectl-edit")
    del cm
    with pytest.raises(ClusterError, match=r"ConfigMap/demo-config.*\.data\.message is owned by kubectl-edit"):
        do_upgrade(config, "message=again")
    assert do_upgrade(config, "message=again", force_conflicts=True).status is Status.DEPLOYED


def test_reuse_values_keeps_earlier_flags_but_asks_for_secrets_again(config):
    do_install(config, "message=custom,password=pw")
    with pytest.raises(UsageError, match=r"^password was not stored \(writeOnly\) with revision 1 of release demo, so it "
                                         r"cannot be reused; pass it again with --set-string or -f"):
        do_upgrade(config, "workers=1", reuse_values=True)
    release = do_upgrade(config, "workers=1,password=pw", reuse_values=True)
    assert release.computed_values["message"] == "custom"
    assert release.computed_values["workers"] == 1
    plain = do_upgrade(config, "workers=1")
    assert plain.computed_values["message"] == "hello"


def test_upgrade_without_values_flags_reuses_the_last_user_values(config, kube):
    do_install(config, "workers=3,message=custom")
    kube.writes.clear()
    release = do_upgrade(config)
    assert release.values == {"workers": 3, "message": "custom"}
    assert kube.get(ref("StatefulSet", "demo-worker-2", "apps/v1")) is not None
    assert kube.object_writes() == []
    reset = do_upgrade(config, reset_values=True)
    assert reset.values == {} and kube.get(ref("StatefulSet", "demo-worker-2", "apps/v1")) is None


def test_reused_values_that_need_a_write_only_value_say_which(config):
    do_install(config, "password=pw,message=custom")
    with pytest.raises(UsageError, match="^password was not stored .writeOnly.*pass it again with "
                                         "--reset-then-reuse-values --set-string password=… .or -f., or use --reset-values"):
        do_upgrade(config)
    with pytest.raises(UsageError, match="^password was not stored .writeOnly.*pass it again with --set-string or -f,"):
        do_upgrade(config, reset_then_reuse_values=True)
    assert do_upgrade(config, "password=again", reset_then_reuse_values=True).computed_values["message"] == "custom"
    assert do_upgrade(config, reset_values=True).values == {}


def test_conflicting_value_reuse_flags_are_refused(config):
    do_install(config)
    with pytest.raises(UsageError, match="--reuse-values and --reset-values cannot be used together"):
        do_upgrade(config, reuse_values=True, reset_values=True)


def test_diff_shows_changes_masks_secrets_and_counts(config):
    do_install(config, "password=first")
    result = diff_upgrade(config, UpgradeOptions(name="demo", chart=CHART, values=values("password=second,job=false,workers=3")))
    text = "".join(c.diff for c in result.changes)
    assert "first" not in text and "second" not in text
    assert "Zmlyc3Q" not in text and "c2Vjb25k" not in text  # base64 of the values
    assert "(masked, 8 chars, new value)" in text
    assert result.summary == "2 to create, 4 to change, 1 to delete (2 unchanged)"


def test_status_shows_resources_readiness(config):
    do_install(config)
    result = status(config, StatusOptions("demo", show_resources=True))
    states = {str(s.ref): s.readiness.ready for s in result.resources}
    assert states["ConfigMap/demo-config (namespace ml)"] is True
    assert states["StatefulSet/demo-worker-0 (namespace ml)"] is False


def test_history_max_prunes_old_revisions(config):
    do_install(config)
    for _ in range(4):
        do_upgrade(config, history_max=3)
    assert [r.revision for r in history(config, HistoryOptions("demo"))] == [3, 4, 5]


def test_unreachable_cluster_fails_before_anything_is_written(config, kube):
    kube.unreachable = True
    with pytest.raises(ClusterError, match="unreachable at https://fake.invalid"):
        do_install(config)
    kube.unreachable = False
    assert kube.writes == []


def test_unchanged_inputs_skip_rendering_but_still_record_a_revision(config, kube, tmp_path, monkeypatch):
    import shutil

    from tfhelm.actions import deploy as deploy_module
    from tfhelm.actions.fingerprint import revision_independent
    from tfhelm.chart.loader import load_chart

    chart = tmp_path / "workers"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "NOTES.txt").write_text("{# Release.revision is not read here #}{{ Release.name }} is up.\n")
    assert not revision_independent(load_chart(CHART)) and revision_independent(load_chart(chart))
    install(config, InstallOptions(chart=str(chart), name="demo"))
    kube.writes.clear()
    renders = []
    monkeypatch.setattr(deploy_module, "render_tree", lambda *a, **k: renders.append(1))
    counts = []
    release = upgrade(config, UpgradeOptions(name="demo", chart=str(chart), deploy=DeployOptions(on_counts=counts.append)))
    assert (release.revision, release.status, renders, kube.object_writes()) == (2, Status.DEPLOYED, [], [])
    assert [(c.created, c.changed, c.unchanged, c.deleted) for c in counts] == [(0, 0, 7, 0)]
    assert release.fingerprint == config.storage.get("demo", 1).fingerprint
    assert [r.status for r in history(config, HistoryOptions("demo"))] == [Status.SUPERSEDED, Status.DEPLOYED]
    monkeypatch.undo()
    changed = upgrade(config, UpgradeOptions(name="demo", chart=str(chart), values=values("message=new")))
    assert changed.fingerprint != release.fingerprint
    assert kube.get(ref("ConfigMap", "demo-config"))["data"]["message"] == "new"


# ------------------------------------------------------------------------------- ownership (Helm's rules)


def foreign_config_map(kube, name="demo-config", annotations=None, manager="kubectl-edit"):
    kube.update_as({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": NS, "annotations": annotations or {}},
                    "data": {"b": "other"}}, manager=manager)


def test_objects_carry_release_annotations_and_the_managed_by_label(config, kube):
    do_install(config)
    metadata = kube.get(ref("ConfigMap", "demo-config"))["metadata"]
    assert metadata["labels"]["app.kubernetes.io/managed-by"] == "tfhelm"
    assert metadata["annotations"]["tfhelm.io/release-namespace"] == NS


def test_install_refuses_an_existing_object_it_does_not_own(config, kube):
    foreign_config_map(kube)
    kube.writes.clear()
    with pytest.raises(ReleaseError) as caught:
        do_install(config, atomic=True)
    message = str(caught.value)
    assert f"ConfigMap/demo-config in namespace {NS} exists and is not managed by release demo" in message
    assert "(managed by another tool)" in message and "pass --take-ownership to adopt it" in message
    assert kube.writes == [] or all(w[1].name.startswith("sh.tfhelm.lock") for w in kube.writes)
    assert kube.get(ref("ConfigMap", "demo-config"))["data"] == {"b": "other"}
    assert config.storage.history("demo") == []


def test_install_names_the_release_that_owns_an_object(config, kube):
    foreign_config_map(kube, annotations={"tfhelm.io/release-name": "other", "tfhelm.io/release-namespace": NS})
    with pytest.raises(ReleaseError, match=f"not managed by release demo \\(managed by release other in namespace {NS}\\)"):
        do_install(config)


def test_take_ownership_adopts_the_object_and_later_uninstall_deletes_it(config, kube):
    foreign_config_map(kube)
    warnings = []
    release = do_install(config, take_ownership=True, force_conflicts=True, on_warning=warnings.append)
    assert release.status is Status.DEPLOYED
    assert warnings == [f"taking ownership of ConfigMap/demo-config (namespace {NS}) (managed by another tool) for release demo"]
    assert kube.get(ref("ConfigMap", "demo-config"))["metadata"]["annotations"]["tfhelm.io/release-name"] == "demo"
    uninstall(config, UninstallOptions(name="demo"))
    assert kube.get(ref("ConfigMap", "demo-config")) is None


def test_a_failed_revision_records_only_the_objects_it_applied(config, kube):
    kube.fail_on("apply", ClusterError("admission webhook denied"), lambda r: r.kind == "StatefulSet")
    with pytest.raises(ClusterError):
        do_install(config)
    recorded = {(o["kind"], o["name"]) for o in config.storage.get("demo").objects}
    assert ("ConfigMap", "demo-config") in recorded and ("Service", "demo-worker-1") in recorded
    assert ("Job", "demo-setup") not in recorded  # never reached
    assert len({("StatefulSet", "demo-worker-0"), ("StatefulSet", "demo-worker-1")} & recorded) == 1  # one failed


def test_cleanup_and_uninstall_leave_objects_another_release_took_over(config, kube):
    do_install(config)
    adopted = kube.get(ref("Job", "demo-setup", "batch/v1"))
    adopted["metadata"]["annotations"]["tfhelm.io/release-name"] = "other"
    kube.update_as(adopted, manager="tfhelm-other")
    warnings = []
    do_upgrade(config, "job=false", on_warning=warnings.append)
    assert kube.get(ref("Job", "demo-setup", "batch/v1")) is not None
    assert warnings == [f"not deleting Job/demo-setup (namespace {NS}): it is not managed by release demo "
                        f"(managed by release other in namespace {NS})"]
    foreign_config_map(kube, annotations={"tfhelm.io/release-name": "other"})
    result = uninstall(config, UninstallOptions(name="demo"))
    assert kube.get(ref("ConfigMap", "demo-config")) is not None
    assert [str(r) for r, _ in result.skipped] == [f"ConfigMap/demo-config (namespace {NS})"]
    assert ref("ConfigMap", "demo-config") not in result.deleted


def test_atomic_install_does_not_delete_an_object_it_never_owned(config, kube):
    do_install(config, "job=false,workers=0")
    uninstall(config, UninstallOptions(name="demo", keep_history=True))
    foreign_config_map(kube, name="demo-config")
    with pytest.raises(ReleaseError, match="not managed by release demo"):
        do_install(config, wait=True, timeout=0.1, atomic=True)
    assert kube.get(ref("ConfigMap", "demo-config"))["data"] == {"b": "other"}
    assert [r.status for r in history(config, HistoryOptions("demo"))] == [Status.UNINSTALLED]


# ------------------------------------------------------------------------------- the lease is enforced


def test_an_operation_that_lost_its_lock_stops_before_the_next_write(config, kube, monkeypatch):
    import time

    from tfhelm.errors import LockLostError
    from tfhelm.release.lock import lock_name

    monkeypatch.setenv("TFHELM_LOCK_TTL", "0.3")

    def someone_takes_over(event):
        if event == f"applied ConfigMap/demo-config (namespace {NS})":
            lease = kube.get_secret(lock_name("demo"), NS)
            lease["metadata"]["annotations"]["tfhelm.io/lock-holder"] = "ci@elsewhere (pid 1)"
            kube.replace_secret(lease)
            time.sleep(0.5)  # our heartbeat notices

    with pytest.raises(LockLostError) as caught:
        install(config, InstallOptions(chart=CHART, name="demo", deploy=DeployOptions(atomic=True, on_event=someone_takes_over)))
    message = str(caught.value)
    assert "lost the lock of release demo: another command took it over" in message
    assert "Done so far: record revision 1 as pending-install; applying 1 Secret; applying 1 ConfigMap." in message
    assert kube.get(ref("Job", "demo-setup", "batch/v1")) is None  # nothing after the loss
    assert kube.get(ref("ConfigMap", "demo-config")) is not None  # and --atomic did not undo someone else's release
    assert config.storage.get("demo").status is Status.PENDING_INSTALL  # the record is the new holder's to fix


def test_diff_shows_an_object_another_release_took_over_as_skipped_like_upgrade(config, kube, capsys):
    from tfhelm.cli.release_output import print_diff

    do_install(config)
    adopted = kube.get(ref("Job", "demo-setup", "batch/v1"))
    adopted["metadata"]["annotations"]["tfhelm.io/release-name"] = "other"
    kube.update_as(adopted, manager="tfhelm-other")
    result = diff_upgrade(config, UpgradeOptions(name="demo", chart=CHART, values=values("job=false")))
    skipped = [c for c in result.changes if c.action == "skipped"]
    assert [str(c.ref) for c in skipped] == [f"Job/demo-setup (namespace {NS})"]
    assert skipped[0].diff == "" and result.count("delete") == 0
    assert result.summary.endswith("0 to delete (6 unchanged, 1 skipped: not owned by this release)")
    print_diff(result)
    assert (f"Job/demo-setup (namespace {NS}): skipped (not owned by release demo: managed by release other "
            f"in namespace {NS}; an upgrade leaves it in place)") in capsys.readouterr().out
    do_upgrade(config, "job=false")
    assert kube.get(ref("Job", "demo-setup", "batch/v1")) is not None  # the upgrade did skip it


def test_diff_marks_an_existing_foreign_object_as_refused_like_upgrade(config, kube, capsys):
    from tfhelm.cli.release_output import print_diff

    do_install(config)
    taken = kube.get(ref("Job", "demo-setup", "batch/v1"))
    taken["metadata"]["annotations"]["tfhelm.io/release-name"] = "other"
    kube.update_as(taken, manager="tfhelm-other")
    result = diff_upgrade(config, UpgradeOptions(name="demo", chart=CHART, values=values()))
    refused = [c for c in result.changes if c.action == "refused"]
    assert [str(c.ref) for c in refused] == [f"Job/demo-setup (namespace {NS})"]
    assert result.summary.endswith("1 refused: exist and are not managed by this release)")
    print_diff(result)
    assert "the upgrade would stop here unless --take-ownership" in capsys.readouterr().out


def test_wait_timeout_names_the_unready_pod_of_a_workload_and_its_events(config, kube):
    do_install(config)
    selector = kube.get(ref("StatefulSet", "demo-worker-0", "apps/v1"))["spec"]["selector"]["matchLabels"]
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "demo-worker-0-0", "namespace": "ml", "labels": dict(selector)},
        "status": {"phase": "Pending", "containerStatuses": [
            {"name": "tensorflow", "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}
        ]},
    }
    kube.create(pod)
    kube.add_event(ref("Pod", "demo-worker-0-0"), "Failed", "Error: ErrImagePull")
    with pytest.raises(WaitTimeout) as caught:
        do_upgrade(config, "workers=2", wait=True, timeout=0.1)
    message = str(caught.value)
    assert "pod demo-worker-0-0: container tensorflow waiting: ImagePullBackOff (Back-off pulling image)" in message
    assert "pod demo-worker-0-0 events: Failed: Error: ErrImagePull" in message


def test_uninstall_wait_returns_once_objects_and_their_pods_are_gone(config, kube):
    do_install(config)
    selector = kube.get(ref("StatefulSet", "demo-worker-0", "apps/v1"))["spec"]["selector"]["matchLabels"]
    kube.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "demo-worker-0-0", "namespace": NS, "labels": dict(selector)}})

    def pod_terminates():
        import time

        time.sleep(0.3)
        kube.delete(ref("Pod", "demo-worker-0-0"))

    helper = threading.Thread(target=pod_terminates)
    helper.start()
    uninstall(config, UninstallOptions(name="demo", wait=True, timeout=10))
    helper.join()
    assert kube.get(ref("Pod", "demo-worker-0-0")) is None


def test_uninstall_wait_timeout_names_the_pods_left(config, kube):
    do_install(config)
    selector = kube.get(ref("StatefulSet", "demo-worker-0", "apps/v1"))["spec"]["selector"]["matchLabels"]
    kube.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "demo-worker-0-0", "namespace": NS, "labels": dict(selector)}})
    with pytest.raises(WaitTimeout, match=r"to be deleted:\n  Pod/demo-worker-0-0 \(namespace ml\): still terminating"):
        uninstall(config, UninstallOptions(name="demo", wait=True, timeout=0.2))


def test_wait_for_jobs_waits_until_the_job_completes(config, kube):
    def finish():
        import time

        while kube.get(ref("Job", "demo-setup", "batch/v1")) is None:
            time.sleep(0.05)
        for index in range(2):
            kube.patch_status(ref("StatefulSet", f"demo-worker-{index}", "apps/v1"), {"readyReplicas": 1})
        kube.patch_status(ref("Job", "demo-setup", "batch/v1"), {"active": 1})
        time.sleep(0.5)
        running.append(config.storage.get("demo").status)
        kube.patch_status(ref("Job", "demo-setup", "batch/v1"), {"active": 0, "conditions": [{"type": "Complete", "status": "True"}]})

    running: list = []
    helper = threading.Thread(target=finish)
    helper.start()
    release = do_install(config, wait=True, wait_for_jobs=True, timeout=10)
    helper.join()
    assert running == [Status.PENDING_INSTALL]  # still waiting while the Job ran
    assert release.status is Status.DEPLOYED
