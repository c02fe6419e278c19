"""The real cluster client: REST calls over lightkube's authenticated HTTP transport.

Resources are addressed generically (any apiVersion/kind, CRDs included) through API discovery,
cached per group-version and refreshed once on a miss (a CRD applied a moment ago). Every
request is counted in :attr:`HttpKubeClient.requests`.
"""

from __future__ import annotations

import builtins
import functools
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx2 as httpx

from tfhelm.errors import (
    ApplyConflictError,
    ClusterError,
    NotFoundError,
    PreconditionError,
    UnreachableError,
    UsageError,
)
from tfhelm.kube.auth import http_auth, ssl_context
from tfhelm.kube.config import KubeSettings
from tfhelm.kube.interface import (
    ALL_NAMESPACES,
    FIELD_MANAGER,
    NAMESPACE_RULE,
    KubeClient,
    NamespaceScope,
    ObjectRef,
    is_namespace,
)

__all__ = ["HttpKubeClient"]

_CLUSTER_EVENTS_NAMESPACE = "default"
_APPLY = {"Content-Type": "application/apply-patch+yaml"}
_MERGE = {"Content-Type": "application/merge-patch+json"}
_TABLE = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io"}
# group (a DNS-1123 subdomain) "/" version (a DNS-1035 label), or a core version alone
_API_VERSION = re.compile(
    r"(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*/)?[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?"
)


@dataclass(frozen=True)
class _Resource:
    plural: str
    namespaced: bool


class HttpKubeClient(KubeClient):
    """A :class:`KubeClient` for one kubeconfig context."""

    def __init__(self, settings: KubeSettings, *, timeout: float = 30.0, pool: int = 32):
        self.settings = settings
        self.server = settings.server
        self._new_client = functools.partial(
            httpx.Client,
            base_url=settings.server,
            verify=ssl_context(settings) if settings.server.startswith("https") else False,
            auth=http_auth(settings),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
            trust_env=False,
        )
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._clients_lock = threading.Lock()
        self._counter = itertools.count(1)
        self._count = 0
        self._discovery: dict[str, dict[str, _Resource]] = {}
        self._discovery_lock = threading.Lock()

    @property
    def _http(self) -> httpx.Client:
        """One HTTP client per thread: parallel applies never share a TLS connection."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._new_client()
            with self._clients_lock:
                self._clients.append(client)
        return client

    @property
    def requests(self) -> int:
        return self._count

    def close(self) -> None:
        with self._clients_lock:
            for client in self._clients:
                client.close()
            self._clients.clear()

    # ------------------------------------------------------------------ transport

    def _send(self, method: str, path: str, *, what: str, **kwargs: Any) -> httpx.Response:
        # Reads, applies and deletes are idempotent: one retry rides out a dropped connection.
        attempts = 2 if method in ("GET", "DELETE") or kwargs.get("headers") is _APPLY else 1
        for attempt in range(attempts):
            self._count = next(self._counter)
            try:
                response = self._http.request(method, path, **kwargs)
                break
            except httpx.TimeoutException:
                if attempt + 1 == attempts:
                    raise UnreachableError(self.server, "no answer in time") from None
            except httpx.TransportError as error:
                if attempt + 1 == attempts:
                    raise UnreachableError(self.server, _transport_reason(error)) from None
            time.sleep(0.2)
        if response.status_code >= 400:
            raise _api_error(response, what)
        return response

    def _json(self, method: str, path: str, *, what: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(method, path, what=what, **kwargs)
        try:
            document = response.json()
        except ValueError:  # UnicodeDecodeError and JSONDecodeError both are
            document = None
        if not isinstance(document, dict):
            # a proxy's login page or an HTML error page served with 200: not a Kubernetes API server
            kind = response.headers.get("content-type") or "no content type"
            raise ClusterError(
                f"{what}: the server at {self.server} answered {method} {path} with {response.status_code} "
                f"but not a JSON object ({kind}); is this a Kubernetes API server?"
            )
        return document

    # ------------------------------------------------------------------ discovery

    def _resource(self, api_version: str, kind: str) -> _Resource:
        _api_base(api_version)  # a bad apiVersion fails before discovery puts it in a path
        kinds = self._kinds(api_version, refresh=False)
        if kind not in kinds:
            kinds = self._kinds(api_version, refresh=True)
        if kind not in kinds:
            raise NotFoundError(
                f"the server at {self.server} has no kind {kind} in {api_version} (is its CRD installed?)"
            )
        return kinds[kind]

    def _kinds(self, api_version: str, *, refresh: bool) -> dict[str, _Resource]:
        with self._discovery_lock:
            if refresh or api_version not in self._discovery:
                self._discovery[api_version] = self._discover(api_version)
            return self._discovery[api_version]

    def _discover(self, api_version: str) -> dict[str, _Resource]:
        path = _api_base(api_version)
        try:
            listing = self._json("GET", path, what=f"API {api_version}")
        except NotFoundError:
            return {}
        resources = listing.get("resources")
        return {
            item["kind"]: _Resource(item["name"], bool(item.get("namespaced")))
            for item in (resources if isinstance(resources, list) else [])
            if isinstance(item, dict)
            and isinstance(item.get("kind"), str)
            and isinstance(item.get("name"), str)
            and "/" not in item["name"]
        }

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        return self._resource(api_version, kind).namespaced

    def _path(self, api_version: str, kind: str, namespace: NamespaceScope, name: str | None = None) -> str:
        """The URL path of a collection (``name`` None) or of one object, every segment checked
        and percent-escaped: no name, namespace or apiVersion can retarget the request.

        A namespaced kind needs a namespace (or, for a collection, ALL_NAMESPACES): the client
        never picks one itself."""
        base = _api_base(api_version)
        last = None if name is None else _name_segment(name, kind)
        if isinstance(namespace, str):
            _namespace_segment(namespace, kind, name)
        resource = self._resource(api_version, kind)
        if resource.namespaced:
            base += _namespace_part(namespace, kind, name)
        base += f"/{_segment(resource.plural)}"
        return base if last is None else f"{base}/{last}"

    def _ref_path(self, ref: ObjectRef, suffix: str = "") -> str:
        return self._path(ref.api_version, ref.kind, ref.namespace, ref.name) + suffix

    # ------------------------------------------------------------------ verbs

    def server_version(self) -> str:
        return self._json("GET", "/version", what="server version").get("gitVersion", "unknown")

    def apply(
        self, obj: dict[str, Any], *, force: bool = False, dry_run: bool = False, field_manager: str = FIELD_MANAGER
    ) -> dict[str, Any]:
        ref = ObjectRef.of(obj)
        params = {"fieldManager": field_manager}
        if force:
            params["force"] = "true"
        if dry_run:
            params["dryRun"] = "All"
        body = json.dumps(obj, separators=(",", ":"))
        return self._json("PATCH", self._ref_path(ref), what=str(ref), params=params, content=body, headers=_APPLY)

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        try:
            return self._json("GET", self._ref_path(ref), what=str(ref))
        except NotFoundError:
            return None

    def list(
        self, api_version: str, kind: str, namespace: NamespaceScope, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        path = self._path(api_version, kind, namespace)
        params: dict[str, str] = {"limit": "500"}
        if label_selector:
            params["labelSelector"] = label_selector
        items: list[dict[str, Any]] = []
        while True:
            page = self._json("GET", path, what=f"{kind} list", params=params)
            items += [{"apiVersion": api_version, "kind": kind, **item} for item in page.get("items") or []]
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
            params["continue"] = token

    def names(self, api_version: str, kind: str, namespace: NamespaceScope) -> set[str]:
        # The server's table view without objects is the smallest listing there is: names and
        # a few printed columns, no metadata.
        path = self._path(api_version, kind, namespace)
        params = {"limit": "5000", "includeObject": "None"}
        found: set[str] = set()
        while True:
            page = self._json("GET", path, what=f"{kind} list", params=params, headers=_TABLE)
            found |= {_row_name(page, row) for row in page.get("rows") or []}
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return found
            params["continue"] = token

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        ref = ObjectRef.of(obj)
        path = self._path(ref.api_version, ref.kind, ref.namespace)
        return self._json("POST", path, what=str(ref), json=obj)

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        ref = ObjectRef.of(obj)
        return self._json("PUT", self._ref_path(ref), what=str(ref), json=obj)

    def delete(self, ref: ObjectRef, *, resource_version: str | None = None) -> bool:
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        if resource_version:
            options["preconditions"] = {"resourceVersion": resource_version}
        try:
            self._send(
                "DELETE",
                self._ref_path(ref),
                what=str(ref),
                content=json.dumps(options),
                headers={"Content-Type": "application/json"},
            )
        except NotFoundError:
            return False
        return True

    def patch_status(self, ref: ObjectRef, status: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps({"status": status})
        return self._json("PATCH", self._ref_path(ref, "/status"), what=f"{ref} status", content=body, headers=_MERGE)

    def events_for(self, ref: ObjectRef) -> builtins.list[dict[str, Any]]:
        # the API server records the events of cluster-scoped objects in the default namespace
        namespace = _namespace_segment(ref.namespace or _CLUSTER_EVENTS_NAMESPACE, ref.kind, ref.name)
        selector = f"involvedObject.name={ref.name},involvedObject.kind={ref.kind}"
        listing = self._json(
            "GET", f"/api/v1/namespaces/{namespace}/events", what=f"events of {ref}", params={"fieldSelector": selector}
        )
        return sorted(listing.get("items") or [], key=_event_time)


def _api_base(api_version: str) -> str:
    """``/api/v1`` or ``/apis/<group>/<version>``; UsageError for anything else (``../x``, ``a?b``)."""
    if not isinstance(api_version, str) or len(api_version) > 317 or not _API_VERSION.fullmatch(api_version):
        raise UsageError(f"apiVersion {api_version!r} is not a valid API version (such as v1 or apps/v1)")
    return "/api/v1" if api_version == "v1" else f"/apis/{api_version}"


def _segment(text: str) -> str:
    """One percent-escaped path segment (as Go's url.PathEscape: '/', '?', '#', '%', … escaped)."""
    return quote(text, safe=":@&=+$")


def _namespace_part(namespace: NamespaceScope, kind: str, name: str | None) -> str:
    """``/namespaces/<ns>`` for a namespaced kind; empty for ALL_NAMESPACES (collections only)."""
    what = f"{kind} {name!r}" if name else kind
    if isinstance(namespace, str):
        return f"/namespaces/{namespace}"
    if namespace is ALL_NAMESPACES and name is None:
        return ""
    raise UsageError(f"{what}: {kind} is a namespaced kind, but no namespace was given")


def _namespace_segment(namespace: str, kind: str, name: str | None) -> str:
    if not is_namespace(namespace):
        what = f"{kind} {name!r}" if name else kind
        raise UsageError(f"{what}: namespace {namespace!r} is not a valid namespace: {NAMESPACE_RULE}")
    return namespace


def _name_segment(name: str, kind: str) -> str:
    """A name as the API server's path rules allow it: not empty, '.' or '..', no '/' or '%'."""
    if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "%" in name:
        raise UsageError(
            f"{kind} {name!r}: not a valid object name (it may not be empty, '.' or '..', or contain '/' or '%')"
        )
    return _segment(name)


def _row_name(table: dict[str, Any], row: dict[str, Any]) -> str:
    columns = [c.get("name") for c in table.get("columnDefinitions") or []]
    return row["cells"][columns.index("Name") if "Name" in columns else 0]


def _event_time(event: dict[str, Any]) -> str:
    return event.get("lastTimestamp") or event.get("eventTime") or ""


def _transport_reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if "refused" in text.lower():
        return "connection refused"
    if "certificate" in text.lower():
        return f"TLS certificate problem: {text}"
    return text.splitlines()[0]


def _api_error(response: httpx.Response, what: str) -> ClusterError:
    try:
        status = response.json()
    except ValueError:
        status = {"message": response.text.strip()[:200]}
    message = status.get("message") or response.reason_phrase
    code = response.status_code
    causes = (status.get("details") or {}).get("causes") or []
    if code == 409 and any(c.get("reason") == "FieldManagerConflict" for c in causes):
        return ApplyConflictError(what, [(_manager(c.get("message", "")), c.get("field", "?")) for c in causes])
    if code == 404:
        return NotFoundError(f"{what}: not found")
    if code == 409:
        return PreconditionError(f"{what}: {message}")
    if code in (401, 403):
        return ClusterError(f"{what}: {'unauthorized' if code == 401 else 'forbidden'}: {message}")
    # The server's answer may echo what was sent: never keep it for a Secret.
    details = None if what.startswith("Secret/") else response.text
    if code == 422 and causes:
        return ClusterError(f"{what} rejected: {_causes_text(causes)}", details=details)
    if len(message) > 300:
        return ClusterError(f"{what}: {_short_reason(message)}", details=details)
    return ClusterError(f"{what}: {message}")


# Hints for rejections tfhelm knows the way out of, keyed by (field, reason text).
_HINTS = {
    ("spec.template", "field is immutable"): (
        "a Job's pod template cannot change once created; give the Job a new name for the new run, "
        "or uninstall and install again"
    ),
    ("spec.selector", "field is immutable"): "a selector cannot change; uninstall and install again",
}


def _causes_text(causes: list[dict[str, Any]]) -> str:
    """``field: reason`` per cause; the server's rendering of the rejected value (often a Go struct
    dump of kilobytes) is dropped, the reason after it kept."""
    parts, hints = [], []
    for cause in causes:
        field, reason = cause.get("field") or "", _short_reason(cause.get("message") or cause.get("reason") or "")
        parts.append(f"{field}: {reason}" if field else reason)
        hint = _HINTS.get((field, reason))
        if hint and hint not in hints:
            hints.append(hint)
    text = "; ".join(dict.fromkeys(parts))
    return text + "".join(f" (hint: {hint})" for hint in hints)


def _short_reason(message: str) -> str:
    # 'Invalid value: core.PodTemplateSpec{...}: field is immutable' -> 'field is immutable'
    if message.startswith("Invalid value: ") and ": " in message[len("Invalid value: ") :]:
        value_and_reason = message[len("Invalid value: ") :]
        reason = value_and_reason.rsplit(": ", 1)[1]
        value = value_and_reason.rsplit(": ", 1)[0]
        return reason if len(value) > 80 else f"invalid value {value}: {reason}"
    return message if len(message) <= 300 else message[:297] + "..."


def _manager(message: str) -> str:
    # 'conflict with "kubectl-client-side-apply" using apps/v1' -> kubectl-client-side-apply
    start = message.find('"')
    end = message.find('"', start + 1)
    return message[start + 1 : end] if start >= 0 and end > start else message
