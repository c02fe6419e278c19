"""The downloader: retries, limits, file:// URLs, credentials kept to their origin and out of
messages, and real TLS verification against a self-signed server on 127.0.0.1 (shared with the
OCI registry client, which must trust and explain certificates the same way)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap

import httpx2 as httpx
import pytest

from tfhelm.errors import RepoError
from tfhelm.chartsource import ChartSource
from tfhelm.repo.http import Downloader, TransportOptions, describe_http_error, redact, resolve_url, tls_verify
from tfhelm.repo.oci_client import RegistryClient

FAST = {"backoff": 0.0}


def serve(*responses, seen: list | None = None) -> httpx.MockTransport:
    """A transport answering with ``responses`` in turn (an int status, bytes, or an exception)."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, int):
            return httpx.Response(answer)
        return httpx.Response(200, content=answer)

    return httpx.MockTransport(handler)


def test_a_transient_failure_is_retried(tmp_path):
    seen = []
    transport = serve(503, httpx.ConnectError("refused"), b"index", seen=seen)
    with Downloader(TransportOptions(**FAST), transport=transport) as downloader:
        assert downloader.get("https://charts.example/index.yaml", max_bytes=100) == b"index"
    assert len(seen) == 3


def test_retries_are_bounded():
    seen = []
    transport = serve(503, 502, 500, b"never", seen=seen)
    with pytest.raises(RepoError, match=r"cannot download https://charts.example/x: HTTP 500"), Downloader(TransportOptions(**FAST), transport=transport) as downloader:
        downloader.get("https://charts.example/x", max_bytes=100)
    assert len(seen) == 3


def test_client_errors_are_not_retried():
    seen = []
    with pytest.raises(RepoError, match="index of repo 'x' .*: HTTP 404 Not Found"), Downloader(TransportOptions(**FAST), transport=serve(404, seen=seen)) as downloader:
        downloader.get("https://charts.example/index.yaml", max_bytes=100, what="index of repo 'x'")
    assert len(seen) == 1


def test_timeouts_are_reported_after_retries():
    transport = serve(*[httpx.ReadTimeout("slow")] * 3)
    with pytest.raises(RepoError, match="timed out"), Downloader(TransportOptions(**FAST), transport=transport) as downloader:
        downloader.get("https://charts.example/x", max_bytes=100)


def test_the_size_limit_is_counted_while_streaming():
    with pytest.raises(RepoError, match="larger than 10 bytes"), Downloader(TransportOptions(**FAST), transport=serve(b"x" * 11)) as downloader:
        downloader.get("https://charts.example/x", max_bytes=10)


def test_basic_auth_goes_only_to_the_repository_origin():
    seen = []
    options = TransportOptions(ChartSource(username="ci", password="s3cret"), **FAST)
    with Downloader(options, transport=serve(b"a", b"b", seen=seen)) as downloader:
        downloader.get("https://charts.example/index.yaml", max_bytes=10)
        downloader.get("https://cdn.example/x.tgz", max_bytes=10, send_credentials=False)
    assert seen[0].headers["authorization"].startswith("Basic ")
    assert "authorization" not in seen[1].headers


def test_credentials_never_reach_error_messages():
    options = TransportOptions(ChartSource(username="ci", password="s3cret"), **FAST)
    transport = serve(httpx.ConnectError("failed for https://ci:s3cret@charts.example (s3cret)"), 401)
    with Downloader(TransportOptions(ChartSource(username="ci", password="s3cret"), **{**FAST, "attempts": 1}), transport=transport) as downloader:
        with pytest.raises(RepoError) as raised:
            downloader.get("https://ci:s3cret@charts.example/index.yaml", max_bytes=10)
    assert "s3cret" not in str(raised.value) and "***" in str(raised.value)
    with Downloader(options, transport=serve(401)) as downloader, pytest.raises(RepoError) as raised:
        downloader.get("https://ci:s3cret@charts.example/index.yaml", max_bytes=10)
    assert "s3cret" not in str(raised.value) and "HTTP 401" in str(raised.value) and "--username" in str(raised.value)


def test_redact_removes_userinfo_and_secrets():
    assert redact("GET https://u:p@h/x and http://tok@h2/y failed: p4ss", ("p4ss",)) == "GET https://***@h/x and http://***@h2/y failed: ***"


def test_relative_chart_urls_resolve_against_the_repository():
    assert resolve_url("https://h.example/charts", "hello-0.1.0.tgz") == "https://h.example/charts/hello-0.1.0.tgz"
    assert resolve_url("https://h.example/charts/", "sub/a.tgz") == "https://h.example/charts/sub/a.tgz"
    assert resolve_url("https://h.example/charts", "https://cdn.example/a.tgz") == "https://cdn.example/a.tgz"


def test_file_urls(tmp_path):
    (tmp_path / "index.yaml").write_bytes(b"apiVersion: v1\n")
    with Downloader() as downloader:
        assert downloader.get((tmp_path / "index.yaml").as_uri(), max_bytes=100) == b"apiVersion: v1\n"
        with pytest.raises(RepoError, match="cannot read .*missing.yaml: No such file"):
            downloader.get((tmp_path / "missing.yaml").as_uri(), max_bytes=100)
        with pytest.raises(RepoError, match="only http://, https:// and file://"):
            downloader.get("ftp://h.example/x", max_bytes=100)


def test_a_missing_ca_file_is_a_clear_error(tmp_path):
    with Downloader(TransportOptions(ChartSource(ca_file=str(tmp_path / "nope.pem")))) as downloader, pytest.raises(RepoError, match="cannot load CA file"):
        downloader.get("https://127.0.0.1:1/x", max_bytes=10)


# --------------------------------------------------------------------------- real TLS

_HTTPS_SERVER = textwrap.dedent("""
    import http.server, ssl, sys
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()
""")


@pytest.fixture
def https_server(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.yaml").write_text("apiVersion: v1\nentries: {}\n")
    process = subprocess.Popen([sys.executable, "-c", _HTTPS_SERVER, str(cert), str(key)], cwd=site, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = process.stdout.readline().strip()
    yield f"https://127.0.0.1:{port}/index.yaml", str(cert)
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def test_tls_certificates_are_verified(https_server):
    url, cert = https_server
    with Downloader(TransportOptions(attempts=1)) as downloader, pytest.raises(RepoError) as raised:
        downloader.get(url, max_bytes=1000)
    assert re.search(r"TLS certificate not trusted .*--ca-file.*--insecure-skip-tls-verify", str(raised.value))
    with Downloader(TransportOptions(ChartSource(ca_file=cert))) as downloader:
        assert downloader.get(url, max_bytes=1000).startswith(b"apiVersion: v1")
    with Downloader(TransportOptions(ChartSource(insecure_skip_tls_verify=True))) as downloader:
        assert downloader.get(url, max_bytes=1000).startswith(b"apiVersion: v1")



def test_the_registry_client_verifies_tls_like_the_downloader(https_server):
    url, cert = https_server
    host = url.removeprefix("https://").split("/")[0]
    with RegistryClient(host, timeout=5) as client, pytest.raises(RepoError) as raised:
        client.check_access()
    assert re.search(r"TLS certificate not trusted .*--ca-file.*--insecure-skip-tls-verify", str(raised.value))
    for trusted in ({"ca_file": cert}, {"insecure_skip_tls_verify": True}):
        with RegistryClient(host, timeout=5, **trusted) as client, pytest.raises(RepoError, match="HTTP 404"):
            client.check_access()  # past TLS: the static server has no /v2/


# --------------------------------------------------------------------------- shared TLS settings and messages


def test_tls_verify_is_an_explicit_choice(tmp_path):
    assert tls_verify() is True
    assert tls_verify(ca_file="/ignored.pem", insecure_skip_tls_verify=True) is False
    missing = str(tmp_path / "nope.pem")
    with pytest.raises(RepoError, match=f"cannot load CA file {re.escape(missing)}: No such file"):
        tls_verify(ca_file=missing)


def test_a_missing_ca_file_is_the_same_error_for_registries(tmp_path):
    with pytest.raises(RepoError, match="cannot load CA file .*nope.pem"):
        RegistryClient("127.0.0.1:1", ca_file=str(tmp_path / "nope.pem"))


@pytest.mark.parametrize(
    ("error", "hint", "expected"),
    [
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] self-signed"), None, "TLS certificate not trusted ([SSL: CERTIFICATE_VERIFY_FAILED] self-signed); pass --ca-file, or --insecure-skip-tls-verify to skip the check"),
        (httpx.ReadTimeout("read timed out"), None, "timed out (read timed out)"),
        (httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version"), None, "[SSL: WRONG_VERSION_NUMBER] wrong version (a plain-HTTP server? then use an http:// URL)"),
        (httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version"), "try --plain-http", "[SSL: WRONG_VERSION_NUMBER] wrong version (try --plain-http)"),
        (httpx.ConnectError(""), None, "ConnectError"),
    ],
)
def test_describe_http_error(error, hint, expected):
    assert describe_http_error(error, **({"plain_http_hint": hint} if hint else {})) == expected
