"""Where release records live: Kubernetes Secrets (the default) or memory (tests, dry runs).

A record is a Secret ``sh.tfhelm.release.v1.<name>.v<revision>`` of type ``tfhelm.io/release.v1``
in the release's namespace, labelled ``name``, ``owner=tfhelm``, ``status`` and ``version``, whose
``release`` key holds the record as gzip-compressed JSON (base64, as Secret data is). A record too
large for one Secret is split into part Secrets that Secret points to (:mod:`tfhelm.release.parts`).
"""

from __future__ import annotations

import abc
import base64
import binascii
import functools
import gzip
import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tfhelm.errors import ReleaseError
from tfhelm.names import check_release_name
from tfhelm.release import parts
from tfhelm.release.record import Release, Status

if TYPE_CHECKING:
    from tfhelm.kube.interface import AllNamespaces

__all__ = [
    "MAX_RECORD_BYTES",
    "Driver",
    "MemoryDriver",
    "SecretsDriver",
    "Storage",
    "decode",
    "encode",
    "find_revision",
    "pack",
    "secret_name",
    "unpack",
]

SECRET_TYPE = "tfhelm.io/release.v1"
# A Secret holds at most 1 MiB of data; leave room for metadata. Larger records are split.
MAX_RECORD_BYTES = 1024 * 1024 - 16 * 1024  # of base64 text: parts.PART_BYTES packed bytes
# What a record may unpack to: far above any real record (they compress about 10:1 to 25:1), far
# below what a gzip bomb in a forged Secret would need to exhaust memory. A record split into parts
# may unpack to UNPACK_RATIO times its packed size when that is more.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
UNPACK_RATIO = 64


def secret_name(name: str, revision: int) -> str:
    return f"sh.tfhelm.release.v1.{name}.v{revision}"


def pack(release: Release) -> bytes:
    """The record as gzip-compressed JSON."""
    payload = json.dumps(release.to_dict(), separators=(",", ":"), sort_keys=True).encode()
    return gzip.compress(payload, compresslevel=3, mtime=0)


def encode(release: Release) -> str:
    """gzip-compressed JSON, base64-encoded: the Secret's ``release`` data."""
    return base64.b64encode(pack(release)).decode()


def decode(data: object, source: str = "a release record") -> Release:
    """The record in a Secret's ``release`` data; ReleaseError naming ``source`` when corrupt."""
    try:
        packed = base64.b64decode(data, validate=True)  # type: ignore[arg-type]
    except (binascii.Error, TypeError, ValueError) as error:
        raise ReleaseError(f"{source} is corrupt: its data is not base64 ({_reason(error)})") from None
    return unpack(packed, source)


def unpack(packed: bytes, source: str = "a release record", *, limit: int | None = None) -> Release:
    """The record in gzip-compressed JSON; ReleaseError naming ``source`` when corrupt.

    ``limit`` is the most it may unpack to (default :data:`MAX_UNPACKED_BYTES`)."""
    limit = MAX_UNPACKED_BYTES if limit is None else limit
    try:
        payload = _gunzip(packed, limit)
    except _RecordTooLarge:
        raise ReleaseError(f"{source} is corrupt: it unpacks to more than {limit >> 20} MiB") from None
    except (EOFError, zlib.error) as error:
        raise ReleaseError(f"{source} is corrupt: its data is not gzip ({_reason(error)})") from None
    try:
        document = json.loads(payload)
    except UnicodeDecodeError:
        raise ReleaseError(f"{source} is corrupt: its data is not UTF-8 JSON") from None
    except json.JSONDecodeError as error:
        raise ReleaseError(
            f"{source} is corrupt: its data is not JSON ({error.msg} at character {error.pos})"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("chart"), dict):
        raise ReleaseError(f"{source} is corrupt: it is not a release record (no chart mapping)")
    try:
        release = Release.from_dict(document)
    except (KeyError, TypeError, ValueError) as error:
        raise ReleaseError(f"{source} is corrupt: it is not a release record ({_reason(error)})") from None
    _check_record(release, source)
    return release


class _RecordTooLarge(Exception):
    pass


def _gunzip(data: bytes, limit: int) -> bytes:
    """gzip data, decompressed in bounded steps: a small bomb never expands past the limit."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    output = inflater.decompress(data, limit + 1)
    if len(output) > limit:
        raise _RecordTooLarge()
    if not inflater.eof:
        raise EOFError("the compressed data ends early")
    return output


def _reason(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"missing {error.args[0]}"
    return str(error) or type(error).__name__


def _check_record(release: Release, source: str) -> None:
    # Fields the commands sort, print and compare: a wrong type would fail far from here.
    checks = (
        ("name", str),
        ("namespace", str),
        ("revision", int),
        ("values", dict),
        ("computed_values", dict),
        ("manifest", str),
        ("objects", list),
        ("redacted", list),
    )
    for field_name, kind in checks:
        value = getattr(release, field_name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ReleaseError(f"{source} is corrupt: {field_name} must be {_KIND_NAMES[kind]}")
    for field_name in ("name", "version"):
        if not isinstance(getattr(release.chart, field_name), str):
            raise ReleaseError(f"{source} is corrupt: chart.{field_name} must be a string")


_KIND_NAMES = {str: "a string", int: "an integer", dict: "a mapping", list: "a list"}


class Driver(abc.ABC):
    """Keeps release records."""

    @abc.abstractmethod
    def query(self, name: str | None = None, *, problems: list[ReleaseError] | None = None) -> list[Release]:
        """Records of one release (or every release), any order.

        A corrupt record raises ReleaseError, unless ``problems`` is given: then it is appended
        there and skipped, so one bad Secret does not hide the good ones."""

    @abc.abstractmethod
    def create(self, release: Release) -> None:
        """Store a new revision; ReleaseError when it already exists."""

    @abc.abstractmethod
    def update(self, release: Release) -> None:
        """Overwrite a stored revision."""

    @abc.abstractmethod
    def delete(self, release: Release) -> None:
        """Remove one revision (no error when it is gone)."""


class MemoryDriver(Driver):
    """Records in a dict, for tests and client-side dry runs."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, int], str] = {}

    def query(self, name: str | None = None, *, problems: list[ReleaseError] | None = None) -> list[Release]:
        found = [
            (source, functools.partial(decode, data, source))
            for (n, revision), data in self.records.items()
            if name is None or n == name
            for source in [f"release record {n} revision {revision}"]
        ]
        return _decode_all(found, problems)

    def create(self, release: Release) -> None:
        key = (release.name, release.revision)
        if key in self.records:
            raise ReleaseError(f"release {release.name} revision {release.revision} already exists")
        self.records[key] = encode(release)

    def update(self, release: Release) -> None:
        self.records[(release.name, release.revision)] = encode(release)

    def delete(self, release: Release) -> None:
        self.records.pop((release.name, release.revision), None)


class SecretsDriver(Driver):
    """Records as Secrets in ``namespace`` (``ALL_NAMESPACES``: read every namespace, for ``list -A``).

    A record too large for one Secret is split into parts of at most ``part_bytes`` packed bytes
    (see :mod:`tfhelm.release.parts`). The driver remembers which part Secrets it saw or wrote for
    each revision, so that rewriting or deleting a revision removes its old parts too."""

    def __init__(self, kube: Any, namespace: str | AllNamespaces, *, part_bytes: int = parts.PART_BYTES):
        self.kube = kube
        self.namespace = namespace
        self.part_bytes = part_bytes
        self._parts: dict[tuple[str, str, int], set[str]] = {}  # (namespace, name, revision) -> part Secrets
        self._headless: set[tuple[str, str, int]] = set()  # revisions with parts but no head, when last read

    def query(self, name: str | None = None, *, problems: list[ReleaseError] | None = None) -> list[Release]:
        selector = "owner=tfhelm" + (f",name={name}" if name else "")
        secrets = self.kube.list_secrets(self.namespace, selector)
        heads = [s for s in secrets if s.get("type") == SECRET_TYPE]
        part_secrets = {
            (s["metadata"].get("namespace", ""), s["metadata"]["name"]): s
            for s in secrets
            if s.get("type") == parts.PART_TYPE
        }
        self._remember_parts(heads, part_secrets.values())
        found: list[tuple[str, Callable[[], Release]]] = []
        for head in heads:
            data = head.get("data") or {}
            if "release" in data:
                found.append((_describe(head), functools.partial(decode, data["release"], _describe(head))))
            elif "parts" in data:
                found.append((_describe(head), functools.partial(self._join, head, part_secrets)))
        return _decode_all(found, problems)

    def _join(self, head: dict[str, Any], part_secrets: dict[tuple[str, str], dict[str, Any]]) -> Release:
        namespace = head["metadata"].get("namespace", "")
        by_name = {name: secret for (ns, name), secret in part_secrets.items() if ns == namespace}
        labels = head["metadata"].get("labels") or {}
        source = f"{_describe(head)} (release {labels.get('name', '?')}, revision {labels.get('version', '?')})"
        packed = parts.join_parts(head, by_name, source)
        return unpack(packed, source, limit=max(MAX_UNPACKED_BYTES, UNPACK_RATIO * len(packed)))

    def _remember_parts(self, heads: list[dict[str, Any]], part_secrets: Iterable[dict[str, Any]]) -> None:
        seen: dict[tuple[str, str, int], set[str]] = {}
        for secret in part_secrets:
            key = _revision_key(secret)
            if key is not None:
                seen.setdefault(key, set()).add(secret["metadata"]["name"])
        head_keys = {key for key in map(_revision_key, heads) if key is not None}
        for key in head_keys | set(seen):
            self._parts[key] = seen.get(key, set())
        self._headless = (self._headless - head_keys) | (set(seen) - head_keys)

    def create(self, release: Release) -> None:
        from tfhelm.errors import PreconditionError

        key = _key_of(release)
        head, new_parts = self._secrets(release)
        self._write_parts(key, new_parts)
        try:
            self.kube.create_secret(head)
        except PreconditionError:
            raise ReleaseError(
                f"release {release.name} revision {release.revision} already exists in namespace {release.namespace}"
            ) from None
        self._delete_parts(key, keep={p["metadata"]["name"] for p in new_parts})
        self._headless.discard(key)

    def update(self, release: Release) -> None:
        key = _key_of(release)
        head, new_parts = self._secrets(release)
        self._learn_parts(key)
        self._write_parts(key, new_parts)
        self.kube.replace_secret(head)
        self._delete_parts(key, keep={p["metadata"]["name"] for p in new_parts})

    def delete(self, release: Release) -> None:
        """Delete the head, then its parts, then parts no head of this release refers to."""
        key = _key_of(release)
        self._learn_parts(key)
        self.kube.delete_secret(secret_name(release.name, release.revision), release.namespace)
        self._delete_parts(key)
        del self._parts[key]
        for leftover in sorted(k for k in self._headless if k[:2] == key[:2]):
            self._delete_parts(leftover)
            del self._parts[leftover]
            self._headless.discard(leftover)

    def _learn_parts(self, key: tuple[str, str, int]) -> None:
        """Make sure the parts of a revision are known before its head changes (one read if not)."""
        if key in self._parts:
            return
        namespace, name, revision = key
        head = self.kube.get_secret(secret_name(name, revision), namespace)
        self._parts[key] = set(parts.part_names(head)) if head else set()

    def _write_parts(self, key: tuple[str, str, int], new_parts: list[dict[str, Any]]) -> None:
        from tfhelm.kube import PreconditionError

        for part in new_parts:
            self._parts.setdefault(key, set()).add(part["metadata"]["name"])
            try:
                self.kube.create_secret(part)
            except PreconditionError:  # left by an interrupted write of this very record
                self.kube.replace_secret(part)

    def _delete_parts(self, key: tuple[str, str, int], keep: set[str] | frozenset[str] = frozenset()) -> None:
        """Delete the known parts of a revision but ``keep``, which become its known parts."""
        for name in sorted(self._parts.get(key, set()) - keep):
            self.kube.delete_secret(name, key[0])
        self._parts[key] = set(keep)

    def _secrets(self, release: Release) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The head Secret and the part Secrets (none when the record fits one Secret)."""
        packed = pack(release)
        head = _secret(
            secret_name(release.name, release.revision),
            release.namespace,
            SECRET_TYPE,
            {"name": release.name, "owner": "tfhelm", "status": release.status.value, "version": str(release.revision)},
        )
        if len(packed) <= self.part_bytes:  # fits one Secret: stored as records always were
            head["data"] = {"release": base64.b64encode(packed).decode()}
            return head, []
        digest, chunks = parts.split(packed, self.part_bytes)
        if len(chunks) > parts.MAX_PARTS:
            raise ReleaseError(
                f"the record of release {release.name} revision {release.revision} is {len(packed) / 1048576:.1f} MiB "
                f"after compression, over the {parts.MAX_PARTS} Secrets tfhelm splits a record into; nothing was "
                "changed. Split the chart into several releases or render fewer objects"
            )
        head["data"] = parts.head_data(digest, chunks)
        part_secrets = []
        for index, chunk in enumerate(chunks, start=1):
            labels = {"name": release.name, "owner": "tfhelm", "version": str(release.revision), "part": str(index)}
            part = _secret(
                parts.part_name(head["metadata"]["name"], digest, index), release.namespace, parts.PART_TYPE, labels
            )
            part["data"] = {"part": base64.b64encode(chunk).decode()}
            part_secrets.append(part)
        return head, part_secrets


def _secret(name: str, namespace: str, kind: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
    }


def _key_of(release: Release) -> tuple[str, str, int]:
    return (release.namespace, release.name, release.revision)


def _revision_key(secret: dict[str, Any]) -> tuple[str, str, int] | None:
    metadata = secret.get("metadata") or {}
    labels = metadata.get("labels") or {}
    try:
        return (metadata.get("namespace", ""), labels["name"], int(labels["version"]))
    except (KeyError, ValueError, TypeError):
        return None


def _describe(secret: dict[str, Any]) -> str:
    metadata = secret.get("metadata") or {}
    return f"release record Secret {metadata.get('namespace', '?')}/{metadata.get('name', '?')}"


def _decode_all(
    found: Sequence[tuple[str, Callable[[], Release]]], problems: list[ReleaseError] | None
) -> list[Release]:
    releases = []
    for _source, read in found:
        try:
            releases.append(read())
        except ReleaseError as error:
            if problems is None:
                raise
            problems.append(error)
    return releases


class Storage:
    """Release history on top of a :class:`Driver`."""

    def __init__(self, driver: Driver):
        self.driver = driver

    def history(self, name: str) -> list[Release]:
        """Every revision of ``name``, oldest first (UsageError for a name Helm would refuse)."""
        return sorted(self.driver.query(check_release_name(name)), key=lambda r: r.revision)

    def get(self, name: str, revision: int | None = None) -> Release:
        """One revision (the latest when ``revision`` is None); ReleaseError when missing."""
        return find_revision(name, self.history(name), revision)

    def last(self, name: str) -> Release | None:
        history = self.history(name)
        return history[-1] if history else None

    def deployed(self, name: str) -> Release | None:
        """The newest revision whose status is deployed."""
        for release in reversed(self.history(name)):
            if release.status is Status.DEPLOYED:
                return release
        return None

    def list_releases(self, *, problems: list[ReleaseError] | None = None) -> list[Release]:
        """The latest revision of every release, by namespace and name.

        With ``problems``, corrupt records are collected there instead of raised."""
        latest: dict[tuple[str, str], Release] = {}
        for release in self.driver.query(problems=problems):
            key = (release.namespace, release.name)
            if key not in latest or release.revision > latest[key].revision:
                latest[key] = release
        return [latest[key] for key in sorted(latest)]

    def create(self, release: Release) -> None:
        check_release_name(release.name)
        self.driver.create(release)

    def update(self, release: Release) -> None:
        self.driver.update(release)

    def delete(self, release: Release) -> None:
        self.driver.delete(release)

    def prune(self, name: str, keep: int, *, history: list[Release] | None = None) -> list[int]:
        """Delete the oldest revisions beyond ``keep`` (0: keep all), never a deployed one.

        ``history`` spares a read when the caller has just read it."""
        if keep <= 0:
            return []
        history = self.history(name) if history is None else sorted(history, key=lambda r: r.revision)
        # the newest revision and the deployed one always stay
        removable = [r for r in history[:-1] if r.status is not Status.DEPLOYED]
        excess = len(history) - keep
        pruned = []
        for release in removable[:excess]:
            self.delete(release)
            pruned.append(release.revision)
        return pruned


def find_revision(name: str, history: list[Release], revision: int | None) -> Release:
    """``revision`` of a release's ``history`` (the latest when None); ReleaseError naming what exists."""
    if not history:
        raise ReleaseError(f"release {name!r} not found")
    if revision is None:
        return history[-1]
    for release in history:
        if release.revision == revision:
            return release
    known = ", ".join(str(r.revision) for r in history)
    raise ReleaseError(f"release {name!r} has no revision {revision} (revisions: {known})")
