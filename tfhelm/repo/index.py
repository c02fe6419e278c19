"""Helm-compatible chart repository indexes (``index.yaml``): read, build, merge, write.

The format is Helm's ``apiVersion: v1`` index: ``entries`` maps each chart name to its versions,
newest first; each version is the chart's Chart.yaml fields plus ``urls``, ``created`` and
``digest`` (the hex SHA-256 of the ``.tgz``), keys sorted as Helm writes them, then a
``generated`` time. Output is deterministic apart from the ``created``/``generated`` times, and
fully deterministic when ``SOURCE_DATE_EPOCH`` is set. Reading accepts what Helm writes (YAML or
JSON); entries Helm would skip (no name, an invalid version) are skipped with a warning.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tfhelm.errors import RepoError, location

__all__ = [
    "INDEX_FILE",
    "ChartEntry",
    "RepoIndex",
    "dump_index",
    "index_directory",
    "load_index",
    "parse_index",
    "sha256_hex",
    "timestamp",
]

INDEX_FILE = "index.yaml"
API_VERSION = "v1"
_ENTRY_FIELDS = ("urls", "created", "digest", "removed")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def timestamp(now: datetime | None = None) -> str:
    """An RFC 3339 UTC time as Helm writes it; ``SOURCE_DATE_EPOCH`` pins it when set."""
    if now is None:
        from tfhelm.chart.archive import source_date_epoch

        if os.environ.get("SOURCE_DATE_EPOCH"):
            now = datetime.fromtimestamp(source_date_epoch(), UTC)
        else:
            now = datetime.now(UTC)
    text = now.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    return text.replace(".000000Z", "Z")


@dataclass
class ChartEntry:
    """One chart version in an index: its Chart.yaml fields plus where and what to download."""

    metadata: dict[str, Any]
    urls: list[str] = field(default_factory=list)
    digest: str | None = None
    created: str | None = None

    @property
    def name(self) -> str:
        return str(self.metadata["name"])

    @property
    def version(self) -> str:
        return str(self.metadata["version"])

    @property
    def app_version(self) -> str:
        return "" if self.metadata.get("appVersion") is None else str(self.metadata["appVersion"])

    @property
    def description(self) -> str:
        return str(self.metadata.get("description") or "")

    @property
    def keywords(self) -> list[str]:
        keywords = self.metadata.get("keywords") or []
        return [str(keyword) for keyword in keywords] if isinstance(keywords, list) else []

    @property
    def parsed_version(self):
        from tfhelm.versions import parse_version

        return parse_version(self.version, strict=False)

    def to_yaml(self) -> dict[str, Any]:
        fields = {key: value for key, value in self.metadata.items() if value not in (None, "", [], {})}
        fields.update({"urls": list(self.urls), "created": self.created, "digest": self.digest})
        return {key: fields[key] for key in sorted(fields) if fields[key] is not None}


@dataclass
class RepoIndex:
    """A repository index. ``entries`` lists each chart's versions, newest first after :meth:`sort`."""

    entries: dict[str, list[ChartEntry]] = field(default_factory=dict)
    generated: str | None = None
    warnings: list[str] = field(default_factory=list)

    def add(self, entry: ChartEntry) -> None:
        self.entries.setdefault(entry.name, []).append(entry)

    def get(self, name: str, version: str) -> ChartEntry | None:
        return next((entry for entry in self.entries.get(name, []) if entry.version == version), None)

    def sort(self) -> None:
        """Charts by name; each chart's versions newest first (ties broken by the text)."""
        self.entries = {
            name: sorted(versions, key=lambda entry: (entry.parsed_version, entry.version), reverse=True)
            for name, versions in sorted(self.entries.items())
        }

    def merge(self, older: RepoIndex) -> None:
        """Add ``older``'s versions that this index lacks (the directory's archives win).

        A version present in both with the same digest keeps its original ``created`` time,
        so re-indexing an unchanged repository does not rewrite history.
        """
        for name, versions in older.entries.items():
            for old in versions:
                current = self.get(name, old.version)
                if current is None:
                    self.add(old)
                elif current.digest == old.digest and old.created:
                    current.created = old.created
        self.sort()


def parse_index(data: bytes, *, source: str) -> RepoIndex:
    """Parse index.yaml (or index.json) text; ``source`` names it in messages."""
    from tfhelm.yamlio import YamlProblem, load_yaml_streamed

    try:
        raw = load_yaml_streamed(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise RepoError(f"{source} is not a chart repository index: not UTF-8 text ({error.reason})") from None
    except YamlProblem as problem:
        where = location(source, problem.line)
        raise RepoError(f"{where}: invalid YAML in the repository index: {problem.problem}") from None
    if not isinstance(raw, dict):
        raise RepoError(f"{source} is not a chart repository index: expected a mapping with apiVersion and entries")
    if not raw.get("apiVersion"):
        raise RepoError(f"{source} is not a chart repository index: it has no apiVersion")
    entries = raw.get("entries") or {}
    if not isinstance(entries, dict):
        raise RepoError(f"{source}: 'entries' must map chart names to lists of versions")
    index = RepoIndex(generated=None if raw.get("generated") is None else str(raw["generated"]))
    for name, versions in entries.items():
        for position, item in enumerate(versions if isinstance(versions, list) else []):
            entry, reason = _entry(str(name), item)
            if entry is None:
                index.warnings.append(f"{source}: skipping entries.{name}[{position}]: {reason}")
            else:
                index.add(entry)
    index.sort()
    return index


def _entry(name: str, item: Any) -> tuple[ChartEntry | None, str | None]:
    from tfhelm.versions import parse_version

    if not isinstance(item, dict):
        return None, "not a mapping"
    if str(item.get("name", "")) != name:
        return None, f"its name {item.get('name')!r} is not the chart name {name!r}"
    version = item.get("version")
    try:
        parse_version(str(version), strict=False)
    except ValueError as error:
        return None, str(error)
    metadata = {key: value for key, value in item.items() if key not in _ENTRY_FIELDS}
    metadata["version"] = str(version)
    urls = item.get("urls") or []
    if not isinstance(urls, list) or not urls:
        return None, "it has no urls"
    digest = item.get("digest")
    created = item.get("created")
    entry = ChartEntry(
        metadata,
        [str(url) for url in urls],
        None if digest is None else str(digest),
        None if created is None else str(created),
    )
    return entry, None


def load_index(path: str | Path) -> RepoIndex:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RepoError(f"cannot read repository index {path}: {error.strerror or error}") from None
    return parse_index(data, source=str(path))


def dump_index(index: RepoIndex) -> str:
    """The index as YAML, in Helm's layout."""
    from tfhelm.yamlio import dump_yaml

    index.sort()
    document = {
        "apiVersion": API_VERSION,
        "entries": {name: [entry.to_yaml() for entry in versions] for name, versions in index.entries.items()},
        "generated": index.generated or timestamp(),
    }
    return dump_yaml(document)


def index_directory(directory: str | Path, *, url: str | None = None, now: str | None = None) -> RepoIndex:
    """Index every chart archive in ``directory`` and its direct subdirectories, as Helm does.

    Each archive passes the full safety check and Chart.yaml validation. ``url`` is the base
    URL the directory will be served from; without it, ``urls`` are relative paths.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise RepoError(f"cannot index {directory}: not a directory")
    created = now or timestamp()
    index = RepoIndex(generated=created)
    seen: dict[tuple[str, str], str] = {}
    for archive in sorted([*directory.glob("*.tgz"), *directory.glob("*/*.tgz")]):
        relative = archive.relative_to(directory).as_posix()
        entry = _index_archive(archive, relative, url, created)
        key = (entry.name, entry.version)
        if key in seen:
            raise RepoError(
                f"cannot index {directory}: {seen[key]} and {relative} both hold {entry.name} {entry.version}"
            )
        seen[key] = relative
        index.add(entry)
    index.sort()
    return index


def _index_archive(archive: Path, relative: str, url: str | None, created: str) -> ChartEntry:
    from tfhelm.chart.archive import read_chart_archive_bytes
    from tfhelm.chart.metadata import parse_metadata

    try:
        data = archive.read_bytes()
    except OSError as error:
        raise RepoError(f"cannot read {archive}: {error.strerror or error}") from None
    files = read_chart_archive_bytes(data, source=str(archive))
    metadata = parse_metadata(files["Chart.yaml"].decode("utf-8", errors="replace"), source=str(archive))
    location = f"{url.rstrip('/')}/{relative}" if url else relative
    return ChartEntry(dict(metadata.raw), [location], sha256_hex(data), created)
