"""Release records: encoding, Secrets layout, history, pruning, size limit, redaction."""

from __future__ import annotations

import base64
import gzip
import json
import os

import pytest

from tfhelm.errors import ReleaseError
from tfhelm.kube.fake import FakeKubeClient
from tfhelm.release import ChartInfo, MemoryDriver, Release, SecretsDriver, Status, Storage, redact_values
from tfhelm.release.storage import secret_name

CHART = ChartInfo("tf-cluster", "0.1.0", "2.16", digest="sha256:x")


def record(revision, status=Status.SUPERSEDED, name="demo", manifest=""):
    return Release(name, "ml", revision, status, CHART, values={"a": 1}, manifest=manifest)


@pytest.fixture(params=["memory", "secrets"])
def storage(request):
    if request.param == "memory":
        return Storage(MemoryDriver())
    return Storage(SecretsDriver(FakeKubeClient(namespace="ml"), "ml"))


def test_secret_layout_matches_the_documented_format():
    kube = FakeKubeClient(namespace="ml")
    Storage(SecretsDriver(kube, "ml")).create(record(3, Status.DEPLOYED))
    secret = kube.get_secret("sh.tfhelm.release.v1.demo.v3", "ml")
    assert secret["type"] == "tfhelm.io/release.v1"
    assert secret["metadata"]["labels"] == {"name": "demo", "owner": "tfhelm", "status": "deployed", "version": "3"}
    payload = json.loads(gzip.decompress(base64.b64decode(secret["data"]["release"])))
    assert payload["status"] == "deployed"
    assert payload["chart"] == {"name": "tf-cluster", "version": "0.1.0", "app_version": "2.16", "description": None, "digest": "sha256:x"}


def test_history_last_and_deployed(storage):
    for revision, status in ((1, Status.SUPERSEDED), (2, Status.DEPLOYED), (3, Status.FAILED)):
        storage.create(record(revision, status))
    assert [r.revision for r in storage.history("demo")] == [1, 2, 3]
    assert storage.last("demo").revision == 3
    assert storage.deployed("demo").revision == 2
    assert storage.get("demo", 1).status is Status.SUPERSEDED
    with pytest.raises(ReleaseError, match=r"no revision 7 \(revisions: 1, 2, 3\)"):
        storage.get("demo", 7)
    with pytest.raises(ReleaseError, match="'other' not found"):
        storage.get("other")


def test_creating_an_existing_revision_is_refused(storage):
    storage.create(record(1))
    with pytest.raises(ReleaseError, match="already exists"):
        storage.create(record(1))


def test_update_changes_the_status_label(storage):
    release = record(1, Status.PENDING_INSTALL)
    storage.create(release)
    release.status = Status.DEPLOYED
    storage.update(release)
    assert storage.get("demo").status is Status.DEPLOYED


def test_prune_keeps_the_newest_and_never_the_deployed(storage):
    storage.create(record(1, Status.DEPLOYED))  # an old deployed one (e.g. later upgrades failed)
    for revision in range(2, 7):
        storage.create(record(revision, Status.FAILED))
    assert storage.prune("demo", 3) == [2, 3, 4]
    assert [r.revision for r in storage.history("demo")] == [1, 5, 6]


def test_list_releases_gives_the_latest_revision_of_each(storage):
    storage.create(record(1, name="b"))
    storage.create(record(2, Status.DEPLOYED, name="b"))
    storage.create(record(1, Status.DEPLOYED, name="a"))
    assert [(r.name, r.revision) for r in storage.list_releases()] == [("a", 1), ("b", 2)]


def test_a_record_over_the_secret_limit_is_refused_with_a_clear_message():
    kube = FakeKubeClient(namespace="ml")
    huge = record(1, manifest=base64.b64encode(os.urandom(900_000)).decode())
    with pytest.raises(ReleaseError, match=r"over the 1 MiB a Kubernetes Secret can hold; nothing was changed"):
        Storage(SecretsDriver(kube, "ml")).create(huge)
    assert kube.get_secret(secret_name("demo", 1), "ml") is None


def test_redaction_replaces_only_present_paths():
    values = {"notebook": {"password": "hunter2", "port": 8888}, "items": [{"token": "t"}]}
    redacted = redact_values(values, [("notebook", "password"), ("items", 0, "token"), ("missing", "x")])
    assert redacted == {"notebook": {"password": "<redacted>", "port": 8888}, "items": [{"token": "<redacted>"}]}
    assert values["notebook"]["password"] == "hunter2"
