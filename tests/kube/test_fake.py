"""The in-memory client behaves like the API server where actions depend on it."""

from __future__ import annotations

import pytest

from tfhelm.errors import UsageError
from tfhelm.kube import ALL_NAMESPACES, ApplyConflictError, ObjectRef, PreconditionError, UnreachableError
from tfhelm.kube.fake import FakeKubeClient


def config_map(data, name="cm"):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "ns"}, "data": data}


def test_apply_creates_then_leaves_resource_version_alone_when_nothing_changes():
    kube = FakeKubeClient()
    first = kube.apply(config_map({"a": "1"}))
    again = kube.apply(config_map({"a": "1"}))
    assert first["metadata"]["resourceVersion"] == again["metadata"]["resourceVersion"]
    assert kube.writes == [("apply", ObjectRef("v1", "ConfigMap", "cm", "ns"))]


def test_apply_removes_fields_tfhelm_no_longer_sets():
    kube = FakeKubeClient()
    kube.apply(config_map({"a": "1", "b": "2"}))
    assert kube.apply(config_map({"a": "1"}))["data"] == {"a": "1"}


def test_dry_run_changes_nothing():
    kube = FakeKubeClient()
    assert kube.apply(config_map({"a": "1"}), dry_run=True)["data"] == {"a": "1"}
    assert kube.get(ObjectRef("v1", "ConfigMap", "cm", "ns")) is None


def test_conflict_with_another_manager_until_forced():
    kube = FakeKubeClient()
    kube.update_as(config_map({"a": "edited"}), manager="kubectl-edit")
    with pytest.raises(ApplyConflictError, match=r"kubectl-edit.*--force-conflicts") as caught:
        kube.apply(config_map({"a": "1"}))
    assert caught.value.managers == ["kubectl-edit"]
    assert kube.apply(config_map({"a": "1"}), force=True)["data"] == {"a": "1"}


def test_replace_and_delete_check_the_resource_version():
    kube = FakeKubeClient()
    created = kube.create(config_map({"a": "1"}))
    stale = dict(created, metadata={**created["metadata"], "resourceVersion": "999"})
    with pytest.raises(PreconditionError):
        kube.replace(stale)
    with pytest.raises(PreconditionError):
        kube.create(config_map({"a": "1"}))
    with pytest.raises(PreconditionError):
        kube.delete(ObjectRef("v1", "ConfigMap", "cm", "ns"), resource_version="999")
    assert kube.delete(ObjectRef("v1", "ConfigMap", "cm", "ns"), resource_version=created["metadata"]["resourceVersion"])
    assert not kube.delete(ObjectRef("v1", "ConfigMap", "cm", "ns"))


def test_list_by_label_and_namespace():
    kube = FakeKubeClient()
    kube.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a", "namespace": "x", "labels": {"owner": "tfhelm"}}})
    kube.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b", "namespace": "y", "labels": {"owner": "other"}}})
    assert [s["metadata"]["name"] for s in kube.list_secrets(ALL_NAMESPACES, "owner=tfhelm")] == ["a"]
    assert kube.list_secrets("y", "") [0]["metadata"]["name"] == "b"


def test_like_the_real_client_it_never_picks_a_namespace():
    kube = FakeKubeClient()
    for call in (lambda: kube.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}}),
                 lambda: kube.get(ObjectRef("v1", "ConfigMap", "cm")),
                 lambda: kube.list("v1", "ConfigMap", None)):
        with pytest.raises(UsageError, match="ConfigMap is a namespaced kind, but no namespace was given"):
            call()
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}})
    assert [n["metadata"]["name"] for n in kube.list("v1", "Namespace", None)] == ["ml"]


def test_unreachable_and_injected_failures():
    kube = FakeKubeClient()
    kube.fail_on("apply", RuntimeError("boom"), lambda ref: ref.name == "cm")
    with pytest.raises(RuntimeError):
        kube.apply(config_map({}))
    kube.unreachable = True
    with pytest.raises(UnreachableError, match="https://fake.invalid"):
        kube.server_version()


def test_cluster_scoped_kinds_have_no_namespace():
    kube = FakeKubeClient()
    stored = kube.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}})
    assert "namespace" not in stored["metadata"]
    assert kube.is_namespaced("v1", "ConfigMap") and not kube.is_namespaced("v1", "Namespace")
