"""One operation at a time per release: a lease kept in a Secret, with a holder and an expiry.

The lock is the Secret ``sh.tfhelm.lock.v1.<name>``; its annotations say who holds it, for what,
since when and until when. Creating it is atomic (the name is taken or not); renewing, taking
over and releasing it are conditional on its resourceVersion, so two commands never both win.
A running command renews the lease in the background. When a command dies, its lease expires
(or, on the same machine, its process is gone) and the next command takes the lock over and
is told what was interrupted, so no one ever edits Secrets by hand.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import threading
from dataclasses import dataclass
from typing import Any

from tfhelm.errors import ReleaseError

__all__ = ["DEFAULT_TTL", "Lease", "ReleaseLock", "lock_name"]

DEFAULT_TTL = 60.0
_PREFIX = "tfhelm.io/lock-"


def lock_name(release: str) -> str:
    return f"sh.tfhelm.lock.v1.{release}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Lease:
    """Who holds a release's lock, for which operation, since when, until when."""

    holder: str
    operation: str
    acquired: str
    expires: str
    host: str
    pid: int
    resource_version: str = ""

    @classmethod
    def from_secret(cls, secret: dict[str, Any]) -> Lease:
        notes = (secret.get("metadata") or {}).get("annotations") or {}
        return cls(
            holder=notes.get(_PREFIX + "holder", "unknown"),
            operation=notes.get(_PREFIX + "operation", "unknown"),
            acquired=notes.get(_PREFIX + "acquired", ""),
            expires=notes.get(_PREFIX + "expires", ""),
            host=notes.get(_PREFIX + "host", ""),
            pid=int(notes.get(_PREFIX + "pid", "0") or 0),
            resource_version=secret["metadata"].get("resourceVersion", ""),
        )

    def is_stale(self) -> bool:
        """Expired, or held by a process of this machine that no longer exists."""
        try:
            if _now() >= _parse(self.expires):
                return True
        except ValueError:
            return True
        return self.host == socket.gethostname() and self.pid > 0 and not _alive(self.pid)

    def describe(self) -> str:
        return f"{self.operation} by {self.holder} since {self.acquired}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ReleaseLock:
    """The lock of one release; use as a context manager around an operation.

    ``taken_over`` is the stale lease this lock replaced (None when the lock was free).
    """

    def __init__(self, kube: Any, namespace: str, release: str, operation: str, *, ttl: float | None = None):
        self.kube = kube
        self.namespace = namespace
        self.release = release
        self.operation = operation
        self.ttl = ttl if ttl is not None else float(os.environ.get("TFHELM_LOCK_TTL", DEFAULT_TTL))
        self.taken_over: Lease | None = None
        self.lost = False
        self._resource_version = ""
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._acquired = ""

    def __enter__(self) -> ReleaseLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release_lock()

    def acquire(self) -> None:
        from tfhelm.kube import NotFoundError, PreconditionError

        self._acquired = _stamp(_now())
        try:
            self._resource_version = self.kube.create_secret(self._secret())["metadata"]["resourceVersion"]
        except PreconditionError:
            self._take_over()
        except NotFoundError:
            raise ReleaseError(f"namespace {self.namespace} does not exist (use --create-namespace)") from None
        self._start_heartbeat()

    def _take_over(self) -> None:
        from tfhelm.kube import PreconditionError

        current = self.kube.get_secret(lock_name(self.release), self.namespace)
        if current is None:  # released between our create and get: try once more
            self._resource_version = self.kube.create_secret(self._secret())["metadata"]["resourceVersion"]
            return
        lease = Lease.from_secret(current)
        if not lease.is_stale():
            raise ReleaseError(
                f"release {self.release} is busy: {lease.describe()} is in progress "
                f"(its lock expires at {lease.expires} unless renewed); try again later"
            )
        try:
            replaced = self.kube.replace_secret(self._secret(resource_version=lease.resource_version))
        except PreconditionError:
            raise ReleaseError(f"release {self.release} is busy: another command took its lock just now") from None
        self._resource_version = replaced["metadata"]["resourceVersion"]
        self.taken_over = lease

    def renew(self) -> None:
        from tfhelm.kube import PreconditionError

        try:
            renewed = self.kube.replace_secret(self._secret(resource_version=self._resource_version))
            self._resource_version = renewed["metadata"]["resourceVersion"]
        except PreconditionError:
            self.lost = True

    def release_lock(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
        if self.lost:
            return
        from tfhelm.errors import ClusterError

        try:
            self.kube.delete_secret(lock_name(self.release), self.namespace, resource_version=self._resource_version)
        except ClusterError:
            # Taken over, or the cluster is gone: the lease expires by itself, and a later
            # command on this machine sees that our process has ended.
            pass

    def _start_heartbeat(self) -> None:
        def beat() -> None:
            while not self._stop.wait(self.ttl / 3):
                try:
                    self.renew()
                except Exception:  # noqa: BLE001 - an unreachable server must not kill the operation; the lease just ages
                    continue
                if self.lost:
                    return

        self._heartbeat = threading.Thread(target=beat, name=f"lock-{self.release}", daemon=True)
        self._heartbeat.start()

    def _secret(self, *, resource_version: str = "") -> dict[str, Any]:
        expires = _now() + dt.timedelta(seconds=self.ttl)
        metadata: dict[str, Any] = {
            "name": lock_name(self.release),
            "namespace": self.namespace,
            "labels": {"owner": "tfhelm", "name": self.release, "lock": "true"},
            "annotations": {
                _PREFIX + "holder": f"{_user()}@{socket.gethostname()} (pid {os.getpid()})",
                _PREFIX + "operation": self.operation,
                _PREFIX + "acquired": self._acquired,
                _PREFIX + "expires": _stamp(expires),
                _PREFIX + "host": socket.gethostname(),
                _PREFIX + "pid": str(os.getpid()),
            },
        }
        if resource_version:
            metadata["resourceVersion"] = resource_version
        return {"apiVersion": "v1", "kind": "Secret", "type": "tfhelm.io/lock.v1", "metadata": metadata}


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
