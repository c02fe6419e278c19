"""Where release records live: Kubernetes Secrets (the default) or memory (tests, dry runs).

A record is a Secret ``sh.tfhelm.release.v1.<name>.v<revision>`` of type ``tfhelm.io/release.v1``
in the release's namespace, labelled ``name``, ``owner=tfhelm``, ``status`` and ``version``, whose
``release`` key holds the record as gzip-compressed JSON (base64, as Secret data is).
"""

from __future__ import annotations

import abc
import base64
import gzip
import json
from typing import Any

from tfhelm.errors import ReleaseError
from tfhelm.release.record import Release, Status

__all__ = ["MAX_RECORD_BYTES", "Driver", "MemoryDriver", "SecretsDriver", "Storage", "decode", "encode", "secret_name"]

SECRET_TYPE = "tfhelm.io/release.v1"
# A Secret holds at most 1 MiB of data; leave room for metadata.
MAX_RECORD_BYTES = 1024 * 1024 - 16 * 1024


def secret_name(name: str, revision: int) -> str:
    return f"sh.tfhelm.release.v1.{name}.v{revision}"


def encode(release: Release) -> str:
    """gzip-compressed JSON, base64-encoded: the Secret's ``release`` data."""
    payload = json.dumps(release.to_dict(), separators=(",", ":"), sort_keys=True).encode()
    return base64.b64encode(gzip.compress(payload, compresslevel=3, mtime=0)).decode()


def decode(data: str) -> Release:
    return Release.from_dict(json.loads(gzip.decompress(base64.b64decode(data))))


class Driver(abc.ABC):
    """Keeps release records; ``namespace`` None means every namespace (for listing)."""

    @abc.abstractmethod
    def query(self, name: str | None = None) -> list[Release]:
        """Records of one release (or every release), any order."""

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

    def query(self, name: str | None = None) -> list[Release]:
        return [decode(data) for (n, _), data in self.records.items() if name is None or n == name]

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

    def query(self, name: str | None = None) -> list[Release]:
        selector = "owner=tfhelm" + (f",name={name}" if name else "")
        secrets = self.kube.list_secrets(self.namespace, selector)
        return [decode(s["data"]["release"]) for s in secrets if s.get("type") == SECRET_TYPE and "release" in (s.get("data") or {})]

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
                "labels": {"name": release.name, "owner": "tfhelm", "status": release.status.value,
                           "version": str(release.revision)},
            },
            "data": {"release": data},
        }


class Storage:
    """Release history on top of a :class:`Driver`."""

    def __init__(self, driver: Driver):
        self.driver = driver

    def history(self, name: str) -> list[Release]:
        """Every revision of ``name``, oldest first."""
        return sorted(self.driver.query(name), key=lambda r: r.revision)

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

    def list_releases(self) -> list[Release]:
        """The latest revision of every release, by namespace and name."""
        latest: dict[tuple[str, str], Release] = {}
        for release in self.driver.query():
            key = (release.namespace, release.name)
            if key not in latest or release.revision > latest[key].revision:
                latest[key] = release
        return [latest[key] for key in sorted(latest)]

    def create(self, release: Release) -> None:
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
