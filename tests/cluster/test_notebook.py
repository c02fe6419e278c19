"""The default values: the Jupyter notebook is the ParameterServerStrategy coordinator, running
as uid 1000 with no capabilities and its home on a volume.

Through ``kubectl port-forward`` (the way the chart's NOTES tell users to reach it) the right
password logs in and a wrong one gets 401; a kernel started through Jupyter's own REST and
websocket API runs the NOTES snippet verbatim and then trains against the ps tasks.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import subprocess
import time
import urllib.parse
import uuid

import pytest
from clusterkit import TF_CLUSTER

from support.tfprograms import PS_TRAINING

pytestmark = pytest.mark.timeout(900)

RELEASE = "nb"
PASSWORD = secrets.token_urlsafe(12)


@pytest.fixture(scope="module")
def notebook(cluster, namespace, tfhelm):
    values = tfhelm.values_file("notebook", {"jupyter": {"password": PASSWORD}})
    installed = tfhelm("install", RELEASE, str(TF_CLUSTER), "-f", values, "--wait", "--timeout", "10m")
    forward = subprocess.Popen(
        [str(cluster.kubectl_bin), "--kubeconfig", str(cluster.kubeconfig), "-n", namespace,
         "port-forward", f"service/{RELEASE}-jupyter", ":80"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = forward.stdout.readline()
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        assert match, f"kubectl port-forward said {line!r} {forward.stderr.read() if forward.poll() is not None else ''}"
        yield {"port": int(match.group(1)), "notes": installed.stdout}
    finally:
        forward.terminate()
        forward.wait(timeout=30)


def request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def cookies_of(response) -> dict[str, str]:
    jar = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def log_in(port, password):
    """Jupyter Server's login form: GET /login for the _xsrf cookie, POST the password with it."""
    response, _ = request(port, "GET", "/login")
    jar = cookies_of(response)
    form = urllib.parse.urlencode({"password": password, "_xsrf": jar["_xsrf"]})
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    response, _ = request(port, "POST", "/login?next=%2Ftree", form,
                          {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    jar.update(cookies_of(response))
    return response, jar


def test_the_notebook_pod_is_ready_after_install_wait(cluster, namespace, notebook):
    pods = cluster.pods(namespace, "app.kubernetes.io/component=notebook")
    assert len(pods) == 1
    assert any(c["type"] == "Ready" and c["status"] == "True" for c in pods[0]["status"]["conditions"])


def test_the_notebook_runs_as_a_non_root_user_with_a_writable_home(cluster, namespace, notebook):
    pod = cluster.pods(namespace, "app.kubernetes.io/component=notebook")[0]["metadata"]["name"]

    def in_pod(container: str, script: str) -> str:
        return cluster.kubectl("-n", namespace, "exec", pod, "-c", container, "--", "sh", "-c", script).stdout.strip()

    # PID 1 is Jupyter Server (the TF_CONFIG shim execs it); every process of the container, per /proc
    assert "--ServerApp.root_dir=/tf" in in_pod("notebook", "tr '\\0' ' ' </proc/1/cmdline").split()
    assert in_pod("notebook", "awk '/^Uid:/{print $2}' /proc/1/status") == "1000"
    assert in_pod("notebook", "awk '/^Uid:/{print $2}' /proc/[0-9]*/status | sort -u") == "1000"
    assert in_pod("notebook", "id -u; id -g") == "1000\n1000"
    assert in_pod("tensorboard", "id -u") == "1000"
    # no capabilities, no new privileges, and the runtime's default seccomp filter (mode 2) on this 1.20 node
    assert in_pod("notebook", "grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/1/status") == (
        "CapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2")
    home = in_pod("notebook", 'echo "$HOME"; touch "$HOME/written" && ls "$HOME"/.local/share/jupyter/runtime/jpserver-*.json | wc -l')
    assert home.splitlines() == ["/tf", "1"], home


def test_a_wrong_password_gets_401(notebook):
    response, _ = log_in(notebook["port"], PASSWORD + "x")
    assert response.status == 401


def test_the_right_password_logs_in(notebook):
    response, jar = log_in(notebook["port"], PASSWORD)
    assert response.status == 302 and response.getheader("Location").endswith("/tree")
    api, _ = request(notebook["port"], "GET", "/api/status", headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    assert api.status == 200


def notes_snippet(notes: str) -> str:
    """The Python lines NOTES prints under "In a notebook, train on the cluster", dedented."""
    lines = notes.split("In a notebook, train on the cluster", 1)[1].splitlines()[1:]
    code = []
    for line in lines:
        if not line.startswith("  "):
            break
        code.append(line[2:])
    return "\n".join(code)


def execute(port, jar, code: str, timeout: float = 600) -> tuple[str, list[str]]:
    """Start a kernel through Jupyter's REST API, run ``code`` over its websocket, return
    (stdout, errors)."""
    import websocket

    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    headers = {"Cookie": cookie, "X-XSRFToken": jar["_xsrf"], "Content-Type": "application/json"}
    response, body = request(port, "POST", "/api/kernels", json.dumps({"name": "python3"}), headers)
    assert response.status == 201, body
    kernel = json.loads(body)["id"]
    socket = websocket.create_connection(f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels",
                                         header=[f"Cookie: {cookie}"], timeout=timeout)
    msg_id = uuid.uuid4().hex
    socket.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    out, errors, deadline = [], [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = json.loads(socket.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            errors.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            break
    socket.close()
    request(port, "DELETE", f"/api/kernels/{kernel}", headers=headers)
    return "".join(out), errors


def test_a_kernel_runs_the_notes_snippet_and_trains_on_the_ps_tasks(notebook):
    snippet = notes_snippet(notebook["notes"])
    assert "ParameterServerStrategy(resolver)" in snippet, notebook["notes"]
    _, jar = log_in(notebook["port"], PASSWORD)
    prologue = "\nimport os\nprint('KERNEL UID', os.getuid(), 'HOME', os.environ['HOME'])\nos.environ['ROUNDS'] = '5'\n"
    out, errors = execute(notebook["port"], jar, snippet + prologue + PS_TRAINING)
    assert errors == [], out
    assert re.search(r"^KERNEL UID 1000 HOME /tf$", out, re.M), out
    losses = [float(x) for x in re.findall(r"^ROUND \d+ loss (\S+)$", out, re.M)]
    assert len(losses) == 6 and losses[-1] < losses[0] / 5, out
    devices = json.loads(re.search(r"^RESULT (.*)$", out, re.M).group(1))["devices"]
    assert {re.search(r"/job:ps/replica:0/task:(\d)", d).group(1) for d in devices} == {"0", "1"}, out
