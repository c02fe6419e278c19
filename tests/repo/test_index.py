"""index.yaml: built from a directory of packages, Helm's layout, merging, reading Helm's files."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from chart_server import HELLO_CHART, build_repository

from tfhelm.actions.repo import IndexOptions, repo_index
from tfhelm.chart.archive import write_chart_archive
from tfhelm.chart.loader import load_chart
from tfhelm.errors import ArchiveError, RepoError
from tfhelm.repo.index import dump_index, index_directory, load_index, parse_index
from tfhelm.yamlio import load_yaml

# What `helm repo index` 4.1 writes (abridged), plus entries Helm itself would skip.
HELM_INDEX = """\
apiVersion: v1
entries:
  hello:
  - apiVersion: v2
    appVersion: "1.0"
    created: "2026-11-30T15:52:03.728186024Z"
    description: Greets the cluster with a ConfigMap.
    digest: 8c18d2abbbbe1a09369b5355ca811aaa3d110afb1a0fff9df4764f6fd68f93d8
    name: hello
    urls:
    - http://x/charts/hello-0.1.0.tgz
    version: 0.1.0
  - apiVersion: v2
    created: "2026-11-30T15:52:03.728516974Z"
    digest: 92ce0a9103068e0bc3b74670653f94c68f98f1569542a63b2d0257f02a8cb3f7
    name: hello
    urls:
    - http://x/charts/hello-0.2.0-rc.1.tgz
    version: 0.2.0-rc.1
  - name: hello
    version: not-a-version
    urls: [x.tgz]
  - name: other
    version: 1.0.0
    urls: [o.tgz]
generated: "2026-11-30T15:52:03.727542249Z"
"""


def test_index_of_a_directory_in_helms_layout(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    site = build_repository(tmp_path / "site", ["0.1.0", "1.0.0", "0.2.0-rc.1"], url="https://charts.example/team/")
    document = load_yaml((site / "index.yaml").read_text())
    assert list(document) == ["apiVersion", "entries", "generated"]
    assert document["apiVersion"] == "v1"
    versions = document["entries"]["hello"]
    assert [entry["version"] for entry in versions] == ["1.0.0", "0.2.0-rc.1", "0.1.0"]
    newest = versions[0]
    assert list(newest) == sorted(newest)  # keys sorted, as Helm writes them
    assert newest["urls"] == ["https://charts.example/team/hello-1.0.0.tgz"]
    assert newest["digest"] == hashlib.sha256((site / "hello-1.0.0.tgz").read_bytes()).hexdigest()
    assert newest["created"] == document["generated"] == "2023-11-14T22:13:20Z"
    assert (newest["name"], newest["appVersion"], newest["keywords"]) == ("hello", "1.0", ["greeting", "example"])


def test_urls_are_relative_without_url_and_subdirectories_are_indexed(tmp_path):
    site = tmp_path / "site"
    write_chart_archive(load_chart(HELLO_CHART), site)
    write_chart_archive(load_chart(HELLO_CHART), site / "old", version="0.0.1")
    index = index_directory(site)
    assert [entry.urls for entry in index.entries["hello"]] == [["hello-0.1.0.tgz"], ["old/hello-0.0.1.tgz"]]


def test_the_index_is_deterministic_apart_from_timestamps(tmp_path, monkeypatch):
    site = build_repository(tmp_path / "site", ["0.1.0", "0.3.0"])
    first = (site / "index.yaml").read_text()
    repo_index(IndexOptions(site))
    second = (site / "index.yaml").read_text()
    strip = lambda text: re.sub(r"(created|generated): .*", r"\1: T", text)  # noqa: E731
    assert strip(first) == strip(second)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    repo_index(IndexOptions(site))
    pinned = (site / "index.yaml").read_bytes()
    repo_index(IndexOptions(site))
    assert (site / "index.yaml").read_bytes() == pinned


def test_round_trip(tmp_path):
    site = build_repository(tmp_path / "site", ["0.1.0", "0.2.0"], url="http://127.0.0.1:1")
    index = load_index(site / "index.yaml")
    again = parse_index(dump_index(index).encode(), source="again")
    assert dump_index(again) == dump_index(index)
    assert index.get("hello", "0.2.0").app_version == "1.0"


def test_merge_keeps_versions_the_directory_lacks_and_original_times(tmp_path):
    old_site = build_repository(tmp_path / "old", ["0.1.0", "0.2.0"])
    old_index = load_index(old_site / "index.yaml")
    old_index.get("hello", "0.2.0").created = "2020-01-01T00:00:00Z"
    (tmp_path / "old-index.yaml").write_text(dump_index(old_index))
    new_site = tmp_path / "new"
    chart = load_chart(HELLO_CHART)
    write_chart_archive(chart, new_site, version="0.2.0")  # same bytes: same digest
    write_chart_archive(chart, new_site, version="0.3.0")
    repo_index(IndexOptions(new_site, merge=tmp_path / "old-index.yaml"))
    merged = load_index(new_site / "index.yaml")
    assert [entry.version for entry in merged.entries["hello"]] == ["0.3.0", "0.2.0", "0.1.0"]
    assert merged.get("hello", "0.2.0").created == "2020-01-01T00:00:00Z"
    repo_index(IndexOptions(new_site, merge=tmp_path / "does-not-exist.yaml"))  # as Helm: an empty index
    assert [entry.version for entry in load_index(new_site / "index.yaml").entries["hello"]] == ["0.3.0", "0.2.0"]


def test_reading_helms_index_skips_what_helm_skips():
    index = parse_index(HELM_INDEX.encode(), source="helm/index.yaml")
    assert [entry.version for entry in index.entries["hello"]] == ["0.2.0-rc.1", "0.1.0"]
    assert "other" not in index.entries
    assert index.warnings == [
        "helm/index.yaml: skipping entries.hello[2]: invalid version 'not-a-version': 'not' is not a number; expected MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]",
        "helm/index.yaml: skipping entries.hello[3]: its name 'other' is not the chart name 'hello'",
    ]
    assert index.get("hello", "0.1.0").digest.startswith("8c18d2ab")


def test_reading_a_json_index():
    document = {"apiVersion": "v1", "entries": {"a": [{"name": "a", "version": "1.2", "urls": ["a-1.2.tgz"], "digest": "00"}]}}
    index = parse_index(json.dumps(document).encode(), source="index.json")
    assert index.entries["a"][0].version == "1.2" and str(index.entries["a"][0].parsed_version) == "1.2.0"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "is not a chart repository index: expected a mapping"),
        ("entries: {}\n", "it has no apiVersion"),
        ("apiVersion: v1\nentries: [1]\n", "'entries' must map chart names"),
        ("apiVersion: v1\nentries: {\n", r"bad.yaml:\d+: invalid YAML"),
    ],
)
def test_broken_indexes(text, message):
    with pytest.raises(RepoError, match=message):
        parse_index(text.encode(), source="bad.yaml")


def test_an_unsafe_archive_in_the_directory_stops_indexing(tmp_path):
    site = build_repository(tmp_path / "site", ["0.1.0"])
    before = (site / "index.yaml").read_bytes()
    (site / "evil-1.0.0.tgz").write_bytes(b"not a tarball")
    with pytest.raises(ArchiveError, match="evil-1.0.0.tgz is not a valid chart archive"):
        repo_index(IndexOptions(site))
    assert (site / "index.yaml").read_bytes() == before


def test_the_same_version_twice_is_an_error(tmp_path):
    site = tmp_path / "site"
    write_chart_archive(load_chart(HELLO_CHART), site)
    (site / "copy").mkdir()
    (site / "copy" / "hello-0.1.0.tgz").write_bytes((site / "hello-0.1.0.tgz").read_bytes())
    with pytest.raises(RepoError, match="copy/hello-0.1.0.tgz and hello-0.1.0.tgz both hold hello 0.1.0|hello-0.1.0.tgz and copy/hello-0.1.0.tgz both hold"):
        index_directory(site)


def test_indexing_a_missing_directory(tmp_path):
    with pytest.raises(RepoError, match="not a directory"):
        index_directory(tmp_path / "nope")
