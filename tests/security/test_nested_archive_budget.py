"""Nested archives share one budget: a chart tree is held to the limits of one chart archive.

Each archive alone was limited (50 MB, 5,000 files), but a chart holding many near-limit
subchart archives in ``charts/`` was loaded in full, and ``dependency update/build`` fetched and
kept them all. Now a chart, its files and every subchart archive nested in it (decompressed)
are counted together, and the archive that passes the limit is refused by name.
"""

from __future__ import annotations

import textwrap

import pytest

from chart_server import isolated_homes
from security.hostile import assert_refused, files_under, run_limited
from tfhelm.actions.dependency import DependencyOptions, build_dependencies, update_dependencies
from tfhelm.chart import archive
from tfhelm.chart.archive import build_chart_archive, read_chart_archive_bytes
from tfhelm.chart.loader import chart_from_files, load_chart
from tfhelm.errors import ArchiveError

SMALL_LIMIT = 100_000


def chart_yaml(name: str, version: str = "0.1.0") -> bytes:
    return f"apiVersion: v2\nname: {name}\nversion: {version}\n".encode()


def subchart_archive(name: str, payload: int, *, files: int = 1, nested: dict[str, bytes] | None = None) -> bytes:
    """A chart archive holding ``payload`` bytes of zeros in ``files`` files (it compresses to little)."""
    content = {"Chart.yaml": chart_yaml(name)}
    content.update({f"data/{index}.bin": b"\0" * (payload // files) for index in range(files)})
    content.update({f"charts/{file_name}": data for file_name, data in (nested or {}).items()})
    return build_chart_archive(name, content)


def parent_with_archives(root, archives: dict[str, bytes]):
    (root / "charts").mkdir(parents=True)
    (root / "Chart.yaml").write_bytes(chart_yaml("parent"))
    for file_name, data in archives.items():
        (root / "charts" / file_name).write_bytes(data)
    return root


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(archive, "MAX_TOTAL_SIZE", SMALL_LIMIT)


def test_each_archive_alone_is_within_the_limit_but_not_all_together(tmp_path, small_limit):
    archives = {f"sub{letter}-0.1.0.tgz": subchart_archive(f"sub{letter}", 40_000) for letter in "abc"}
    for data in archives.values():
        assert len(data) < 1_000
        assert read_chart_archive_bytes(data, source="alone")  # each passes on its own
    chart = parent_with_archives(tmp_path / "parent", archives)
    with pytest.raises(ArchiveError) as caught:
        load_chart(chart)
    message = str(caught.value)
    assert f"{chart}/charts/subc-0.1.0.tgz" in message
    assert f"over the limit of {SMALL_LIMIT:,} bytes in total (per chart, its subchart archives included)" in message


def test_two_of_them_load(tmp_path, small_limit):
    archives = {f"sub{letter}-0.1.0.tgz": subchart_archive(f"sub{letter}", 40_000) for letter in "ab"}
    chart = load_chart(parent_with_archives(tmp_path / "parent", archives))
    assert sorted(sub.name for sub in chart.subcharts) == ["suba", "subb"]


def test_files_are_counted_across_the_tree(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_FILES", 30)
    archives = {f"sub{letter}-0.1.0.tgz": subchart_archive(f"sub{letter}", 11, files=11) for letter in "abc"}
    chart = parent_with_archives(tmp_path / "parent", archives)
    with pytest.raises(ArchiveError, match=r"charts/subc-0\.1\.0\.tgz: entry 'subc/.*' is beyond the limit of 30 files"):
        load_chart(chart)


def test_archives_nested_in_archives_share_the_budget(tmp_path, small_limit):
    leaf = subchart_archive("leaf", 40_000)
    middle = subchart_archive("middle", 40_000, nested={"leaf-0.1.0.tgz": leaf})
    top = build_chart_archive("top", {"Chart.yaml": chart_yaml("top"), "big.bin": b"\0" * 30_000, "charts/middle-0.1.0.tgz": middle})
    path = tmp_path / "top-0.1.0.tgz"
    path.write_bytes(top)
    with pytest.raises(ArchiveError, match=r"top-0\.1\.0\.tgz/charts/middle-0\.1\.0\.tgz/charts/leaf-0\.1\.0\.tgz: "):
        load_chart(path)
    # a chart read some other way (a repository, a registry) gets the same budget
    with pytest.raises(ArchiveError, match=r"oci://example/top/charts/middle-0\.1\.0\.tgz/charts/leaf-0\.1\.0\.tgz"):
        chart_from_files(read_chart_archive_bytes(top, source="oci://example/top"), source="oci://example/top")


def test_a_nested_archive_far_over_what_is_left_is_refused_by_name(tmp_path, monkeypatch):
    archives = {"suba-0.1.0.tgz": subchart_archive("suba", 90_000), "subb-0.1.0.tgz": subchart_archive("subb", 4_000_000)}
    monkeypatch.setattr(archive, "MAX_TOTAL_SIZE", SMALL_LIMIT)
    chart = parent_with_archives(tmp_path / "parent", archives)
    with pytest.raises(ArchiveError, match="charts/subb-0.1.0.tgz"):
        load_chart(chart)


def test_a_directory_with_big_files_is_refused_before_reading_them(tmp_path, small_limit):
    chart = parent_with_archives(tmp_path / "parent", {})
    (chart / "big.bin").write_bytes(b"\0" * (SMALL_LIMIT + 1))
    with pytest.raises(ArchiveError, match=r"big\.bin takes the chart over the limit of 100,000 bytes"):
        load_chart(chart)


# --------------------------------------------------------------------------- dependency update/build


def chart_with_local_dependencies(tmp_path, count: int, payload: int):
    lines = []
    for index in range(count):
        name = f"dep{index}"
        source = tmp_path / "sources" / name
        source.mkdir(parents=True)
        (source / "Chart.yaml").write_bytes(chart_yaml(name))
        (source / "data.bin").write_bytes(b"\0" * payload)
        lines.append(f"- name: {name}\n  version: 0.1.0\n  repository: file://../sources/{name}\n")
    parent = tmp_path / "parent"
    parent.mkdir()
    (parent / "Chart.yaml").write_text("apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n" + textwrap.indent("".join(lines), "  "))
    return parent


def test_dependency_update_refuses_dependencies_that_together_pass_the_limit(tmp_path, monkeypatch, small_limit):
    isolated_homes(tmp_path, monkeypatch)
    parent = chart_with_local_dependencies(tmp_path, 3, 40_000)
    with pytest.raises(ArchiveError) as caught:
        update_dependencies(DependencyOptions(parent, refresh=False))
    message = str(caught.value)
    assert "dependency 'dep2' of" in message and "dep2-0.1.0.tgz from file://../sources/dep2" in message
    assert "count together" in message
    assert files_under(parent) == ["Chart.yaml"]  # nothing written: no archive, no Chart.lock


def test_dependency_build_refuses_them_too(tmp_path, monkeypatch):
    isolated_homes(tmp_path, monkeypatch)
    parent = chart_with_local_dependencies(tmp_path, 3, 40_000)
    update_dependencies(DependencyOptions(parent, refresh=False))  # within the real limits
    for path in (parent / "charts").iterdir():
        path.unlink()
    monkeypatch.setattr(archive, "MAX_TOTAL_SIZE", SMALL_LIMIT)
    with pytest.raises(ArchiveError, match="dependency 'dep2' of .*over the limit of 100,000 bytes"):
        build_dependencies(DependencyOptions(parent, refresh=False))
    assert list((parent / "charts").iterdir()) == []


# --------------------------------------------------------------------------- the CLI, with real limits


def test_template_of_a_chart_full_of_archive_bombs_fails_fast_under_a_memory_limit(tmp_path):
    # 12 subchart archives, each 48 MB of zeros (within the limit of one archive) in a few
    # hundred KB: 576 MB together, more than the process may use. Before the fix, loading them
    # all died of MemoryError; now the second archive passes the tree's budget.
    payload = {"Chart.yaml": chart_yaml("bomb"), **{f"data/{index}.bin": b"\0" * (4_800_000) for index in range(10)}}
    bomb = build_chart_archive("bomb", payload)
    assert len(bomb) < 1_000_000
    chart = parent_with_archives(tmp_path / "parent", {f"bomb{index:02}.tgz": bomb for index in range(12)})
    (chart / "templates").mkdir()
    (chart / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    out = tmp_path / "out"
    env = isolated_homes(tmp_path)
    result = run_limited("template", str(chart), "--output-dir", str(out), env=env, memory_mb=400)
    assert_refused(result, f"{chart}/charts/bomb01.tgz", "over the limit of 52,428,800 bytes in total", "subchart archives included")
    assert files_under(out) == []
    for command in (["lint", str(chart)], ["package", str(chart), "-d", str(tmp_path / "dist")]):
        result = run_limited(*command, env=env, memory_mb=400)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert f"{chart}/charts/bomb01.tgz" in result.stderr + result.stdout
    assert files_under(tmp_path / "dist") == []
