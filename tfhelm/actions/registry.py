"""``tfhelm registry login|logout``: check credentials against a registry, store or forget them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tfhelm.errors import RepoError, UsageError

__all__ = ["LoginOptions", "registry_login", "registry_logout"]


@dataclass(frozen=True)
class LoginOptions:
    host: str
    username: str
    password: str
    plain_http: bool = False
    insecure_skip_tls_verify: bool = False
    ca_file: str | None = None

    def __repr__(self) -> str:  # the password must never reach a log or a traceback
        return f"LoginOptions(host={self.host!r}, username={self.username!r}, password=<hidden>)"


def registry_login(options: LoginOptions) -> Path:
    """Log in to the registry (``GET /v2/`` with the credentials); store them only if accepted."""
    from tfhelm.repo.oci_client import RegistryClient
    from tfhelm.repo.registry_auth import RegistryLogin, normalize_host, save_login

    if not options.username or not options.password:
        raise UsageError("registry login needs a username and a password (--username, --password-stdin)")
    host = normalize_host(options.host)
    login = RegistryLogin(
        username=options.username,
        password=options.password,
        plain_http=options.plain_http,
        insecure_skip_tls_verify=options.insecure_skip_tls_verify,
    )
    client = RegistryClient(
        host,
        login=login,
        plain_http=options.plain_http,
        insecure_skip_tls_verify=options.insecure_skip_tls_verify,
        ca_file=options.ca_file,
    )
    with client:
        try:
            client.check_access()
        except RepoError as error:
            raise RepoError(f"login to {host} failed: {error}") from None
    return save_login(host, login)


def registry_logout(host: str) -> str:
    """Forget the stored login of ``host``; returns the host as stored."""
    from tfhelm.repo.registry_auth import normalize_host, remove_login

    if not remove_login(host):
        raise RepoError(f"not logged in to {normalize_host(host)}")
    return normalize_host(host)
