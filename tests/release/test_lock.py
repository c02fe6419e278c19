"""The release lock: exclusive, renewable, and taken over once its holder is gone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tfhelm.errors import ReleaseError
from tfhelm.kube.fake import FakeKubeClient
from tfhelm.release.lock import Lease, ReleaseLock, lock_name


def test_second_holder_is_refused_with_who_and_since():
    kube = FakeKubeClient(namespace="ml")
    with ReleaseLock(kube, "ml", "demo", "upgrade"):
        with pytest.raises(ReleaseError, match=r"release demo is busy: upgrade by .*@.* \(pid \d+\) since .*Z is in progress"):
            ReleaseLock(kube, "ml", "demo", "rollback").acquire()
    assert kube.get_secret(lock_name("demo"), "ml") is None


def test_expired_lease_is_taken_over_and_reported():
    kube = FakeKubeClient(namespace="ml")
    ReleaseLock(kube, "ml", "demo", "upgrade", ttl=-1).acquire()  # already expired, never released
    lock = ReleaseLock(kube, "ml", "demo", "rollback")
    lock.acquire()
    assert lock.taken_over is not None and lock.taken_over.operation == "upgrade"
    lock.release_lock()


def test_lease_of_a_dead_process_on_this_machine_is_stale():
    kube = FakeKubeClient(namespace="ml")
    ReleaseLock(kube, "ml", "demo", "upgrade").acquire()
    secret = kube.get_secret(lock_name("demo"), "ml")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    secret["metadata"]["annotations"]["tfhelm.io/lock-pid"] = dead.stdout.strip()
    kube.replace_secret(secret)
    assert Lease.from_secret(kube.get_secret(lock_name("demo"), "ml")).is_stale()


def test_renewal_after_someone_took_over_marks_the_lock_lost():
    kube = FakeKubeClient(namespace="ml")
    first = ReleaseLock(kube, "ml", "demo", "upgrade", ttl=-1)
    first.acquire()
    second = ReleaseLock(kube, "ml", "demo", "upgrade")
    second.acquire()
    first.renew()
    assert first.lost
    first.release_lock()  # must not delete the new holder's lock
    assert kube.get_secret(lock_name("demo"), "ml") is not None
    second.release_lock()


def test_missing_namespace_suggests_create_namespace():
    from tfhelm.kube import NotFoundError

    kube = FakeKubeClient(namespace="ml")
    kube.fail_on("create", NotFoundError("namespaces ml not found"))
    with pytest.raises(ReleaseError, match="--create-namespace"):
        ReleaseLock(kube, "ml", "demo", "install").acquire()
