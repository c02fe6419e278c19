"""HTTP side of the OCI distribution API: auth challenges, manifests, blobs, tags, digests.

:class:`RegistryClient` talks to one registry host (``/v2/...``) and knows nothing about charts;
:mod:`tfhelm.repo.oci` builds Helm chart artifacts on top of it.

Authentication follows the registry's ``WWW-Authenticate`` challenge, as Docker and Helm do:
``Bearer realm=…,service=…,scope=…`` fetches a token from the realm (with the stored username
and password as basic auth when there are any) and retries; ``Basic`` retries with the
credentials. Credentials and tokens go only to the registry's own origin (scheme, host, port),
and the basic credentials also to the token realm for the token request itself: a ``Location``
or ``Link`` to another origin is followed without them, a challenge from another origin is not
answered, and an ``http://`` realm of an https registry is refused unless ``--plain-http`` or
``--insecure`` was chosen. Everything read is checked against its digest (and its size) before
it is used, and every body is read with a bound: blobs up to their descriptor's size, tokens up
to :data:`MAX_TOKEN_BYTES`, manifests and every other answer up to :data:`MAX_MANIFEST_BYTES`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

import httpx2 as httpx

from tfhelm.errors import RepoError
from tfhelm.repo.http import describe_http_error, tls_verify
from tfhelm.repo.registry_auth import RegistryLogin

__all__ = [
    "MAX_BLOB_BYTES",
    "MAX_MANIFEST_BYTES",
    "MAX_TOKEN_BYTES",
    "Descriptor",
    "RegistryAuth",
    "RegistryClient",
    "sha256_digest",
]

MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # the limit registries themselves apply to manifests
MAX_BLOB_BYTES = 64 * 1024 * 1024  # a chart archive holds at most 50 MB uncompressed
MAX_TOKEN_BYTES = 1024 * 1024  # a token answer is a small JSON object; real ones are a few KB
_ATTEMPTS = 3
_BACKOFF = 0.3
_RETRY_STATUSES = {429, 500, 502, 503, 504}
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_BODY_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}
_PLAIN_HTTP_REGISTRY_HINT = "a plain-HTTP registry? then pass --plain-http"


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>``, the digest form OCI uses."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor: what a manifest says about one blob."""

    media_type: str
    digest: str
    size: int

    def as_json(self) -> dict[str, object]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}

    @classmethod
    def from_json(cls, raw: object, where: str) -> Descriptor:
        if not isinstance(raw, dict):
            raise RepoError(f"{where}: a descriptor must be an object")
        media_type, digest, size = raw.get("mediaType"), raw.get("digest"), raw.get("size")
        if not isinstance(media_type, str) or not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise RepoError(f"{where}: descriptor without a mediaType or a sha256 digest")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise RepoError(f"{where}: descriptor with an invalid size {size!r}")
        return cls(media_type, digest, size)


class RegistryAuth(httpx.Auth):
    """Answers ``WWW-Authenticate`` challenges; reuses the last token or basic header up front.

    Only requests to ``registry_url``'s origin carry the header: a blob served from a redirect to
    storage, an upload ``Location`` or a tags ``Link`` elsewhere must not receive the registry's
    credentials. ``allow_plain_realm`` permits an ``http://`` token realm for an https registry.
    ``fetch_token(url, headers)`` sends the token request and returns the answer with its body
    already read (with a bound), so a hostile token service cannot fill memory.
    """

    def __init__(
        self,
        login: RegistryLogin | None,
        *,
        registry_url: str,
        fetch_token: Callable[[str, dict[str, str]], httpx.Response],
        allow_plain_realm: bool = False,
    ) -> None:
        self._login = login if login is not None and login.has_credentials else None
        self._header: str | None = None
        self._registry = httpx.URL(registry_url)
        self._fetch_token = fetch_token
        self._allow_plain_realm = allow_plain_realm

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._is_registry(request.url):
            request.headers.pop("Authorization", None)
            yield request
            return
        if self._header:
            request.headers["Authorization"] = self._header
        response = yield request
        if response.status_code != 401 or not self._is_registry(response.url):
            return  # a challenge from wherever a redirect led is not the registry's to make
        scheme, params = _parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if scheme == "basic" and self._login is not None:
            self._header = _basic_header(self._login)
        elif scheme == "bearer" and params.get("realm"):
            self._check_realm(params["realm"])
            token_response = self._fetch_token(*self._token_request(params))
            self._header = f"Bearer {_token_from(token_response, params['realm'])}"
        else:
            return
        request.headers["Authorization"] = self._header
        yield request

    def _is_registry(self, url: httpx.URL) -> bool:
        return url.origin == self._registry.origin

    def _check_realm(self, realm: str) -> None:
        scheme = urlsplit(realm).scheme.lower()
        if scheme not in ("http", "https") or not urlsplit(realm).hostname:
            raise RepoError(
                f"{self._registry.netloc.decode()} named a token service that is not an http(s) URL: {realm!r}"
            )
        if scheme == "http" and self._registry.scheme == "https" and not self._allow_plain_realm:
            raise RepoError(
                f"{self._registry.netloc.decode()} is served over https but sends tokens from the plain-http "
                f"service {realm}; refusing to send credentials there (pass --plain-http or --insecure to allow it)"
            )

    def _token_request(self, params: dict[str, str]) -> tuple[str, dict[str, str]]:
        """The token URL and headers: the stored credentials go to the realm's origin only."""
        query = [(key, params[key]) for key in ("service", "scope") if params.get(key)]
        realm = params["realm"]
        url = realm + ("&" if "?" in realm else "?") + urlencode(query) if query else realm
        return url, {"Authorization": _basic_header(self._login)} if self._login is not None else {}


def _basic_header(login: RegistryLogin) -> str:
    token = base64.b64encode(f"{login.username}:{login.password}".encode()).decode("ascii")
    return f"Basic {token}"


def _parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(_CHALLENGE_PARAM.findall(rest))


def _token_from(response: httpx.Response, realm: str) -> str:
    if response.status_code in (401, 403):
        raise RepoError(f"the registry's token service {realm} refused the credentials ({response.status_code})")
    if response.status_code != 200:
        raise RepoError(f"the registry's token service {realm} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = None
    token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise RepoError(f"the registry's token service {realm} sent no token")
    return token


class RegistryClient:
    """The distribution API of one registry host.

    >>> with RegistryClient("127.0.0.1:5000", plain_http=True) as client:  # doctest: +SKIP
    ...     client.list_tags("charts/tf-cluster")
    ['1.4.0', '1.4.1']
    """

    def __init__(
        self,
        host: str,
        *,
        login: RegistryLogin | None = None,
        plain_http: bool = False,
        insecure_skip_tls_verify: bool = False,
        ca_file: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.host = host
        self.base_url = f"{'http' if plain_http else 'https'}://{host}"
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=RegistryAuth(
                login,
                registry_url=self.base_url,
                fetch_token=self._fetch_token,
                allow_plain_realm=plain_http or insecure_skip_tls_verify,
            ),
            verify=tls_verify(ca_file=ca_file, insecure_skip_tls_verify=insecure_skip_tls_verify),
            timeout=timeout,
            transport=transport,
            follow_redirects=True,  # blobs are often served from a redirect to storage
            headers={"User-Agent": "tfhelm"},
        )

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ----------------------------------------------------------------- reading

    def check_access(self) -> None:
        """``GET /v2/``: raises RepoError unless the registry accepts us (used by login)."""
        self._expect(self._send("GET", "/v2/"), (200,), "check the registry API")

    def list_tags(self, repository: str) -> list[str]:
        """Every tag of ``repository``, following the registry's pagination links."""
        tags: list[str] = []
        url: str | None = f"/v2/{repository}/tags/list?n=1000"
        while url:
            response = self._send("GET", url)
            if response.status_code == 404:
                raise RepoError(f"{self.host}/{repository} not found in the registry")
            self._expect(response, (200,), f"list the tags of {repository}")
            body = _json(response, f"tags of {repository}")
            tags += [tag for tag in body.get("tags") or [] if isinstance(tag, str)]
            url = _next_page(response)
        return tags

    def get_manifest(self, repository: str, reference: str, accept: tuple[str, ...]) -> tuple[bytes, str]:
        """The manifest bytes and their verified digest, by tag or by digest."""
        response = self._send(
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            headers={"Accept": ", ".join(accept)},
            what=f"the manifest of {repository}:{reference}",
        )
        if response.status_code == 404:
            raise RepoError(f"{self.host}/{repository}:{reference} not found in the registry")
        self._expect(response, (200,), f"read the manifest of {repository}:{reference}")
        body = response.content
        digest = sha256_digest(body)
        expected = reference if reference.startswith("sha256:") else response.headers.get("Docker-Content-Digest")
        if expected and expected != digest:
            raise RepoError(
                f"digest mismatch for the manifest of {self.host}/{repository}:{reference}: "
                f"the registry announced {expected}, the bytes received are {digest}; refusing it"
            )
        return body, digest

    def get_blob(self, repository: str, descriptor: Descriptor, *, limit: int = MAX_BLOB_BYTES) -> bytes:
        """The blob's bytes, refused unless both its size and its digest match ``descriptor``."""
        if descriptor.size > limit:
            raise RepoError(
                f"blob {descriptor.digest} of {repository} is {descriptor.size} bytes, over the {limit} limit"
            )
        with self._http.stream("GET", f"/v2/{repository}/blobs/{descriptor.digest}") as response:
            if response.status_code != 200:
                response.read()
            self._expect(response, (200,), f"download blob {descriptor.digest} of {repository}")
            too_large = (
                f"blob {descriptor.digest} is larger than the {descriptor.size} bytes its descriptor says; refusing it"
            )
            data = b"".join(_bounded(response.iter_bytes(), descriptor.size, too_large))
        digest = sha256_digest(data)
        if len(data) != descriptor.size or digest != descriptor.digest:
            raise RepoError(
                f"digest mismatch for blob {descriptor.digest} of {self.host}/{repository}: "
                f"received {len(data)} bytes with digest {digest}; refusing it"
            )
        return data

    # ----------------------------------------------------------------- writing

    def push_blob(self, repository: str, data: bytes) -> str:
        """Upload ``data`` unless the registry already has it; returns its digest."""
        digest = sha256_digest(data)
        if self._send("HEAD", f"/v2/{repository}/blobs/{digest}").status_code == 200:
            return digest
        started = self._send("POST", f"/v2/{repository}/blobs/uploads/")
        self._expect(started, (202,), f"start a blob upload to {repository}")
        location = started.headers.get("Location")
        if not location:
            raise RepoError(f"{self.host} started an upload to {repository} without saying where (no Location)")
        url = urljoin(self.base_url + "/", location)
        url += ("&" if "?" in url else "?") + urlencode({"digest": digest})
        finished = self._send("PUT", url, content=data, headers={"Content-Type": "application/octet-stream"})
        self._expect(finished, (201, 204), f"upload blob {digest} to {repository}")
        return digest

    def put_manifest(self, repository: str, tag: str, body: bytes, media_type: str) -> str:
        """Store a manifest under ``tag``; returns its digest (checked against the registry's)."""
        response = self._send(
            "PUT", f"/v2/{repository}/manifests/{tag}", content=body, headers={"Content-Type": media_type}
        )
        self._expect(response, (200, 201), f"push the manifest of {repository}:{tag}")
        digest = sha256_digest(body)
        announced = response.headers.get("Docker-Content-Digest")
        if announced and announced != digest:
            raise RepoError(f"{self.host} stored the manifest of {repository}:{tag} as {announced}, expected {digest}")
        return digest

    # ----------------------------------------------------------------- plumbing

    def _send(
        self,
        method: str,
        url: str,
        *,
        limit: int = MAX_MANIFEST_BYTES,
        what: str = "",
        target: str = "",
        **kwargs,
    ) -> httpx.Response:
        """One request, its body read with ``limit``; reads (GET, HEAD) are retried on failures that may pass."""
        attempts = _ATTEMPTS if method in ("GET", "HEAD") else 1
        target = target or f"the registry {self.base_url}"
        for attempt in range(1, attempts + 1):
            try:
                response = self._buffered(method, url, limit, what or f"{method} {httpx.URL(url).path}", kwargs)
            except httpx.TransportError as error:
                if attempt == attempts or isinstance(error, httpx.UnsupportedProtocol):
                    raise RepoError(f"cannot reach {target}: {_describe(error)}") from None
            except httpx.HTTPError as error:
                raise RepoError(f"cannot reach {target}: {_describe(error)}") from None
            else:
                if response.status_code not in _RETRY_STATUSES or attempt == attempts:
                    return response
            time.sleep(_BACKOFF * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns or raises

    def _buffered(self, method: str, url: str, limit: int, what: str, kwargs: dict) -> httpx.Response:
        """The answer with its body read while counting: refused past ``limit`` bytes."""
        with self._http.stream(method, url, **kwargs) as response:
            too_large = f"{response.url.host} sent more than {limit:,} bytes for {what}; refusing it"
            body = b"".join(_bounded(response.iter_bytes(), limit, too_large))
        # the body is decoded already, so the rebuilt answer must not claim an encoding or length
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
        return httpx.Response(response.status_code, headers=headers, content=body, request=response.request)

    def _fetch_token(self, url: str, headers: dict[str, str]) -> httpx.Response:
        # auth=None: the token request carries exactly the headers RegistryAuth gave it
        realm = str(httpx.URL(url).copy_with(query=None))
        return self._send(
            "GET",
            url,
            headers=headers,
            auth=None,
            limit=MAX_TOKEN_BYTES,
            what="a token",
            target=f"the token service {realm}",
        )

    def _expect(self, response: httpx.Response, codes: tuple[int, ...], action: str) -> None:
        if response.status_code in codes:
            return
        if response.status_code in (401, 403) and response.url.origin != httpx.URL(self.base_url).origin:
            raise RepoError(
                f"{self.host} sent us to {response.url.scheme}://{response.url.netloc.decode()} to {action}, which "
                f"refused ({response.status_code}); the registry's credentials are never sent to another origin"
            )
        if response.status_code == 401:
            raise RepoError(
                f"{self.host} refused to {action}: authentication required or credentials rejected (401); "
                f"run `tfhelm registry login {self.host}`"
            )
        if response.status_code == 403:
            raise RepoError(f"{self.host} refused to {action}: access denied (403)")
        raise RepoError(f"{self.host} could not {action}: HTTP {response.status_code}{_registry_errors(response)}")


def _bounded(chunks: Iterator[bytes], limit: int, too_large: str) -> Iterator[bytes]:
    received = 0
    for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise RepoError(too_large)
        yield chunk


def _json(response: httpx.Response, what: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RepoError(f"the registry sent invalid JSON for the {what}")
    return body


def _next_page(response: httpx.Response) -> str | None:
    match = _NEXT_LINK.search(response.headers.get("Link", ""))
    return match.group(1) if match else None


def _registry_errors(response: httpx.Response) -> str:
    """The registry's own error codes and messages (``{"errors": [{code, message}]}``), if any."""
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return ""
    texts = [f"{e.get('code')}: {e.get('message')}" for e in errors if isinstance(e, dict)]
    return f" ({'; '.join(texts)})" if texts else ""


def _describe(error: httpx.HTTPError) -> str:
    return describe_http_error(error, plain_http_hint=_PLAIN_HTTP_REGISTRY_HINT)
