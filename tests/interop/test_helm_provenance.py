"""Provenance interoperability with the real Helm 4 binary, both ways.

* ``helm verify`` accepts a package signed by ``tfhelm package --sign``; ``tfhelm verify``
  accepts one signed by ``helm package --sign`` (also with passphrase-protected keys, through
  ``--passphrase-file``), and both name the same signer, fingerprint and sum.
* A tampered archive and a keyring without the signer's key are refused by both tools, whoever
  signed.
* Over a chart repository and an OCI registry: ``helm pull --verify`` accepts charts tfhelm
  signed and published, ``tfhelm pull --verify`` accepts charts Helm signed and published.

Keys are throw-away ed25519 keys exported as Helm's legacy keyrings (tests/signing.py).
Skipped only when helm, gpg or the registry is absent outside CI; in CI a skip is a failure.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from chart_server import HELLO_CHART, StaticServer, isolated_homes
from helpers import run_cli
from signing import LOCKED_PASSPHRASE, signing_keys  # noqa: F401 - the fixture

SIGNERS = ("tfhelm", "helm")


@pytest.fixture
def helm(tmp_path):
    from chart_server import helm_binary

    binary = helm_binary()
    env = {**isolated_homes(tmp_path), "HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    env["HELM_REGISTRY_CONFIG"] = str(tmp_path / "helm-registry.json")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=120)
        if check:
            assert done.returncode == 0, f"helm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    return run


@pytest.fixture
def tfhelm(tmp_path):
    env = {**isolated_homes(tmp_path), "TFHELM_REGISTRY_CONFIG": str(tmp_path / "tfhelm-registry.json")}

    def run(*args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
        done = run_cli(*args, env=env, stdin=stdin)
        if check:
            assert done.returncode == 0, f"tfhelm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    return run


def _sign(tool: str, helm, tfhelm, destination: Path, keys, *, key: str = "signer") -> Path:
    """Package and sign the test chart with ``tool``; return the archive."""
    secring = str(keys[key].secring)
    name = keys[key].user_id.split(" <")[0]
    args = ["package", str(HELLO_CHART), "-d", str(destination), "--sign", "--key", name, "--keyring", secring]
    if key == "locked":
        passphrase = destination.parent / "passphrase.txt"
        passphrase.write_text(LOCKED_PASSPHRASE + "\n")
        args += ["--passphrase-file", str(passphrase)]
    (helm if tool == "helm" else tfhelm)(*args)
    archive = destination / "hello-0.1.0.tgz"
    assert (destination / "hello-0.1.0.tgz.prov").is_file()
    return archive


def _refused_as_unknown_key(done: subprocess.CompletedProcess) -> bool:
    """Helm says ``signature made by unknown entity``; tfhelm names the key missing from the keyring."""
    said = done.stderr
    return done.returncode != 0 and ("unknown entity" in said or "which is not in the keyring" in said)


def _helm_says(done: subprocess.CompletedProcess) -> dict[str, str]:
    """Helm's and tfhelm's verify output (the same three lines) as a mapping."""
    return dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)


@pytest.mark.parametrize("signer", SIGNERS)
@pytest.mark.parametrize("key", ["signer", "locked"])
def test_both_tools_accept_a_package_signed_by_either(signer, key, helm, tfhelm, tmp_path, signing_keys):
    archive = _sign(signer, helm, tfhelm, tmp_path / "pkg", signing_keys, key=key)
    keyring = str(signing_keys[key].pubring)
    by_helm = _helm_says(helm("verify", "--keyring", keyring, str(archive)))
    by_tfhelm = _helm_says(tfhelm("verify", str(archive), "--keyring", keyring))
    expected = {
        "Signed by": signing_keys[key].user_id,
        "Using Key With Fingerprint": signing_keys[key].fingerprint,
        "Chart Hash Verified": "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest(),
    }
    assert by_helm == expected
    assert by_tfhelm == expected


@pytest.mark.parametrize("signer", SIGNERS)
def test_both_tools_refuse_a_tampered_archive_and_a_foreign_keyring(signer, helm, tfhelm, tmp_path, signing_keys):
    archive = _sign(signer, helm, tfhelm, tmp_path / "pkg", signing_keys)
    foreign = str(signing_keys["stranger"].pubring)
    assert _refused_as_unknown_key(helm("verify", "--keyring", foreign, str(archive), check=False))
    assert _refused_as_unknown_key(tfhelm("verify", str(archive), "--keyring", foreign, check=False))

    archive.write_bytes(archive.read_bytes() + b"\0")
    keyring = str(signing_keys["signer"].pubring)
    by_helm = helm("verify", "--keyring", keyring, str(archive), check=False)
    assert by_helm.returncode != 0 and "sha256 sum does not match" in by_helm.stderr
    by_tfhelm = tfhelm("verify", str(archive), "--keyring", keyring, check=False)
    assert by_tfhelm.returncode == 1 and "hello-0.1.0.tgz is not the archive that was signed" in by_tfhelm.stderr


@pytest.mark.parametrize("signer", SIGNERS)
def test_pull_verify_from_a_repository_the_other_tool_published(signer, helm, tfhelm, tmp_path, signing_keys):
    site = tmp_path / "site"
    _sign(signer, helm, tfhelm, site, signing_keys)
    (helm if signer == "helm" else tfhelm)("repo", "index", str(site))
    puller = tfhelm if signer == "helm" else helm
    keyring = str(signing_keys["signer"].pubring)
    for directory in ("dl", "x"):
        (tmp_path / directory).mkdir()  # helm pull wants the destination to exist
    with StaticServer(site) as server:
        puller("repo", "add", "signed", server.url)
        if puller is helm:
            puller("repo", "update")
        puller("pull", "signed/hello", "--verify", "--keyring", keyring, "-d", str(tmp_path / "dl"))
        assert (tmp_path / "dl" / "hello-0.1.0.tgz").read_bytes() == (site / "hello-0.1.0.tgz").read_bytes()
        assert (tmp_path / "dl" / "hello-0.1.0.tgz.prov").read_bytes() == (site / "hello-0.1.0.tgz.prov").read_bytes()
        foreign = str(signing_keys["stranger"].pubring)
        refused = puller("pull", "signed/hello", "--verify", "--keyring", foreign, "-d", str(tmp_path / "x"), check=False)
        assert _refused_as_unknown_key(refused), refused.stderr


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    from oci_registry import start_registry

    server = start_registry(tmp_path_factory)
    yield server
    server.stop()


@pytest.mark.parametrize("signer", SIGNERS)
def test_pull_verify_from_a_registry_the_other_tool_pushed_to(signer, registry, helm, tfhelm, tmp_path, signing_keys):
    archive = _sign(signer, helm, tfhelm, tmp_path / "pkg", signing_keys)
    pusher, puller = (helm, tfhelm) if signer == "helm" else (tfhelm, helm)
    pusher("push", str(archive), f"oci://{registry.address}/by-{signer}", "--plain-http")
    reference = f"oci://{registry.address}/by-{signer}/hello"
    keyring = str(signing_keys["signer"].pubring)
    destination = tmp_path / "dl"
    destination.mkdir()  # helm pull wants it to exist
    puller("pull", reference, "--version", "0.1.0", "--plain-http", "--verify", "--keyring", keyring, "-d", str(destination))
    assert (destination / "hello-0.1.0.tgz").read_bytes() == archive.read_bytes()
    assert (destination / "hello-0.1.0.tgz.prov").read_bytes() == (tmp_path / "pkg" / "hello-0.1.0.tgz.prov").read_bytes()
    foreign = str(signing_keys["stranger"].pubring)
    shutil.rmtree(destination)
    destination.mkdir()
    refused = puller(
        "pull", reference, "--version", "0.1.0", "--plain-http", "--verify", "--keyring", foreign, "-d", str(destination),
        check=False,
    )
    assert _refused_as_unknown_key(refused), refused.stderr
