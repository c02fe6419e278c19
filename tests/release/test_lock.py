"""The release lock: exclusive, renewable, and taken over once its holder is gone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tfhelm.errors import ReleaseError
from tfhelm.kube.fake import FakeKubeClient
from tfhelm.release.lock import Lease, ReleaseLock, lock_name


def test_second_holder_is_refused_with_who_and_since():
    kube = FakeKubeClient()
    with ReleaseLock(kube, "ml", "demo", "upgrade"):
        with pytest.raises(ReleaseError, match=r"release demo is busy: upgrade by .*@.* \(pid \d+\) since .*Z is in progress"):
            ReleaseLock(kube, "ml", "demo", "rollback").acquire()
    assert kube.get_secret(lock_name("demo"), "ml") is None


def test_expired_lease_is_taken_over_and_reported():
    kube = FakeKubeClient()
    ReleaseLock(kube, "ml", "demo", "upgrade", ttl=-1).acquire()  # already expired, never released
    lock = ReleaseLock(kube, "ml", "demo", "rollback")
    lock.acquire()
    assert lock.taken_over is not None and lock.taken_over.operation == "upgrade"
    lock.release_lock()


def test_lease_of_a_dead_process_on_this_machine_is_stale():
    kube = FakeKubeClient()
    ReleaseLock(kube, "ml", "demo", "upgrade").acquire()
    secret = kube.get_secret(lock_name("demo"), "ml")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    secret["metadata"]["annotations"]["tfhelm.io/lock-pid"] = dead.stdout.strip()
    kube.replace_secret(secret)
    assert Lease.from_secret(kube.get_secret(lock_name("demo"), "ml")).is_stale()


def test_renewal_after_someone_took_over_marks_the_lock_lost():
    kube = FakeKubeClient()
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

    kube = FakeKubeClient()
    kube.fail_on("create", NotFoundError("namespaces ml not found"))
    with pytest.raises(ReleaseError, match="--create-namespace"):
        ReleaseLock(kube, "ml", "demo", "install").acquire()


def test_check_raises_once_the_lock_was_taken_over():
    from tfhelm.errors import LockLostError

    kube = FakeKubeClient()
    first = ReleaseLock(kube, "ml", "demo", "upgrade", ttl=-1)
    first.acquire()
    ReleaseLock(kube, "ml", "demo", "rollback").acquire()
    first.renew()
    with pytest.raises(LockLostError) as caught:
        first.check("apply 2 ConfigMap", ["record revision 2 as pending-upgrade"])
    message = str(caught.value)
    assert "lost the lock of release demo: another command took it over (rollback by" in message
    assert "stopped before: apply 2 ConfigMap. Done so far: record revision 2 as pending-upgrade" in message


def test_check_raises_when_renewal_failed_for_longer_than_the_ttl():
    import time

    from tfhelm.errors import LockLostError

    kube = FakeKubeClient()
    lock = ReleaseLock(kube, "ml", "demo", "upgrade", ttl=0.3)
    lock.acquire()
    lock.check("record")  # fresh: fine
    kube.unreachable = True  # the heartbeat's renewals now fail
    time.sleep(0.5)
    with pytest.raises(LockLostError, match="could not be renewed for 0s, so it may have expired; stopped before: record"):
        lock.check("record")
    kube.unreachable = False
    lock.release_lock()


def test_check_passes_while_the_heartbeat_keeps_renewing():
    import time

    kube = FakeKubeClient()
    with ReleaseLock(kube, "ml", "demo", "upgrade", ttl=0.3) as lock:
        time.sleep(0.7)
        lock.check("record")
        assert not lock.lost


def test_a_dead_pid_is_not_stale_without_a_matching_machine_identity(monkeypatch):
    from tfhelm.release import lock as lock_module

    kube = FakeKubeClient()
    ReleaseLock(kube, "ml", "demo", "upgrade").acquire()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)

    def lease_with(machine):
        secret = kube.get_secret(lock_name("demo"), "ml")
        notes = secret["metadata"]["annotations"]
        notes["tfhelm.io/lock-pid"] = dead.stdout.strip()
        if machine is None:
            notes.pop("tfhelm.io/lock-machine")
        else:
            notes["tfhelm.io/lock-machine"] = machine
        kube.replace_secret(secret)
        return Lease.from_secret(kube.get_secret(lock_name("demo"), "ml"))

    assert lease_with(lock_module.machine_identity()).is_stale()  # this machine: the pid tells
    assert not lease_with("another-boot/pid:[1]").is_stale()  # same hostname, another container
    assert not lease_with(None).is_stale()  # a lease without the identity: expiry only
    monkeypatch.setattr(lock_module, "machine_identity", lambda: "")  # no /proc here: expiry only
    assert not lease_with("").is_stale()


@pytest.mark.parametrize("pid", ["abc", "", "-5", "12.5"])
def test_an_unreadable_pid_annotation_means_only_the_expiry_counts(pid):
    kube = FakeKubeClient()
    ReleaseLock(kube, "ml", "demo", "upgrade").acquire()
    secret = kube.get_secret(lock_name("demo"), "ml")
    secret["metadata"]["annotations"]["tfhelm.io/lock-pid"] = pid
    kube.replace_secret(secret)
    lease = Lease.from_secret(kube.get_secret(lock_name("demo"), "ml"))
    assert lease.pid == 0 and not lease.is_stale()
    with pytest.raises(ReleaseError, match="release demo is busy: upgrade by"):
        ReleaseLock(kube, "ml", "demo", "rollback").acquire()


@pytest.mark.parametrize("text", ["abc", "0", "-3", "nan", "inf", "5m"])
def test_a_bad_lock_ttl_variable_is_a_usage_error_naming_it(monkeypatch, text):
    from tfhelm.errors import UsageError

    monkeypatch.setenv("TFHELM_LOCK_TTL", text)
    with pytest.raises(UsageError) as caught:
        ReleaseLock(FakeKubeClient(), "ml", "demo", "upgrade")
    assert str(caught.value) == f"TFHELM_LOCK_TTL must be a positive number of seconds (e.g. 60), not {text!r}"


def test_the_lock_ttl_variable_sets_the_lease_length(monkeypatch):
    monkeypatch.setenv("TFHELM_LOCK_TTL", " 90.5 ")
    assert ReleaseLock(FakeKubeClient(), "ml", "demo", "upgrade").ttl == 90.5
