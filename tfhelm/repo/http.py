"""Downloads from chart repositories: http and https (certificates verified), and ``file://``.

One :class:`Downloader` fetches index files and chart archives with:

* TLS verified against the system's trust store or ``ca_file``; skipping verification is an
  explicit opt-in (``insecure_skip_tls_verify``);
* timeouts, and bounded retries with exponential backoff for failures that may pass
  (connection errors, timeouts, HTTP 429 and 5xx) — never for 4xx answers;
* a size limit counted while streaming, so a hostile server cannot fill memory;
* credentials sent only to the repository's own origin (unless ``pass_credentials_all``),
  and removed from every error message (:func:`redact`).

``transport`` is a seam for tests (``httpx.MockTransport``).

:func:`tls_verify` and :func:`describe_http_error` are shared with the OCI registry client, so
both kinds of repository trust the same certificates and explain failures the same way.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

from tfhelm.chartsource import ChartSource
from tfhelm.errors import RepoError

__all__ = [
    "Downloader",
    "TransportOptions",
    "describe_http_error",
    "redact",
    "resolve_url",
    "same_origin",
    "tls_verify",
]

_RETRY_STATUSES = {429, 500, 502, 503, 504}
_REDACTED = "***"
_PLAIN_HTTP_SERVER_HINT = "a plain-HTTP server? then use an http:// URL"


@dataclass(frozen=True)
class TransportOptions:
    """How to reach a repository (``source``: credentials and TLS) and how patiently to retry."""

    source: ChartSource = field(default_factory=ChartSource)
    timeout: float = 30.0
    attempts: int = 3
    backoff: float = 0.5

    @property
    def secrets(self) -> tuple[str, ...]:
        password = self.source.password
        if not password:
            return ()
        basic = base64.b64encode(f"{self.source.username or ''}:{password}".encode()).decode()
        return (password, basic)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with URL user-info and every known secret replaced by ``***``."""
    import re

    text = re.sub(r"(?<=://)[^/\s@]+@", f"{_REDACTED}@", text)
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


def resolve_url(base: str, reference: str) -> str:
    """A chart URL from an index, made absolute against the repository URL (as Helm does)."""
    return urljoin(base.rstrip("/") + "/", reference)


def same_origin(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def tls_verify(*, ca_file: str | None = None, insecure_skip_tls_verify: bool = False) -> Any:
    """httpx's ``verify=``: the system trust store, a context trusting ``ca_file``, or False (opt-in only)."""
    if insecure_skip_tls_verify:
        return False
    if not ca_file:
        return True  # httpx's default context: the system store, or SSL_CERT_FILE / SSL_CERT_DIR
    import ssl

    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as error:
        raise RepoError(f"cannot load CA file {ca_file}: {getattr(error, 'strerror', None) or error}") from None


def describe_http_error(error: Exception, *, plain_http_hint: str = _PLAIN_HTTP_SERVER_HINT) -> str:
    """A transport failure in words, with what to do about an untrusted certificate or plain HTTP."""
    import httpx2 as httpx

    # httpx messages name the URL at most, never headers, so no credentials can leak through them
    text = str(error) or type(error).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return f"TLS certificate not trusted ({text}); pass --ca-file, or --insecure-skip-tls-verify to skip the check"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out ({text})"
    if isinstance(error, httpx.ConnectError) and "WRONG_VERSION_NUMBER" in text:
        return f"{text} ({plain_http_hint})"
    return text


class Downloader:
    """Fetch URLs with one connection pool; use as a context manager.

    >>> with Downloader(TransportOptions()) as downloader:           # doctest: +SKIP
    ...     data = downloader.get("https://charts.example.com/index.yaml", max_bytes=10_000_000)
    """

    def __init__(self, options: TransportOptions | None = None, *, transport: Any = None) -> None:
        self.options = options or TransportOptions()
        self._transport = transport
        self._client: Any = None

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            self._client.close()

    def get(self, url: str, *, max_bytes: int, what: str = "", send_credentials: bool = True) -> bytes:
        """The body at ``url``; ``what`` ("index of repo x") makes messages say what failed."""
        label = f"{what} ({redact(url)})" if what else redact(url)
        if urlsplit(url).scheme == "file":
            return _read_file_url(url, max_bytes, label)
        if urlsplit(url).scheme not in ("http", "https"):
            raise RepoError(f"cannot download {label}: only http://, https:// and file:// URLs are supported")
        return self._get_http(url, max_bytes, label, send_credentials)

    def _get_http(self, url: str, max_bytes: int, label: str, send_credentials: bool) -> bytes:
        import httpx2 as httpx

        client = self._http_client()
        auth = self._auth() if send_credentials else None
        for attempt in range(1, self.options.attempts + 1):
            last = attempt == self.options.attempts
            try:
                with client.stream("GET", url, auth=auth) as response:
                    if response.status_code in _RETRY_STATUSES and not last:
                        self._pause(attempt, response.headers.get("retry-after"))
                        continue
                    if response.status_code >= 400:
                        raise RepoError(
                            self._clean(
                                f"cannot download {label}: HTTP {response.status_code} {response.reason_phrase}"
                                f"{_auth_hint(response.status_code)}"
                            )
                        )
                    return _bounded_body(response.iter_bytes(), max_bytes, label)
            except httpx.HTTPError as error:
                if last or not _may_pass(error):
                    raise RepoError(self._clean(f"cannot download {label}: {describe_http_error(error)}")) from None
                self._pause(attempt, None)
        raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns or raises

    def _http_client(self) -> Any:
        if self._client is None:
            import httpx2 as httpx

            self._client = httpx.Client(
                verify=tls_verify(
                    ca_file=self.options.source.ca_file,
                    insecure_skip_tls_verify=self.options.source.insecure_skip_tls_verify,
                ),
                timeout=httpx.Timeout(self.options.timeout),
                follow_redirects=True,  # httpx drops Authorization on redirects to another origin
                transport=self._transport,
                trust_env=True,  # HTTP(S)_PROXY and NO_PROXY, as Helm honours them
            )
        return self._client

    def _auth(self) -> Any:
        source = self.options.source
        if source.username is None and source.password is None:
            return None
        import httpx2 as httpx

        return httpx.BasicAuth(source.username or "", source.password or "")

    def _pause(self, attempt: int, retry_after: str | None) -> None:
        delay = self.options.backoff * 2 ** (attempt - 1)
        if retry_after and retry_after.isdigit():
            delay = max(delay, min(float(retry_after), 30.0))
        time.sleep(delay)

    def _clean(self, message: str) -> str:
        return redact(message, self.options.secrets)


def _read_file_url(url: str, max_bytes: int, label: str) -> bytes:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise RepoError(f"cannot read {label}: file:// URLs must name a local path (file:///path)")
    path = Path(url2pathname(parts.path))
    try:
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as error:
        raise RepoError(f"cannot read {label}: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise RepoError(f"refusing {label}: it is larger than {max_bytes:,} bytes")
    return data


def _bounded_body(chunks: Any, max_bytes: int, label: str) -> bytes:
    body, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise RepoError(f"refusing {label}: it is larger than {max_bytes:,} bytes")
        body.append(chunk)
    return b"".join(body)


def _may_pass(error: Exception) -> bool:
    import httpx2 as httpx

    return isinstance(error, (httpx.TransportError,)) and not isinstance(error, httpx.UnsupportedProtocol)


def _auth_hint(status: int) -> str:
    return " (check the repository's --username and password)" if status in (401, 403) else ""
