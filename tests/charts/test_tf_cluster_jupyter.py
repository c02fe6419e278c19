"""tf-cluster's notebook against a real Jupyter server: the rendered argon2 hash lets the password in.

The notebook container is started as a local process with its rendered command, args and
environment, with JUPYTER_HASHED_PASSWORD taken from the rendered Secret and ``$(VAR)``
references expanded, both as the kubelet does. Laptop-only changes: the server listens on a free
127.0.0.1 port with a temporary root directory (the values of those three flags are replaced),
and the mounted cluster-spec directory is a temporary directory.
"""

from __future__ import annotations

import base64
import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from support.peers import peers_python_or_skip

from tfcluster import PASSWORD, argv, container, free_port, objects, render_chart

# The peers run from their own virtual environment (.venv-peers, see scripts/bootstrap); its
# bin directory plays the image's PATH. Outside CI the test skips when it is missing; in CI it fails.
PEERS_BIN = peers_python_or_skip("jupyter_server").parent

pytestmark = pytest.mark.timeout(120)


def kubelet_expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion of command and args: ``$$`` escapes, unknown names stay."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), text)


def _localize(part: str, local: dict[str, str]) -> str:
    flag = part.split("=", 1)[0]
    return f"{flag}={local[flag]}" if flag in local else part


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A tiny HTTP client with cookies that reports redirects instead of following them."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")
        except urllib.error.URLError as error:  # not listening (yet)
            return 0, {}, str(error.reason)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def log_in(self, password: str) -> tuple[int, dict[str, str]]:
        status, _, _ = self.request("/login")
        assert status == 200
        xsrf = self.cookie("_xsrf")
        assert xsrf, "the login page sets an _xsrf cookie"
        status, headers, _ = self.request("/login", {"password": password, "_xsrf": xsrf})
        return status, headers


@pytest.fixture(scope="module")
def rendered():
    return render_chart({"jupyter": {"password": PASSWORD, "asChief": True}})


@pytest.fixture(scope="module")
def server(rendered, tmp_path_factory):
    root = tmp_path_factory.mktemp("jupyter")
    found = objects(rendered)
    deployment = found[("Deployment", "tf-jupyter")]
    secret = found[("Secret", "tf-jupyter")]
    notebook = container(deployment, "notebook")
    spec_dir = root / "etc-tfhelm"
    spec_dir.mkdir()
    (spec_dir / "cluster-spec.json").write_text(found[("ConfigMap", "tf-cluster-spec")]["data"]["cluster-spec.json"])
    home_dir = root / "home"
    home_dir.mkdir()
    # the pod's mounts, played by local directories: the cluster spec and the notebook's home
    local_dirs = {"cluster-spec": spec_dir, "home": home_dir}
    mounts = {m["mountPath"]: local_dirs[m["name"]] for m in notebook["volumeMounts"] if m["name"] in local_dirs}
    assert len(mounts) == 2, notebook["volumeMounts"]

    env = {
        "PATH": f"{PEERS_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(root),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
    }
    for item in notebook["env"]:
        if "value" in item:
            value = item["value"]
            env[item["name"]] = next(
                (str(local) + value[len(mount):] for mount, local in mounts.items() if value == mount or value.startswith(mount + "/")),
                value,
            )
        else:  # the kubelet resolves secretKeyRef from the Secret the chart rendered
            ref = item["valueFrom"]["secretKeyRef"]
            assert ref["name"] == secret["metadata"]["name"]
            env[item["name"]] = base64.b64decode(secret["data"][ref["key"]]).decode()
    port = free_port()
    root_dir = root / "notebooks"
    root_dir.mkdir()
    local = {"--ServerApp.ip": "127.0.0.1", "--ServerApp.port": str(port), "--ServerApp.root_dir": str(root_dir)}
    command = [_localize(kubelet_expand(part, env), local) for part in argv(notebook)]
    assert sum(part.split("=")[0] in local for part in command) == len(local), command
    log = open(root / "server.log", "w+")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            status, _, _ = Browser(base).request("/api")
            if status == 200:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"jupyter server did not come up (exit {process.poll()}):\n{log.read()[-3000:]}")
            time.sleep(0.5)
        yield {"base": base, "hash": env["JUPYTER_HASHED_PASSWORD"], "command": command}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


def test_the_secret_holds_an_argon2_hash_not_the_password(server):
    assert re.fullmatch(r"argon2:\$argon2id\$v=19\$m=10240,t=10,p=8\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}", server["hash"])
    assert PASSWORD not in server["hash"]


def test_jupyters_own_check_accepts_the_hash(server):
    probe = "import sys; from jupyter_server.auth import passwd_check; print(passwd_check(sys.argv[1], sys.argv[2]))"
    check = [str(PEERS_BIN / "python"), "-c", probe, server["hash"]]
    assert subprocess.run([*check, PASSWORD], capture_output=True, text=True, check=True).stdout.strip() == "True"
    assert subprocess.run([*check, PASSWORD + "x"], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_the_probe_path_answers_without_logging_in(server):
    status, _, _ = Browser(server["base"]).request("/api")
    assert status == 200


def test_the_password_logs_in(server):
    browser = Browser(server["base"])
    status, headers = browser.log_in(PASSWORD)
    assert status == 302, "a good password redirects away from the login page"
    assert any(c.name.startswith("username-") for c in browser.cookies), "and sets the login cookie"
    status, _, body = browser.request("/api/status")
    assert status == 200 and '"started"' in body


def test_a_wrong_password_is_refused(server):
    browser = Browser(server["base"])
    status, _ = browser.log_in(PASSWORD + "-wrong")
    assert status == 401
    status, _, _ = browser.request("/api/status")
    assert status == 403


def test_no_token_gets_in_either(server):
    status, _, _ = Browser(server["base"]).request("/api/status?token=")
    assert status == 403
