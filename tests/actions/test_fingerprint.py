"""The render fingerprint stored with each release never holds a fast hash of a secret."""

import hashlib
import json

import pytest

from tfhelm.actions.fingerprint import chart_digest, render_fingerprint
from tfhelm.chart import load_chart
from tfhelm.values.tree import chart_values

SCHEMA = '{"type": "object", "properties": {"password": {"type": "string", "writeOnly": true}, "n": {"type": "integer"}}}'
TEMPLATE = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  pw: {{ Values.password | sha256 }}\n"


@pytest.fixture
def chart(chart_dir):
    return load_chart(chart_dir({"values.schema.json": SCHEMA, "templates/s.yaml": TEMPLATE}))


def _fingerprint(chart, values):
    return render_fingerprint(chart_values(chart, values, validate=False), name="r", namespace="ns", kube_version=None)


def test_fingerprint_changes_with_the_secret_and_is_stable(chart):
    base = {"n": 1, "password": "correct horse"}
    assert _fingerprint(chart, base) == _fingerprint(chart, dict(base))
    assert _fingerprint(chart, base) != _fingerprint(chart, {**base, "password": "battery staple"})


def test_the_secret_is_stretched_before_hashing(chart):
    values = {"n": 1, "password": "correct horse"}
    naive = {"chart": chart_digest(chart), "values": values, "release": ["r", "ns"], "kube": ""}
    fast = "sha256:" + hashlib.sha256(json.dumps(naive, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    fingerprint = _fingerprint(chart, values)
    assert fingerprint.startswith("sha256:") and fingerprint != fast
    assert _fingerprint(chart, {"n": 1}) != fingerprint
