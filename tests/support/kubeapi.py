"""An independent Kubernetes client for assertions: plain HTTPS to the test API server.

The end-to-end tests must not check tfhelm with tfhelm, so they read (and, when they play a
controller or another tool, write) objects through this module, which shares no code with
``tfhelm.kube``. Kinds are resolved through the API server's discovery documents, so a kind the
server does not serve is an error (:class:`UnknownKind`), never confused with a missing object
(``get`` returns ``None`` only for a 404 whose Status says ``NotFound`` for that very object).

    api = KubeAPI(plane)                       # plane: support.controlplane.ControlPlane
    api.get("apps/v1", "StatefulSet", "demo-worker-0", "ns")
    api.list("v1", "Secret", "ns", "owner=tfhelm")
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from support.controlplane import ControlPlane

__all__ = ["KubeAPI", "UnknownKind"]


class UnknownKind(AssertionError):
    """The API server does not serve this apiVersion/kind."""


@dataclass
class KubeAPI:
    plane: ControlPlane
    _resources: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict, repr=False)

    # -- reading ---------------------------------------------------------------------------------

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """The object, or None when the server says it does not exist; UnknownKind for an unserved kind."""
        resource, _ = self._resource(api_version, kind)
        status, body = self.plane.request("GET", self.path(api_version, kind, namespace, name))
        if status == 404:
            details = body.get("details") or {}
            missing = body.get("reason") == "NotFound" and (details.get("kind"), details.get("name")) == (resource, name)
            assert missing, f"GET {api_version} {kind} {name}: a 404 that is not NotFound for it: {body}"
            return None
        assert status == 200, f"GET {api_version} {kind} {name} in {namespace}: HTTP {status}: {body}"
        return body

    def list(
        self, api_version: str, kind: str, namespace: str | None = None, selector: str | None = None
    ) -> list[dict[str, Any]]:
        """Every object of ``kind`` (in ``namespace``, or everywhere), optionally by label selector."""
        query = "?" + urllib.parse.urlencode({"labelSelector": selector}) if selector else ""
        status, body = self.plane.request("GET", self.path(api_version, kind, namespace) + query)
        assert status == 200, f"LIST {api_version} {kind} in {namespace}: HTTP {status}: {body}"
        return body["items"]

    # -- writing (the tests playing controllers and other tools) ---------------------------------

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        metadata = obj["metadata"]
        path = self.path(obj["apiVersion"], obj["kind"], metadata.get("namespace"))
        status, body = self.plane.request("POST", path, json.dumps(obj))
        assert status == 201, f"create {obj['kind']}/{metadata['name']}: HTTP {status}: {body}"
        return body

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        metadata = obj["metadata"]
        path = self.path(obj["apiVersion"], obj["kind"], metadata.get("namespace"), metadata["name"])
        status, body = self.plane.request("PUT", path, json.dumps(obj))
        assert status == 200, f"replace {obj['kind']}/{metadata['name']}: HTTP {status}: {body}"
        return body

    def apply(self, obj: dict[str, Any], field_manager: str, force: bool = False) -> dict[str, Any]:
        """Server-side apply as ``field_manager`` (what ``kubectl apply --server-side`` sends)."""
        metadata = obj["metadata"]
        path = self.path(obj["apiVersion"], obj["kind"], metadata.get("namespace"), metadata["name"])
        query = urllib.parse.urlencode({"fieldManager": field_manager, **({"force": "true"} if force else {})})
        status, body = self.plane.request(
            "PATCH", f"{path}?{query}", json.dumps(obj), content_type="application/apply-patch+yaml"
        )
        assert status in (200, 201), f"apply {obj['kind']}/{metadata['name']}: HTTP {status}: {body}"
        return body

    def patch_status(self, api_version: str, kind: str, name: str, namespace: str, status: dict[str, Any]) -> None:
        """Merge ``status`` into the object's status subresource, as its controller would."""
        path = self.path(api_version, kind, namespace, name) + "/status"
        code, body = self.plane.request(
            "PATCH", path, json.dumps({"status": status}), content_type="application/merge-patch+json"
        )
        assert code == 200, f"patch status of {kind}/{name}: HTTP {code}: {body}"

    # -- paths -----------------------------------------------------------------------------------

    def path(self, api_version: str, kind: str, namespace: str | None = None, name: str | None = None) -> str:
        resource, namespaced = self._resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if namespaced and namespace:
            base += f"/namespaces/{urllib.parse.quote(namespace, safe='')}"
        return f"{base}/{resource}" + (f"/{urllib.parse.quote(name, safe='')}" if name else "")

    def _resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural resource name, namespaced) from the server's discovery document."""
        key = (api_version, kind)
        if key not in self._resources:
            base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            status, body = self.plane.request("GET", base)
            if status == 404:
                raise UnknownKind(f"the API server does not serve {api_version}")
            assert status == 200, f"discovery of {api_version}: HTTP {status}: {body}"
            for entry in body.get("resources") or []:
                if entry["kind"] == kind and "/" not in entry["name"]:
                    self._resources[key] = (entry["name"], entry["namespaced"])
                    break
            else:
                raise UnknownKind(f"the API server serves no kind {kind} in {api_version}")
        return self._resources[key]
