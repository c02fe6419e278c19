"""Finding 5: nothing a user, a chart or a kubeconfig supplies can retarget an API request.

``-n '../../x'`` sent ``POST /api/x/secrets``; a name with ``?`` or ``#`` was cut at that
character; an apiVersion with ``../`` was normalised into another path. Namespaces are now
checked once where they are resolved, and the client checks and percent-escapes every path
segment before a request is built. A recording API server proves what reaches the wire.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from helpers import DEMO_CHART, run_cli
from security.hostile import assert_refused
from tfhelm.errors import ClusterError, UsageError
from tfhelm.kube import ObjectRef, connect
from tfhelm.kube.config import load_settings

DISCOVERY = {
    "/api/v1": [("secrets", "Secret", True), ("configmaps", "ConfigMap", True), ("namespaces", "Namespace", False)],
    "/apis/apps/v1": [("deployments", "Deployment", True)],
}


class _Recorder(BaseHTTPRequestHandler):
    """A tiny API server: discovery and /version answer, creates succeed, other requests 404.

    Every request is recorded as ``METHOD PATH`` exactly as it came over the wire.
    """

    requests: list[str] = []

    def _handle(self):
        self.requests.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.command == "POST":
            created = json.loads(body or b"{}")
            created.setdefault("metadata", {})["resourceVersion"] = "1"
            return self._reply(201, created)
        if self.path == "/version":
            return self._reply(200, {"gitVersion": "v1.30.0"})
        if self.path in DISCOVERY:
            resources = [{"name": plural, "kind": kind, "namespaced": namespaced} for plural, kind, namespaced in DISCOVERY[self.path]]
            return self._reply(200, {"resources": resources})
        if self.command == "GET" and "/secrets" in self.path and "labelSelector" in self.path:
            return self._reply(200, {"items": [], "metadata": {}})
        return self._reply(404, {"kind": "Status", "message": "not found", "reason": "NotFound"})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815 - http.server's naming

    def _reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def api(tmp_path):
    _Recorder.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def kubeconfig(tmp_path, server, namespace=None):
    context = {"cluster": "c", "user": "u", **({"namespace": namespace} if namespace is not None else {})}
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "contexts": [{"name": "ctx", "context": context}],
        "users": [{"name": "u", "user": {"token": "t"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


def sent_beyond_discovery() -> list[str]:
    return [r for r in _Recorder.requests if r.split(" ", 1)[1] not in ("/version", *DISCOVERY)]


# --------------------------------------------------------------------------- namespaces, once


HOSTILE_NAMESPACES = ["../../x", "..", "a/b", "x?y", "x#y", "x%2f..", "UPPER", "ns\n", "-x", "a" * 64, "ns ", "n\x1bs"]


@pytest.mark.parametrize("namespace", HOSTILE_NAMESPACES)
def test_the_namespace_flag_is_a_usage_error_before_any_request(tmp_path, api, namespace):
    with pytest.raises(UsageError, match=r"^--namespace .* is not a valid namespace: use at most 63 lower-case"):
        load_settings(kubeconfig=str(kubeconfig(tmp_path, api)), namespace=namespace)
    assert _Recorder.requests == []


@pytest.mark.parametrize("command", [["list"], ["status", "demo"], ["uninstall", "demo"], ["history", "demo"],
                                     ["install", "demo", str(DEMO_CHART)], ["get", "values", "demo"]])
def test_every_release_command_refuses_a_climbing_namespace(tmp_path, api, command):
    result = run_cli(*command, "-n", "../../x", "--kubeconfig", str(kubeconfig(tmp_path, api)))
    assert_refused(result, "Error: --namespace '../../x' is not a valid namespace", code=2)
    assert _Recorder.requests == []


def test_a_kubeconfig_namespace_is_checked_too_naming_the_file_and_context(tmp_path, api):
    path = kubeconfig(tmp_path, api, namespace="../../kube-system/secrets/x?")
    with pytest.raises(ClusterError, match=rf"^{path}: context 'ctx' sets the namespace '../../kube-system/secrets/x\?'"):
        load_settings(kubeconfig=str(path))
    result = run_cli("list", "--kubeconfig", str(path))
    assert_refused(result, f"{path}: context 'ctx' sets the namespace", code=1)
    assert _Recorder.requests == []


def test_valid_namespaces_still_resolve(tmp_path, api):
    assert load_settings(kubeconfig=str(kubeconfig(tmp_path, api, namespace="team-a"))).namespace == "team-a"
    assert load_settings(kubeconfig=str(kubeconfig(tmp_path, api)), namespace="ml-1").namespace == "ml-1"
    assert load_settings(kubeconfig=str(kubeconfig(tmp_path, api))).namespace == "default"


# --------------------------------------------------------------------------- the client's paths


@pytest.mark.parametrize("name", ["../../x", "..", ".", "a/b", "50%", ""])
def test_names_that_would_change_the_path_are_refused_before_sending(tmp_path, api, name):
    kube = connect(kubeconfig=str(kubeconfig(tmp_path, api)), namespace="ns")
    for call in (lambda: kube.get(ObjectRef("v1", "Secret", name, "ns")),
                 lambda: kube.delete(ObjectRef("v1", "Secret", name, "ns")),
                 lambda: kube.delete_secret(name, "ns"),
                 lambda: kube.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "ns"}})):
        with pytest.raises(UsageError, match="not a valid object name"):
            call()
    assert sent_beyond_discovery() == []


@pytest.mark.parametrize(("name", "escaped"), [("a?b", "a%3Fb"), ("a#b", "a%23b"), ("a b", "a%20b"),
                                                ("system:admin", "system:admin"), ("x\ny", "x%0Ay")])
def test_other_names_are_percent_escaped_not_cut(tmp_path, api, name, escaped):
    kube = connect(kubeconfig=str(kubeconfig(tmp_path, api)), namespace="ns")
    assert kube.get(ObjectRef("v1", "ConfigMap", name, "ns")) is None
    assert sent_beyond_discovery() == [f"GET /api/v1/namespaces/ns/configmaps/{escaped}"]


def test_an_object_namespace_is_checked_by_the_client_too(tmp_path, api):
    kube = connect(kubeconfig=str(kubeconfig(tmp_path, api)), namespace="ns")
    with pytest.raises(UsageError, match=r"ConfigMap 'cm': namespace '\.\./x' is not a valid namespace"):
        kube.get(ObjectRef("v1", "ConfigMap", "cm", "../x"))
    with pytest.raises(UsageError, match=r"namespace 'a\?b' is not a valid namespace"):
        kube.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a?b"}})
    with pytest.raises(UsageError, match="not a valid namespace"):
        kube.events_for(ObjectRef("v1", "Pod", "p", "../../x"))
    assert sent_beyond_discovery() == []


@pytest.mark.parametrize("api_version", ["../../api/v1", "apps/../v1", "apps/v1/../../x", "v1?x", "v1#x", "a/b/c", "V1", "apps/"])
def test_an_api_version_that_is_not_group_slash_version_is_refused_before_any_request(tmp_path, api, api_version):
    kube = connect(kubeconfig=str(kubeconfig(tmp_path, api)), namespace="ns")
    with pytest.raises(UsageError, match="is not a valid API version"):
        kube.get(ObjectRef(api_version, "Secret", "s", "ns"))
    with pytest.raises(UsageError, match="is not a valid API version"):
        kube.is_namespaced(api_version, "Secret")
    assert _Recorder.requests == []


def test_ordinary_requests_are_unchanged(tmp_path, api):
    kube = connect(kubeconfig=str(kubeconfig(tmp_path, api)), namespace="ns")
    kube.get(ObjectRef("apps/v1", "Deployment", "web", "ns"))
    kube.get(ObjectRef("v1", "Namespace", "ns"))
    kube.list("v1", "Secret", "ns", "owner=tfhelm")
    assert sent_beyond_discovery() == [
        "GET /apis/apps/v1/namespaces/ns/deployments/web",
        "GET /api/v1/namespaces/ns",
        "GET /api/v1/namespaces/ns/secrets?limit=500&labelSelector=owner%3Dtfhelm",
    ]


# --------------------------------------------------------------------------- names a user types


@pytest.mark.parametrize("command", [["uninstall", "../../x"], ["rollback", "../../x"], ["status", "a/../../x"]])
def test_a_release_name_with_a_slash_never_reaches_a_path(tmp_path, api, command):
    result = run_cli(*command, "-n", "ns", "--kubeconfig", str(kubeconfig(tmp_path, api)))
    # refused as a release name (tfhelm.names) before the storage or the lock sends anything
    assert_refused(result, f"invalid release name {command[1]!r}", code=2)
    paths = [request.split(" ", 1)[1].split("?")[0] for request in _Recorder.requests]
    assert all(path in ("/version", "/api/v1", "/api/v1/namespaces/ns/secrets") for path in paths), paths


def test_install_refuses_a_release_name_with_a_trailing_newline(tmp_path, api):
    result = run_cli("install", "demo\n", str(DEMO_CHART), "--dry-run", "--kubeconfig", str(kubeconfig(tmp_path, api)))
    assert_refused(result, "invalid release name 'demo\\n'", code=2)


def test_a_rendered_namespace_with_a_trailing_newline_is_refused(chart_dir):
    chart = chart_dir({"templates/cm.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: "ns\\n"\n'})
    assert_refused(run_cli("template", str(chart)), "has an invalid metadata.namespace 'ns\\n'")
