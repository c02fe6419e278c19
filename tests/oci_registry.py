"""A real OCI registry (Debian's ``docker-registry``, distribution 2.8) for the OCI tests.

Each :class:`LocalRegistry` listens on 127.0.0.1 on a free port with filesystem storage under a
temporary directory the test owns (so a test can tamper with stored blobs), optionally with
htpasswd basic auth. The Helm 4 binary is found the same way ``scripts/fetch-helm`` caches it.
Missing tools skip the tests outside CI and fail them in CI (see ``tests/conftest.py``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "") not in ("", "0", "false")

__all__ = ["LocalRegistry", "find_helm", "require_registry_binary"]


def require_registry_binary() -> str:
    """The registry server binary; skips (outside CI) or fails (in CI) when it is missing."""
    binary = os.environ.get("TFHELM_REGISTRY_BINARY") or shutil.which("docker-registry") or shutil.which("registry")
    if binary:
        return binary
    message = "docker-registry is not installed (apt-get install docker-registry)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def find_helm() -> str:
    """The Helm 4 binary; skips (outside CI) or fails (in CI) when it is absent."""
    candidates = [
        os.environ.get("TFHELM_HELM", ""),
        str(Path(os.environ.get("TFHELM_CACHE", Path.home() / ".cache" / "tfhelm")) / "helm-v4" / "helm"),
    ]
    fetch = REPO / "scripts" / "fetch-helm"
    if fetch.exists():
        result = subprocess.run([str(fetch)], capture_output=True, text=True, timeout=600)
        if result.returncode == 0 and result.stdout.strip():
            candidates.insert(0, result.stdout.strip().splitlines()[-1])
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    message = "the Helm 4 binary is not available (run scripts/fetch-helm)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalRegistry:
    """``docker-registry serve`` on 127.0.0.1; ``address`` is ``127.0.0.1:PORT``."""

    def __init__(self, root: Path, *, htpasswd: Path | None = None) -> None:
        self.root = root
        self.storage = root / "storage"
        self.htpasswd = htpasswd
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None

    def start(self) -> LocalRegistry:
        binary = require_registry_binary()
        self.storage.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.yml"
        config.write_text(self._config(), encoding="utf-8")
        self._log = (self.root / "registry.log").open("wb")
        self._process = subprocess.Popen([binary, "serve", str(config)], stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_until_up()
        return self

    def _config(self) -> str:
        auth = ""
        if self.htpasswd is not None:
            auth = f"auth:\n  htpasswd:\n    realm: tfhelm-tests\n    path: {self.htpasswd}\n"
        return (
            "version: 0.1\n"
            "log:\n  level: warn\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.storage}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.address}\n"
            f"{auth}"
        )

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"http://{self.address}/v2/", timeout=1)
                return
            except urllib.error.HTTPError:
                return  # 401 from an auth-enabled registry: it is up
            except OSError:
                time.sleep(0.05)
        self.stop()
        log = (self.root / "registry.log").read_text(errors="replace")
        raise RuntimeError(f"the registry did not start on {self.address}:\n{log}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if getattr(self, "_log", None):
            self._log.close()

    def blob_path(self, digest: str) -> Path:
        """Where the registry's filesystem driver keeps a blob (to tamper with it)."""
        algorithm, hex_digest = digest.split(":", 1)
        return self.storage / "docker/registry/v2/blobs" / algorithm / hex_digest[:2] / hex_digest / "data"


def write_htpasswd(path: Path, users: dict[str, str]) -> Path:
    """An htpasswd file with bcrypt hashes, the only kind distribution accepts."""
    bcrypt = pytest.importorskip("bcrypt") if not IN_CI else __import__("bcrypt")
    lines = [f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}" for user, password in users.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
