"""Chart archives: every safety rule against a crafted malicious tarball, and reproducible writing."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from tfhelm.chart import archive
from tfhelm.chart.archive import (
    MAX_FILE_SIZE,
    MAX_FILES,
    build_chart_archive,
    extract_chart_archive,
    read_chart_archive,
    read_chart_archive_bytes,
    write_chart_archive,
)
from tfhelm.chart.loader import load_chart
from tfhelm.errors import ArchiveError, RepoError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sharing" / "hello"
CHART_YAML = b"apiVersion: v2\nname: evil\nversion: 1.0.0\n"


def entry(name: str, data: bytes = b"x", **fields) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in fields.items():
        setattr(info, key, value)
    return info, data


def crafted(*entries: tuple[tarfile.TarInfo, bytes], chart_yaml: bool = True) -> bytes:
    """A gzip tarball with a valid evil/Chart.yaml first, then the given entries, as written."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if chart_yaml:
            info, data = entry("evil/Chart.yaml", CHART_YAML)
            tar.addfile(info, io.BytesIO(data))
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return gzip.compress(raw.getvalue())


def write(tmp_path: Path, data: bytes, name: str = "evil-1.0.0.tgz") -> Path:
    path = tmp_path / "in" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


def assert_refused(tmp_path: Path, data: bytes, *expected: str, name: str = "evil-1.0.0.tgz") -> None:
    """Reading and extracting both fail with a message naming the archive; nothing is written."""
    path = write(tmp_path, data, name)
    with pytest.raises(ArchiveError) as raised:
        read_chart_archive(path)
    message = str(raised.value)
    assert str(path) in message
    for text in expected:
        assert text in message
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ArchiveError):
        extract_chart_archive(path, out)
    assert list(out.iterdir()) == []


# --------------------------------------------------------------------------- safety rules


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("evil/../../etc/passwd", "'evil/../../etc/passwd' climbs out of the chart directory with '..' (path traversal)"),
        ("../outside", "'../outside' climbs out"),
        ("evil/templates/../../x", "path traversal"),
    ],
)
def test_path_traversal_is_refused(tmp_path, name, message):
    assert_refused(tmp_path, crafted(entry(name)), message, "nothing was extracted")


@pytest.mark.parametrize("name", ["/etc/passwd", "/evil/values.yaml", "C:/evil/x"])
def test_absolute_paths_are_refused(tmp_path, name):
    assert_refused(tmp_path, crafted(entry(name)), f"entry {name!r} is an absolute path")


def test_backslash_paths_are_refused(tmp_path):
    assert_refused(tmp_path, crafted(entry("evil\\..\\..\\x")), "contains a backslash")


def test_entries_outside_the_chart_directory_are_refused(tmp_path):
    assert_refused(tmp_path, crafted(entry("other/values.yaml")), "'other/values.yaml' lies outside the chart's directory 'evil/'")


def test_a_file_at_the_top_level_is_refused(tmp_path):
    assert_refused(tmp_path, crafted(entry("values.yaml")), "'values.yaml' lies outside the chart's directory")


def test_symlinks_are_refused(tmp_path):
    link = entry("evil/templates/passwd.yaml", b"", type=tarfile.SYMTYPE, linkname="/etc/passwd")
    assert_refused(tmp_path, crafted(link), "'evil/templates/passwd.yaml' is a symbolic link (to '/etc/passwd')")


def test_hard_links_are_refused(tmp_path):
    link = entry("evil/values.yaml", b"", type=tarfile.LNKTYPE, linkname="evil/Chart.yaml")
    assert_refused(tmp_path, crafted(link), "'evil/values.yaml' is a hard link")


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_device_files_are_refused(tmp_path, kind):
    device = entry("evil/dev", b"", type=kind, devmajor=1, devminor=3)
    assert_refused(tmp_path, crafted(device), "'evil/dev' is a device file or FIFO")


def test_duplicate_entries_are_refused(tmp_path):
    assert_refused(tmp_path, crafted(entry("evil/a.txt"), entry("evil/a.txt", b"other")), "'evil/a.txt' appears twice")


def test_more_than_5000_files_are_refused(tmp_path):
    files = [entry(f"evil/files/{index}.txt") for index in range(MAX_FILES)]
    assert_refused(tmp_path, crafted(*files), "beyond the limit of 5,000 files")


def test_exactly_5000_files_are_accepted(tmp_path):
    files = [entry(f"evil/files/{index}.txt") for index in range(MAX_FILES - 1)]
    assert len(read_chart_archive(write(tmp_path, crafted(*files)))) == MAX_FILES


def test_a_file_over_5_mb_is_refused(tmp_path):
    big = entry("evil/big.bin", b"\0" * (MAX_FILE_SIZE + 1))
    assert_refused(tmp_path, crafted(big), "'evil/big.bin' is 5,242,881 bytes, over the limit of 5,242,880 bytes per file")


def test_a_total_over_50_mb_is_refused_while_streaming(tmp_path):
    # a decompression bomb: 13 files of 4 MB of zeros (52 MB) compress to a few hundred KB
    chunk = b"\0" * (4 * 1024 * 1024)
    bomb = crafted(*(entry(f"evil/part{index}.bin", chunk) for index in range(13)))
    assert len(bomb) < 1024 * 1024
    assert_refused(tmp_path, bomb, "'evil/part12.bin' takes the chart over the limit of 52,428,800 bytes in total")


def test_the_decompressed_stream_is_counted_not_just_headers(tmp_path, monkeypatch):
    # padding, headers and pax records count too: the bound is on what gunzip really produces
    monkeypatch.setattr(archive, "_MAX_STREAM_SIZE", 10_000)
    data = crafted(entry("evil/a.bin", b"a" * 6_000), entry("evil/b.bin", b"b" * 6_000))
    assert_refused(tmp_path, data, "decompresses to more than 10,000 bytes", "decompression bomb")


def test_chart_yaml_name_must_match_the_archive_directory(tmp_path):
    data = crafted(entry("evil/Chart.yaml", b"apiVersion: v2\nname: nice\nversion: 1.0.0\n"), chart_yaml=False)
    assert_refused(tmp_path, data, "evil/Chart.yaml names the chart 'nice', but the archive is packaged under 'evil/'", name="x.tgz")


def test_chart_yaml_version_must_match_the_file_name(tmp_path):
    assert_refused(tmp_path, crafted(), "evil/Chart.yaml says version '1.0.0', but the archive is version '2.0.0'", name="evil-2.0.0.tgz")


def test_a_file_name_that_claims_no_version_is_not_checked(tmp_path):
    assert "Chart.yaml" in read_chart_archive(write(tmp_path, crafted(), "evil-latest.tgz"))


def test_expected_name_and_version_from_the_caller(tmp_path):
    data = crafted()
    with pytest.raises(ArchiveError, match="entry 'evil/Chart.yaml' lies outside the chart's directory 'nice/'"):
        read_chart_archive_bytes(data, source="repo/nice", expected_name="nice")
    with pytest.raises(ArchiveError, match="says version '1.0.0', but the archive is version '1.0.1'"):
        read_chart_archive_bytes(data, source="repo/evil", expected_name="evil", expected_version="1.0.1")
    assert read_chart_archive_bytes(data, source="repo/evil", expected_name="evil", expected_version="1.0.0")


def test_not_a_gzip_file(tmp_path):
    assert_refused(tmp_path, b"PK\x03\x04 this is a zip", "is not a valid chart archive (a gzip-compressed tar file)")


def test_truncated_archive(tmp_path):
    data = crafted(entry("evil/values.yaml", os.urandom(50_000)))
    assert_refused(tmp_path, data[: len(data) // 2], "is not a valid chart archive")


def test_empty_archive_and_missing_chart_yaml(tmp_path):
    with pytest.raises(ArchiveError, match="is empty"):
        read_chart_archive_bytes(crafted(chart_yaml=False), source="empty.tgz")
    with pytest.raises(ArchiveError, match="has no evil/Chart.yaml"):
        read_chart_archive_bytes(crafted(entry("evil/values.yaml"), chart_yaml=False), source="x.tgz")


def test_directory_entries_are_fine(tmp_path):
    data = crafted(entry("evil/templates/", b"", type=tarfile.DIRTYPE), entry("evil/templates/a.yaml"))
    assert sorted(read_chart_archive_bytes(data, source="x.tgz")) == ["Chart.yaml", "templates/a.yaml"]


# --------------------------------------------------------------------------- writing


def test_round_trip_through_the_loader(tmp_path):
    chart = load_chart(FIXTURE)
    path = write_chart_archive(chart, tmp_path)
    assert path == tmp_path / "hello-0.1.0.tgz"
    assert read_chart_archive(path) == chart.raw_files
    reloaded = load_chart(path)
    assert (reloaded.name, reloaded.version, reloaded.values) == ("hello", "0.1.0", chart.values)


def test_archive_layout_is_normalised(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    data = build_chart_archive("hello", {"b.txt": b"b", "Chart.yaml": b"c", "a/x": b"a"}, executables={"a/x"})
    # gzip header: no FNAME flag, mtime 0
    assert data[3] == 0 and data[4:8] == b"\0\0\0\0"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["hello/Chart.yaml", "hello/a/x", "hello/b.txt"]
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {(0, 0, "", "", 1700000000)}
    assert [oct(m.mode) for m in members] == ["0o644", "0o755", "0o644"]


def test_mtime_defaults_to_zero_and_bad_source_date_epoch_is_an_error(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    with tarfile.open(fileobj=io.BytesIO(build_chart_archive("h", {"Chart.yaml": b""}))) as tar:
        assert tar.getmembers()[0].mtime == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(RepoError, match="SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got 'yesterday'"):
        build_chart_archive("h", {"Chart.yaml": b""})


def test_reproducible_from_a_copy_with_other_mtimes_and_permissions(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = write_chart_archive(load_chart(FIXTURE), tmp_path / "one").read_bytes()
    again = write_chart_archive(load_chart(FIXTURE), tmp_path / "two").read_bytes()
    copy = tmp_path / "elsewhere" / "hello"
    old_umask = os.umask(0o077)
    try:
        shutil.copytree(FIXTURE, copy)  # copytree keeps modes; make them look like another umask
        for path in copy.rglob("*"):
            os.utime(path, (1_234_567_890, 1_234_567_890))
            if path.is_file():
                path.chmod(0o700 if os.access(path, os.X_OK) else 0o600)
    finally:
        os.umask(old_umask)
    from_copy = write_chart_archive(load_chart(copy), tmp_path / "three").read_bytes()
    assert first == again == from_copy
    with tarfile.open(fileobj=io.BytesIO(from_copy)) as tar:
        modes = {m.name: m.mode for m in tar.getmembers()}
    assert modes["hello/scripts/check.sh"] == 0o755 and modes["hello/values.yaml"] == 0o644


def test_ignored_files_stay_out_of_the_package(tmp_path):
    copy = tmp_path / "hello"
    shutil.copytree(FIXTURE, copy)
    (copy / "values.yaml.bak").write_text("old")
    (copy / "notes").mkdir()
    (copy / "notes" / "todo.md").write_text("secret plans")
    with tarfile.open(write_chart_archive(load_chart(copy), tmp_path)) as tar:
        names = tar.getnames()
    assert "hello/.tfhelmignore" in names and "hello/templates/configmap.yaml" in names
    assert not [name for name in names if name.endswith(".bak") or "/notes/" in name]


def test_version_and_app_version_overrides_keep_comments(tmp_path):
    path = write_chart_archive(load_chart(FIXTURE), tmp_path, version="0.2.0-rc.1", app_version="2.0")
    assert path.name == "hello-0.2.0-rc.1.tgz"
    chart_yaml = read_chart_archive(path)["Chart.yaml"].decode()
    assert chart_yaml.startswith("# A small chart")
    assert "version: 0.2.0-rc.1\n" in chart_yaml and 'appVersion: "2.0"\n' in chart_yaml
    assert (load_chart(path).version, load_chart(path).metadata.app_version) == ("0.2.0-rc.1", "2.0")


def test_app_version_is_added_when_missing_and_flow_style_is_rewritten(tmp_path):
    chart_dir = tmp_path / "flow"
    (chart_dir / "templates").mkdir(parents=True)
    (chart_dir / "Chart.yaml").write_text("{apiVersion: v2, name: flow, version: 1.0.0}")
    path = write_chart_archive(load_chart(chart_dir), tmp_path, version="1.1.0", app_version="7")
    chart = load_chart(path)
    assert (chart.version, chart.metadata.app_version) == ("1.1.0", "7")


def test_a_bad_version_override_is_refused(tmp_path):
    with pytest.raises(RepoError, match="--version: invalid SemVer 2 version '1.2'"):
        write_chart_archive(load_chart(FIXTURE), tmp_path, version="1.2")
    assert list(tmp_path.iterdir()) == []


def test_writing_replaces_atomically_and_leaves_no_temporary_files(tmp_path):
    chart = load_chart(FIXTURE)
    (tmp_path / "hello-0.1.0.tgz").write_bytes(b"old")
    path = write_chart_archive(chart, tmp_path)
    assert read_chart_archive(path)
    assert [p.name for p in tmp_path.iterdir()] == ["hello-0.1.0.tgz"]


def test_too_many_files_cannot_be_packaged():
    with pytest.raises(ArchiveError, match="has 5,001 files, more than the limit of 5,000"):
        build_chart_archive("big", {f"f{index}": b"" for index in range(MAX_FILES + 1)})


# --------------------------------------------------------------------------- extracting


def test_extract_unpacks_under_the_chart_name(tmp_path):
    path = write_chart_archive(load_chart(FIXTURE), tmp_path)
    target = extract_chart_archive(path, tmp_path / "out")
    assert target == tmp_path / "out" / "hello"
    assert (target / "templates" / "configmap.yaml").read_bytes() == (FIXTURE / "templates" / "configmap.yaml").read_bytes()
    assert load_chart(target).raw_files == load_chart(FIXTURE).raw_files
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["hello"]


def test_extract_refuses_to_overwrite(tmp_path):
    path = write_chart_archive(load_chart(FIXTURE), tmp_path)
    (tmp_path / "out" / "hello").mkdir(parents=True)
    with pytest.raises(RepoError, match="hello already exists"):
        extract_chart_archive(path, tmp_path / "out")
    assert list((tmp_path / "out" / "hello").iterdir()) == []
