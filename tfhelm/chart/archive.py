"""Chart archives (``<name>-<version>.tgz``): safe reading, byte-reproducible writing, extraction.

Reading treats every archive as hostile. It streams the gzip data through a counter and rejects,
before anything is used or written: path traversal, absolute paths, entries outside the single
``<name>/`` directory, links, devices and other special files, duplicate entries, more than
:data:`MAX_FILES` files, a file over :data:`MAX_FILE_SIZE` or a total over
:data:`MAX_TOTAL_SIZE` uncompressed (sizes are counted from the bytes that actually come out of
the decompressor, not taken from headers), and a ``Chart.yaml`` whose name or version differs
from what the archive claims to be (its directory, its file name, or what the caller expects).

The limits hold for a whole chart tree, not for each archive alone: an :class:`ArchiveBudget`
is shared by a chart and every subchart archive nested in its ``charts/`` (and theirs), so a
chart holding a hundred near-limit archives is refused once their files together pass
:data:`MAX_TOTAL_SIZE` bytes or :data:`MAX_FILES` files, not loaded in full.

Writing is byte-reproducible: the same chart files give the same bytes on any machine, from any
checkout — entries sorted, every entry under ``<name>/``, mtime from ``SOURCE_DATE_EPOCH`` (or
0), uid/gid 0 with empty owner names, modes 0644 (0755 for executables), and a gzip header with
neither file name nor time. Archives are written to a temporary file and renamed into place.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from tfhelm.errors import ArchiveError, ChartError, RepoError
from tfhelm.fileio import write_file_atomically

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

    from tfhelm.chart.model import Chart

__all__ = [
    "CONTROL_CHARACTER",
    "MAX_FILES",
    "MAX_FILE_SIZE",
    "MAX_TOTAL_SIZE",
    "ArchiveBudget",
    "archive_file_name",
    "build_chart_archive",
    "chart_archive",
    "check_chart_archive_tree",
    "extract_chart_archive",
    "extract_chart_files",
    "is_subchart_archive",
    "read_chart_archive",
    "read_chart_archive_bytes",
    "source_date_epoch",
    "write_chart_archive",
]

MAX_FILES = 5_000
MAX_FILE_SIZE = 5 * 1024 * 1024
MAX_TOTAL_SIZE = 50 * 1024 * 1024
# The tar stream also holds a 512-byte header (and maybe long-name or pax blocks) per entry and
# padding; this bound on the whole decompressed stream stops bombs made of headers or padding.
_STREAM_OVERHEAD = MAX_FILES * 3 * 512 + 1024 * 1024
_MAX_STREAM_SIZE = MAX_TOTAL_SIZE + _STREAM_OVERHEAD
_CHUNK = 64 * 1024
_CHART_FILE = "Chart.yaml"
# C0, DEL and C1: no file name needs them, and a newline in one forges lines of tfhelm's output
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ARCHIVE_SUFFIXES = (".tgz", ".tar.gz")


# --------------------------------------------------------------------------- reading


class ArchiveBudget:
    """The files and decompressed bytes left to one chart tree: a chart and every archive in it.

    Each reader charges what it takes; whichever archive (or chart file) takes the tree past
    :data:`MAX_TOTAL_SIZE` bytes or :data:`MAX_FILES` files is refused, by name. The limits are
    read when the budget is made.
    """

    def __init__(self) -> None:
        self.max_bytes = MAX_TOTAL_SIZE
        self.max_files = MAX_FILES
        self.bytes = 0
        self.files = 0
        self.archives = 0  # archives charged so far: the first one alone is not a "tree"

    @property
    def remaining_bytes(self) -> int:
        return max(self.max_bytes - self.bytes, 0)

    def _scope(self) -> str:
        return "per chart" if self.archives <= 1 else "per chart, its subchart archives included"

    def charge_file(self, source: str) -> str | None:
        """Count one more file; the problem (for the caller's message) when it is one too many."""
        self.files += 1
        if self.files > self.max_files:
            return f"is beyond the limit of {self.max_files:,} files {self._scope()}"
        return None

    def charge_bytes(self, count: int) -> str | None:
        """Count ``count`` more bytes; the problem when they pass the limit."""
        self.bytes += count
        if self.bytes > self.max_bytes:
            return f"takes the chart over the limit of {self.max_bytes:,} bytes in total ({self._scope()})"
        return None

    def check_files(self, files: Mapping[str, bytes], source: str) -> None:
        """Charge files already in memory (a chart read some other way) or refuse them."""
        for relative, data in sorted(files.items()):
            problem = self.charge_file(source) or self.charge_bytes(len(data))
            if problem:
                raise ArchiveError(f"chart {source}: {relative} {problem}; refusing it")


def read_chart_archive(
    path: str | Path,
    *,
    expected_name: str | None = None,
    expected_version: str | None = None,
    budget: ArchiveBudget | None = None,
) -> dict[str, bytes]:
    """Read and check a chart archive; return its files by chart-relative path.

    Raises :class:`~tfhelm.errors.ArchiveError` naming the archive and the entry at fault.
    When the file is called ``<chart name>-<version>.tgz`` the version in the name must be the
    one in Chart.yaml. ``budget`` is shared with the other archives of the same chart tree
    (a fresh one when not given).
    """
    path = Path(path)
    try:
        with path.open("rb") as stream:
            return _read(stream, str(path), expected_name, expected_version, budget)
    except OSError as error:
        raise ArchiveError(f"cannot read chart archive {path}: {error.strerror or error}") from None


def read_chart_archive_bytes(
    data: bytes,
    *,
    source: str,
    expected_name: str | None = None,
    expected_version: str | None = None,
    budget: ArchiveBudget | None = None,
) -> dict[str, bytes]:
    """Like :func:`read_chart_archive` for an archive already in memory; ``source`` names it."""
    return _read(io.BytesIO(data), source, expected_name, expected_version, budget)


def check_chart_archive_tree(data: bytes, *, source: str, budget: ArchiveBudget) -> None:
    """Read an archive and every subchart archive nested in it against ``budget``, keeping nothing.

    ``dependency update/build`` charge each fetched archive this way, so the dependencies of one
    chart together stay within one chart tree's limits.
    """
    files = read_chart_archive_bytes(data, source=source, budget=budget)
    for relative in sorted(files):
        if is_subchart_archive(relative):
            check_chart_archive_tree(files[relative], source=f"{source}/{relative}", budget=budget)


def is_subchart_archive(relative: str) -> bool:
    """``charts/x.tgz`` or ``charts/sub/charts/y.tgz``: an archive the chart loader opens."""
    parts = relative.split("/")
    return len(parts) % 2 == 0 and all(part == "charts" for part in parts[0::2]) and relative.endswith(".tgz")


class _BoundedReader(io.RawIOBase):
    """The decompressed stream, failing once more than ``limit`` bytes have come out of it."""

    def __init__(self, stream: gzip.GzipFile, limit: int, source: str, files_limit: int) -> None:
        super().__init__()
        self._stream = stream
        self._limit = limit
        self._files_limit = files_limit
        self._source = source
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        count = self._stream.readinto(buffer)
        self.count += count
        if self.count > self._limit:
            raise ArchiveError(
                f"unsafe chart archive {self._source}: it decompresses to more than {self._limit:,} bytes "
                f"(the chart had room for {self._files_limit:,} more bytes of files); "
                "refusing a possible decompression bomb"
            )
        return count


def _read(
    stream: IO[bytes],
    source: str,
    expected_name: str | None,
    expected_version: str | None,
    budget: ArchiveBudget | None,
) -> dict[str, bytes]:
    budget = budget or ArchiveBudget()
    budget.archives += 1
    reader = _ArchiveReader(source, expected_name, budget)
    # a nested archive's stream ends soon after the tree's budget is spent, not after 50 MB more
    stream_limit = min(_MAX_STREAM_SIZE, budget.remaining_bytes + _STREAM_OVERHEAD)
    try:
        with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
            raw = _BoundedReader(unzipped, stream_limit, source, budget.remaining_bytes)
            bounded = io.BufferedReader(raw, _CHUNK)
            with tarfile.open(fileobj=bounded, mode="r|") as tar:
                for member in tar:
                    reader.add(tar, member)
    except (gzip.BadGzipFile, EOFError, zlib.error, tarfile.TarError) as error:
        raise ArchiveError(f"{source} is not a valid chart archive (a gzip-compressed tar file): {error}") from None
    _check_chart_yaml(reader, source, expected_version)
    return reader.files


class _ArchiveReader:
    """Accepts entries one at a time, enforcing every safety rule as it goes."""

    def __init__(self, source: str, expected_name: str | None, budget: ArchiveBudget) -> None:
        self.source = source
        self.top: str | None = expected_name
        self.top_from_caller = expected_name is not None
        self.files: dict[str, bytes] = {}
        self.budget = budget

    def fail(self, entry: str, problem: str) -> ArchiveError:
        return ArchiveError(f"unsafe chart archive {self.source}: entry {entry!r} {problem}; nothing was extracted")

    def add(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        parts = self._checked_parts(member.name)
        self._check_kind(member)
        self._check_top(member, parts)
        if member.isdir():
            return
        relative = "/".join(parts[1:])
        if relative in self.files:
            raise self.fail(member.name, "appears twice")
        problem = self.budget.charge_file(self.source)
        if problem:
            raise self.fail(member.name, problem)
        if member.size > MAX_FILE_SIZE:
            raise self.fail(
                member.name, f"is {member.size:,} bytes, over the limit of {MAX_FILE_SIZE:,} bytes per file"
            )
        self.files[relative] = self._content(tar, member)

    def _checked_parts(self, name: str) -> list[str]:
        if name.startswith("/") or re.match(r"[A-Za-z]:", name):
            raise self.fail(name, "is an absolute path")
        if "\\" in name:
            raise self.fail(name, "contains a backslash (a Windows path separator)")
        if CONTROL_CHARACTER.search(name):
            raise self.fail(name, "contains a control character (a newline, an escape, …)")
        parts = name.split("/")
        if parts[-1] == "":  # a directory written as "dir/"
            parts.pop()
        if ".." in parts:
            raise self.fail(name, "climbs out of the chart directory with '..' (path traversal)")
        if not parts or "" in parts or "." in parts:
            raise self.fail(name, "has an empty or '.' path component")
        return parts

    def _check_kind(self, member: tarfile.TarInfo) -> None:
        if member.issym() or member.islnk():
            kind = "a symbolic link" if member.issym() else "a hard link"
            raise self.fail(member.name, f"is {kind} (to {member.linkname!r}); links are not allowed in charts")
        if member.isdev():
            raise self.fail(member.name, "is a device file or FIFO; only regular files and directories are allowed")
        if member.issparse() or not (member.isfile() or member.isdir()):
            raise self.fail(member.name, "is not a regular file or directory")

    def _check_top(self, member: tarfile.TarInfo, parts: list[str]) -> None:
        if len(parts) == 1 and not member.isdir():
            raise self.fail(member.name, "lies outside the chart's directory (every entry must be under <name>/)")
        if self.top is None:
            self.top = parts[0]
        elif parts[0] != self.top:
            raise self.fail(member.name, f"lies outside the chart's directory {self.top + '/'!r}")

    def _content(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
        extracted = tar.extractfile(member)
        if extracted is None:  # pragma: no cover - regular files always have content
            raise self.fail(member.name, "has no content")
        chunks, size = [], 0
        while chunk := extracted.read(_CHUNK):
            size += len(chunk)
            if size > MAX_FILE_SIZE:
                raise self.fail(member.name, f"is over the limit of {MAX_FILE_SIZE:,} bytes per file")
            problem = self.budget.charge_bytes(len(chunk))
            if problem:
                raise self.fail(member.name, problem)
            chunks.append(chunk)
        return b"".join(chunks)


def _check_chart_yaml(reader: _ArchiveReader, source: str, expected_version: str | None) -> None:
    if reader.top is None or not reader.files:
        raise ArchiveError(f"chart archive {source} is empty")
    where = f"{reader.top}/{_CHART_FILE}"
    if _CHART_FILE not in reader.files:
        raise ArchiveError(f"chart archive {source} has no {where}")
    name, version = _name_and_version(reader.files[_CHART_FILE])
    if name is None:
        return  # not a mapping or invalid YAML: the chart loader reports it with file and line
    if name != reader.top:
        expected = "expected" if reader.top_from_caller else "is packaged under"
        raise ArchiveError(
            f"unsafe chart archive {source}: {where} names the chart {name!r}, "
            f"but the archive {expected} {reader.top + '/'!r}"
        )
    if expected_version is None:
        expected_version = _version_in_file_name(source, name)
    if expected_version is not None and version != expected_version:
        raise ArchiveError(
            f"unsafe chart archive {source}: {where} says version {version!r}, "
            f"but the archive is version {expected_version!r}"
        )


def _name_and_version(chart_yaml: bytes) -> tuple[str | None, str | None]:
    from tfhelm.errors import YamlProblem
    from tfhelm.yamlio import load_yaml

    try:
        raw = load_yaml(chart_yaml.decode("utf-8"))
    except (YamlProblem, UnicodeDecodeError):
        return None, None
    if not isinstance(raw, dict):
        return None, None
    version = raw.get("version")
    return str(raw.get("name")), None if version is None else str(version)


def _version_in_file_name(source: str, chart_name: str) -> str | None:
    """``demo-1.2.0.tgz`` claims version 1.2.0 of ``demo``; other names claim nothing."""
    from tfhelm.versions import is_valid_semver

    file_name = PurePosixPath(source.replace("\\", "/")).name
    for suffix in _ARCHIVE_SUFFIXES:
        if file_name.endswith(suffix) and file_name.startswith(chart_name + "-"):
            claimed = file_name[len(chart_name) + 1 : -len(suffix)]
            return claimed if is_valid_semver(claimed) else None
    return None


# --------------------------------------------------------------------------- writing


def source_date_epoch() -> int:
    """The timestamp archives carry: ``SOURCE_DATE_EPOCH`` when set, else 0 (1970-01-01)."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return 0
    if not text.isdigit() or int(text) >= 8**11:
        raise RepoError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got {text!r}")
    return int(text)


def archive_file_name(name: str, version: str) -> str:
    return f"{name}-{version}.tgz"


def build_chart_archive(
    name: str, files: Mapping[str, bytes], *, executables: Iterable[str] = (), mtime: int | None = None
) -> bytes:
    """The reproducible ``.tgz`` bytes of a chart: ``files`` (chart-relative paths) under ``name/``."""
    mtime = source_date_epoch() if mtime is None else mtime
    executable = set(executables)
    _check_limits(name, files)
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for relative in sorted(files):
            info = tarfile.TarInfo(f"{name}/{relative}")
            info.size = len(files[relative])
            info.mtime = mtime
            info.mode = 0o755 if relative in executable else 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(files[relative]))
    compressed = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of anything machine- or time-specific
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, compresslevel=9, mtime=0) as gz:
        gz.write(tar_bytes.getvalue())
    return compressed.getvalue()


def _check_limits(name: str, files: Mapping[str, bytes]) -> None:
    """Refuse to write an archive that tfhelm itself would refuse to read."""
    if len(files) > MAX_FILES:
        raise ArchiveError(f"chart {name} has {len(files):,} files, more than the limit of {MAX_FILES:,}")
    for relative, data in files.items():
        if len(data) > MAX_FILE_SIZE:
            raise ArchiveError(f"chart {name}: {relative} is {len(data):,} bytes, over the limit of {MAX_FILE_SIZE:,}")
    total = sum(len(data) for data in files.values())
    if total > MAX_TOTAL_SIZE:
        raise ArchiveError(f"chart {name} holds {total:,} bytes, over the limit of {MAX_TOTAL_SIZE:,}")


def write_chart_archive(
    chart: Chart, dest_dir: str | Path, *, version: str | None = None, app_version: str | None = None
) -> Path:
    """Write ``<name>-<version>.tgz`` of a loaded chart into ``dest_dir``; return its path.

    ``version`` / ``app_version`` replace those of Chart.yaml inside the archive (as
    ``helm package --version/--app-version`` do).
    """
    file_name, data = chart_archive(chart, version=version, app_version=app_version)
    dest = Path(dest_dir) / file_name
    write_file_atomically(dest, data)
    return dest


def chart_archive(chart: Chart, *, version: str | None = None, app_version: str | None = None) -> tuple[str, bytes]:
    """The file name and bytes :func:`write_chart_archive` writes, without writing them."""
    files = dict(chart.raw_files)
    if version is not None or app_version is not None:
        files[_CHART_FILE] = _updated_chart_yaml(files[_CHART_FILE], chart.source, version, app_version)
    data = build_chart_archive(chart.name, files, executables=_executables(chart))
    return archive_file_name(chart.name, version or chart.version), data


def _executables(chart: Chart) -> set[str]:
    """Chart files marked executable in the chart's source directory (none for an archive)."""
    root = Path(chart.source)
    if not root.is_dir():
        return set()
    return {relative for relative in chart.raw_files if _is_executable(root / relative)}


def _is_executable(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & 0o111)
    except OSError:
        return False


def _updated_chart_yaml(text: bytes, source: str, version: str | None, app_version: str | None) -> bytes:
    """Chart.yaml with a new version and/or appVersion, keeping its comments and layout.

    Top-level ``version:`` / ``appVersion:`` lines are replaced in place; a Chart.yaml written
    another way (flow style, multi-line scalars) is re-serialised instead.
    """
    import json

    from tfhelm.chart.metadata import parse_metadata
    from tfhelm.versions import parse_version

    if version is not None:
        try:
            parse_version(version)
        except ValueError as error:
            raise RepoError(f"--version: {error}") from None
    original = parse_metadata(text.decode("utf-8"), source=source)
    wanted = {"version": version or original.version, "appVersion": app_version or original.app_version}
    lines = text.decode("utf-8").splitlines(keepends=True)
    if version is not None:
        lines = _set_top_level_key(lines, "version", version)
    if app_version is not None:
        lines = _set_top_level_key(lines, "appVersion", json.dumps(app_version))
    updated = "".join(lines)
    try:
        edited = parse_metadata(updated, source=source)
        in_place = (edited.version, edited.app_version) == (wanted["version"], wanted["appVersion"])
    except ChartError:
        in_place = False
    if not in_place:
        from tfhelm.yamlio import dump_yaml

        updated = dump_yaml({**original.raw, **{key: value for key, value in wanted.items() if value is not None}})
        parse_metadata(updated, source=source)
    return updated.encode("utf-8")


def _set_top_level_key(lines: list[str], key: str, value: str) -> list[str]:
    pattern = re.compile(rf"^{key}\s*:(?=\s|$)")
    for index, line in enumerate(lines):
        if pattern.match(line):
            return [*lines[:index], f"{key}: {value}\n", *lines[index + 1 :]]
    ending = "" if not lines or lines[-1].endswith("\n") else "\n"
    return [*lines, f"{ending}{key}: {value}\n"]


# --------------------------------------------------------------------------- extracting


def extract_chart_archive(path: str | Path, dest: str | Path) -> Path:
    """Check a whole archive, then unpack it to ``dest/<name>``; return that directory.

    Nothing is written unless every entry passed every check, and ``dest/<name>`` must not exist.
    """
    return extract_chart_files(read_chart_archive(path), dest, source=str(path))


def extract_chart_files(files: Mapping[str, bytes], dest: str | Path, *, source: str) -> Path:
    """Write checked chart files (from :func:`read_chart_archive`) to ``dest/<name>``."""
    name, _version = _name_and_version(files.get(_CHART_FILE, b""))
    if not name:
        raise ArchiveError(f"chart archive {source} has no readable Chart.yaml")
    target = Path(dest) / name
    if target.exists() or target.is_symlink():
        raise RepoError(f"cannot unpack {source}: {target} already exists")
    Path(dest).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=dest, prefix=f".{name}.", suffix=".tmp"))
    try:
        for relative, data in sorted(files.items()):
            path = staging.joinpath(*relative.split("/"))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        staging.chmod(0o755)
        os.rename(staging, target)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise RepoError(f"cannot unpack {source} into {target}: {error.strerror or error}") from None
    return target
