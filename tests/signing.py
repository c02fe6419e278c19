"""Throw-away PGP keys for the provenance tests, made once per session with the real ``gpg``.

Each key lives in its own GnuPG home and is exported as Helm's legacy keyrings
(``pubring.gpg`` from ``gpg --export``, ``secring.gpg`` from ``gpg --export-secret-keys``):

* ``signer``: no passphrase; the key charts are signed with;
* ``locked``: protected by the passphrase ``LOCKED_PASSPHRASE``;
* ``stranger``: a key nobody trusts, to show a signature by the wrong key is refused.

Modules use the fixture by importing it: ``from signing import signing_keys  # noqa: F401``.
Needs gpg; skips without it outside CI (in CI a skip is a failure).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

LOCKED_PASSPHRASE = "open sesame"
IN_CI = os.environ.get("CI", "") not in ("", "0", "false")


@dataclass(frozen=True)
class SigningKey:
    user_id: str
    fingerprint: str
    pubring: Path
    secring: Path


def _gpg(home: Path, *args: str, passphrase: str = "") -> bytes:
    command = ["gpg", "--homedir", str(home), "--batch", "--s2k-count", "65536", "--pinentry-mode", "loopback"]
    command += ["--passphrase", passphrase]
    done = subprocess.run([*command, *args], capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, f"gpg {' '.join(args)} failed: {done.stderr.decode(errors='replace')}"
    return done.stdout


def make_key(directory: Path, user_id: str, *, passphrase: str = "") -> SigningKey:
    """A new ed25519 signing key in its own home, exported to ``directory/{pubring,secring}.gpg``."""
    home = directory / "home"
    home.mkdir(parents=True, mode=0o700)
    (home / "gpg-agent.conf").write_text("s2k-count 65536\n")  # throw-away keys: no slow calibration
    try:
        _gpg(home, "--quick-gen-key", user_id, "ed25519", "sign", "never", passphrase=passphrase)
        listing = _gpg(home, "--with-colons", "--list-keys", user_id).decode()
        fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        (directory / "pubring.gpg").write_bytes(_gpg(home, "--export", fingerprint))
        (directory / "secring.gpg").write_bytes(_gpg(home, "--export-secret-keys", fingerprint, passphrase=passphrase))
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)
    return SigningKey(user_id, fingerprint, directory / "pubring.gpg", directory / "secring.gpg")


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory) -> dict[str, SigningKey]:
    if shutil.which("gpg") is None:
        message = "gpg is not installed (apt-get install gnupg)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("keys")
    return {
        "signer": make_key(root / "signer", "Chart Signer <signer@example.com>"),
        "locked": make_key(root / "locked", "Locked Signer <locked@example.com>", passphrase=LOCKED_PASSPHRASE),
        "stranger": make_key(root / "stranger", "Someone Else <stranger@example.com>"),
    }
