"""A local OCI registry (Debian's ``docker-registry``) for end-to-end tests, run by ``scripts/registry``.

It speaks plain HTTP on 127.0.0.1 (clients need ``--plain-http``), stores blobs under the test's
directory, and optionally requires basic auth. Cleanup is ``atexit`` plus the script's
``--owner-pid`` watchdog, which also covers a SIGKILLed pytest.

Typical use::

    @pytest.fixture(scope="session")
    def registry(tmp_path_factory):
        return registry_or_skip(tmp_path_factory)
"""

from __future__ import annotations

import atexit
import base64
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support import SCRIPTS_DIR, unavailable

SCRIPT = SCRIPTS_DIR / "registry"

__all__ = ["Registry", "RegistryError", "registry_or_skip"]


class RegistryError(RuntimeError):
    """The registry could not be started or stopped."""


def _run_script(*args: str, timeout: float = 120) -> str:
    try:
        result = subprocess.run(
            [str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RegistryError(f"scripts/registry {args[0]} timed out after {timeout}s") from exc
    if result.returncode != 0:
        raise RegistryError(f"scripts/registry {args[0]} failed (exit {result.returncode}):\n{result.stderr.strip()}")
    return result.stdout


@dataclass
class Registry:
    """A running registry; ``address`` is ``127.0.0.1:PORT`` (what Helm's oci:// references use)."""

    address: str
    state_dir: Path
    username: str | None = None
    password: str | None = None
    _running: bool = field(default=False, repr=False)

    @classmethod
    def start(cls, state_dir: Path, *, auth: tuple[str, str] | None = None) -> Registry:
        """Start a registry storing under ``state_dir``; with ``auth=(user, password)`` it needs basic auth."""
        state_dir = Path(state_dir).resolve()
        state_dir.mkdir(parents=True, exist_ok=True)
        args = ["start", str(state_dir), "--owner-pid", str(os.getpid())]
        if auth is not None:
            htpasswd = state_dir / "htpasswd"
            _run_script("htpasswd", str(htpasswd), auth[0], auth[1])
            args += ["--htpasswd", str(htpasswd)]
        try:
            _run_script(*args)
        except RegistryError:
            # A start that timed out was killed half-way; the server must not linger.
            subprocess.run([str(SCRIPT), "stop", str(state_dir)], capture_output=True, timeout=30, check=False)
            raise
        address = (state_dir / "address").read_text(encoding="utf-8").strip()
        username, password = auth if auth is not None else (None, None)
        registry = cls(address=address, state_dir=state_dir, username=username, password=password)
        registry._running = True
        atexit.register(registry.stop)
        return registry

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def storage(self) -> Path:
        """Where blobs and manifests live, for tests that inspect or tamper with them."""
        return self.state_dir / "storage"

    def stop(self) -> None:
        """Stop the registry; safe to call twice."""
        if self._running:
            self._running = False
            _run_script("stop", str(self.state_dir), timeout=30)

    def get(self, path: str, *, authenticated: bool = True) -> tuple[int, bytes]:
        """GET ``path`` (e.g. ``/v2/``); returns (status, body), error statuses included."""
        request = urllib.request.Request(self.url + path)
        if authenticated and self.username is not None:
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def registry_or_skip(
    tmp_path_factory: pytest.TempPathFactory, *, auth: tuple[str, str] | None = None
) -> Registry:
    """A started registry for tests; skips (locally) or fails (in CI) when docker-registry is missing.

    With ``auth``, ``htpasswd`` (apache2-utils) is needed too. Stopped at interpreter exit at the
    latest; call ``.stop()`` to stop it earlier.
    """
    if shutil.which("docker-registry") is None:
        unavailable("docker-registry is not installed; run `apt-get install docker-registry` (or scripts/registry as root)")
    if auth is not None and shutil.which("htpasswd") is None:
        unavailable("htpasswd is not installed; run `apt-get install apache2-utils`")
    for attempt in range(3):  # the free port it picked may be taken before the registry binds it
        try:
            return Registry.start(tmp_path_factory.mktemp("registry"), auth=auth)
        except RegistryError as error:
            if "address already in use" not in str(error) or attempt == 2:
                pytest.fail(f"could not start the local registry: {error}", pytrace=False)
    raise AssertionError("unreachable")
