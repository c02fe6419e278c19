"""The argon2 filter: jupyter_server's format, a random salt, the previous hash kept while it matches."""

import base64
import re

import argon2
import pytest

from tfhelm.chart import load_chart
from tfhelm.engine import PreviousRevision, ReleaseInfo, render
from tfhelm.engine.passwords import MAX_HASHES, Argon2Filter, hash_password, matches
from tfhelm.errors import RenderError

PASSWORD = "correct-horse-battery"
# what jupyter_server.auth.passwd() makes: argon2id, 10 MiB, 10 passes, 8 lanes, 16-byte salt, 32-byte hash
PHC = re.compile(r"\$argon2id\$v=19\$m=10240,t=10,p=8\$(?P<salt>[A-Za-z0-9+/]{22})\$[A-Za-z0-9+/]{43}")


@pytest.fixture(scope="module")
def hashed():
    return hash_password(PASSWORD)


def test_the_hash_is_argon2id_with_jupyters_parameters(hashed):
    assert PHC.fullmatch(hashed), hashed
    assert PASSWORD not in hashed
    assert argon2.PasswordHasher().verify(hashed, PASSWORD)  # argon2's own check, as Jupyter does it


def test_the_salt_is_random(hashed):
    again = hash_password(PASSWORD)
    assert PHC.fullmatch(again)["salt"] != PHC.fullmatch(hashed)["salt"]
    assert again != hashed


def test_a_previous_hash_of_the_same_password_is_kept(hashed):
    assert hash_password(PASSWORD, reuse=hashed) == hashed


def test_a_changed_password_gets_a_new_hash(hashed):
    changed = hash_password(PASSWORD + "2", reuse=hashed)
    assert changed != hashed and PHC.fullmatch(changed)
    assert matches(changed, PASSWORD + "2") and not matches(changed, PASSWORD)


@pytest.mark.parametrize(
    "previous",
    [
        pytest.param(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD), id="weaker"),
        pytest.param(argon2.PasswordHasher(type=argon2.Type.I).hash(PASSWORD), id="argon2i"),
        pytest.param("sha256:0e112c3ddfce:a68df677475c2b47b6e86d0467eec97ac5f4b85a", id="not-argon2"),
        pytest.param("$argon2id$v=19$m=10240,t=10,p=8$garbage", id="malformed"),
    ],
)
def test_a_previous_hash_that_is_not_current_is_replaced(previous):
    made = hash_password(PASSWORD, reuse=previous)
    assert made != previous and PHC.fullmatch(made) and matches(made, PASSWORD)


def test_one_filter_gives_one_hash_per_input_and_a_new_filter_a_new_salt():
    first = Argon2Filter()
    assert first(PASSWORD) == first(PASSWORD)
    assert Argon2Filter()(PASSWORD) != first(PASSWORD)


def test_one_render_hashes_a_bounded_number_of_passwords(monkeypatch):
    monkeypatch.setattr("tfhelm.engine.passwords.hash_password", lambda password, reuse="": "hashed:" + password)
    hasher = Argon2Filter()
    for index in range(MAX_HASHES):
        hasher(f"password-{index}")
    assert hasher("password-0") == "hashed:password-0"  # one already made costs nothing
    with pytest.raises(RenderError, match=f"^argon2: more than {MAX_HASHES} different passwords hashed in one render$"):
        hasher("one-too-many")


@pytest.mark.parametrize(("value", "expected"), [("", "not an empty string"), (12345678, "not a value of type int"), (None, "not a value of type NoneType")])
def test_the_filter_refuses_what_is_not_a_password_without_echoing_it(value, expected):
    with pytest.raises(RenderError, match=f"^argon2: the password must be a non-empty string, {expected}$") as caught:
        Argon2Filter()(value)
    assert "12345678" not in str(caught.value)


# ------------------------------------------------------------------------------ in templates

SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pw\ndata:\n  hash: {{ hashed | b64enc }}\n"
CHECKSUM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sum\ndata:\n  sum: {{ hashed | sha256 }}\n"
HELPERS = (
    '{% set old = (previous_object("v1", "Secret", "pw").get("data") or {}).get("hash", "") | b64dec %}'
    "{% set hashed = Values.password | argon2(old) %}"
)


def _render(chart_dir, previous=None):
    chart = load_chart(chart_dir({
        "values.yaml": f"password: {PASSWORD}\n",
        "templates/_helpers.tpl": HELPERS,
        "templates/secret.yaml": '{% from "_helpers.tpl" import hashed with context %}' + SECRET,
        "templates/sum.yaml": '{% from "_helpers.tpl" import hashed with context %}' + CHECKSUM,
    }))
    return render(chart, dict(chart.values), release=ReleaseInfo("rel", namespace="ns"), previous=previous)


def _objects(result):
    return {m.kind: m.object for m in result.manifests}


def test_templates_of_one_render_see_one_hash_and_a_render_with_the_previous_revision_keeps_it(chart_dir):
    first = _render(chart_dir)
    found = _objects(first)
    hashed = base64.b64decode(found["Secret"]["data"]["hash"]).decode()
    assert PHC.fullmatch(hashed) and matches(hashed, PASSWORD)
    assert found["ConfigMap"]["data"]["sum"] == __import__("hashlib").sha256(hashed.encode()).hexdigest()

    assert _objects(_render(chart_dir))["Secret"] != found["Secret"], "without the previous revision: a new salt"
    again = _render(chart_dir, PreviousRevision(first.manifest_text, "ns"))
    assert again.manifest_text == first.manifest_text
