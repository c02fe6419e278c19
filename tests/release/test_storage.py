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
    return Storage(SecretsDriver(FakeKubeClient(), "ml"))


def test_secret_layout_matches_the_documented_format():
    kube = FakeKubeClient()
    Storage(SecretsDriver(kube, "ml")).create(record(3, Status.DEPLOYED))
    secret = kube.get_secret("sh.tfhelm.release.v1.demo.v3", "ml")
    assert secret["type"] == "tfhelm.io/release.v1"
    assert secret["metadata"]["labels"] == {"name": "demo", "owner": "tfhelm", "status": "deployed", "version": "3"}
    payload = json.loads(gzip.decompress(base64.b64decode(secret["data"]["release"])))
    assert payload["status"] == "deployed"
    assert payload["chart"] == {"name": "tf-cluster", "version": "0.1.0", "app_version": "2.16", "description": None, "digest": "sha256:x",
                               "annotations": {}, "dependencies": []}


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


def test_a_record_over_the_part_limit_is_refused_with_a_clear_message(monkeypatch):
    from tfhelm.release import parts

    monkeypatch.setattr(parts, "MAX_PARTS", 2)
    kube = FakeKubeClient()
    huge = record(1, manifest=base64.b64encode(os.urandom(1_200_000)).decode())  # 1.2 MB packed: 3 parts of 512 KiB
    with pytest.raises(ReleaseError, match=r"over the 2 Secrets tfhelm splits a record into; nothing was changed"):
        Storage(SecretsDriver(kube, "ml", part_bytes=512 * 1024)).create(huge)
    assert kube.list_secrets("ml", "owner=tfhelm") == []


def test_redaction_replaces_only_present_paths():
    values = {"notebook": {"password": "hunter2", "port": 8888}, "items": [{"token": "t"}]}
    redacted = redact_values(values, [("notebook", "password"), ("items", 0, "token"), ("missing", "x")])
    assert redacted == {"notebook": {"password": "<redacted>", "port": 8888}, "items": [{"token": "<redacted>"}]}
    assert values["notebook"]["password"] == "hunter2"


def _corrupt(kube, revision, data):
    """Overwrite the stored data of revision ``revision`` of demo with ``data`` (as base64 text)."""
    secret = kube.get_secret(secret_name("demo", revision), "ml")
    secret["data"]["release"] = data
    kube.replace_secret(secret)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(("data", "reason"), [
    ("%%% not base64 %%%", "its data is not base64"),
    (_b64(b"plain, not gzip"), "its data is not gzip"),
    (_b64(gzip.compress(b"{truncated")[:-12]), "its data is not gzip"),
    (_b64(gzip.compress(b"\x80{}")), "its data is not UTF-8 JSON"),
    (_b64(gzip.compress(b"{not json")), r"its data is not JSON \(Expecting property name"),
    (_b64(gzip.compress(b"[1, 2]")), r"it is not a release record \(no chart mapping\)"),
    (_b64(gzip.compress(json.dumps({"chart": {"name": "c", "version": "1"}, "status": "bogus"}).encode())),
     r"it is not a release record \('bogus' is not a valid Status\)"),
    (_b64(gzip.compress(json.dumps({"name": "demo", "chart": {"name": "c", "version": "1"}}).encode())),
     r"it is not a release record \(.*namespace"),
    (_b64(gzip.compress(json.dumps({"name": "demo", "namespace": "ml", "revision": "2", "status": "deployed",
                                    "chart": {"name": "c", "version": "1"}}).encode())), "revision must be an integer"),
    (12, "its data is not base64"),
])
def test_a_corrupt_record_is_a_release_error_naming_the_secret(data, reason):
    kube = FakeKubeClient()
    storage = Storage(SecretsDriver(kube, "ml"))
    storage.create(record(1))
    storage.create(record(2, Status.DEPLOYED))
    _corrupt(kube, 2, data)
    with pytest.raises(ReleaseError, match=rf"^release record Secret ml/sh\.tfhelm\.release\.v1\.demo\.v2 is corrupt: {reason}"):
        storage.history("demo")


def test_a_gzip_bomb_record_is_refused_without_unpacking_it(monkeypatch):
    from tfhelm.release import storage as storage_module

    monkeypatch.setattr(storage_module, "MAX_UNPACKED_BYTES", 1 << 20)
    kube = FakeKubeClient()
    storage = Storage(SecretsDriver(kube, "ml"))
    storage.create(record(1))
    _corrupt(kube, 1, _b64(gzip.compress(b" " * (8 << 20))))  # 8 MiB of spaces: about 8 KiB packed
    with pytest.raises(ReleaseError, match=r"demo\.v1 is corrupt: it unpacks to more than 1 MiB"):
        storage.history("demo")


def test_listing_skips_a_corrupt_record_and_reports_it(storage):
    storage.create(record(1, Status.DEPLOYED, name="good"))
    storage.create(record(1, Status.DEPLOYED, name="demo"))
    if isinstance(storage.driver, MemoryDriver):
        storage.driver.records[("demo", 1)] = "garbage"
        where = "release record demo revision 1"
    else:
        _corrupt(storage.driver.kube, 1, "garbage")
        where = "release record Secret ml/sh.tfhelm.release.v1.demo.v1"
    problems = []
    assert [r.name for r in storage.list_releases(problems=problems)] == ["good"]
    assert [str(p) for p in problems] == [f"{where} is corrupt: its data is not base64 (Incorrect padding)"]
    with pytest.raises(ReleaseError, match="is corrupt"):
        storage.list_releases()
