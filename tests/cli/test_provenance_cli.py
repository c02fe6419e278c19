"""The real ``tfhelm`` console script with signed charts: ``package --sign``, ``verify``,
``pull --verify``, ``install --verify`` and ``dependency build --verify``; exit codes, Helm's
output lines, and one clear error line (no traceback) for each refusal."""

from __future__ import annotations

import textwrap

import pytest
from chart_server import HELLO_CHART, StaticServer, isolated_homes
from helpers import run_cli
from signing import LOCKED_PASSPHRASE, signing_keys  # noqa: F401 - the fixture

UNREACHABLE_KUBECONFIG = """apiVersion: v1
kind: Config
current-context: c
clusters: [{name: x, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
contexts: [{name: c, context: {cluster: x, user: u}}]
users: [{name: u, user: {token: t}}]
"""


@pytest.fixture
def env(tmp_path):
    return isolated_homes(tmp_path)


@pytest.fixture
def signed(tmp_path, env, signing_keys):
    """hello-0.1.0.tgz signed by the CLI into tmp_path/site."""
    site = tmp_path / "site"
    keyring = str(signing_keys["signer"].secring)
    done = run_cli("package", str(HELLO_CHART), "-d", str(site), "--sign", "--key", "Chart Signer", "--keyring", keyring, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"Successfully packaged chart and saved it to: {site / 'hello-0.1.0.tgz'}\n"
        f"Signed it: {site / 'hello-0.1.0.tgz.prov'}\n"
    )
    return site / "hello-0.1.0.tgz"


def test_verify_prints_helms_three_lines(signed, env, signing_keys):
    import hashlib

    done = run_cli("verify", str(signed), "--keyring", str(signing_keys["signer"].pubring), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "Signed by: Chart Signer <signer@example.com>\n"
        f"Using Key With Fingerprint: {signing_keys['signer'].fingerprint}\n"
        f"Chart Hash Verified: sha256:{hashlib.sha256(signed.read_bytes()).hexdigest()}\n"
    )


def test_verify_refusals_are_one_error_line_and_exit_1(signed, env, signing_keys):
    foreign = run_cli("verify", str(signed), "--keyring", str(signing_keys["stranger"].pubring), env=env)
    assert foreign.returncode == 1 and "Traceback" not in foreign.stderr
    assert foreign.stderr.startswith(f"Error: {signed}.prov: signed by key ")
    signed.write_bytes(signed.read_bytes()[:-1])
    tampered = run_cli("verify", str(signed), "--keyring", str(signing_keys["signer"].pubring), env=env)
    assert tampered.returncode == 1 and "hello-0.1.0.tgz is not the archive that was signed" in tampered.stderr
    missing = run_cli("verify", str(HELLO_CHART), "--keyring", str(signing_keys["signer"].pubring), env=env)
    assert missing.returncode == 1 and "unpacked charts cannot be verified" in missing.stderr


def test_the_default_keyring_is_gnupghome_pubring(signed, env, signing_keys, tmp_path):
    home = tmp_path / "gnupg"
    home.mkdir()
    (home / "pubring.gpg").write_bytes(signing_keys["signer"].pubring.read_bytes())
    done = run_cli("verify", str(signed), env={**env, "GNUPGHOME": str(home)})
    assert done.returncode == 0 and done.stdout.startswith("Signed by: Chart Signer"), done.stderr


def test_sign_needs_a_key_and_reads_a_passphrase_from_stdin(tmp_path, env, signing_keys):
    no_key = run_cli("package", str(HELLO_CHART), "-d", str(tmp_path / "a"), "--sign", env=env)
    assert no_key.returncode == 2 and "--key is required for signing a package" in no_key.stderr
    locked = signing_keys["locked"]
    args = ["package", str(HELLO_CHART), "-d", str(tmp_path / "b"), "--sign", "--key", "Locked Signer"]
    args += ["--keyring", str(locked.secring)]
    refused = run_cli(*args, env=env)
    assert refused.returncode == 1 and "is protected by a passphrase; give it with --passphrase-file" in refused.stderr
    assert not (tmp_path / "b").exists()
    done = run_cli(*args, "--passphrase-file", "-", stdin=f"{LOCKED_PASSPHRASE}\n", env=env)
    assert done.returncode == 0, done.stderr
    verified = run_cli("verify", str(tmp_path / "b" / "hello-0.1.0.tgz"), "--keyring", str(locked.pubring), env=env)
    assert verified.returncode == 0 and verified.stdout.startswith("Signed by: Locked Signer")


def test_pull_verify_from_a_repository(signed, tmp_path, env, signing_keys):
    keyring = str(signing_keys["signer"].pubring)
    assert run_cli("repo", "index", str(signed.parent), env=env).returncode == 0
    with StaticServer(signed.parent) as server:
        assert run_cli("repo", "add", "team", server.url, env=env).returncode == 0
        done = run_cli("pull", "team/hello", "--verify", "--keyring", keyring, "-d", str(tmp_path / "dl"), env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Signed by: Chart Signer <signer@example.com>\nUsing Key With Fingerprint: ")
        assert (tmp_path / "dl" / "hello-0.1.0.tgz.prov").read_bytes() == (signed.parent / "hello-0.1.0.tgz.prov").read_bytes()
        (signed.parent / "hello-0.1.0.tgz.prov").unlink()
        unsigned = run_cli("pull", "team/hello", "--verify", "--keyring", keyring, "-d", str(tmp_path / "dl2"), env=env)
        assert unsigned.returncode == 1 and "HTTP 404" in unsigned.stderr and "Traceback" not in unsigned.stderr
        assert not (tmp_path / "dl2").exists()


def test_install_verify_checks_a_local_package_before_anything_else(signed, tmp_path, env, signing_keys):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(UNREACHABLE_KUBECONFIG)
    common = ["--dry-run", "--kubeconfig", str(kubeconfig), "--verify"]
    good = run_cli("install", "demo", str(signed), *common, "--keyring", str(signing_keys["signer"].pubring), env=env)
    assert good.returncode == 0 and "NAME: demo" in good.stdout, good.stderr
    bad = run_cli("install", "demo", str(signed), *common, "--keyring", str(signing_keys["stranger"].pubring), env=env)
    assert bad.returncode == 1 and "which is not in the keyring" in bad.stderr


@pytest.mark.parametrize("command", [["pull"], ["install"], ["upgrade"], ["dependency", "build"], ["dependency", "update"]])
def test_chart_fetching_commands_take_verify_and_keyring(command, env):
    done = run_cli(*command, "--help", env=env)
    assert "--verify" in done.stdout and "--keyring" in done.stdout


def test_dependency_build_verify(signed, tmp_path, env, signing_keys):
    assert run_cli("repo", "index", str(signed.parent), env=env).returncode == 0
    with StaticServer(signed.parent) as server:
        parent = tmp_path / "parent"
        parent.mkdir()
        (parent / "Chart.yaml").write_text(textwrap.dedent(f"""\
            apiVersion: v2
            name: parent
            version: 1.0.0
            dependencies:
              - name: hello
                version: 0.1.0
                repository: {server.url}
            """))
        keyring = str(signing_keys["signer"].pubring)
        assert run_cli("dependency", "update", str(parent), "--verify", "--keyring", keyring, env=env).returncode == 0
        (parent / "charts" / "hello-0.1.0.tgz").unlink()
        built = run_cli("dependency", "build", str(parent), "--verify", "--keyring", keyring, env=env)
        assert built.returncode == 0 and (parent / "charts" / "hello-0.1.0.tgz").is_file(), built.stderr
        (parent / "charts" / "hello-0.1.0.tgz").unlink()
        foreign = str(signing_keys["stranger"].pubring)
        refused = run_cli("dependency", "build", str(parent), "--verify", "--keyring", foreign, env=env)
        assert refused.returncode == 1 and "dependency 'hello': " in refused.stderr and "not in the keyring" in refused.stderr
        assert not (parent / "charts" / "hello-0.1.0.tgz").exists()
