"""One operation at a time per release: a lease kept in a Secret, with a holder and an expiry.

The lock is the Secret ``sh.tfhelm.lock.v1.<name>``; its annotations say who holds it, for what,
since when and until when. Creating it is atomic (the name is taken or not); renewing, taking
over and releasing it are conditional on its resourceVersion, so two commands never both win.
A running command renews the lease in the background. When a command dies, its lease expires
(or, on the same machine, its process is gone) and the next command takes the lock over and
is told what was interrupted, so no one ever edits Secrets by hand.

"Same machine" needs more than the hostname: containers often share one while each has its own
pid namespace. The lease records the kernel's boot id and the holder's pid namespace, and the
"process is gone" shortcut applies only when both match ours; otherwise only expiry counts.

Holding the lock is checked, not assumed: before each write phase an operation calls
:meth:`ReleaseLock.check`, which raises :class:`LockLostError` once someone else took the lease
or our last successful renewal is older than the TTL (the lease may have expired on the server).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from tfhelm.errors import ReleaseError
from tfhelm.names import check_release_name

__all__ = ["DEFAULT_TTL", "Lease", "LockLostError", "ReleaseLock", "lock_name", "lock_ttl", "machine_identity"]

DEFAULT_TTL = 60.0
_PREFIX = "tfhelm.io/lock-"


class LockLostError(ReleaseError):
    """The operation no longer holds its release's lock; it stopped before writing more."""


def machine_identity() -> str:
    """This kernel boot and pid namespace (empty when unknown): pids are comparable only within it."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            boot = handle.read().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{boot}/{namespace}" if boot and namespace else ""


def lock_name(release: str) -> str:
    return f"sh.tfhelm.lock.v1.{check_release_name(release)}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    machine: str = ""  # boot id and pid namespace of the holder (see machine_identity)

    @classmethod
    def from_secret(cls, secret: dict[str, Any]) -> Lease:
        notes = (secret.get("metadata") or {}).get("annotations") or {}
        return cls(
            holder=notes.get(_PREFIX + "holder", "unknown"),
            operation=notes.get(_PREFIX + "operation", "unknown"),
            acquired=notes.get(_PREFIX + "acquired", ""),
            expires=notes.get(_PREFIX + "expires", ""),
            host=notes.get(_PREFIX + "host", ""),
            pid=_pid(notes.get(_PREFIX + "pid")),
            resource_version=secret["metadata"].get("resourceVersion", ""),
            machine=notes.get(_PREFIX + "machine", ""),
        )

    def is_stale(self) -> bool:
        """Expired, or held by a process that provably no longer exists.

        A pid is only meaningful on the same host, boot and pid namespace; a lease without that
        identity (or with another one) is stale only once it expires."""
        try:
            if _now() >= _parse(self.expires):
                return True
        except ValueError:
            return True
        same_machine = bool(self.machine) and self.machine == machine_identity() and self.host == socket.gethostname()
        return same_machine and self.pid > 0 and not _alive(self.pid)

    def describe(self) -> str:
        return f"{self.operation} by {self.holder} since {self.acquired}"


def _pid(text: object) -> int:
    """The holder's pid, 0 when unknown or unreadable: then only the lease's expiry counts.

    Refusing a mangled annotation instead would leave the release locked until someone edits
    the Secret by hand; an unknown pid only costs waiting for the expiry."""
    try:
        return max(int(str(text)), 0) if text is not None else 0
    except ValueError:
        return 0


def lock_ttl() -> float:
    """The lease length: ``TFHELM_LOCK_TTL`` seconds, else :data:`DEFAULT_TTL`."""
    import math

    from tfhelm.errors import UsageError

    text = os.environ.get("TFHELM_LOCK_TTL", "").strip()
    if not text:
        return DEFAULT_TTL
    try:
        ttl = float(text)
    except ValueError:
        ttl = math.nan
    if not math.isfinite(ttl) or ttl <= 0:
        raise UsageError(f"TFHELM_LOCK_TTL must be a positive number of seconds (e.g. 60), not {text!r}")
    return ttl


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
        self.ttl = ttl if ttl is not None else lock_ttl()
        self.taken_over: Lease | None = None
        self.lost = False
        self.lost_to = ""  # who holds the lease now, when known
        self._valid_until = 0.0  # time.monotonic() until which the lease surely is ours
        self._guard = threading.Lock()  # renewal and release never interleave
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
        started = time.monotonic()
        try:
            self._resource_version = self.kube.create_secret(self._secret())["metadata"]["resourceVersion"]
        except PreconditionError:
            self._take_over()
        except NotFoundError:
            raise ReleaseError(f"namespace {self.namespace} does not exist (use --create-namespace)") from None
        self._valid_until = started + self.ttl
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

        with self._guard:
            if self.lost:
                return
            started = time.monotonic()
            try:
                renewed = self.kube.replace_secret(self._secret(resource_version=self._resource_version))
            except PreconditionError:
                self.lost = True
                self.lost_to = self._current_holder()
                return
            self._resource_version = renewed["metadata"]["resourceVersion"]
            self._valid_until = started + self.ttl

    def check(self, phase: str, done: list[str] | tuple[str, ...] = ()) -> None:
        """Raise :class:`LockLostError` unless the lease is still surely ours; call before writing.

        ``phase`` is the write about to happen, ``done`` what the operation already did."""
        if not self.lost and time.monotonic() < self._valid_until:
            return
        if self.lost:
            why = f"another command took it over{f' ({self.lost_to})' if self.lost_to else ''}"
        else:
            why = f"it could not be renewed for {self.ttl:.0f}s, so it may have expired"
        steps = "; ".join(done) if done else "nothing"
        raise LockLostError(
            f"lost the lock of release {self.release}: {why}; stopped before: {phase}. Done so far: {steps}. "
            f"Check `tfhelm history {self.release}` and run the command again"
        )

    def _current_holder(self) -> str:
        try:
            current = self.kube.get_secret(lock_name(self.release), self.namespace)
        except Exception:  # noqa: BLE001 - only for the message
            return ""
        return Lease.from_secret(current).describe() if current else ""

    def release_lock(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
        from tfhelm.errors import ClusterError

        with self._guard:
            if self.lost:
                return
            # Taken over, or the cluster is gone: the lease expires by itself, and a later
            # command on this machine sees that our process has ended.
            with contextlib.suppress(ClusterError):
                self.kube.delete_secret(
                    lock_name(self.release), self.namespace, resource_version=self._resource_version
                )

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
                _PREFIX + "machine": machine_identity(),
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
