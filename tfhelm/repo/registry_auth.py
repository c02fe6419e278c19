"""Registry logins: the credentials file ``tfhelm registry login`` writes and every OCI call reads.

The file is Docker's ``config.json`` shape (``{"auths": {"HOST": {"auth": base64(user:pass)}}}``),
so it is familiar and inspectable, plus tfhelm's own per-host connection settings
(``plainHttp``, ``insecureSkipTLSVerify``) that a later ``pull`` of that host reuses. It lives in
``registry/config.json`` under tfhelm's config directory, or wherever ``TFHELM_REGISTRY_CONFIG``
points, and is always written with mode 0600 (its directory 0700): it holds passwords.

Passwords never appear in a ``repr``, a message or a log line.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfhelm.errors import RepoError

__all__ = [
    "RegistryLogin",
    "load_login",
    "normalize_host",
    "registry_config_path",
    "remove_login",
    "save_login",
]

ENV_REGISTRY_CONFIG = "TFHELM_REGISTRY_CONFIG"


@dataclass(frozen=True)
class RegistryLogin:
    """What ``registry login`` stored for one host. The password is kept out of ``repr``."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    plain_http: bool = False
    insecure_skip_tls_verify: bool = False

    @property
    def has_credentials(self) -> bool:
        return bool(self.username) and self.password is not None


def registry_config_path() -> Path:
    """``$TFHELM_REGISTRY_CONFIG``, else ``registry/config.json`` in tfhelm's config directory."""
    override = os.environ.get(ENV_REGISTRY_CONFIG)
    if override:
        return Path(override)
    return _config_home() / "registry" / "config.json"


def _config_home() -> Path:
    from tfhelm.repo.config import config_home  # owns tfhelm's config directory (XDG)

    return config_home()


def normalize_host(host: str) -> str:
    """``oci://registry.example.com:5000/x`` → ``registry.example.com:5000`` (the key of a login)."""
    text = host.strip()
    for prefix in ("oci://", "https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = text.split("/", 1)[0]
    if not text:
        raise RepoError(f"{host!r} is not a registry host (expected HOST or HOST:PORT)")
    return text.lower()


def load_login(host: str, path: Path | None = None) -> RegistryLogin | None:
    """The stored login for ``host``, or None when there is none."""
    entry = _read(path or registry_config_path()).get("auths", {}).get(normalize_host(host))
    if not isinstance(entry, dict):
        return None
    username, password = _decode_auth(entry.get("auth"), host)
    return RegistryLogin(
        username=username,
        password=password,
        plain_http=bool(entry.get("plainHttp", False)),
        insecure_skip_tls_verify=bool(entry.get("insecureSkipTLSVerify", False)),
    )


def save_login(host: str, login: RegistryLogin, path: Path | None = None) -> Path:
    """Store ``login`` for ``host`` (replacing any earlier one); returns the file written."""
    path = path or registry_config_path()
    config = _read(path)
    entry: dict[str, Any] = {}
    if login.has_credentials:
        token = f"{login.username}:{login.password}".encode()
        entry["auth"] = base64.b64encode(token).decode("ascii")
    if login.plain_http:
        entry["plainHttp"] = True
    if login.insecure_skip_tls_verify:
        entry["insecureSkipTLSVerify"] = True
    config.setdefault("auths", {})[normalize_host(host)] = entry
    _write(path, config)
    return path


def remove_login(host: str, path: Path | None = None) -> bool:
    """Forget the login for ``host``; False when there was none."""
    path = path or registry_config_path()
    config = _read(path)
    if config.get("auths", {}).pop(normalize_host(host), None) is None:
        return False
    _write(path, config)
    return True


def _decode_auth(auth: object, host: str) -> tuple[str | None, str | None]:
    if not auth:
        return None, None
    try:
        username, colon, password = base64.b64decode(str(auth), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        colon = ""
    if not colon:
        raise RepoError(
            f"the stored login for {normalize_host(host)} in {registry_config_path()} is damaged; "
            f"run `tfhelm registry login {normalize_host(host)}` again"
        )
    return username, password


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RepoError(f"cannot read the registry config {path}: {error}") from None
    if not isinstance(config, dict) or not isinstance(config.get("auths", {}), dict):
        raise RepoError(f"the registry config {path} is not a JSON object with an 'auths' map")
    return config


def _write(path: Path, config: dict[str, Any]) -> None:
    """Write atomically, never letting the file exist with wider permissions than 0600."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".json")
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(config, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
