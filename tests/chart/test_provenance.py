"""Provenance files (chart.provenance): Helm's .prov layout, signing with the right key, and every
refusal of verify — a tampered archive or signature, an unknown key, a missing .prov.

Signatures are made and checked by the real gpg; one test checks a .prov with a bare gpg call,
not through tfhelm, so tfhelm is not only tested against itself (tests/interop checks it with Helm).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from chart_server import HELLO_CHART
from signing import LOCKED_PASSPHRASE, signing_keys  # noqa: F401 - the fixture

from tfhelm.chart.archive import write_chart_archive
from tfhelm.chart.gnupg import GnuPGHome
from tfhelm.chart.loader import load_chart
from tfhelm.chart.provenance import (
    message_block,
    read_passphrase,
    sign_package,
    sign_package_bytes,
    verify_package,
    with_armor_checksum,
)
from tfhelm.errors import ProvenanceError, RepoError


@pytest.fixture
def package(tmp_path) -> Path:
    return write_chart_archive(load_chart(HELLO_CHART), tmp_path / "site")


@pytest.fixture
def signed(package, signing_keys) -> Path:
    sign_package(package, key="Chart Signer", keyring=signing_keys["signer"].secring)
    return package


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_prov_file_is_helms_clear_signed_chart_yaml_and_archive_sum(signed):
    text = (signed.parent / "hello-0.1.0.tgz.prov").read_text()
    assert text.startswith("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n")
    signed_text, _, signature = text.partition("-----BEGIN PGP SIGNATURE-----")
    assert "\nname: hello\n" in signed_text and "\nversion: 0.1.0\n" in signed_text
    assert f"\n...\nfiles:\n  hello-0.1.0.tgz: sha256:{_sha256(signed)}\n" in signed_text
    assert signature.rstrip().endswith("-----END PGP SIGNATURE-----")


def test_the_signature_is_good_for_a_plain_gpg_too(signed, signing_keys, tmp_path):
    home = tmp_path / "independent"
    home.mkdir(mode=0o700)
    base = ["gpg", "--homedir", str(home), "--batch", "--no-autostart"]
    subprocess.run([*base, "--import", str(signing_keys["signer"].pubring)], check=True, capture_output=True)
    done = subprocess.run(
        [*base, "--status-fd", "1", "--verify", str(signed.parent / "hello-0.1.0.tgz.prov")], capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert f"VALIDSIG {signing_keys['signer'].fingerprint}" in done.stdout.decode()


def test_verify_names_the_signer_its_fingerprint_and_the_archive_sum(signed, signing_keys):
    verification = verify_package(signed, keyring=signing_keys["signer"].pubring)
    assert verification.signed_by == "Chart Signer <signer@example.com>"
    assert verification.fingerprint == signing_keys["signer"].fingerprint
    assert (verification.file_name, verification.file_hash) == ("hello-0.1.0.tgz", f"sha256:{_sha256(signed)}")


def test_a_secret_keyring_verifies_too(signed, signing_keys):
    assert verify_package(signed, keyring=signing_keys["signer"].secring).signed_by.startswith("Chart Signer")


def test_a_tampered_archive_is_refused_naming_both_digests(signed, signing_keys):
    original = _sha256(signed)
    signed.write_bytes(signed.read_bytes() + b"\0")
    with pytest.raises(ProvenanceError) as raised:
        verify_package(signed, keyring=signing_keys["signer"].pubring)
    message = str(raised.value)
    assert message.startswith(f"{signed}.prov: hello-0.1.0.tgz is not the archive that was signed")
    assert f"the signature is for sha256:{original}" in message and f"sha256:{_sha256(signed)}" in message
    assert isinstance(raised.value, RepoError)


def test_an_edited_signed_text_is_a_bad_signature(signed, signing_keys):
    prov = signed.parent / "hello-0.1.0.tgz.prov"
    prov.write_text(prov.read_text().replace("version: 0.1.0", "version: 0.1.1"))
    with pytest.raises(ProvenanceError, match=r"BAD signature: the signed text was altered"):
        verify_package(signed, keyring=signing_keys["signer"].pubring)


def test_text_outside_the_signature_is_never_read(signed, signing_keys):
    """A forged sum before the armour header is not what gpg verified, so it cannot vouch for another archive."""
    prov = signed.parent / "hello-0.1.0.tgz.prov"
    signed.write_bytes(signed.read_bytes() + b"swapped")
    forged = f"...\nfiles:\n  hello-0.1.0.tgz: sha256:{_sha256(signed)}\n\n"
    prov.write_text(forged + prov.read_text())
    with pytest.raises(ProvenanceError, match="is not the archive that was signed"):
        verify_package(signed, keyring=signing_keys["signer"].pubring)


def test_a_signature_by_a_key_outside_the_keyring_is_refused(package, signing_keys):
    sign_package(package, key="Someone Else", keyring=signing_keys["stranger"].secring)
    with pytest.raises(ProvenanceError) as raised:
        verify_package(package, keyring=signing_keys["signer"].pubring)
    key_id = signing_keys["stranger"].fingerprint[-16:]
    assert f"signed by key {key_id}, which is not in the keyring {signing_keys['signer'].pubring}" in str(raised.value)


def test_a_missing_prov_file_means_not_signed(package, signing_keys):
    with pytest.raises(ProvenanceError, match=r"hello-0.1.0.tgz.prov: no provenance file: the chart is not signed"):
        verify_package(package, keyring=signing_keys["signer"].pubring)


def test_a_renamed_archive_is_not_the_file_the_signature_names(signed, signing_keys):
    renamed = signed.parent / "renamed-0.1.0.tgz"
    shutil.copy(signed, renamed)
    shutil.copy(signed.parent / "hello-0.1.0.tgz.prov", signed.parent / "renamed-0.1.0.tgz.prov")
    with pytest.raises(ProvenanceError, match=r"signs no file named 'renamed-0.1.0.tgz' \(it signs: hello-0.1.0.tgz\)"):
        verify_package(renamed, keyring=signing_keys["signer"].pubring)


def test_a_prov_that_is_not_clear_signed_is_refused(package, signing_keys):
    prov = package.parent / "hello-0.1.0.tgz.prov"
    prov.write_text("files:\n  hello-0.1.0.tgz: sha256:00\n")
    with pytest.raises(ProvenanceError, match="not a PGP clear-signed document"):
        verify_package(package, keyring=signing_keys["signer"].pubring)
    sums = f"...\nfiles:\n  hello-0.1.0.tgz: sha256:{_sha256(package)}\n".encode()
    with GnuPGHome(agent=True) as gpg:  # a good signature, but an opaque (inline) one, as Helm never writes
        gpg.import_keys(signing_keys["signer"].secring)
        (gpg.home / "sums").write_bytes(sums)
        inline = gpg.run(["--armor", "--local-user", signing_keys["signer"].fingerprint, "--sign", str(gpg.home / "sums")], output=True)
    assert b"-----BEGIN PGP MESSAGE-----" in inline.output
    prov.write_bytes(inline.output)
    with pytest.raises(ProvenanceError, match="not a PGP clear-signed document"):
        verify_package(package, keyring=signing_keys["signer"].pubring)


def test_unpacked_charts_and_missing_or_unreadable_keyrings_are_refused(signed, tmp_path, signing_keys):
    with pytest.raises(ProvenanceError, match="unpacked charts cannot be verified"):
        verify_package(HELLO_CHART, keyring=signing_keys["signer"].pubring)
    with pytest.raises(ProvenanceError, match=rf"{tmp_path}/none.gpg: keyring not found; give --keyring PATH"):
        verify_package(signed, keyring=tmp_path / "none.gpg")
    (tmp_path / "junk.gpg").write_text("not a key\n")
    with pytest.raises(ProvenanceError, match=r"junk.gpg: holds no OpenPGP keys gpg can read"):
        verify_package(signed, keyring=tmp_path / "junk.gpg")


def test_the_key_is_chosen_like_helm_exact_user_id_then_the_one_key_containing_it(package, signing_keys, tmp_path):
    both = tmp_path / "both.gpg"
    both.write_bytes(signing_keys["signer"].secring.read_bytes() + signing_keys["stranger"].secring.read_bytes())
    with pytest.raises(ProvenanceError, match=r"both.gpg: more than one key matches '@example.com'"):
        sign_package(package, key="@example.com", keyring=both)
    for name in ("Someone Else <stranger@example.com>", "stranger@", signing_keys["stranger"].fingerprint):
        sign_package(package, key=name, keyring=both)
        verification = verify_package(package, keyring=signing_keys["stranger"].pubring)
        assert verification.fingerprint == signing_keys["stranger"].fingerprint
    with pytest.raises(ProvenanceError, match=r"no key matches 'Nobody' \(keys in the keyring: 'Chart Signer"):
        sign_package(package, key="Nobody", keyring=both)


def test_signing_needs_the_secret_key(package, signing_keys):
    with pytest.raises(ProvenanceError, match=r"pubring.gpg: key 'Chart Signer <signer@example.com>' \(.*\) has no secret"):
        sign_package(package, key="Chart Signer", keyring=signing_keys["signer"].pubring)
    assert not (package.parent / "hello-0.1.0.tgz.prov").exists()


def test_a_passphrase_protected_key_signs_only_with_its_passphrase(package, signing_keys):
    locked = signing_keys["locked"]
    with pytest.raises(ProvenanceError, match=r"key 'Locked Signer <locked@example.com>' is protected by a passphrase"):
        sign_package(package, key="Locked Signer", keyring=locked.secring)
    with pytest.raises(ProvenanceError, match=r"wrong passphrase for key 'Locked Signer"):
        sign_package(package, key="Locked Signer", keyring=locked.secring, passphrase=b"guess")
    assert not (package.parent / "hello-0.1.0.tgz.prov").exists()
    sign_package(package, key="Locked Signer", keyring=locked.secring, passphrase=LOCKED_PASSPHRASE.encode())
    assert verify_package(package, keyring=locked.pubring).fingerprint == locked.fingerprint


def test_the_passphrase_is_the_first_line_of_its_file(tmp_path):
    (tmp_path / "pass").write_text(f"{LOCKED_PASSPHRASE}\nignored\n")
    assert read_passphrase(str(tmp_path / "pass")) == LOCKED_PASSPHRASE.encode()
    with pytest.raises(ProvenanceError, match=r"missing: cannot read the passphrase"):
        read_passphrase(str(tmp_path / "missing"))


def test_the_message_block_sorts_chart_yaml_and_leaves_empty_fields_out():
    archive = b"archive bytes"
    metadata = {"version": "1.0.0", "name": "demo", "apiVersion": "v2", "keywords": [], "deprecated": False}
    expected = (
        "apiVersion: v2\nname: demo\nversion: 1.0.0\n\n...\nfiles:\n"
        f"  demo-1.0.0.tgz: sha256:{hashlib.sha256(archive).hexdigest()}\n"
    )
    assert message_block(archive, "demo-1.0.0.tgz", metadata).decode() == expected


def test_the_temporary_gnupg_home_and_its_agent_are_gone_afterwards(package, signing_keys):
    with GnuPGHome(agent=True) as gpg:
        gpg.import_keys(signing_keys["signer"].secring)
        gpg.clearsign(b"text\n", signing_keys["signer"].fingerprint, None)
        home = gpg.home
        assert (home / "S.gpg-agent").exists()
    assert not home.exists()


def test_a_missing_armour_checksum_is_restored_exactly_as_gpg_writes_it(signed):
    """Helm 4 leaves the optional ``=XXXX`` line out for some keys, which GnuPG 2.2 misreads."""
    with_checksum = (signed.parent / "hello-0.1.0.tgz.prov").read_bytes()
    lines = with_checksum.split(b"\n")
    checksum = next(index for index, line in enumerate(lines) if line.startswith(b"=") and len(line) == 5)
    without = b"\n".join(lines[:checksum] + lines[checksum + 1 :])
    assert with_armor_checksum(without) == with_checksum
    assert with_armor_checksum(with_checksum) == with_checksum
    assert with_armor_checksum(b"not armoured at all") == b"not armoured at all"


def test_without_gpg_the_error_says_what_to_install(signed, signing_keys, monkeypatch):
    monkeypatch.delenv("TFHELM_GPG", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ProvenanceError, match=r"needs GnuPG, and no `gpg` is on PATH \(Debian: apt-get install gnupg\)"):
        verify_package(signed, keyring=signing_keys["signer"].pubring)


def test_a_protected_key_asks_for_its_passphrase_once_when_none_was_given(package, signing_keys):
    locked, asked = signing_keys["locked"], []

    def ask(name: str) -> bytes:
        asked.append(name)
        return LOCKED_PASSPHRASE.encode()

    data = package.read_bytes()
    signature = sign_package_bytes(
        data, package.name, key="Locked", keyring=locked.secring, ask_passphrase=ask, source=str(package)
    )
    assert asked == ["Locked Signer <locked@example.com>"]
    (package.parent / "hello-0.1.0.tgz.prov").write_bytes(signature)
    assert verify_package(package, keyring=locked.pubring).fingerprint == locked.fingerprint
    sign_package_bytes(data, package.name, key="Chart Signer", keyring=signing_keys["signer"].secring, ask_passphrase=ask, source="x")
    assert len(asked) == 1  # an unprotected key never asks
    with pytest.raises(ProvenanceError, match="wrong passphrase"):
        sign_package_bytes(data, package.name, key="Locked", keyring=locked.secring, ask_passphrase=lambda _: b"no", source="x")
