"""Choosing a chart version from an index, and refusing downloads that do not match it."""

from __future__ import annotations

import httpx2 as httpx
import pytest
from chart_server import HELLO_CHART

from tfhelm.chart.archive import build_chart_archive
from tfhelm.chart.loader import load_chart
from tfhelm.errors import ArchiveError, RepoError
from tfhelm.repo.config import Repository
from tfhelm.repo.index import ChartEntry, RepoIndex, sha256_hex
from tfhelm.repo.resolve import download_entry, select_version, split_reference

VERSIONS = ["0.9.0", "1.0.0", "1.2.0", "1.2.3", "1.3.0-rc.1", "1.10.0", "2.0.0", "2.1.0-beta.1", "3.0.0-alpha"]


def make_index(versions=VERSIONS) -> RepoIndex:
    index = RepoIndex()
    for version in versions:
        index.add(ChartEntry({"name": "app", "version": version}, [f"app-{version}.tgz"], "00"))
    index.sort()
    return index


@pytest.mark.parametrize(
    ("constraint", "devel", "expected"),
    [
        (None, False, "2.0.0"),
        (None, True, "3.0.0-alpha"),
        ("1.2.3", False, "1.2.3"),
        ("^1.2", False, "1.10.0"),
        ("~1.2.0", False, "1.2.3"),
        (">=1.2 <2.0", False, "1.10.0"),
        ("1.2.x", False, "1.2.3"),
        ("*", False, "2.0.0"),
        ("<1.0.0 || ~1.2", False, "1.2.3"),
        (">=1.3.0-0 <1.4", False, "1.3.0-rc.1"),  # a prerelease in the constraint admits prereleases
        ("^2.0.0-0", False, "2.1.0-beta.1"),
        ("~2", True, "2.1.0-beta.1"),
        ("3.0.0-alpha", False, "3.0.0-alpha"),  # an exact version always matches itself
    ],
)
def test_highest_match_wins(constraint, devel, expected):
    assert select_version(make_index(), "app", constraint, devel=devel).version == expected


def test_no_match_lists_the_versions_that_exist():
    with pytest.raises(RepoError) as raised:
        select_version(make_index(), "app", "^5", repo_name="team")
    assert str(raised.value) == (
        "no version of team/app matches '^5' (prereleases count only with --devel or a prerelease in the constraint); "
        "versions that exist: 3.0.0-alpha, 2.1.0-beta.1, 2.0.0, 1.10.0, 1.3.0-rc.1, 1.2.3, 1.2.0, 1.0.0, 0.9.0"
    )


def test_only_prereleases_and_no_devel():
    with pytest.raises(RepoError, match=r"no version of repository/app is a release .*versions that exist: 1.0.0-rc.1"):
        select_version(make_index(["1.0.0-rc.1"]), "app")


def test_a_long_version_list_is_shortened():
    with pytest.raises(RepoError, match=r"versions that exist: 0.0.29, .* 0.0.10 and 10 older$"):
        select_version(make_index([f"0.0.{n}" for n in range(30)]), "app", ">1")


def test_unknown_chart_suggests_close_names():
    with pytest.raises(RepoError, match="chart 'ap' not found in repository 'team'; did you mean app?"):
        select_version(make_index(), "ap", repo_name="team")
    with pytest.raises(RepoError, match=r"chart 'zzz' not found in repository 'team' \(it has 1 chart"):
        select_version(make_index(), "zzz", repo_name="team")


def test_a_bad_constraint_is_reported():
    with pytest.raises(RepoError, match="--version: invalid version constraint '>=>1'"):
        select_version(make_index(), "app", ">=>1")


@pytest.mark.parametrize(("text", "parts"), [("team/app", ("team", "app")), ("app", None), ("a/b/c", None), ("./x", None), ("/x", None)])
def test_split_reference(text, parts):
    assert split_reference(text) == parts


# --------------------------------------------------------------------------- downloads

REPO = Repository("team", "https://charts.example/team")


def hello_archive(version: str = "0.1.0") -> bytes:
    chart = load_chart(HELLO_CHART)
    return build_chart_archive("hello", {**chart.raw_files, "Chart.yaml": f"apiVersion: v2\nname: hello\nversion: {version}\n".encode()})


def serving(data: bytes, seen: list | None = None) -> httpx.MockTransport:
    def handler(request):
        if seen is not None:
            seen.append(str(request.url))
        return httpx.Response(200, content=data)

    return httpx.MockTransport(handler)


def test_a_matching_download_is_accepted():
    data, seen = hello_archive(), []
    entry = ChartEntry({"name": "hello", "version": "0.1.0"}, ["hello-0.1.0.tgz"], sha256_hex(data))
    url, body, files = download_entry(REPO, entry, transport=serving(data, seen))
    assert url == seen[0] == "https://charts.example/team/hello-0.1.0.tgz"
    assert body == data and "templates/configmap.yaml" in files


def test_a_digest_mismatch_is_refused():
    entry = ChartEntry({"name": "hello", "version": "0.1.0"}, ["hello-0.1.0.tgz"], "sha256:" + "ab" * 32)
    with pytest.raises(ArchiveError) as raised:
        download_entry(REPO, entry, transport=serving(hello_archive()))
    message = str(raised.value)
    assert message.startswith("digest mismatch for https://charts.example/team/hello-0.1.0.tgz: the index of repository 'team' says sha256:abab")
    assert "refusing it" in message


def test_a_missing_digest_is_refused():
    entry = ChartEntry({"name": "hello", "version": "0.1.0"}, ["hello-0.1.0.tgz"], None)
    with pytest.raises(ArchiveError, match="gives no digest for hello 0.1.0; refusing an unverifiable download"):
        download_entry(REPO, entry, transport=serving(hello_archive()))


def test_an_archive_that_is_not_the_version_the_index_promised_is_refused():
    data = hello_archive("9.9.9")  # the digest matches, but the chart inside is another version
    entry = ChartEntry({"name": "hello", "version": "0.1.0"}, ["hello-0.1.0.tgz"], sha256_hex(data))
    with pytest.raises(ArchiveError, match="says version '9.9.9', but the archive is version '0.1.0'"):
        download_entry(REPO, entry, transport=serving(data))


def test_credentials_are_not_sent_to_another_host():
    repo = Repository("team", "https://charts.example/team", username="ci", password="s3cret")
    data, headers = hello_archive(), []

    def handler(request):
        headers.append(request.headers.get("authorization"))
        return httpx.Response(200, content=data)

    entry = ChartEntry({"name": "hello", "version": "0.1.0"}, ["https://cdn.example/hello-0.1.0.tgz"], sha256_hex(data))
    download_entry(repo, entry, transport=httpx.MockTransport(handler))
    entry.urls = ["hello-0.1.0.tgz"]
    download_entry(repo, entry, transport=httpx.MockTransport(handler))
    assert headers[0] is None and headers[1].startswith("Basic ")


@pytest.mark.parametrize("repo_url", ["https://charts.example/team", "http://127.0.0.1:8879/charts"])
@pytest.mark.parametrize("chart_url", ["file://{path}", "FILE://{path}", "file://localhost{path}"])
def test_an_http_index_cannot_point_a_chart_at_a_local_file(tmp_path, repo_url, chart_url):
    data, seen = hello_archive(), []
    local = tmp_path / "hello-0.1.0.tgz"
    local.write_bytes(data)  # even a file whose digest matches is refused: the index must not read local files
    entry = ChartEntry({"name": "hello", "version": "0.1.0"}, [chart_url.format(path=local)], sha256_hex(data))
    with pytest.raises(RepoError) as raised:
        download_entry(Repository("team", repo_url), entry, transport=serving(data, seen))
    assert "points hello 0.1.0 at the local file" in str(raised.value)
    assert "only a file:// repository may use file:// chart URLs" in str(raised.value)
    assert seen == []


def test_a_file_repository_may_point_a_chart_at_a_local_file(tmp_path):
    data = hello_archive()
    (tmp_path / "hello-0.1.0.tgz").write_bytes(data)
    repo = Repository("local", tmp_path.as_uri())
    for reference in ["hello-0.1.0.tgz", (tmp_path / "hello-0.1.0.tgz").as_uri()]:
        entry = ChartEntry({"name": "hello", "version": "0.1.0"}, [reference], sha256_hex(data))
        url, body, _files = download_entry(repo, entry)
        assert url.startswith("file://") and body == data
