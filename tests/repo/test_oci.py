"""OCI references, tags and the registry client against an in-process fake registry.

The fake (an ``httpx.MockTransport``) implements just enough of the distribution API, with a
bearer-token or basic auth challenge, to check the auth flow and every digest check without a
server. It can also send blobs, uploads and tag pages to another origin (``storage.test``, or
plain http), which must never see the registry's credentials. The real registry is exercised in ``test_oci_registry.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import httpx2 as httpx
import pytest

from tfhelm.chart.archive import build_chart_archive
from tfhelm.errors import ArchiveError, RepoError
from tfhelm.repo.oci import (
    CHART_LAYER_MEDIA_TYPE,
    CONFIG_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    fetch_chart,
    list_chart_versions,
    parse_reference,
    pull_chart,
    push_chart,
    tag_to_version,
    version_to_tag,
)
from tfhelm.repo.oci_client import MAX_MANIFEST_BYTES, MAX_TOKEN_BYTES
from tfhelm.repo.registry_auth import RegistryLogin, save_login
from tfhelm.chartsource import ChartSource


@pytest.fixture(autouse=True)
def registry_config(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "registry-config.json"
    monkeypatch.setenv("TFHELM_REGISTRY_CONFIG", str(path))
    return path


def chart_archive(name: str = "small", version: str = "0.3.0") -> bytes:
    chart_yaml = f"apiVersion: v2\nname: {name}\nversion: {version}\ndescription: test chart\n"
    return build_chart_archive(name, {"Chart.yaml": chart_yaml.encode(), "values.yaml": b"a: 1\n"})


def write_archive(tmp_path: Path, name: str = "small", version: str = "0.3.0") -> Path:
    path = tmp_path / f"{name}-{version}.tgz"
    path.write_bytes(chart_archive(name, version))
    return path


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class FakeRegistry:
    """A dict-backed registry speaking the distribution API through httpx.MockTransport."""

    def __init__(
        self,
        *,
        auth: str | None = None,
        users: dict[str, str] | None = None,
        scheme: str = "https",
        realm: str = "https://auth.test/token",
    ) -> None:
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[tuple[str, str], bytes] = {}
        self.auth = auth
        self.users = users or {}
        self.scheme = scheme
        self.realm = realm
        self.token_requests: list[httpx.Request] = []
        self.requests: list[httpx.Request] = []
        self.foreign_requests: list[httpx.Request] = []
        self.lie_about_manifest_digest = False
        self.blob_redirect: str | None = None  # e.g. "https://storage.test": blob GETs answer 307 there
        self.upload_location: str | None = None  # an absolute upload Location, e.g. on storage.test
        self.tags_link: str | None = None  # an absolute "next" Link for the tags list
        self.foreign_challenge = False  # the foreign origin answers 401 with a Basic challenge
        self.foreign_tags: list[str] = []
        self.endless_manifests = False  # manifests and tokens answer with a body of up to 64 MiB,
        self.endless_tokens = False  # streamed, so the client must stop reading at its own limit
        self.streamed_bytes = 0

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "auth.test":
            return self.issue_token(request)
        if (request.url.scheme, request.url.host, request.url.port) != (self.scheme, "fake.test", None):
            return self.handle_foreign(request)
        if not self.authorized(request):
            return self.challenge(request)
        path = request.url.path
        if path == "/v2/":
            return httpx.Response(200, json={})
        if match := re.fullmatch(r"/v2/(.+)/tags/list", path):
            tags = sorted(tag for repo, tag in self.manifests if repo == match[1] and not tag.startswith("sha256:"))
            link = {"Link": f'<{self.tags_link}>; rel="next"'} if self.tags_link else {}
            return httpx.Response(200, json={"name": match[1], "tags": tags}, headers=link) if tags else httpx.Response(404)
        if match := re.fullmatch(r"/v2/(.+)/blobs/uploads/", path):
            location = self.upload_location or f"/v2/{match[1]}/blobs/uploads/u-1?state=x"
            return httpx.Response(202, headers={"Location": location})
        if re.fullmatch(r"/v2/(.+)/blobs/uploads/u-1", path) and request.url.params.get("state") == "x":
            self.blobs[request.url.params["digest"]] = request.content
            return httpx.Response(201)
        if match := re.fullmatch(r"/v2/(.+)/blobs/(sha256:[0-9a-f]+)", path):
            if match[2] not in self.blobs:
                return httpx.Response(404)
            if self.blob_redirect and request.method == "GET":
                return httpx.Response(307, headers={"Location": f"{self.blob_redirect}/blobs/{match[2]}"})
            return httpx.Response(200, content=b"" if request.method == "HEAD" else self.blobs[match[2]])
        if match := re.fullmatch(r"/v2/(.+)/manifests/(.+)", path):
            return self.manifest(request, match[1], match[2])
        return httpx.Response(404)

    def handle_foreign(self, request: httpx.Request) -> httpx.Response:
        """Storage on another origin: serves redirected blobs, takes uploads, lists more tags."""
        self.foreign_requests.append(request)
        if self.foreign_challenge:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="storage"'})
        path = request.url.path
        if match := re.search(r"/blobs/(sha256:[0-9a-f]+)$", path):
            return httpx.Response(200, content=self.blobs[match[1]]) if match[1] in self.blobs else httpx.Response(404)
        if request.method == "PUT" and "/upload" in path:
            self.blobs[request.url.params["digest"]] = request.content
            return httpx.Response(201)
        if path.endswith("/tags"):
            return httpx.Response(200, json={"tags": self.foreign_tags})
        return httpx.Response(404)

    def manifest(self, request: httpx.Request, repo: str, reference: str) -> httpx.Response:
        if request.method == "PUT":
            self.manifests[(repo, reference)] = request.content
            self.manifests[(repo, digest_of(request.content))] = request.content
            return httpx.Response(201, headers={"Docker-Content-Digest": digest_of(request.content)})
        body = self.manifests.get((repo, reference))
        if body is None:
            return httpx.Response(404)
        if self.endless_manifests:
            return httpx.Response(200, content=self.endless())
        announced = digest_of(b"something else") if self.lie_about_manifest_digest else digest_of(body)
        return httpx.Response(200, content=body, headers={"Docker-Content-Digest": announced})

    def endless(self, chunk: bytes = b" " * 65536):
        for _ in range(1024):  # 64 MiB at most, so a client that does not stop still ends
            self.streamed_bytes += len(chunk)
            yield chunk

    def authorized(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if self.auth is None:
            return True
        if self.auth == "basic":
            return header in {basic(user, password) for user, password in self.users.items()}
        return header == "Bearer token-for-" + self.scope_for(request)

    def scope_for(self, request: httpx.Request) -> str:
        match = re.match(r"/v2/(.+?)/(?:tags|manifests|blobs)/", request.url.path)
        if not match:
            return ""
        return f"repository:{match[1]}:{'pull' if request.method in ('GET', 'HEAD') else 'pull,push'}"

    def challenge(self, request: httpx.Request) -> httpx.Response:
        if self.auth == "basic":
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="fake"'})
        scope = self.scope_for(request)
        params = f'realm="{self.realm}",service="fake.test"' + (f',scope="{scope}"' if scope else "")
        return httpx.Response(401, headers={"WWW-Authenticate": f"Bearer {params}"})

    def issue_token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests.append(request)
        if self.endless_tokens:
            return httpx.Response(200, content=self.endless(), headers={"Content-Type": "application/json"})
        if self.users and request.headers.get("Authorization") not in {basic(u, p) for u, p in self.users.items()}:
            return httpx.Response(401)
        scope = request.url.params.get("scope", "")
        return httpx.Response(200, json={"token": "token-for-" + scope})


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --------------------------------------------------------------------------- references and tags


@pytest.mark.parametrize(
    ("text", "host", "repository", "tag", "digest"),
    [
        ("oci://127.0.0.1:5000/charts/small", "127.0.0.1:5000", "charts/small", None, None),
        ("oci://Registry.Example.com/a/b/small:1.2.3", "registry.example.com", "a/b/small", "1.2.3", None),
        ("oci://r.example/small:1.2.3+build.5", "r.example", "small", "1.2.3_build.5", None),
        ("oci://r.example/small@sha256:" + "a" * 64, "r.example", "small", None, "sha256:" + "a" * 64),
    ],
)
def test_parse_reference(text, host, repository, tag, digest):
    reference = parse_reference(text)
    assert (reference.host, reference.repository, reference.tag, reference.digest) == (host, repository, tag, digest)
    assert reference.chart_name == repository.rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("https://r.example/small", "must start with oci://"),
        ("oci://r.example", "expected oci://HOST"),
        ("oci://r.example/Small", "not a valid repository name"),
        ("oci://r.example/small:bad tag", "not a valid tag"),
        ("oci://r.example/small@sha256:abc", "not sha256:<64 hex digits>"),
    ],
)
def test_parse_reference_rejects_malformed(text, problem):
    with pytest.raises(RepoError, match=re.escape(problem)):
        parse_reference(text)


def test_plus_in_versions_becomes_underscore_in_tags_and_back():
    assert version_to_tag("1.2.3+build.5") == "1.2.3_build.5"
    assert tag_to_version("1.2.3_build.5") == "1.2.3+build.5"


# --------------------------------------------------------------------------- push / pull


def test_push_writes_helm_media_types_and_chart_yaml_as_json_config(tmp_path):
    fake = FakeRegistry()
    reference, digest = push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    assert reference == "fake.test/charts/small:0.3.0"
    manifest = json.loads(fake.manifests[("charts/small", "0.3.0")])
    assert digest == digest_of(fake.manifests[("charts/small", "0.3.0")])
    assert manifest["mediaType"] == MANIFEST_MEDIA_TYPE
    assert manifest["config"]["mediaType"] == CONFIG_MEDIA_TYPE
    assert [layer["mediaType"] for layer in manifest["layers"]] == [CHART_LAYER_MEDIA_TYPE]
    config = json.loads(fake.blobs[manifest["config"]["digest"]])
    assert config == {"name": "small", "version": "0.3.0", "description": "test chart", "apiVersion": "v2"}
    assert manifest["annotations"]["org.opencontainers.image.version"] == "0.3.0"


def test_pushing_the_same_package_twice_gives_the_same_digest(tmp_path):
    fake = FakeRegistry()
    archive = write_archive(tmp_path)
    first = push_chart(archive, "oci://fake.test/charts", transport=fake.transport)
    assert push_chart(archive, "oci://fake.test/charts", transport=fake.transport) == first


def test_push_refuses_a_destination_with_a_tag(tmp_path):
    with pytest.raises(RepoError, match="without a tag"):
        push_chart(write_archive(tmp_path), "oci://fake.test/charts:1.0.0", transport=FakeRegistry().transport)


def test_push_refuses_an_unsafe_archive_before_contacting_the_registry(tmp_path):
    fake = FakeRegistry()
    archive = tmp_path / "small-9.9.9.tgz"  # the file name claims a version Chart.yaml does not have
    archive.write_bytes(chart_archive("small", "0.3.0"))
    with pytest.raises(ArchiveError, match="version"):
        push_chart(archive, "oci://fake.test/charts", transport=fake.transport)
    assert fake.requests == []


def test_pull_round_trip_with_version_in_reference_or_flag(tmp_path):
    fake = FakeRegistry()
    archive = write_archive(tmp_path)
    push_chart(archive, "oci://fake.test/charts", transport=fake.transport)
    assert pull_chart("oci://fake.test/charts/small:0.3.0", transport=fake.transport) == archive.read_bytes()
    assert pull_chart("oci://fake.test/charts/small", ChartSource(version="0.3.0"), transport=fake.transport) == archive.read_bytes()


def test_pull_resolves_constraints_over_tags_and_lists_versions_when_none_match(tmp_path):
    fake = FakeRegistry()
    for version in ("0.9.0", "1.0.0", "1.4.2", "1.5.0-rc.1", "2.0.0+build.1"):
        push_chart(write_archive(tmp_path, version=version), "oci://fake.test/c", transport=fake.transport)
    assert fetch_chart("oci://fake.test/c/small", ChartSource(version="^1.0"), transport=fake.transport).version == "1.4.2"
    assert fetch_chart("oci://fake.test/c/small", ChartSource(version="^1.0", devel=True), transport=fake.transport).version == "1.5.0-rc.1"
    assert fetch_chart("oci://fake.test/c/small", transport=fake.transport).version == "2.0.0+build.1"
    assert list_chart_versions("oci://fake.test/c/small", transport=fake.transport) == [
        "2.0.0+build.1", "1.5.0-rc.1", "1.4.2", "1.0.0", "0.9.0"
    ]
    with pytest.raises(RepoError, match=r"no version of .* matches '>=3'.*2\.0\.0\+build\.1, 1\.5\.0-rc\.1, 1\.4\.2"):
        fetch_chart("oci://fake.test/c/small", ChartSource(version=">=3"), transport=fake.transport)


def test_pull_refuses_a_tampered_layer(tmp_path):
    fake = FakeRegistry()
    push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    layer = json.loads(fake.manifests[("charts/small", "0.3.0")])["layers"][0]["digest"]
    original = fake.blobs[layer]
    fake.blobs[layer] = original[:-1] + bytes([original[-1] ^ 1])
    with pytest.raises(RepoError, match="digest mismatch for blob"):
        pull_chart("oci://fake.test/charts/small:0.3.0", transport=fake.transport)


def test_pull_refuses_a_manifest_whose_digest_does_not_match(tmp_path):
    fake = FakeRegistry()
    push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    fake.lie_about_manifest_digest = True
    with pytest.raises(RepoError, match="digest mismatch for the manifest"):
        pull_chart("oci://fake.test/charts/small:0.3.0", transport=fake.transport)


def test_pull_by_digest_checks_the_bytes_against_it(tmp_path):
    fake = FakeRegistry()
    _, digest = push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    assert fetch_chart(f"oci://fake.test/charts/small@{digest}", transport=fake.transport).version == "0.3.0"
    fake.manifests[("charts/small", digest)] = b'{"schemaVersion": 2}'
    with pytest.raises(RepoError, match="digest mismatch for the manifest"):
        pull_chart(f"oci://fake.test/charts/small@{digest}", transport=fake.transport)


def test_pull_refuses_an_archive_holding_another_chart(tmp_path):
    fake = FakeRegistry()
    push_chart(write_archive(tmp_path, name="other"), "oci://fake.test/charts", transport=fake.transport)
    fake.manifests[("charts/small", "0.3.0")] = fake.manifests[("charts/other", "0.3.0")]
    with pytest.raises(ArchiveError, match="small"):
        pull_chart("oci://fake.test/charts/small:0.3.0", transport=fake.transport)


def test_pull_refuses_an_artifact_that_is_not_a_helm_chart(tmp_path):
    fake = FakeRegistry()
    config = b"{}"
    fake.blobs[digest_of(config)] = config
    manifest = {
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest_of(config), "size": 2},
        "layers": [],
    }
    fake.manifests[("charts/small", "1.0.0")] = json.dumps(manifest).encode()
    with pytest.raises(RepoError, match="is not a Helm chart"):
        pull_chart("oci://fake.test/charts/small:1.0.0", transport=fake.transport)


def test_pull_of_a_missing_chart_names_it():
    with pytest.raises(RepoError, match="fake.test/charts/nothing:1.0.0 not found"):
        pull_chart("oci://fake.test/charts/nothing:1.0.0", transport=FakeRegistry().transport)


# --------------------------------------------------------------------------- auth


def test_bearer_challenge_fetches_a_scoped_token_with_the_stored_credentials(tmp_path):
    fake = FakeRegistry(auth="bearer", users={"alice": "s3cret"})
    save_login("fake.test", RegistryLogin("alice", "s3cret"))
    push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    assert pull_chart("oci://fake.test/charts/small", ChartSource(version="0.3.0"), transport=fake.transport)
    scopes = {request.url.params["scope"] for request in fake.token_requests}
    assert scopes == {"repository:charts/small:pull", "repository:charts/small:pull,push"}
    assert all(request.url.params["service"] == "fake.test" for request in fake.token_requests)
    assert all(request.headers["Authorization"] == basic("alice", "s3cret") for request in fake.token_requests)


def test_anonymous_bearer_tokens_work_without_a_login(tmp_path):
    fake = FakeRegistry(auth="bearer")
    push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    assert all("Authorization" not in request.headers for request in fake.token_requests)


def test_rejected_credentials_name_the_registry_but_never_the_password(tmp_path):
    fake = FakeRegistry(auth="bearer", users={"alice": "s3cret"})
    save_login("fake.test", RegistryLogin("alice", "wrong-password"))
    with pytest.raises(RepoError) as caught:
        push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    assert "refused the credentials" in str(caught.value)
    assert "wrong-password" not in str(caught.value)


def test_basic_challenge_retries_with_the_stored_credentials(tmp_path):
    fake = FakeRegistry(auth="basic", users={"bob": "pw"})
    save_login("fake.test", RegistryLogin("bob", "pw"))
    push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    assert ("charts/small", "0.3.0") in fake.manifests


def test_basic_challenge_without_a_login_says_to_log_in(tmp_path):
    fake = FakeRegistry(auth="basic", users={"bob": "pw"})
    with pytest.raises(RepoError, match=r"run `tfhelm registry login fake.test`"):
        push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)


# --------------------------------------------------------------------------- credentials stay at the registry's origin

AUTH_SETUPS = [
    pytest.param("bearer", {"alice": "s3cret"}, id="bearer"),
    pytest.param("basic", {"alice": "s3cret"}, id="basic"),
]


def logged_in_registry(auth: str, users: dict[str, str]) -> FakeRegistry:
    fake = FakeRegistry(auth=auth, users=users)
    save_login("fake.test", RegistryLogin(*next(iter(users.items()))))
    return fake


def assert_no_credentials_left_the_registry(fake: FakeRegistry) -> None:
    assert fake.foreign_requests, "the test never reached the other origin"
    assert [request.url for request in fake.foreign_requests if "Authorization" in request.headers] == []
    # and the registry itself did get them, so the check above is not vacuous
    assert any("Authorization" in request.headers for request in fake.requests if request.url.host == "fake.test")


@pytest.mark.parametrize(("auth", "users"), AUTH_SETUPS)
@pytest.mark.parametrize("storage", ["https://storage.test", "http://fake.test", "https://fake.test:8443"])
def test_a_blob_redirected_to_another_origin_gets_no_credentials(tmp_path, auth, users, storage):
    fake = logged_in_registry(auth, users)
    archive = write_archive(tmp_path)
    push_chart(archive, "oci://fake.test/charts", transport=fake.transport)
    fake.blob_redirect = storage
    assert pull_chart("oci://fake.test/charts/small:0.3.0", transport=fake.transport) == archive.read_bytes()
    assert_no_credentials_left_the_registry(fake)


@pytest.mark.parametrize(("auth", "users"), AUTH_SETUPS)
@pytest.mark.parametrize("location", ["https://storage.test/upload/u-1?state=x", "http://fake.test/upload/u-1?state=x"])
def test_an_upload_location_on_another_origin_gets_no_credentials(tmp_path, auth, users, location):
    fake = logged_in_registry(auth, users)
    fake.upload_location = location
    push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    assert ("charts/small", "0.3.0") in fake.manifests
    assert all(request.method == "PUT" for request in fake.foreign_requests)
    assert_no_credentials_left_the_registry(fake)


@pytest.mark.parametrize(("auth", "users"), AUTH_SETUPS)
def test_a_tags_link_to_another_origin_gets_no_credentials(tmp_path, auth, users):
    fake = logged_in_registry(auth, users)
    push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    fake.tags_link = "https://storage.test/v2/charts/small/tags"
    fake.foreign_tags = ["0.1.0"]
    assert list_chart_versions("oci://fake.test/charts/small", transport=fake.transport) == ["0.3.0", "0.1.0"]
    assert_no_credentials_left_the_registry(fake)


@pytest.mark.parametrize(("auth", "users"), AUTH_SETUPS)
def test_a_challenge_from_another_origin_is_not_answered_with_the_registry_credentials(tmp_path, auth, users):
    fake = logged_in_registry(auth, users)
    push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    fake.blob_redirect = "https://storage.test"
    fake.foreign_challenge = True
    with pytest.raises(RepoError, match=r"sent us to https://storage.test .*refused \(401\); the registry.s credentials are never sent"):
        pull_chart("oci://fake.test/charts/small:0.3.0", transport=fake.transport)
    assert len(fake.foreign_requests) == 1  # asked once, never retried with credentials
    assert_no_credentials_left_the_registry(fake)


def test_a_plain_http_token_realm_of_an_https_registry_is_refused(tmp_path):
    fake = FakeRegistry(auth="bearer", users={"alice": "s3cret"}, realm="http://auth.test/token")
    save_login("fake.test", RegistryLogin("alice", "s3cret"))
    with pytest.raises(RepoError, match=r"plain-http service http://auth.test/token.*--plain-http or --insecure"):
        push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    assert fake.token_requests == []


@pytest.mark.parametrize(
    ("scheme", "flags"),
    [("http", {"plain_http": True}), ("https", {"insecure_skip_tls_verify": True})],
)
def test_a_plain_http_token_realm_is_allowed_with_plain_http_or_insecure(tmp_path, scheme, flags):
    fake = FakeRegistry(auth="bearer", users={"alice": "s3cret"}, scheme=scheme, realm="http://auth.test/token")
    save_login("fake.test", RegistryLogin("alice", "s3cret"))
    push_chart(write_archive(tmp_path), "oci://fake.test/charts", ChartSource(**flags), transport=fake.transport)
    assert ("charts/small", "0.3.0") in fake.manifests
    assert all(request.headers["Authorization"] == basic("alice", "s3cret") for request in fake.token_requests)


def test_a_token_realm_that_is_not_http_is_refused(tmp_path):
    fake = FakeRegistry(auth="bearer", realm="file:///etc/passwd")
    with pytest.raises(RepoError, match="not an http"):
        push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)


# --------------------------------------------------------------------------- bounded bodies


def test_an_oversized_manifest_is_refused_while_it_is_read(tmp_path):
    fake = FakeRegistry()
    push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    fake.endless_manifests = True
    with pytest.raises(RepoError, match=rf"fake.test sent more than {MAX_MANIFEST_BYTES:,} bytes for the manifest of charts/small:0.3.0; refusing it"):
        pull_chart("oci://fake.test/charts/small:0.3.0", transport=fake.transport)
    assert fake.streamed_bytes <= MAX_MANIFEST_BYTES + 65536  # stopped one chunk past the limit


def test_an_oversized_token_answer_is_refused_while_it_is_read(tmp_path):
    fake = FakeRegistry(auth="bearer")
    fake.endless_tokens = True
    with pytest.raises(RepoError, match=rf"auth.test sent more than {MAX_TOKEN_BYTES:,} bytes for a token; refusing it"):
        push_chart(write_archive(tmp_path), "oci://fake.test/charts", transport=fake.transport)
    assert len(fake.token_requests) == 1
    assert fake.streamed_bytes <= MAX_TOKEN_BYTES + 65536
