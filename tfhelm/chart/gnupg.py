"""GnuPG as a subprocess in a throw-away home: the only place tfhelm runs ``gpg``.

tfhelm does no cryptography of its own. :class:`GnuPGHome` makes a private GNUPGHOME in the
temporary directory, imports the keyring file it is given (Helm's legacy ``pubring.gpg`` /
``secring.gpg``, i.e. ``gpg --export`` / ``--export-secret-keys`` output, or armored keys), runs
``gpg --batch`` and reads its machine-readable status lines (``--status-file``); on leaving it stops the
gpg-agent that signing started and deletes the home. The user's own ``~/.gnupg`` is never read
or changed. Interpreting what gpg reported (good, bad, unknown key) is the caller's job
(:mod:`tfhelm.chart.provenance`).

    >>> with GnuPGHome(agent=False) as gpg:  # doctest: +SKIP
    ...     gpg.import_keys(Path("pubring.gpg"))
    ...     result = gpg.verify_clearsigned(Path("hello-0.1.0.tgz.prov").read_bytes())
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tfhelm.errors import ProvenanceError

__all__ = ["GnuPGHome", "GpgResult", "KeyInfo", "gpg_program"]

_TIMEOUT_SECONDS = 120
_STATUS_PREFIX = "[GNUPG:] "
_COLON_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")


def gpg_program() -> str:
    """The gpg executable: ``TFHELM_GPG`` when set, else ``gpg`` on PATH."""
    program = os.environ.get("TFHELM_GPG") or shutil.which("gpg")
    if not program:
        raise ProvenanceError(
            "signing and verifying charts needs GnuPG, and no `gpg` is on PATH (Debian: apt-get install gnupg)"
        )
    return program


@dataclass(frozen=True)
class KeyInfo:
    """One primary key of the keyring, as ``gpg --with-colons`` lists it."""

    fingerprint: str
    user_ids: tuple[str, ...]
    secret: bool

    @property
    def key_id(self) -> str:
        return self.fingerprint[-16:]

    @property
    def name(self) -> str:
        return self.user_ids[0] if self.user_ids else self.key_id


@dataclass(frozen=True)
class GpgResult:
    """What one gpg run reported: exit code, status lines (keyword, arguments), messages, output."""

    returncode: int
    statuses: tuple[tuple[str, tuple[str, ...]], ...]
    messages: str
    output: bytes = b""

    def first(self, *keywords: str) -> tuple[str, tuple[str, ...]] | None:
        return next((status for status in self.statuses if status[0] in keywords), None)

    def count(self, keyword: str) -> int:
        return sum(1 for status in self.statuses if status[0] == keyword)

    def error_lines(self) -> str:
        """gpg's own messages, one line, for an error message (``gpg: `` prefixes dropped)."""
        lines = [line.removeprefix("gpg: ").strip() for line in self.messages.splitlines()]
        return "; ".join(line for line in lines if line)


class GnuPGHome:
    """A private, temporary GnuPG home; a context manager. ``agent=False`` never starts gpg-agent
    (enough to import public keys and verify); signing needs ``agent=True``."""

    def __init__(self, *, agent: bool) -> None:
        self.agent = agent
        self.home = Path(tempfile.mkdtemp(prefix="tfhelm-gpg-"))
        # The agent re-protects an imported secret key before its first use, by default with an
        # iteration count calibrated on the spot: seconds on a busy machine. This home is private
        # (0700), lives for one command and is deleted, so a fixed, modest count is enough here;
        # the keyring file itself keeps its own protection.
        (self.home / "gpg-agent.conf").write_text("s2k-count 65536\n")

    def __enter__(self) -> GnuPGHome:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.agent:
            gpgconf = shutil.which("gpgconf")
            if gpgconf:
                subprocess.run(
                    [gpgconf, "--homedir", str(self.home), "--kill", "gpg-agent"],
                    capture_output=True,
                    timeout=_TIMEOUT_SECONDS,
                    check=False,
                )
        shutil.rmtree(self.home, ignore_errors=True)

    def import_keys(self, keyring: Path) -> GpgResult:
        """Import every key of ``keyring``. Without an agent, secret parts are skipped (the public
        keys still come in), so the exit code says little: callers count ``IMPORT_OK``."""
        return self.run(["--import", str(keyring)])

    def keys(self, *, secret: bool) -> list[KeyInfo]:
        """The primary keys in the home (``secret``: those whose secret key is present)."""
        listing = "--list-secret-keys" if secret else "--list-keys"
        result = self.run(["--with-colons", "--fixed-list-mode", listing])
        return _parse_colons(result.output.decode("utf-8", errors="replace"), secret=secret)

    def clearsign(self, message: bytes, fingerprint: str, passphrase: bytes | None) -> GpgResult:
        """Clear-sign ``message`` with the key ``fingerprint`` (its signing subkey if it has one),
        SHA-512 as Helm does. ``output`` holds the signed document when ``SIG_CREATED`` was reported."""
        source = self.home / "message.txt"
        source.write_bytes(message)
        args = ["--pinentry-mode", "loopback", "--passphrase-fd", "0", "--digest-algo", "SHA512"]
        args += ["--local-user", fingerprint, "--clearsign", str(source)]
        return self.run(args, stdin=b"" if passphrase is None else passphrase + b"\n", output=True)

    def verify_clearsigned(self, document: bytes) -> GpgResult:
        """Check a clear-signed document against the imported keys; ``output`` is the signed text
        only (what gpg verified), never text outside the signature."""
        source = self.home / "document.asc"
        source.write_bytes(document)
        return self.run(["--trust-model", "always", "--verify", str(source)], output=True)

    def run(self, args: list[str], *, stdin: bytes = b"", output: bool = False) -> GpgResult:
        """Run gpg in this home; ``output`` sends gpg's ``--output`` to a file read back into the result.

        Status lines go to a file of their own, so nothing gpg prints for people (a user ID, say)
        can pass for one.
        """
        out_file, status_file = self.home / "output.bin", self.home / "status.txt"
        out_file.unlink(missing_ok=True)
        status_file.unlink(missing_ok=True)
        command = [gpg_program(), "--homedir", str(self.home), "--batch", "--no-tty", "--yes"]
        command += ["--status-file", str(status_file)]
        if not self.agent:
            command.append("--no-autostart")
        if output:
            command += ["--output", str(out_file)]
        done = self._spawn(command, args, stdin)
        status_text = status_file.read_bytes().decode("utf-8", errors="replace") if status_file.exists() else ""
        data = out_file.read_bytes() if output and out_file.exists() else done.stdout
        return GpgResult(done.returncode, _statuses(status_text), done.stderr.decode("utf-8", errors="replace"), data)

    def _spawn(self, command: list[str], args: list[str], stdin: bytes) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(
                [*command, *args],
                input=stdin,
                capture_output=True,
                env=_environment(self.home),
                timeout=_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise ProvenanceError(f"gpg did not finish within {_TIMEOUT_SECONDS}s (gpg {' '.join(args)})") from None
        except OSError as error:
            raise ProvenanceError(f"cannot run gpg ({command[0]}): {error.strerror or error}") from None


def _environment(home: Path) -> dict[str, str]:
    """The caller's environment with GnuPG pointed at ``home`` and its messages in English."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GPG_")}
    environment.update({"GNUPGHOME": str(home), "LC_ALL": "C", "LANGUAGE": "C"})
    return environment


def _statuses(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``[GNUPG:] KEYWORD ARGS…`` lines as (keyword, arguments)."""
    statuses = []
    for line in text.splitlines():
        if line.startswith(_STATUS_PREFIX):
            keyword, *arguments = line[len(_STATUS_PREFIX) :].split(" ")
            statuses.append((keyword, tuple(arguments)))
    return tuple(statuses)


def _parse_colons(listing: str, *, secret: bool) -> list[KeyInfo]:
    """Primary keys from ``--with-colons`` output: a ``pub``/``sec`` record, its first ``fpr``, its ``uid``s."""
    keys: list[tuple[str, list[str]]] = []
    expecting_fingerprint = False
    for line in listing.splitlines():
        fields = line.split(":")
        record = fields[0]
        if record in ("pub", "sec"):
            keys.append(("", []))
            expecting_fingerprint = True
        elif record == "fpr" and expecting_fingerprint and keys and len(fields) > 9:
            keys[-1] = (fields[9], keys[-1][1])
            expecting_fingerprint = False
        elif record in ("sub", "ssb"):
            expecting_fingerprint = False
        elif record == "uid" and keys and len(fields) > 9:
            keys[-1][1].append(_COLON_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), fields[9]))
    return [KeyInfo(fingerprint, tuple(user_ids), secret) for fingerprint, user_ids in keys if fingerprint]
