"""``tfhelm registry login|logout``: check credentials against a registry, store or forget them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tfhelm.chartsource import ChartSource
from tfhelm.errors import RepoError, UsageError

__all__ = ["LoginOptions", "LogoutOptions", "registry_login", "registry_logout"]


@dataclass(frozen=True)
class LoginOptions:
    host: str
    source: ChartSource  # username, password (never in a repr), plain HTTP and TLS for this host


@dataclass(frozen=True)
class LogoutOptions:
    host: str


def registry_login(options: LoginOptions) -> Path:
    """Log in to the registry (``GET /v2/`` with the credentials); store them only if accepted."""
    from tfhelm.repo.oci_client import RegistryClient
    from tfhelm.repo.registry_auth import RegistryLogin, normalize_host, save_login

    source = options.source
    if not source.username or not source.password:
        raise UsageError("registry login needs a username and a password (--username, --password-stdin)")
    host = normalize_host(options.host)
    login = RegistryLogin(
        username=source.username,
        password=source.password,
        plain_http=source.plain_http,
        insecure_skip_tls_verify=source.insecure_skip_tls_verify,
    )
    client = RegistryClient(
        host,
        login=login,
        plain_http=source.plain_http,
        insecure_skip_tls_verify=source.insecure_skip_tls_verify,
        ca_file=source.ca_file,
    )
    with client:
        try:
            client.check_access()
        except RepoError as error:
            raise RepoError(f"login to {host} failed: {error}") from None
    return save_login(host, login)


def registry_logout(options: LogoutOptions) -> str:
    """Forget the stored login of ``options.host``; returns the host as stored."""
    from tfhelm.repo.registry_auth import normalize_host, remove_login

    if not remove_login(options.host):
        raise RepoError(f"not logged in to {normalize_host(options.host)}")
    return normalize_host(options.host)
