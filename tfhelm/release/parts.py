"""Records larger than one Secret: split across part Secrets, joined and verified on read.

A record whose packed (gzip) form fits one Secret is stored as it always was: one Secret with a
``release`` key. A larger one becomes a *head* Secret (the usual name, type and labels) whose data
holds ``parts`` (how many), ``sha256`` (of the whole packed record) and ``part-sha256`` (each
part's, comma-separated), and that many *part* Secrets of type ``tfhelm.io/release-part.v1``::

    sh.tfhelm.release.v1.<name>.v<revision>.part-<sha256[:12]>-<i>   (i = 1 … parts)

labelled ``owner=tfhelm``, ``name``, ``version`` and ``part``, each holding up to
:data:`PART_BYTES` of the packed record under ``part``. A part's name carries the digest of the
record it belongs to, so rewriting a record writes new parts first, then switches the head to them,
then deletes the old ones: a command killed at any point leaves a head whose parts all exist.
Parts no head refers to (such a command's leftovers) are deleted with their release's revision.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from tfhelm.errors import ReleaseError

__all__ = ["MAX_PARTS", "PART_BYTES", "PART_TYPE", "head_data", "join_parts", "part_name", "part_names", "split"]

PART_TYPE = "tfhelm.io/release-part.v1"
# Packed bytes per part, and the most a one-Secret record holds: a Secret holds at most 1 MiB, and
# records have always kept their base64 text under 1 MiB - 16 KiB. Every write stays well under
# etcd's 1.5 MiB request limit.
PART_BYTES = (1024 * 1024 - 16 * 1024) * 3 // 4
# 100 parts hold about 75 MiB packed, some 1.3 GB of JSON: far beyond any release that applies.
MAX_PARTS = 100
_HEX = re.compile(r"[0-9a-f]{64}")


def part_name(head: str, digest: str, index: int) -> str:
    """The name of part ``index`` (from 1) of the record whose packed sha256 is ``digest``."""
    return f"{head}.part-{digest[:12]}-{index}"


def split(packed: bytes, part_bytes: int = PART_BYTES) -> tuple[str, list[bytes]]:
    """The sha256 (hex) of ``packed`` and its chunks of at most ``part_bytes``."""
    chunks = [packed[start : start + part_bytes] for start in range(0, len(packed), part_bytes)] or [b""]
    return hashlib.sha256(packed).hexdigest(), chunks


def head_data(digest: str, chunks: list[bytes]) -> dict[str, str]:
    """The head Secret's data (base64 values, as Secret data is)."""
    fields = {
        "parts": str(len(chunks)),
        "sha256": digest,
        "part-sha256": ",".join(hashlib.sha256(chunk).hexdigest() for chunk in chunks),
    }
    return {key: base64.b64encode(value.encode()).decode() for key, value in fields.items()}


def part_names(head: dict[str, Any]) -> list[str]:
    """The part Secrets a head refers to ([] for a one-Secret record or an unreadable head)."""
    try:
        count, digest, _ = _layout(head, "")
    except ReleaseError:
        return []
    name = head["metadata"]["name"]
    return [part_name(name, digest, index) for index in range(1, count + 1)]


def join_parts(head: dict[str, Any], parts: Mapping[str, dict[str, Any]], source: str) -> bytes:
    """The packed record ``head`` describes, from ``parts`` (part Secrets by name), verified.

    A missing part, a part whose content does not match the digest the head records, or a head
    that cannot be read is a ReleaseError naming ``source`` and the part."""
    count, digest, part_digests = _layout(head, source)
    namespace = head["metadata"].get("namespace", "?")
    chunks = []
    for index in range(1, count + 1):
        name = part_name(head["metadata"]["name"], digest, index)
        where = f"part {index} of {count} (Secret {namespace}/{name})"
        secret = parts.get(name)
        if secret is None:
            raise ReleaseError(f"{source} is incomplete: {where} is missing")
        chunk = _chunk(secret, f"{source} is corrupt: {where}")
        if hashlib.sha256(chunk).hexdigest() != part_digests[index - 1]:
            raise ReleaseError(f"{source} is corrupt: {where} does not match the sha256 its head records")
        chunks.append(chunk)
    packed = b"".join(chunks)
    if hashlib.sha256(packed).hexdigest() != digest:
        raise ReleaseError(f"{source} is corrupt: its {count} parts do not add up to the sha256 its head records")
    return packed


def _layout(head: dict[str, Any], source: str) -> tuple[int, str, list[str]]:
    data = head.get("data") or {}
    try:
        count = int(_text(data["parts"]))
        digest = _text(data["sha256"])
        part_digests = _text(data["part-sha256"]).split(",")
    except (KeyError, ValueError, TypeError, binascii.Error) as error:
        missing = f"no {error.args[0]}" if isinstance(error, KeyError) else "unreadable"
        raise ReleaseError(f"{source} is corrupt: its head's part list is {missing}") from None
    if not 1 <= count <= MAX_PARTS or len(part_digests) != count:
        raise ReleaseError(f"{source} is corrupt: its head names {count} parts and {len(part_digests)} digests")
    if not all(_HEX.fullmatch(d) for d in (digest, *part_digests)):
        raise ReleaseError(f"{source} is corrupt: its head's digests are not sha256 hex")
    return count, digest, part_digests


def _text(value: object) -> str:
    return base64.b64decode(value, validate=True).decode("ascii")  # type: ignore[arg-type]


def _chunk(secret: dict[str, Any], what: str) -> bytes:
    try:
        return base64.b64decode((secret.get("data") or {})["part"], validate=True)
    except KeyError:
        raise ReleaseError(f"{what} has no data") from None
    except (binascii.Error, TypeError, ValueError):
        raise ReleaseError(f"{what} is not base64") from None
