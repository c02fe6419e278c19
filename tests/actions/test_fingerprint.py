"""The render fingerprint stored with each release never holds a fast hash of a secret."""

import hashlib
import json

import pytest

from tfhelm.actions.fingerprint import chart_digest, fingerprint_salt, render_fingerprint
from tfhelm.chart import load_chart
from tfhelm.values.tree import chart_values

SCHEMA = '{"type": "object", "properties": {"password": {"type": "string", "writeOnly": true}, "n": {"type": "integer"}}}'
TEMPLATE = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  pw: {{ Values.password | sha256 }}\n"


@pytest.fixture
def chart(chart_dir):
    return load_chart(chart_dir({"values.schema.json": SCHEMA, "templates/s.yaml": TEMPLATE}))


def _fingerprint(chart, values, salt="0f" * 16):
    tree = chart_values(chart, values, validate=False)
    return render_fingerprint(tree, name="r", namespace="ns", kube_version=None, salt=salt)


def test_fingerprint_changes_with_the_secret_and_is_stable(chart):
    base = {"n": 1, "password": "correct horse"}
    assert _fingerprint(chart, base) == _fingerprint(chart, dict(base))
    assert _fingerprint(chart, base) != _fingerprint(chart, {**base, "password": "battery staple"})


def test_the_secret_is_salted_at_random_and_the_fingerprint_carries_the_salt(chart):
    values = {"n": 1, "password": "correct horse"}
    first, second = (_fingerprint(chart, values, salt=None) for _ in range(2))
    assert first != second and fingerprint_salt(first) != fingerprint_salt(second)
    assert len(fingerprint_salt(first)) == 32
    # what an upgrade does: the same inputs, stretched with the stored fingerprint's salt, give it back
    assert _fingerprint(chart, values, salt=fingerprint_salt(first)) == first
    # the salt anyone could compute from the release (namespace/name) is not the one used
    assert _fingerprint(chart, values, salt="ns/r") != first


def test_without_secrets_there_is_no_salt_and_the_fingerprint_is_stable(chart):
    assert _fingerprint(chart, {"n": 1}, salt=None) == _fingerprint(chart, {"n": 1}, salt=None)
    assert fingerprint_salt(_fingerprint(chart, {"n": 1}, salt=None)) is None


def test_the_secret_is_stretched_before_hashing(chart):
    values = {"n": 1, "password": "correct horse"}
    naive = {"chart": chart_digest(chart), "values": values, "release": ["r", "ns"], "kube": ""}
    fast = "sha256:" + hashlib.sha256(json.dumps(naive, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    fingerprint = _fingerprint(chart, values)
    assert fingerprint.startswith("sha256:") and fingerprint != fast
    assert _fingerprint(chart, {"n": 1}) != fingerprint


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: {{ %s }}\n"


@pytest.mark.parametrize(
    ("expression", "values", "files", "fingerprinted"),
    [
        ("Values.n", {"n": "1"}, {}, True),
        ("lookup('v1', 'ConfigMap', 'ns', 'x')", {}, {}, False),  # the output depends on the cluster
        ("Values.n | tpl", {"n": "{{ Release.name }}"}, {}, True),
        ("Values.n | tpl", {"n": "{{ Release.revision }}"}, {}, False),  # the tpl'd value reads the revision
        ("Values.n | tpl", {"n": "{{ lookup('v1', 'Secret', 'ns', 'x') }}"}, {}, False),
        ("Files.get('f.txt') | tpl", {}, {"f.txt": "{{ Release.isUpgrade }}"}, False),  # so does a tpl'd file
    ],
)
def test_lookup_and_tpld_text_reading_the_revision_are_never_fingerprinted(
    chart_dir, expression, values, files, fingerprinted
):
    chart = load_chart(chart_dir({"templates/c.yaml": CM % expression, **files}))
    assert bool(_fingerprint(chart, values)) is fingerprinted
