"""Helm's provenance files: sign a chart package, and verify a package against its signature.

``NAME-VERSION.tgz`` is signed by ``NAME-VERSION.tgz.prov`` beside it: a PGP clear-signed
document (SHA-512) whose signed text is the chart's Chart.yaml (keys sorted, as Helm marshals
it), a line ``...`` and a ``files:`` map from the archive's file name to its SHA-256::

    -----BEGIN PGP SIGNED MESSAGE-----
    Hash: SHA512

    apiVersion: v2
    name: hello
    version: 0.1.0

    ...
    files:
      hello-0.1.0.tgz: sha256:08c52601e8c629fe19f7e9392a1aa55e46da3e0b8d09106030079504e11daa91
    -----BEGIN PGP SIGNATURE-----
    ...

Verifying trusts every key of the keyring given (Helm's ``--keyring``, a legacy
``pubring.gpg``), checks the signature, then that the archive's SHA-256 is the one signed
for its file name. Only the text GnuPG reports as signed is read. Every refusal is a
:class:`~tfhelm.errors.ProvenanceError` naming the file and the key or keyring. The
cryptography is GnuPG's (:mod:`tfhelm.chart.gnupg`).

    >>> sign_package(Path("hello-0.1.0.tgz"), key="Chart Signer", keyring=Path("secring.gpg"))  # doctest: +SKIP
    PosixPath('hello-0.1.0.tgz.prov')
    >>> verify_package(Path("hello-0.1.0.tgz"), keyring=Path("pubring.gpg")).signed_by  # doctest: +SKIP
    'Chart Signer <signer@example.com>'
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfhelm.chart.gnupg import GnuPGHome, GpgResult, KeyInfo
from tfhelm.errors import ProvenanceError

__all__ = [
    "MAX_PROVENANCE_BYTES",
    "PROVENANCE_SUFFIX",
    "Verification",
    "default_keyring",
    "message_block",
    "provenance_path",
    "read_passphrase",
    "read_verified_package",
    "sign_package",
    "sign_package_bytes",
    "verify_package",
    "verify_package_bytes",
    "with_armor_checksum",
]

PROVENANCE_SUFFIX = ".prov"
MAX_PROVENANCE_BYTES = 1024 * 1024
_SEPARATOR = b"\n...\n"  # YAML's document end: "---" cannot open a line of a clear-signed text
_GPG_ERR_BAD_PASSPHRASE = 11
_GPG_ERR_NO_PASSPHRASE = 177
_GPG_ERR_NO_PUBKEY = "9"
_CLEARSIGN_BEGIN = b"-----BEGIN PGP SIGNED MESSAGE-----"
_SIGNATURE_BEGIN = "-----BEGIN PGP SIGNATURE-----"
_SIGNATURE_END = "-----END PGP SIGNATURE-----"
_CRC24_INIT, _CRC24_POLY = 0xB704CE, 0x1864CFB


@dataclass(frozen=True)
class Verification:
    """A package whose signature and digest checked out."""

    signed_by: str  # the signing key's first user ID
    fingerprint: str  # of the signing key's primary key
    file_name: str
    file_hash: str  # "sha256:<hex>"


def default_keyring() -> Path:
    """Helm's default keyring: ``$GNUPGHOME/pubring.gpg``, else ``~/.gnupg/pubring.gpg``."""
    home = os.environ.get("GNUPGHOME")
    return Path(home) / "pubring.gpg" if home else Path.home() / ".gnupg" / "pubring.gpg"


def provenance_path(archive: Path) -> Path:
    return archive.with_name(archive.name + PROVENANCE_SUFFIX)


def read_passphrase(path: str) -> bytes:
    """The first line of ``path`` (``-``: standard input), as Helm's ``--passphrase-file`` reads it."""
    try:
        if path == "-":
            line = sys.stdin.buffer.readline()
        else:
            with open(path, "rb") as handle:
                line = handle.readline()
    except OSError as error:
        raise ProvenanceError(f"cannot read the passphrase: {error.strerror or error}", file=path) from None
    return line.rstrip(b"\r\n")


# --------------------------------------------------------------------------- the signed text


def message_block(archive: bytes, file_name: str, metadata: Mapping[str, Any]) -> bytes:
    """The text Helm signs: Chart.yaml's fields (sorted, empty ones left out), ``...``, the sums."""
    from tfhelm.yamlio import dump_yaml

    chart_yaml = dump_yaml(_sorted_without_empty(dict(metadata)))
    sums = dump_yaml({"files": {file_name: "sha256:" + hashlib.sha256(archive).hexdigest()}})
    return chart_yaml.encode("utf-8") + _SEPARATOR + sums.encode("utf-8")


def _sorted_without_empty(value: Any) -> Any:
    """Go's JSON-then-YAML marshalling of chart.Metadata: map keys sorted, ``omitempty`` fields dropped."""
    if isinstance(value, dict):
        kept = {
            key: _sorted_without_empty(item) for key, item in value.items() if item not in (None, "", [], {}, False)
        }
        return dict(sorted(kept.items()))
    if isinstance(value, list):
        return [_sorted_without_empty(item) for item in value]
    return value


def _signed_sums(plaintext: bytes, source: str) -> dict[str, str]:
    """``files:`` of the signed text (Helm reads the part after the first ``...`` line)."""
    from tfhelm.yamlio import YamlProblem, load_yaml

    parts = plaintext.replace(b"\r\n", b"\n").split(_SEPARATOR)
    if len(parts) < 2:
        raise ProvenanceError(
            "the signed text has no '...' line before its file sums: not a Helm provenance file", file=source
        )
    try:
        document = load_yaml(parts[1].decode("utf-8", errors="replace"))
    except YamlProblem as problem:
        raise ProvenanceError(f"the signed file sums are not valid YAML: {problem.problem}", file=source) from None
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict):
        raise ProvenanceError("the signed text has no 'files:' map of archive sums", file=source)
    return {str(name): str(digest) for name, digest in files.items()}


# --------------------------------------------------------------------------- sign


def sign_package(archive: Path, *, key: str, keyring: Path, passphrase: bytes | None = None) -> Path:
    """Write ``ARCHIVE.prov`` for the package ``archive`` (see :func:`sign_package_bytes`)."""
    from tfhelm.fileio import write_file_atomically

    signature = sign_package_bytes(
        archive.read_bytes(), archive.name, key=key, keyring=keyring, passphrase=passphrase, source=str(archive)
    )
    destination = provenance_path(archive)
    write_file_atomically(destination, signature)
    return destination


def sign_package_bytes(
    data: bytes,
    file_name: str,
    *,
    key: str,
    keyring: Path,
    passphrase: bytes | None = None,
    ask_passphrase: Callable[[str], bytes] | None = None,
    source: str,
) -> bytes:
    """The ``.prov`` text for archive bytes known as ``file_name``, signed with the secret key of
    ``keyring`` whose user ID is ``key`` (exactly, else the one key containing it, as Helm chooses)
    or whose fingerprint or long key ID it is. ``source`` names the archive in errors. When the
    key turns out to need a passphrase and none was given, ``ask_passphrase(key name)`` is asked
    once (Helm prompts on the terminal)."""
    from tfhelm.chart.archive import read_chart_archive_bytes
    from tfhelm.chart.metadata import parse_metadata

    files = read_chart_archive_bytes(data, source=source)
    metadata = parse_metadata(files["Chart.yaml"].decode("utf-8", errors="replace"), source=f"{source}:Chart.yaml")
    block = message_block(data, file_name, metadata.raw)
    _require_keyring(keyring)
    with GnuPGHome(agent=True) as gpg:
        _import(gpg, keyring)
        signer = _signing_key(gpg, key, keyring)
        result = gpg.clearsign(block, signer.fingerprint, passphrase)
        if passphrase is None and ask_passphrase is not None and _needs_passphrase(result):
            passphrase = ask_passphrase(signer.name)
            result = gpg.clearsign(block, signer.fingerprint, passphrase)
    if not result.first("SIG_CREATED") or result.returncode != 0:
        raise ProvenanceError(_signing_failure(result, signer, passphrase is not None), file=source, key=signer.name)
    return result.output


def _signing_key(gpg: GnuPGHome, wanted: str, keyring: Path) -> KeyInfo:
    keys = gpg.keys(secret=False)
    chosen = _choose_key(keys, wanted, keyring)
    if not any(key.fingerprint == chosen.fingerprint for key in gpg.keys(secret=True)):
        raise ProvenanceError(
            f"key {chosen.name!r} ({chosen.fingerprint}) has no secret key in this keyring, so it cannot sign; "
            "give a keyring made by `gpg --export-secret-keys`",
            file=keyring,
            key=chosen.name,
        )
    return chosen


def _choose_key(keys: list[KeyInfo], wanted: str, keyring: Path) -> KeyInfo:
    """Helm's rule: a user ID equal to ``wanted`` wins; else the one key with a user ID containing it.
    A fingerprint or key ID (hex, optional ``0x``) names its key too."""
    hex_id = wanted.upper().removeprefix("0X").replace(" ", "")
    for key in keys:
        if wanted in key.user_ids or (len(hex_id) >= 16 and key.fingerprint.upper().endswith(hex_id)):
            return key
    containing = [key for key in keys if any(wanted in user_id for user_id in key.user_ids)]
    if len(containing) == 1:
        return containing[0]
    if containing:
        names = ", ".join(repr(key.name) for key in containing)
        raise ProvenanceError(
            f"more than one key matches {wanted!r}: {names}; name one exactly", file=keyring, key=wanted
        )
    known = ", ".join(repr(key.name) for key in keys) or "none"
    raise ProvenanceError(f"no key matches {wanted!r} (keys in the keyring: {known})", file=keyring, key=wanted)


def _failure_code(result: GpgResult) -> int | None:
    """The libgpg-error code of gpg's ``FAILURE`` status (its low 16 bits), if any."""
    failure = result.first("FAILURE")
    return int(failure[1][1]) & 0xFFFF if failure and len(failure[1]) > 1 and failure[1][1].isdigit() else None


def _needs_passphrase(result: GpgResult) -> bool:
    return _failure_code(result) in (_GPG_ERR_NO_PASSPHRASE, _GPG_ERR_BAD_PASSPHRASE)


def _signing_failure(result: GpgResult, signer: KeyInfo, had_passphrase: bool) -> str:
    code = _failure_code(result)
    if code == _GPG_ERR_NO_PASSPHRASE or (code == _GPG_ERR_BAD_PASSPHRASE and not had_passphrase):
        return (
            f"key {signer.name!r} is protected by a passphrase; give it with --passphrase-file FILE ('-' reads stdin)"
        )
    if code == _GPG_ERR_BAD_PASSPHRASE:
        return f"wrong passphrase for key {signer.name!r}"
    return f"gpg could not sign with key {signer.name!r}: {result.error_lines() or f'exit code {result.returncode}'}"


# --------------------------------------------------------------------------- verify


def verify_package(archive: Path, *, keyring: Path, provenance: Path | None = None) -> Verification:
    """Verify a ``.tgz`` against ``provenance`` (default: ``ARCHIVE.prov``) and ``keyring``."""
    return read_verified_package(archive, keyring=keyring, provenance=provenance)[1]


def read_verified_package(
    archive: Path, *, keyring: Path, provenance: Path | None = None
) -> tuple[bytes, Verification]:
    """The bytes of ``archive``, read once and verified (so what is loaded next is what was checked)."""
    if archive.is_dir():
        raise ProvenanceError("unpacked charts cannot be verified; verify the .tgz package", file=archive)
    if archive.suffix.lower() != ".tgz":
        raise ProvenanceError("a chart to verify must be a .tgz package", file=archive)
    provenance = provenance or provenance_path(archive)
    data = _read(archive, "no such chart package")
    signature = _read(provenance, "no provenance file: the chart is not signed (tfhelm package --sign writes one)")
    return data, verify_package_bytes(data, archive.name, signature, keyring=keyring, source=str(provenance))


def _read(path: Path, missing: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ProvenanceError(missing, file=path) from None
    except OSError as error:
        raise ProvenanceError(f"cannot read it: {error.strerror or error}", file=path) from None


def verify_package_bytes(data: bytes, file_name: str, provenance: bytes, *, keyring: Path, source: str) -> Verification:
    """Verify archive bytes known as ``file_name`` against provenance bytes read from ``source``."""
    if _CLEARSIGN_BEGIN not in provenance:
        raise ProvenanceError("not a PGP clear-signed document (no signed message found)", file=source)
    _require_keyring(keyring)
    with GnuPGHome(agent=False) as gpg:
        _import(gpg, keyring)
        result = gpg.verify_clearsigned(with_armor_checksum(provenance))
        signer = _good_signer(result, gpg, keyring, source)
    sums = _signed_sums(result.output, source)
    actual = "sha256:" + hashlib.sha256(data).hexdigest()
    signed = sums.get(file_name)
    if signed is None:
        listed = ", ".join(sorted(sums)) or "none"
        raise ProvenanceError(f"signs no file named {file_name!r} (it signs: {listed})", file=source, key=signer.name)
    if signed != actual:
        raise ProvenanceError(
            f"{file_name} is not the archive that was signed: its digest is {actual}, the signature is for {signed}",
            file=source,
            key=signer.name,
        )
    return Verification(signer.name, signer.fingerprint, file_name, actual)


def _good_signer(result: GpgResult, gpg: GnuPGHome, keyring: Path, source: str) -> KeyInfo:
    """The key behind the one good signature of ``result``; every other outcome is refused."""
    signatures = result.count("NEWSIG")
    if signatures == 0:
        raise ProvenanceError("not a PGP clear-signed document (no signature found)", file=source)
    if signatures > 1:
        raise ProvenanceError(f"holds {signatures} signatures; a provenance file has exactly one", file=source)
    refused = _refusal(result, keyring)
    if refused:
        raise ProvenanceError(refused, file=source, key=str(keyring))
    valid = result.first("VALIDSIG")
    if result.returncode != 0 or not result.first("GOODSIG") or valid is None:
        raise ProvenanceError(
            f"gpg did not accept the signature: {result.error_lines()}", file=source, key=str(keyring)
        )
    primary = valid[1][9] if len(valid[1]) > 9 else valid[1][0]
    known = {key.fingerprint: key for key in gpg.keys(secret=False)}
    return known.get(primary) or KeyInfo(primary, (), secret=False)


def _refusal(result: GpgResult, keyring: Path) -> str | None:
    errsig = result.first("ERRSIG")
    if result.first("NO_PUBKEY") or (errsig and len(errsig[1]) > 5 and errsig[1][5] == _GPG_ERR_NO_PUBKEY):
        key_id = errsig[1][0] if errsig else "?"
        return f"signed by key {key_id}, which is not in the keyring {keyring}; the signer is not trusted"
    if result.first("BADSIG"):
        return "BAD signature: the signed text was altered after signing"
    for keyword, problem in (("EXPKEYSIG", "whose key has expired"), ("REVKEYSIG", "whose key was revoked")):
        found = result.first(keyword)
        if found:
            return f"signed by {' '.join(found[1][1:])!r}, {problem}"
    if result.first("EXPSIG"):
        return "the signature has expired"
    if errsig:
        return f"gpg cannot check the signature of key {errsig[1][0] if errsig[1] else '?'}: {result.error_lines()}"
    return None


def with_armor_checksum(document: bytes) -> bytes:
    """``document`` with the armour checksum line (``=XXXX``) its signature block may lack.

    Helm 4 (go-crypto) leaves out this optional line for some keys (ed25519, …), and GnuPG 2.2
    then misreads the end of the armour and fails after a good signature. The line is a CRC-24
    of the armoured bytes (RFC 4880 §6.1): it guards the transport encoding, not authenticity,
    which the signature check alone decides. Anything unexpected is left as it is for gpg to judge.
    """
    import base64
    import binascii

    text = document.decode("latin-1")
    lines = text.split("\n")
    stripped = [line.rstrip("\r") for line in lines]
    if stripped.count(_SIGNATURE_BEGIN) != 1 or stripped.count(_SIGNATURE_END) != 1:
        return document
    begin, end = stripped.index(_SIGNATURE_BEGIN), stripped.index(_SIGNATURE_END)
    blank = next((index for index in range(begin + 1, end) if not stripped[index].strip()), None)
    body = stripped[blank + 1 : end] if blank is not None else []
    if not body or any(line.startswith("=") for line in body):
        return document
    try:
        data = base64.b64decode("".join(line.strip() for line in body), validate=True)
    except (binascii.Error, ValueError):
        return document
    checksum = "=" + base64.b64encode(_crc24(data).to_bytes(3, "big")).decode("ascii")
    return "\n".join([*lines[:end], checksum, *lines[end:]]).encode("latin-1")


def _crc24(data: bytes) -> int:
    crc = _CRC24_INIT
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= _CRC24_POLY
    return crc & 0xFFFFFF


# --------------------------------------------------------------------------- keyrings


def _require_keyring(keyring: Path) -> None:
    if not keyring.is_file():
        raise ProvenanceError(
            "keyring not found; give --keyring PATH (a file made by `gpg --export` or `gpg --export-secret-keys`)",
            file=keyring,
        )


def _import(gpg: GnuPGHome, keyring: Path) -> None:
    result = gpg.import_keys(keyring)
    if not result.first("IMPORT_OK"):
        detail = result.error_lines()
        raise ProvenanceError(
            "holds no OpenPGP keys gpg can read (Helm's keyrings are `gpg --export` / `gpg --export-secret-keys` "
            f"output, not a pubring.kbx){': ' + detail if detail else ''}",
            file=keyring,
        )
