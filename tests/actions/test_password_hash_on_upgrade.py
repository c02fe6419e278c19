"""tf-cluster's notebook password on upgrade, against the in-memory cluster: the argon2 hash (random
salt) is kept while the password stays the same, so an upgrade rolls no notebook and a diff shows
no change; a new password gets a new hash. The password itself reaches no object or record."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tfhelm.actions.configuration import Configuration
from tfhelm.actions.diff import diff_upgrade
from tfhelm.actions.install import InstallOptions, install
from tfhelm.actions.upgrade import UpgradeOptions, upgrade
from tfhelm.engine.passwords import matches
from tfhelm.kube import ObjectRef
from tfhelm.kube.fake import FakeKubeClient
from tfhelm.values.options import ValueOptions

CHART = str(Path(__file__).parents[2] / "charts" / "tf-cluster")
NS = "ml"
PASSWORD = "correct-horse-battery"
SECRET = ObjectRef("v1", "Secret", "tf-jupyter", NS)
NOTEBOOK = ObjectRef("apps/v1", "Deployment", "tf-jupyter", NS)


@pytest.fixture
def kube():
    return FakeKubeClient()


@pytest.fixture
def config(kube):
    return Configuration.for_client(kube, NS)


def options(*sets: str) -> ValueOptions:
    # a small cluster: one ps, one worker
    return ValueOptions(values=("jobs.ps.tasks=1,jobs.worker.tasks=1", *sets), string_values=(f"jupyter.password={PASSWORD}",))


def do_upgrade(config, values: ValueOptions):
    return upgrade(config, UpgradeOptions(name="tf", chart=CHART, values=values))


def _jobs(kube) -> dict:
    return {("Job", j["metadata"]["name"]): j for j in kube.list("batch/v1", "Job", NS)}


def stored_hash(kube) -> str:
    return base64.b64decode(kube.get(SECRET)["data"]["hashed-password"]).decode()


def notebook_annotations(kube) -> dict[str, str]:
    return kube.get(NOTEBOOK)["spec"]["template"]["metadata"]["annotations"]


@pytest.fixture
def installed(config, kube):
    install(config, InstallOptions(chart=CHART, name="tf", values=options()))
    return stored_hash(kube), notebook_annotations(kube)


def test_install_stores_an_argon2_hash_of_the_password(kube, installed):
    hashed, annotations = installed
    assert hashed.startswith("argon2:$argon2id$") and matches(hashed[len("argon2:"):], PASSWORD)


def test_an_upgrade_with_the_same_password_keeps_the_hash(config, kube, installed):
    hashed, annotations = installed
    release = do_upgrade(config, options("jobs.worker.tasks=2"))  # a change, so the chart renders again
    workers = [o for (kind, name), o in _jobs(kube).items() if name.startswith("tf-worker-1-")]
    assert release.revision == 2 and len(workers) == 1  # the second worker's Job (names carry the run revision)
    assert stored_hash(kube) == hashed
    after = notebook_annotations(kube)
    assert after["tfhelm.io/secret-checksum"] == annotations["tfhelm.io/secret-checksum"]
    assert after["tfhelm.io/cluster-spec-checksum"] != annotations["tfhelm.io/cluster-spec-checksum"]


def test_an_upgrade_that_changes_nothing_writes_no_object_and_does_not_even_render(config, kube, installed, monkeypatch):
    def no_render(*args, **kwargs):
        raise AssertionError("rendered although nothing changed")

    # the fingerprint (its password stretched with the salt the record carries) says nothing changed
    monkeypatch.setattr("tfhelm.actions.deploy.render_tree", no_render)
    kube.writes.clear()
    assert do_upgrade(config, options()).revision == 2
    assert kube.object_writes() == []
    assert stored_hash(kube) == installed[0]


def test_a_new_password_gets_a_new_hash_and_restarts_the_notebook(config, kube, installed):
    hashed, annotations = installed
    do_upgrade(config, ValueOptions(values=("jobs.ps.tasks=1,jobs.worker.tasks=1",), string_values=("jupyter.password=another-password",)))
    changed = stored_hash(kube)
    assert changed != hashed and matches(changed[len("argon2:"):], "another-password")
    assert notebook_annotations(kube)["tfhelm.io/secret-checksum"] != annotations["tfhelm.io/secret-checksum"]


def test_diff_upgrade_with_the_same_password_shows_the_secret_unchanged(config, installed):
    result = diff_upgrade(config, UpgradeOptions(name="tf", chart=CHART, values=options("jobs.worker.tasks=2")))
    actions = {str(c.ref): c.action for c in result.changes}
    assert actions[str(SECRET)] == "unchanged"
    assert actions[str(NOTEBOOK)] == "change"  # the cluster spec changed, not the password
    notebook = next(c for c in result.changes if c.ref == NOTEBOOK)
    changed_lines = [line for line in notebook.diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed_lines and not [line for line in changed_lines if "secret-checksum" in line]


def test_the_password_reaches_no_object_and_no_record(config, kube, installed):
    do_upgrade(config, options("jobs.worker.tasks=2"))
    for record in config.storage.history("tf"):
        assert PASSWORD not in json.dumps(record.to_dict())
    for obj in kube.objects.values():
        assert PASSWORD not in json.dumps(obj)
