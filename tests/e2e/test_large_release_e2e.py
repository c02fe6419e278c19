"""Releases too large for one Secret, and 20,000-object releases, on a real kube-apiserver.

What landed is read back with kubectl (``scripts/fetch-helm --kubectl``), not with tfhelm's
client; write requests are counted from the API server's own ``apiserver_request_total``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from helpers import write_chart

REPO = Path(__file__).resolve().parents[2]
BLOBS = 40  # ConfigMaps of 48 KiB of random bytes each: about 1.9 MB packed, three parts

pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def kubectl(plane):
    done = subprocess.run([str(REPO / "scripts" / "fetch-helm"), "--kubectl"], capture_output=True, text=True)
    if done.returncode != 0:
        from support import unavailable

        unavailable(f"kubectl could not be fetched: {done.stderr.strip()}")
    binary = done.stdout.strip().splitlines()[-1]

    def run(*args: str) -> dict:
        command = [binary, "--kubeconfig", str(plane.kubeconfig), *args, "-o", "json"]
        return json.loads(subprocess.run(command, capture_output=True, text=True, check=True, timeout=300).stdout)

    return run


@pytest.fixture
def ns(kubectl, plane):
    name = f"big-{uuid.uuid4().hex[:8]}"
    status, _ = plane.request("POST", "/api/v1/namespaces", json.dumps({"metadata": {"name": name}}))
    assert status == 201
    return name


@pytest.fixture
def tfhelm(plane, ns):
    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "tfhelm", *args, "--kubeconfig", str(plane.kubeconfig), "-n", ns]
        done = subprocess.run(command, capture_output=True, text=True, timeout=1200, cwd=REPO)
        if check and done.returncode != 0:
            raise AssertionError(f"tfhelm {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    return run


def bulk_chart(root: Path, *, blobs: int, revision_in_notes: bool = True) -> Path:
    """``count`` small ConfigMaps, ``blobs`` of random content (incompressible) and one whose data
    is ``generation``. NOTES reads Release.revision, so upgrades always render and compare digests."""
    random_maps = "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ Release.name }}}}-blob-{i}\n"
        f"data:\n  blob: {base64.b64encode(os.urandom(48 * 1024)).decode()}\n"
        for i in range(blobs)
    )
    notes = "revision {{ Release.revision }}\n" if revision_in_notes else "{{ Release.name }}\n"
    return write_chart(
        root,
        {
            "values.yaml": "count: 10\ngeneration: 1\n",
            "templates/NOTES.txt": notes,
            "templates/blobs.yaml": random_maps,
            "templates/small.yaml": (
                "{% for i in range(Values.count) %}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                "  name: {{ Release.name }}-cm-{{ i }}\ndata:\n  index: \"{{ i }}\"\n{% endfor %}\n"
            ),
            "templates/generation.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.name }}-generation\n"
                "data:\n  generation: \"{{ Values.generation }}\"\n"
            ),
        },
        name="bulk",
    )


def record_secrets(kubectl, ns: str, release: str) -> tuple[dict[int, dict], dict[str, dict]]:
    """The release's head Secrets by revision and its part Secrets by name, as kubectl sees them."""
    items = kubectl("get", "secrets", "-n", ns, "-l", f"owner=tfhelm,name={release}")["items"]
    heads = {int(s["metadata"]["labels"]["version"]): s for s in items if s["type"] == "tfhelm.io/release.v1"}
    parts = {s["metadata"]["name"]: s for s in items if s["type"] == "tfhelm.io/release-part.v1"}
    return heads, parts


def check_parts(head: dict, parts: dict[str, dict]) -> int:
    """Verify a split record independently of tfhelm; returns its part count."""
    fields = {key: base64.b64decode(value).decode() for key, value in head["data"].items()}
    assert set(fields) == {"parts", "sha256", "part-sha256"}
    count, digest = int(fields["parts"]), fields["sha256"]
    name, version = head["metadata"]["name"], head["metadata"]["labels"]["version"]
    chunks = []
    for index in range(1, count + 1):
        part = parts[f"{name}.part-{digest[:12]}-{index}"]
        assert part["metadata"]["labels"] == {"owner": "tfhelm", "name": head["metadata"]["labels"]["name"],
                                              "version": version, "part": str(index)}
        chunks.append(base64.b64decode(part["data"]["part"]))
        assert len(chunks[-1]) <= 1024 * 1024
    assert hashlib.sha256(b"".join(chunks)).hexdigest() == digest
    assert fields["part-sha256"].split(",") == [hashlib.sha256(c).hexdigest() for c in chunks]
    return count


def configmaps(kubectl, ns: str) -> dict[str, dict]:
    return {c["metadata"]["name"]: c for c in kubectl("get", "configmaps", "-n", ns)["items"]
            if c["metadata"]["name"] != "kube-root-ca.crt"}


def writes(plane) -> dict[str, int]:
    """Write requests the API server has answered so far, by resource."""
    status, body = plane.request("GET", "/metrics")
    assert status == 200
    totals: dict[str, int] = {}
    for labels, value in re.findall(r"^apiserver_request_total\{([^}]*)\} (\S+)$", body["raw"], re.MULTILINE):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if fields.get("verb") in ("APPLY", "PATCH", "POST", "PUT", "DELETE", "DELETECOLLECTION"):
            totals[fields.get("resource", "")] = totals.get(fields.get("resource", ""), 0) + int(float(value))
    return totals


# The API server keeps its own Service's endpoints and its lease up to date, whoever else calls.
SERVER_BOOKKEEPING = {"endpoints", "endpointslices", "leases"}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Writes between two readings, without the API server's own bookkeeping."""
    changed = {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
    return {k: n for k, n in changed.items() if n and k not in SERVER_BOOKKEEPING}


# ------------------------------------------------------------------------------- a record in parts


def test_a_record_over_one_secret_goes_through_the_whole_lifecycle(kubectl, plane, ns, tfhelm, tmp_path):
    chart = str(bulk_chart(tmp_path / "bulk", blobs=BLOBS))
    tfhelm("install", "big", chart)
    heads, parts = record_secrets(kubectl, ns, "big")
    assert list(heads) == [1] and check_parts(heads[1], parts) >= 2 and len(parts) == check_parts(heads[1], parts)
    assert "release" not in heads[1]["data"]
    assert len(configmaps(kubectl, ns)) == BLOBS + 10 + 1

    done = tfhelm("upgrade", "big", chart, "--set", "generation=2", "--set", "count=11")
    assert f'Release "big" has been upgraded: 1 created, 1 changed, {BLOBS + 10:,} unchanged, 0 deleted.' in done.stdout
    assert configmaps(kubectl, ns)["big-generation"]["data"] == {"generation": "2"}

    history = json.loads(tfhelm("history", "big", "-o", "json").stdout)
    assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"), (2, "deployed")]

    tfhelm("rollback", "big", "1")
    live = configmaps(kubectl, ns)
    assert live["big-generation"]["data"] == {"generation": "1"} and "big-cm-10" not in live
    listed = json.loads(tfhelm("list", "-o", "json").stdout)
    assert [(r["name"], r["revision"], r["status"]) for r in listed] == [("big", "3", "deployed")]
    assert "generation: \"2\"" in tfhelm("get", "manifest", "big", "--revision", "2").stdout

    heads, parts = record_secrets(kubectl, ns, "big")
    assert sorted(heads) == [1, 2, 3]
    assert sum(check_parts(head, parts) for head in heads.values()) == len(parts)  # no part left over
    assert {h["metadata"]["labels"]["status"] for h in heads.values()} == {"superseded", "deployed"}

    tfhelm("uninstall", "big")
    assert record_secrets(kubectl, ns, "big") == ({}, {})
    assert kubectl("get", "secrets", "-n", ns, "-l", "owner=tfhelm")["items"] == []
    assert configmaps(kubectl, ns) == {}


def test_a_missing_or_corrupt_part_is_a_clear_error(kubectl, plane, ns, tfhelm, tmp_path):
    chart = str(bulk_chart(tmp_path / "bulk", blobs=BLOBS))
    tfhelm("install", "big", chart)
    heads, parts = record_secrets(kubectl, ns, "big")
    second = next(name for name, part in parts.items() if part["metadata"]["labels"]["part"] == "2")
    count = check_parts(heads[1], parts)

    corrupt = dict(parts[second], data={"part": base64.b64encode(b"forged").decode()})
    status, _ = plane.request("PUT", f"/api/v1/namespaces/{ns}/secrets/{second}", json.dumps(corrupt))
    assert status == 200
    done = tfhelm("history", "big", check=False)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert (f"release record Secret {ns}/sh.tfhelm.release.v1.big.v1 (release big, revision 1) is corrupt: "
            f"part 2 of {count} (Secret {ns}/{second}) does not match the sha256 its head records") in done.stderr

    status, _ = plane.request("DELETE", f"/api/v1/namespaces/{ns}/secrets/{second}")
    assert status == 200
    done = tfhelm("upgrade", "big", chart, "--set", "generation=2", check=False)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"is incomplete: part 2 of {count} (Secret {ns}/{second}) is missing" in done.stderr
    assert configmaps(kubectl, ns)["big-generation"]["data"] == {"generation": "1"}  # nothing was written


# ------------------------------------------------------------------------------- 20,000 objects


def test_twenty_thousand_objects_and_a_no_op_upgrade_that_writes_no_object(kubectl, plane, ns, tfhelm, tmp_path):
    count = 20_000
    chart = str(bulk_chart(tmp_path / "bulk", blobs=0))
    tfhelm("install", "huge", chart, "--set", f"count={count}")
    assert len(configmaps(kubectl, ns)) == count + 1
    heads, parts = record_secrets(kubectl, ns, "huge")
    assert check_parts(heads[1], parts) >= 2  # 20,000 object digests alone are more than one Secret holds

    before = writes(plane)
    done = tfhelm("upgrade", "huge", chart, "--set", f"count={count}")
    spent = delta(before, writes(plane))
    assert f"has been upgraded: 0 created, 0 changed, {count + 1:,} unchanged, 0 deleted." in done.stdout
    assert set(spent) == {"secrets"}, spent  # no object written, only the record and the lock
    heads, parts = record_secrets(kubectl, ns, "huge")
    records = sum(1 + check_parts(head, parts) for head in heads.values())
    # the lock (create, delete); revision 2 created then marked deployed (its parts are written anew
    # each time); revision 1 marked superseded: a handful of writes, whatever the object count
    assert spent["secrets"] <= 2 + 4 * records, spent

    before = writes(plane)
    done = tfhelm("upgrade", "huge", chart, "--set", f"count={count + 1}", "--set", "generation=2")
    spent = delta(before, writes(plane))
    assert f"has been upgraded: 1 created, 1 changed, {count:,} unchanged, 0 deleted." in done.stdout
    assert spent.get("configmaps") == 2, spent

    tfhelm("uninstall", "huge")
    assert kubectl("get", "secrets", "-n", ns, "-l", "owner=tfhelm")["items"] == []
    assert configmaps(kubectl, ns) == {}
