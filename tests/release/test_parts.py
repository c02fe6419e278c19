"""Records too large for one Secret: split into parts, joined and verified, never left behind."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from tfhelm.errors import ReleaseError
from tfhelm.kube.fake import FakeKubeClient
from tfhelm.release import ChartInfo, Release, SecretsDriver, Status, Storage
from tfhelm.release.storage import pack, secret_name

CHART = ChartInfo("tf-cluster", "0.1.0", "2.16", digest="sha256:x")
PART_BYTES = 64 * 1024
HEAD = "sh.tfhelm.release.v1.demo.v{}"


def big(revision, status=Status.DEPLOYED, name="demo", size=200_000):
    """A record whose random manifest packs to about ``size`` bytes (four parts of 64 KiB)."""
    manifest = base64.b64encode(os.urandom(size)).decode()
    return Release(name, "ml", revision, status, CHART, values={"a": 1}, manifest=manifest)


def secrets(kube, selector="owner=tfhelm"):
    return {s["metadata"]["name"]: s for s in kube.list_secrets("ml", selector)}


def part_secrets(kube):
    return {n: s for n, s in secrets(kube).items() if s["type"] == "tfhelm.io/release-part.v1"}


@pytest.fixture
def kube():
    return FakeKubeClient()


@pytest.fixture
def storage(kube):
    return Storage(SecretsDriver(kube, "ml", part_bytes=PART_BYTES))


def test_a_large_record_is_split_into_parts_written_before_the_head(kube, storage):
    release = big(1)
    storage.create(release)
    packed = pack(release)
    digest = hashlib.sha256(packed).hexdigest()
    head = kube.get_secret(HEAD.format(1), "ml")
    assert head["type"] == "tfhelm.io/release.v1" and "release" not in head["data"]
    assert head["metadata"]["labels"] == {"name": "demo", "owner": "tfhelm", "status": "deployed", "version": "1"}
    fields = {k: base64.b64decode(v).decode() for k, v in head["data"].items()}
    count = -(-len(packed) // PART_BYTES)
    assert count == 4 and fields["parts"] == "4" and fields["sha256"] == digest
    names = [f"{HEAD.format(1)}.part-{digest[:12]}-{i}" for i in range(1, count + 1)]
    stored = part_secrets(kube)
    assert sorted(stored) == sorted(names)
    chunks = [base64.b64decode(stored[n]["data"]["part"]) for n in names]
    assert b"".join(chunks) == packed and all(len(c) <= PART_BYTES for c in chunks)
    assert fields["part-sha256"].split(",") == [hashlib.sha256(c).hexdigest() for c in chunks]
    for index, name in enumerate(names, start=1):
        labels = stored[name]["metadata"]["labels"]
        assert labels == {"name": "demo", "owner": "tfhelm", "version": "1", "part": str(index)}
    writes = [(verb, ref.name) for verb, ref in kube.writes]
    assert writes == [("create", n) for n in names] + [("create", HEAD.format(1))]


def test_a_split_record_reads_back_equal_through_a_fresh_driver(kube, storage):
    release = big(1)
    storage.create(release)
    again = Storage(SecretsDriver(kube, "ml")).get("demo", 1)
    assert again.to_dict() == release.to_dict()


def test_a_small_record_stays_one_secret(kube, storage):
    storage.create(Release("demo", "ml", 1, Status.DEPLOYED, CHART, manifest="kind: ConfigMap\n"))
    assert list(secrets(kube)) == [HEAD.format(1)]
    assert "release" in kube.get_secret(HEAD.format(1), "ml")["data"]


def test_an_update_writes_new_parts_then_the_head_then_deletes_the_old_parts(kube, storage):
    release = big(1, Status.PENDING_INSTALL)
    storage.create(release)
    old = set(part_secrets(kube))
    release.status = Status.DEPLOYED
    kube.writes.clear()
    storage.update(release)
    new = set(part_secrets(kube))
    assert new and not new & old
    verbs = [(verb, ref.name in new, ref.name in old) for verb, ref in kube.writes]
    assert verbs == [("create", True, False)] * 4 + [("replace", False, False)] + [("delete", False, True)] * 4
    assert storage.get("demo").status is Status.DEPLOYED


def test_an_update_through_a_driver_that_never_read_the_record_still_removes_old_parts(kube, storage):
    release = big(1, Status.PENDING_INSTALL)
    storage.create(release)
    release.status = Status.DEPLOYED
    Storage(SecretsDriver(kube, "ml", part_bytes=PART_BYTES)).update(release)
    assert len(part_secrets(kube)) == 4
    assert Storage(SecretsDriver(kube, "ml")).get("demo").status is Status.DEPLOYED


def test_shrinking_below_one_secret_removes_the_parts(kube, storage):
    release = big(1)
    storage.create(release)
    release.manifest = "kind: ConfigMap\n"
    storage.update(release)
    assert list(secrets(kube)) == [HEAD.format(1)]
    assert storage.get("demo").manifest == "kind: ConfigMap\n"


def test_deleting_and_pruning_leave_no_part_behind(kube, storage):
    for revision in range(1, 5):
        storage.create(big(revision, Status.SUPERSEDED if revision < 4 else Status.DEPLOYED, size=100_000))
    assert storage.prune("demo", 2) == [1, 2]
    assert {s["metadata"]["labels"]["version"] for s in secrets(kube).values()} == {"3", "4"}
    for release in storage.history("demo"):
        storage.delete(release)
    assert secrets(kube) == {}


def test_parts_a_killed_command_left_without_a_head_are_deleted_with_the_release(kube, storage):
    storage.create(big(1))
    kube.fail_on("create", RuntimeError("killed"), lambda ref: ref.name == HEAD.format(2))
    with pytest.raises(RuntimeError):
        storage.create(big(2, Status.PENDING_UPGRADE))
    assert [r.revision for r in storage.history("demo")] == [1]  # the headless parts are not a record
    later = Storage(SecretsDriver(kube, "ml", part_bytes=PART_BYTES))
    for release in later.history("demo"):
        later.delete(release)
    assert secrets(kube) == {}


def test_a_retried_write_of_the_same_record_replaces_its_leftover_parts(kube, storage):
    release = big(1)
    kube.fail_on("create", RuntimeError("killed"), lambda ref: ref.name == HEAD.format(1))
    with pytest.raises(RuntimeError):
        storage.create(release)
    storage.create(release)
    assert storage.get("demo").to_dict() == release.to_dict()
    assert len(part_secrets(kube)) == 4


def test_a_missing_part_is_an_error_naming_release_revision_and_part(kube, storage):
    storage.create(big(1, Status.SUPERSEDED))
    storage.create(big(2))
    name = next(n for n, s in part_secrets(kube).items() if s["metadata"]["labels"] == {
        "name": "demo", "owner": "tfhelm", "version": "2", "part": "3"})
    kube.delete_secret(name, "ml")
    fresh = Storage(SecretsDriver(kube, "ml"))
    expected = (
        rf"^release record Secret ml/sh\.tfhelm\.release\.v1\.demo\.v2 \(release demo, revision 2\) is incomplete: "
        rf"part 3 of 4 \(Secret ml/{name.replace('.', '[.]')}\) is missing$"
    )
    with pytest.raises(ReleaseError, match=expected):
        fresh.history("demo")
    problems = []
    assert [r.revision for r in fresh.list_releases(problems=problems)] == [1]  # the newest readable one
    assert len(problems) == 1 and "part 3 of 4" in str(problems[0])


@pytest.mark.parametrize(("change", "reason"), [
    (lambda data: base64.b64encode(b"x" + base64.b64decode(data)).decode(), "does not match the sha256 its head records"),
    (lambda data: "%%% not base64", "is not base64"),
])
def test_a_corrupt_part_is_an_error_naming_it(kube, storage, change, reason):
    storage.create(big(1))
    for secret in part_secrets(kube).values():
        if secret["metadata"]["labels"]["part"] == "2":
            secret["data"]["part"] = change(secret["data"]["part"])
            kube.replace_secret(secret)
    with pytest.raises(ReleaseError, match=rf"demo\.v1 \(release demo, revision 1\) is corrupt: part 2 of 4 \(Secret .*-2\) {reason}"):
        Storage(SecretsDriver(kube, "ml")).history("demo")


@pytest.mark.parametrize(("data", "reason"), [
    ({"parts": "NA==", "sha256": base64.b64encode(b"0" * 64).decode()}, "its head's part list is no part-sha256"),
    ({"parts": base64.b64encode(b"two").decode(), "sha256": "", "part-sha256": ""}, "its head's part list is unreadable"),
    ({"parts": base64.b64encode(b"2").decode(), "sha256": base64.b64encode(b"0" * 64).decode(),
      "part-sha256": base64.b64encode(b"0" * 64).decode()}, "its head names 2 parts and 1 digests"),
    ({"parts": base64.b64encode(b"1").decode(), "sha256": base64.b64encode(b"zz").decode(),
      "part-sha256": base64.b64encode(b"0" * 64).decode()}, "its head's digests are not sha256 hex"),
])
def test_a_corrupt_head_is_an_error(kube, storage, data, reason):
    storage.create(big(1))
    head = kube.get_secret(HEAD.format(1), "ml")
    head["data"] = data
    kube.replace_secret(head)
    with pytest.raises(ReleaseError, match=rf"demo\.v1 \(release demo, revision 1\) is corrupt: {reason}"):
        Storage(SecretsDriver(kube, "ml")).history("demo")


def test_a_split_record_may_unpack_beyond_the_one_secret_limit(kube, monkeypatch):
    from tfhelm.release import storage as storage_module

    monkeypatch.setattr(storage_module, "MAX_UNPACKED_BYTES", 1 << 20)
    release = Release("demo", "ml", 1, Status.DEPLOYED, CHART, manifest=" ".join(str(i) for i in range(300_000)))
    Storage(SecretsDriver(kube, "ml", part_bytes=128 * 1024)).create(release)  # 2 MB of JSON, about 600 KB packed
    assert Storage(SecretsDriver(kube, "ml")).get("demo").manifest == release.manifest
