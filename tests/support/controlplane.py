"""A real kube-apiserver (v1.20.2) + etcd for end-to-end tests, run by ``scripts/control-plane``.

The script owns the processes; this module gives tests a handle with the kubeconfig, server URL and
token, a tiny HTTPS client for checking what landed in the API, and reliable cleanup (``atexit``
plus the script's ``--owner-pid`` watchdog, which also covers a SIGKILLed pytest).

Typical use, in a conftest or test module::

    @pytest.fixture(scope="session")
    def control_plane(tmp_path_factory):
        return control_plane_or_skip(tmp_path_factory)

Setting ``TFHELM_E2E_KUBECONFIG`` points the tests at an existing cluster instead of starting one.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import SCRIPTS_DIR, unavailable

SCRIPT = SCRIPTS_DIR / "control-plane"
EXTERNAL_KUBECONFIG_ENV = "TFHELM_E2E_KUBECONFIG"

__all__ = ["ControlPlane", "ControlPlaneError", "apiserver_binary", "control_plane_or_skip"]


class ControlPlaneError(RuntimeError):
    """The control plane could not be started, stopped or reached."""


def _run_script(*args: str, timeout: float = 180) -> str:
    try:
        result = subprocess.run(
            [str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ControlPlaneError(f"scripts/control-plane {' '.join(args)} timed out after {timeout}s") from exc
    if result.returncode != 0:
        raise ControlPlaneError(
            f"scripts/control-plane {' '.join(args)} failed (exit {result.returncode}):\n{result.stderr.strip()}"
        )
    return result.stdout


def apiserver_binary() -> Path | None:
    """The cached kube-apiserver that ``scripts/control-plane build`` made, or None if not built."""
    result = subprocess.run([str(SCRIPT), "env"], capture_output=True, text=True, check=False)
    path = Path(result.stdout.strip()) if result.stdout.strip() else None
    return path if result.returncode == 0 and path and path.is_file() else None


def _read_state(state_dir: Path) -> dict[str, str]:
    state: dict[str, str] = {}
    for line in (state_dir / "state.env").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            state[key.strip()] = value.strip()
    return state


@dataclass
class ControlPlane:
    """A running API server. ``state_dir`` is None for an external cluster (``TFHELM_E2E_KUBECONFIG``)."""

    kubeconfig: Path
    server: str
    token: str | None
    state_dir: Path | None = None
    _ssl: ssl.SSLContext | None = field(default=None, repr=False)
    _running: bool = field(default=False, repr=False)

    # -- lifecycle -------------------------------------------------------------------------------

    @classmethod
    def start(cls, state_dir: Path) -> ControlPlane:
        """Start etcd + kube-apiserver with state in ``state_dir``; blocks until /readyz says ok."""
        state_dir = Path(state_dir).resolve()
        try:
            _run_script("start", str(state_dir), "--owner-pid", str(os.getpid()))
        except ControlPlaneError:
            # A start that timed out was killed half-way; whatever it launched must not linger.
            subprocess.run([str(SCRIPT), "stop", str(state_dir)], capture_output=True, timeout=60, check=False)
            raise
        state = _read_state(state_dir)
        plane = cls(
            kubeconfig=state_dir / "kubeconfig", server=state["SERVER"], token=state["TOKEN"], state_dir=state_dir
        )
        plane._running = True
        atexit.register(plane.stop)
        return plane

    @classmethod
    def external(cls, kubeconfig: Path) -> ControlPlane:
        """A handle on an existing cluster, read from the current context of ``kubeconfig``."""
        config = yaml.safe_load(Path(kubeconfig).read_text(encoding="utf-8")) or {}
        context = _named(config, "contexts", config.get("current-context"), kubeconfig)["context"]
        cluster = _named(config, "clusters", context.get("cluster"), kubeconfig)["cluster"]
        user = _named(config, "users", context.get("user"), kubeconfig).get("user") or {}
        return cls(
            kubeconfig=Path(kubeconfig),
            server=cluster["server"].rstrip("/"),
            token=user.get("token"),
            _ssl=_ssl_context_for(cluster, Path(kubeconfig).parent),
        )

    @property
    def managed(self) -> bool:
        """True when this process started the cluster (so it may stop or restart it)."""
        return self.state_dir is not None

    def stop(self) -> None:
        """Stop etcd and kube-apiserver; safe to call twice. An external cluster is left alone."""
        if self.managed and self._running:
            self._running = False
            _run_script("stop", str(self.state_dir), timeout=60)

    def stop_apiserver(self) -> None:
        """Stop only kube-apiserver (etcd and all stored objects stay), as a crash mid-operation would."""
        _run_script("stop-apiserver", str(self._managed_dir()), timeout=60)

    def start_apiserver(self) -> None:
        """Start kube-apiserver again on the same port with the same token; blocks until ready."""
        _run_script("start-apiserver", str(self._managed_dir()))

    def restart_apiserver(self) -> None:
        """Stop and start kube-apiserver, keeping etcd, the port and the kubeconfig valid."""
        self.stop_apiserver()
        self.start_apiserver()

    def _managed_dir(self) -> Path:
        if self.state_dir is None:
            raise ControlPlaneError(f"cannot stop or start the apiserver of an external cluster ({self.server})")
        return self.state_dir

    # -- talking to the API ----------------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """Verifies the server against the self-signed cert the apiserver wrote into its cert dir."""
        if self._ssl is None:
            assert self.state_dir is not None
            self._ssl = ssl.create_default_context(cafile=str(self.state_dir / "certs" / "apiserver.crt"))
        return self._ssl

    def request(
        self, method: str, path: str, body: bytes | str | None = None, content_type: str = "application/json"
    ) -> tuple[int, dict[str, Any]]:
        """One API call, e.g. ``request("GET", "/api/v1/namespaces/default/configmaps/x")``.

        Returns (HTTP status, decoded JSON body); error statuses are returned, not raised, so tests
        can assert on 404 or 409 directly.
        """
        data = body.encode("utf-8") if isinstance(body, str) else body
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, context=self.ssl_context(), timeout=30) as response:
                return response.status, _json_or_empty(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _json_or_empty(error.read())
        except urllib.error.URLError as error:
            raise ControlPlaneError(f"{method} {self.server}{path} failed: {error.reason}") from error


def _json_or_empty(raw: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(raw or b"{}")
    except ValueError:
        return {"raw": raw.decode("utf-8", "replace")}
    return decoded if isinstance(decoded, dict) else {"value": decoded}


def _named(config: dict[str, Any], section: str, name: str | None, source: Path) -> dict[str, Any]:
    for entry in config.get(section) or []:
        if entry.get("name") == name:
            return entry
    raise ControlPlaneError(f"{source}: no entry named {name!r} under {section}")


def _ssl_context_for(cluster: dict[str, Any], base: Path) -> ssl.SSLContext:
    if cluster.get("insecure-skip-tls-verify"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if cluster.get("certificate-authority-data"):
        pem = base64.b64decode(cluster["certificate-authority-data"]).decode("ascii")
        return ssl.create_default_context(cadata=pem)
    if cluster.get("certificate-authority"):
        return ssl.create_default_context(cafile=str(base / cluster["certificate-authority"]))
    return ssl.create_default_context()


def control_plane_or_skip(tmp_path_factory: pytest.TempPathFactory) -> ControlPlane:
    """A started control plane for tests; skips (locally) or fails (in CI) when none can be had.

    Uses the cluster in ``$TFHELM_E2E_KUBECONFIG`` when set. Otherwise needs the kube-apiserver
    built by ``scripts/control-plane build`` and etcd on PATH. Stopped at interpreter exit at the
    latest; call ``.stop()`` (e.g. in a fixture finalizer) to stop it earlier.
    """
    external = os.environ.get(EXTERNAL_KUBECONFIG_ENV)
    if external:
        return ControlPlane.external(Path(external))
    if apiserver_binary() is None:
        unavailable("kube-apiserver is not built; run `scripts/control-plane build` (about 4 minutes, as root)")
    if shutil.which("etcd") is None:
        unavailable("etcd is not installed; run `scripts/control-plane build` or apt-get install etcd-server")
    try:
        return ControlPlane.start(tmp_path_factory.mktemp("control-plane"))
    except ControlPlaneError as error:
        # Everything needed is installed, so this is a real failure, not a missing prerequisite.
        pytest.fail(f"could not start the local control plane: {error}", pytrace=False)
