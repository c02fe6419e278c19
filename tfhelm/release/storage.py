"""Where release records live: Kubernetes Secrets (the default) or memory (tests, dry runs).

A record is a Secret ``sh.tfhelm.release.v1.<name>.v<revision>`` of type ``tfhelm.io/release.v1``
in the release's namespace, labelled ``name``, ``owner=tfhelm``, ``status`` and ``version``, whose
``release`` key holds the record as gzip-compressed JSON (base64, as Secret data is).
"""

from __future__ import annotations

import abc
import base64
import binascii
import gzip
import json
import zlib
from collections.abc import Sequence
from typing import Any

from tfhelm.errors import ReleaseError
from tfhelm.names import check_release_name
from tfhelm.release.record import Release, Status

__all__ = ["MAX_RECORD_BYTES", "Driver", "MemoryDriver", "SecretsDriver", "Storage", "decode", "encode", "secret_name"]

SECRET_TYPE = "tfhelm.io/release.v1"
# A Secret holds at most 1 MiB of data; leave room for metadata.
MAX_RECORD_BYTES = 1024 * 1024 - 16 * 1024
# What a record may unpack to: far above any real record (they compress about 10:1), far below
# what a gzip bomb in a forged Secret would need to exhaust memory.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


def secret_name(name: str, revision: int) -> str:
    return f"sh.tfhelm.release.v1.{name}.v{revision}"


def encode(release: Release) -> str:
    """gzip-compressed JSON, base64-encoded: the Secret's ``release`` data."""
    payload = json.dumps(release.to_dict(), separators=(",", ":"), sort_keys=True).encode()
    return base64.b64encode(gzip.compress(payload, compresslevel=3, mtime=0)).decode()


def decode(data: object, source: str = "a release record") -> Release:
    """The record in a Secret's ``release`` data; ReleaseError naming ``source`` when corrupt."""
    try:
        packed = base64.b64decode(data, validate=True)  # type: ignore[arg-type]
    except (binascii.Error, TypeError, ValueError) as error:
        raise ReleaseError(f"{source} is corrupt: its data is not base64 ({_reason(error)})") from None
    try:
        payload = _gunzip(packed)
    except _RecordTooLarge:
        raise ReleaseError(f"{source} is corrupt: it unpacks to more than {MAX_UNPACKED_BYTES >> 20} MiB") from None
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


def _gunzip(data: bytes) -> bytes:
    """gzip data, decompressed in bounded steps: a small bomb never expands past the limit."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    output = inflater.decompress(data, MAX_UNPACKED_BYTES + 1)
    if len(output) > MAX_UNPACKED_BYTES:
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
    """Keeps release records; ``namespace`` None means every namespace (for listing)."""

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
            (f"release record {n} revision {revision}", data)
            for (n, revision), data in self.records.items()
            if name is None or n == name
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
    """Records as Secrets in ``namespace`` (``None``: read every namespace, for ``list -A``)."""

    def __init__(self, kube: Any, namespace: str | None):
        self.kube = kube
        self.namespace = namespace

    def query(self, name: str | None = None, *, problems: list[ReleaseError] | None = None) -> list[Release]:
        selector = "owner=tfhelm" + (f",name={name}" if name else "")
        secrets = self.kube.list_secrets(self.namespace, selector)
        found = [
            (_describe(s), s["data"]["release"])
            for s in secrets
            if s.get("type") == SECRET_TYPE and "release" in (s.get("data") or {})
        ]
        return _decode_all(found, problems)

    def create(self, release: Release) -> None:
        from tfhelm.kube import PreconditionError

        try:
            self.kube.create_secret(self._secret(release))
        except PreconditionError:
            raise ReleaseError(
                f"release {release.name} revision {release.revision} already exists in namespace {release.namespace}"
            ) from None

    def update(self, release: Release) -> None:
        self.kube.replace_secret(self._secret(release))

    def delete(self, release: Release) -> None:
        self.kube.delete_secret(secret_name(release.name, release.revision), release.namespace)

    def _secret(self, release: Release) -> dict[str, Any]:
        data = encode(release)
        if len(data) > MAX_RECORD_BYTES:
            raise ReleaseError(
                f"the record of release {release.name} revision {release.revision} is {len(data) / 1048576:.2f} MiB "
                f"after compression, over the 1 MiB a Kubernetes Secret can hold; nothing was changed. "
                "Split the chart into several releases or render fewer objects"
            )
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": SECRET_TYPE,
            "metadata": {
                "name": secret_name(release.name, release.revision),
                "namespace": release.namespace,
                "labels": {
                    "name": release.name,
                    "owner": "tfhelm",
                    "status": release.status.value,
                    "version": str(release.revision),
                },
            },
            "data": {"release": data},
        }


def _describe(secret: dict[str, Any]) -> str:
    metadata = secret.get("metadata") or {}
    return f"release record Secret {metadata.get('namespace', '?')}/{metadata.get('name', '?')}"


def _decode_all(found: Sequence[tuple[str, object]], problems: list[ReleaseError] | None) -> list[Release]:
    releases = []
    for source, data in found:
        try:
            releases.append(decode(data, source))
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
        history = self.history(name)
        if not history:
            raise ReleaseError(f"release {name!r} not found")
        if revision is None:
            return history[-1]
        for release in history:
            if release.revision == revision:
                return release
        known = ", ".join(str(r.revision) for r in history)
        raise ReleaseError(f"release {name!r} has no revision {revision} (revisions: {known})")

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
