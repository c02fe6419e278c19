"""Release names are checked like Helm's, by every command that takes one, before any request.

A release name becomes part of Secret and lease names, labels and the names templates give
objects. ``tfhelm.names.check_release_name`` is the one rule (a DNS-1123 subdomain of
at most 53 characters); the storage, the lease lock and ``template`` apply it.
"""

from __future__ import annotations

import pytest

from helpers import DEMO_CHART, run_cli
from security.hostile import assert_refused, files_under
from security.test_api_paths import _Recorder, api, kubeconfig  # noqa: F401 - api is a fixture
from tfhelm.errors import UsageError
from tfhelm.release import MemoryDriver, Storage
from tfhelm.release.lock import lock_name
from tfhelm.names import check_release_name

BAD_NAMES = ["UPPER", "under_score", "-x", "x-", "a..b", "../x", "x?y", "x y", "a" * 54, "n\x1bx", ""]
GOOD_NAMES = ["a", "tf", "tf-cluster", "tf.cluster-2", "0x", "a" * 53]

COMMANDS = {
    "install": ["install", "{name}", str(DEMO_CHART)],
    "upgrade": ["upgrade", "{name}", str(DEMO_CHART)],
    "upgrade --install": ["upgrade", "--install", "{name}", str(DEMO_CHART)],
    "diff upgrade": ["diff", "upgrade", "{name}", str(DEMO_CHART)],
    "rollback": ["rollback", "{name}", "1"],
    "uninstall": ["uninstall", "{name}"],
    "status": ["status", "{name}"],
    "history": ["history", "{name}"],
    "get values": ["get", "values", "{name}"],
    "get manifest": ["get", "manifest", "{name}"],
    "get notes": ["get", "notes", "{name}"],
    "get all": ["get", "all", "{name}"],
}


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_rule_refuses_what_helm_refuses(name):
    with pytest.raises(UsageError, match=r"^invalid release name .*: use at most 53 lower-case letters"):
        check_release_name(name)


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_the_rule_accepts_what_helm_accepts(name):
    assert check_release_name(name) == name


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", ["Bad_Name", "a" * 54])
def test_every_release_command_refuses_a_bad_name_before_any_request(tmp_path, api, command, name):  # noqa: F811
    args = [part.format(name=name) for part in COMMANDS[command]]
    result = run_cli(*args, "--kubeconfig", str(kubeconfig(tmp_path, api)))
    assert_refused(result, f"Error: invalid release name {name!r}: use at most 53", code=2)
    assert [r for r in _Recorder.requests if r.startswith(("POST", "PUT", "PATCH", "DELETE"))] == []
    assert not any("Bad_Name" in r or "a" * 54 in r for r in _Recorder.requests)


def test_template_refuses_a_bad_name_and_writes_nothing(tmp_path):
    result = run_cli("template", "Bad_Name", str(DEMO_CHART), "--output-dir", str(tmp_path / "out"))
    assert_refused(result, "Error: invalid release name 'Bad_Name'", code=2)
    assert files_under(tmp_path / "out") == []


def test_template_still_accepts_a_good_name():
    result = run_cli("template", "tf.demo-1", str(DEMO_CHART))
    assert result.returncode == 0, result.stderr


def test_storage_and_lock_apply_the_rule_for_library_callers():
    storage = Storage(MemoryDriver())
    with pytest.raises(UsageError, match="invalid release name '../x'"):
        storage.history("../x")
    with pytest.raises(UsageError, match="invalid release name 'Bad'"):
        lock_name("Bad")
    assert storage.history("ok") == [] and lock_name("ok") == "sh.tfhelm.lock.v1.ok"
