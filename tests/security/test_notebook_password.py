"""Finding 5: the notebook password was recoverable by anyone who could read the Deployment.

Its pod template carried ``sha256("sha256:<salt>:" + sha256(password + salt))`` with a salt anyone
could compute from the namespace and release name, so a dictionary attack took microseconds a
guess; the Secret held one round of the same salted SHA-256. Here a reader of what ``tfhelm
template`` prints (the Deployment, the Secret) tries that attack with a dictionary that holds the
password.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from helpers import REPO, run_cli

PASSWORD = "change-me-please"
DICTIONARY = ["123456", "password", "letmein", PASSWORD, "correct-horse-battery"]
PHC_PARAMS = re.compile(r"^argon2:\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]{22})\$[A-Za-z0-9+/]{43}$")


def _render(release: str = "tf", namespace: str = "default") -> str:
    done = run_cli("template", release, "charts/tf-cluster", "-n", namespace, "--set-string", f"jupyter.password={PASSWORD}", cwd=REPO)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _seen(output: str) -> tuple[str, str]:
    """What a reader gets: the notebook's checksum annotation and the Secret's hash."""
    (checksum,) = re.findall(r"(?m)^        tfhelm\.io/(?:secret|password)-checksum: (\S+)$", output)
    (encoded,) = re.findall(r"(?m)^  hashed-password: (\S+)$", output)
    return checksum, base64.b64decode(encoded).decode()


def _old_scheme(word: str, release: str, namespace: str) -> tuple[str, str]:
    """The Secret's hash and the annotation the chart used to render for ``word``."""
    salt = hashlib.sha256(f"tfhelm-jupyter/{namespace}/{release}".encode()).hexdigest()[:16]
    hashed = f"sha256:{salt}:" + hashlib.sha256((word + salt).encode()).hexdigest()
    return hashlib.sha256(hashed.encode()).hexdigest(), hashed


@pytest.fixture(scope="module")
def output():
    return _render()


def test_a_dictionary_attack_on_the_deployment_finds_nothing(output):
    checksum, hashed = _seen(output)
    for word in DICTIONARY:
        old_checksum, old_hash = _old_scheme(word, "tf", "default")
        assert checksum != old_checksum and hashed != old_hash
        for fast in (hashlib.sha256, hashlib.sha1, hashlib.md5):
            assert fast(word.encode()).hexdigest() not in output


def test_the_checksum_is_not_a_function_of_the_password_and_the_release(output):
    # the same password, release and namespace: a guess cannot be checked against it without the salt
    again = _render()
    assert _seen(again)[0] != _seen(output)[0]
    assert _seen(again)[1].split("$")[4] != _seen(output)[1].split("$")[4]


def test_the_secret_costs_a_full_argon2id_computation_per_guess(output):
    _, hashed = _seen(output)
    memory_kib, passes, lanes, _ = PHC_PARAMS.fullmatch(hashed).groups()
    assert (int(memory_kib), int(passes), int(lanes)) >= (10240, 10, 8)  # jupyter_server's passwd()


def test_the_password_itself_is_nowhere_in_the_output(output):
    assert PASSWORD not in output
    assert base64.b64encode(PASSWORD.encode()).decode() not in output
