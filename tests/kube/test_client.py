"""The HTTP client against small local servers: auth via exec plugins, errors in one line."""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from tfhelm.errors import ClusterError
from tfhelm.kube import NotFoundError, UnreachableError, connect


class _Handler(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.seen.append(self.headers.get("Authorization", ""))
        if self.headers.get("Authorization") != "Bearer from-plugin":
            return self._reply(401, {"kind": "Status", "message": "Unauthorized"})
        if self.path == "/version":
            return self._reply(200, {"gitVersion": "v9.9.9"})
        if self.path == "/api/v1":
            return self._reply(200, {"resources": [{"name": "configmaps", "kind": "ConfigMap", "namespaced": True}]})
        return self._reply(404, {"kind": "Status", "message": "not found", "reason": "NotFound"})

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
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def exec_kubeconfig(tmp_path, server, api_version="client.authentication.k8s.io/v1beta1"):
    plugin = tmp_path / "bin" / "fake-gke-gcloud-auth-plugin"
    plugin.parent.mkdir()
    plugin.write_text(
        f"#!{sys.executable}\n"
        "import json, os\n"
        "info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
        "assert info['kind'] == 'ExecCredential' and 'cluster' in info['spec']\n"
        "print(json.dumps({'apiVersion': info['apiVersion'], 'kind': 'ExecCredential',\n"
        "                  'status': {'token': 'from-' + os.environ['PLUGIN_ROLE'],\n"
        "                             'expirationTimestamp': '2999-01-01T00:00:00Z'}}))\n"
    )
    plugin.chmod(0o755)
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "gke",
        "clusters": [{"name": "gke", "cluster": {"server": server}}],
        "contexts": [{"name": "gke", "context": {"cluster": "gke", "user": "gke-user"}}],
        "users": [{"name": "gke-user", "user": {"exec": {
            "apiVersion": api_version, "command": "bin/fake-gke-gcloud-auth-plugin",
            "env": [{"name": "PLUGIN_ROLE", "value": "plugin"}],
            "installHint": "Install gke-gcloud-auth-plugin", "provideClusterInfo": True,
            "interactiveMode": "IfAvailable"}}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("api_version", ["client.authentication.k8s.io/v1beta1", "client.authentication.k8s.io/v1"])
def test_exec_plugin_token_is_sent_and_cached(tmp_path, server, api_version):
    _Handler.seen = []
    kube = connect(kubeconfig=str(exec_kubeconfig(tmp_path, server, api_version)))
    assert kube.server_version() == "v9.9.9"
    assert kube.is_namespaced("v1", "ConfigMap")
    assert _Handler.seen == ["Bearer from-plugin", "Bearer from-plugin"]
    assert kube.requests == 2


def test_missing_exec_plugin_names_it_and_the_install_hint(tmp_path, server):
    path = exec_kubeconfig(tmp_path, server)
    (tmp_path / "bin" / "fake-gke-gcloud-auth-plugin").unlink()
    with pytest.raises(ClusterError, match="fake-gke-gcloud-auth-plugin.*not found: Install gke-gcloud-auth-plugin"):
        connect(kubeconfig=str(path)).server_version()


def test_unknown_kind_is_a_clear_error(tmp_path, server):
    kube = connect(kubeconfig=str(exec_kubeconfig(tmp_path, server)))
    with pytest.raises(NotFoundError, match="no kind Widget in example.com/v1"):
        kube.is_namespaced("example.com/v1", "Widget")


def test_unreachable_server_is_one_line_naming_the_url(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "x", "cluster": {"server": f"https://127.0.0.1:{port}", "insecure-skip-tls-verify": True}}],
        "contexts": [{"name": "c", "context": {"cluster": "x", "user": "u"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(UnreachableError) as caught:
        connect(kubeconfig=str(path)).server_version()
    message = str(caught.value)
    assert message == f"Kubernetes cluster unreachable at https://127.0.0.1:{port}: connection refused"


class _HtmlHandler(BaseHTTPRequestHandler):
    """A proxy's login page: 200 with HTML, where an API server would answer JSON."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        data = b"<html><body>Please log in</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_a_non_json_success_answer_is_a_cluster_error_naming_the_server(tmp_path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}"
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "x", "cluster": {"server": server}}],
        "contexts": [{"name": "c", "context": {"cluster": "x", "user": "u"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    try:
        with pytest.raises(ClusterError) as caught:
            connect(kubeconfig=str(path)).server_version()
    finally:
        httpd.shutdown()
    assert str(caught.value) == (
        f"server version: the server at {server} answered GET /version with 200 but not a JSON object "
        "(text/html); is this a Kubernetes API server?"
    )


@pytest.mark.parametrize(("env", "index"), [(["PLUGIN_ROLE=plugin"], 0), ([{"name": "A", "value": "1"}, {"value": "x"}], 1),
                                            ([{"name": "A", "value": 3}], 0)])
def test_a_malformed_exec_env_item_is_a_cluster_error_naming_it(tmp_path, server, env, index):
    path = exec_kubeconfig(tmp_path, server)
    config = yaml.safe_load(path.read_text())
    config["users"][0]["user"]["exec"]["env"] = env
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ClusterError, match=rf"kubeconfig user of context 'gke': exec.env\[{index}\] must be a mapping "
                                           "with a string name and value"):
        connect(kubeconfig=str(path))


def _status_response(code: int, body: dict) -> "httpx.Response":
    import httpx2 as httpx

    return httpx.Response(code, json=body, request=httpx.Request("PATCH", "https://k8s.example/apis/batch/v1/x"))


_GO_DUMP = "core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{Name:\"\", " + "Labels:map[string]string{...}, " * 300 + "}"


def test_an_immutable_field_rejection_is_one_line_with_a_hint_and_the_dump_kept_for_debug():
    from tfhelm.kube.client import _api_error

    body = {
        "kind": "Status", "status": "Failure", "reason": "Invalid", "code": 422,
        "message": f'Job.batch "tf-chief-0" is invalid: spec.template: Invalid value: {_GO_DUMP}: field is immutable',
        "details": {"name": "tf-chief-0", "group": "batch", "kind": "Job", "causes": [
            {"reason": "FieldValueInvalid", "message": f"Invalid value: {_GO_DUMP}: field is immutable",
             "field": "spec.template"}]},
    }
    error = _api_error(_status_response(422, body), "Job/tf-chief-0 (namespace default)")
    assert str(error).splitlines() == [str(error)]
    assert str(error).startswith("Job/tf-chief-0 (namespace default) rejected: spec.template: field is immutable")
    assert "hint: a Job's pod template cannot change" in str(error)
    assert len(str(error)) < 300 and "PodTemplateSpec" not in str(error)
    assert error.details is not None and "PodTemplateSpec" in error.details


def test_a_short_invalid_value_is_kept_and_every_cause_named():
    from tfhelm.kube.client import _api_error

    body = {"kind": "Status", "code": 422, "reason": "Invalid", "message": "Service \"x\" is invalid: ...",
            "details": {"causes": [
                {"reason": "FieldValueInvalid", "message": "Invalid value: \"UDPX\": unsupported protocol",
                 "field": "spec.ports[0].protocol"},
                {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.ports[1].port"}]}}
    error = _api_error(_status_response(422, body), "Service/x (namespace default)")
    assert str(error) == (
        'Service/x (namespace default) rejected: spec.ports[0].protocol: invalid value "UDPX": '
        "unsupported protocol; spec.ports[1].port: Required value"
    )


def test_a_rejected_secret_keeps_no_server_answer_for_debug():
    from tfhelm.kube.client import _api_error

    body = {"kind": "Status", "code": 422, "message": "Secret \"s\" is invalid",
            "details": {"causes": [{"message": "Invalid value: \"hunter2\": bad", "field": "data[x]"}]}}
    error = _api_error(_status_response(422, body), "Secret/s (namespace default)")
    assert error.details is None


def test_debug_prints_the_servers_whole_answer(capsys):
    from tfhelm.cli import _report

    error = ClusterError("Job/x rejected: spec.template: field is immutable", details='{"message": "full dump"}')
    assert _report(error, debug=False, code=1) == 1
    assert "full dump" not in capsys.readouterr().err
    _report(error, debug=True, code=1)
    assert '"full dump"' in capsys.readouterr().err
