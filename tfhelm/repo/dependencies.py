"""Chart dependencies: resolve Chart.yaml ``dependencies``, fetch them, and the ``Chart.lock`` file.

A dependency's ``repository`` may be

* an ``https://`` (or ``http://``) chart repository URL: a repository added with ``repo add``
  under that URL lends its credentials and settings, any other URL is read anonymously;
* ``@name`` or ``alias:name``: a repository added with ``tfhelm repo add name …``;
* ``oci://HOST/PATH``: a registry, the chart being ``oci://HOST/PATH/<name>``;
* ``file://PATH``: a chart directory relative to the parent chart, packaged reproducibly;
* empty: the chart is vendored under ``charts/`` already and nothing is fetched.

``Chart.lock`` has Helm's shape (``dependencies`` with ``name``/``repository``/``version``,
``digest``, ``generated``) and Helm's ``digest`` over the requirements and the lock, so Helm
accepts tfhelm's lock and the other way round. tfhelm adds each downloaded archive's sha256 as
a ``digest`` of its entry (Helm ignores the field) so ``dependency build`` restores exactly the
bytes that were locked, or refuses. With ``FetchSettings.source.verify_keyring`` (``--verify``), every
chart downloaded from a repository or registry must also carry a good ``.prov`` signature by a
key of that keyring; ``file://`` and vendored charts are not downloaded and, as in Helm, not verified.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tfhelm.chart.model import Dependency
from tfhelm.chartsource import ChartSource
from tfhelm.errors import ChartError, RepoError

__all__ = [
    "LOCK_FILE",
    "ChartLock",
    "FetchSettings",
    "FetchedDependency",
    "LockedDependency",
    "canonical_repository",
    "fetch_dependency",
    "read_lock",
    "requirements_digest",
    "write_lock",
]

LOCK_FILE = "Chart.lock"


@dataclass(frozen=True)
class LockedDependency:
    """One resolved dependency: what Helm records, plus the archive's sha256 (tfhelm's check)."""

    name: str
    version: str
    repository: str
    digest: str | None = None

    def helm_fields(self) -> dict[str, str]:
        """The entry as Helm hashes it (Go field order, empty repository kept)."""
        return {"name": self.name, "version": self.version, "repository": self.repository}


@dataclass(frozen=True)
class ChartLock:
    dependencies: tuple[LockedDependency, ...]
    digest: str
    generated: str


@dataclass(frozen=True)
class FetchSettings:
    """How to reach repositories and registries while fetching dependencies."""

    refresh: bool = True  # download configured repositories' indexes first (Helm does)
    # reaching OCI registries, and --verify's keyring; versions come from Chart.yaml
    source: ChartSource = field(default_factory=ChartSource)
    transport: Any = None


@dataclass(frozen=True)
class FetchedDependency:
    locked: LockedDependency
    data: bytes = field(repr=False)

    @property
    def file_name(self) -> str:
        return f"{self.locked.name}-{self.locked.version}.tgz"


# --------------------------------------------------------------------------- Chart.lock


def requirements_digest(requirements: Iterable[Dependency], locked: Iterable[LockedDependency]) -> str:
    """Helm's ``HashReq``: sha256 of ``[requirements, lock]`` as Go's encoding/json writes them.

    ``requirements`` must carry canonical repositories (``@name`` already turned into its URL).
    """
    document = [
        [_helm_requirement(dependency) for dependency in requirements],
        [entry.helm_fields() for entry in locked],
    ]
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    # Go escapes these three for safe embedding in HTML; the digest depends on it
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _helm_requirement(dependency: Dependency) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": dependency.name}
    if dependency.version:
        fields["version"] = dependency.version
    fields["repository"] = dependency.repository or ""
    optional = (
        ("condition", dependency.condition),
        ("tags", list(dependency.tags)),
        ("enabled", dependency.enabled),
        ("import-values", list(dependency.import_values)),
        ("alias", dependency.alias),
    )
    fields.update({key: value for key, value in optional if value})
    return fields


def read_lock(chart_dir: Path) -> ChartLock | None:
    """``Chart.lock`` of a chart directory, or None when it has none."""
    from tfhelm.yamlio import parse_yaml

    path = chart_dir / LOCK_FILE
    if not path.is_file():
        return None
    raw = parse_yaml(path.read_text(encoding="utf-8"), file=path, error=ChartError)
    if not isinstance(raw, dict) or not isinstance(raw.get("dependencies") or [], list):
        raise ChartError("must be a mapping with a 'dependencies' list", file=path)
    entries = []
    for index, entry in enumerate(raw.get("dependencies") or []):
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("version"):
            raise ChartError(f"dependencies[{index}] needs a name and a version", file=path)
        entries.append(
            LockedDependency(
                str(entry["name"]),
                str(entry["version"]),
                str(entry.get("repository") or ""),
                entry.get("digest") or None,
            )
        )
    return ChartLock(tuple(entries), str(raw.get("digest") or ""), str(raw.get("generated") or ""))


def write_lock(chart_dir: Path, lock: ChartLock) -> Path:
    """Write ``Chart.lock`` as Helm lays it out (keys sorted, entries in Chart.yaml order)."""
    from tfhelm.fileio import write_file_atomically
    from tfhelm.yamlio import dump_yaml

    entries = []
    for entry in lock.dependencies:
        fields = {"digest": entry.digest, "name": entry.name, "repository": entry.repository, "version": entry.version}
        entries.append({key: value for key, value in fields.items() if value is not None})
    document = {"dependencies": entries, "digest": lock.digest, "generated": lock.generated}
    path = chart_dir / LOCK_FILE
    write_file_atomically(path, dump_yaml(document).encode("utf-8"))
    return path


# --------------------------------------------------------------------------- repositories


def canonical_repository(dependency: Dependency, repositories) -> str:
    """The repository as locked and hashed: ``@name`` / ``alias:name`` become the repo's URL."""
    text = (dependency.repository or "").strip()
    name = _repository_alias(text)
    if name is None:
        return text
    return repositories.require(name).url.rstrip("/")


def _repository_alias(text: str) -> str | None:
    if text.startswith("@"):
        return text[1:]
    if text.startswith("alias:"):
        return text[len("alias:") :]
    return None


def fetch_dependency(
    dependency: Dependency,
    chart_dir: Path,
    repositories,
    settings: FetchSettings,
    *,
    exact_version: str | None = None,
) -> FetchedDependency:
    """Resolve one dependency (its constraint, or ``exact_version`` from a lock) and fetch its
    verified archive. Raises RepoError naming the dependency on any failure."""
    repository = canonical_repository(dependency, repositories)
    wanted = exact_version or dependency.version
    try:
        if repository.startswith("file://"):
            return _from_directory(dependency, chart_dir, repository, wanted)
        if repository.startswith("oci://"):
            return _from_registry(dependency, repository, wanted, settings)
        if repository.startswith(("https://", "http://")):
            return _from_chart_repository(dependency, repository, wanted, repositories, settings)
    except RepoError as error:
        raise type(error)(f"dependency {dependency.name!r}: {error}") from None
    raise RepoError(
        f"dependency {dependency.name!r}: repository {dependency.repository!r} is not supported "
        "(use an https:// URL, @name of an added repository, oci://HOST/PATH or file://PATH)"
    )


def _from_directory(dependency: Dependency, chart_dir: Path, repository: str, wanted: str | None) -> FetchedDependency:
    from tfhelm.chart.archive import build_chart_archive
    from tfhelm.chart.loader import load_chart

    path = (chart_dir / repository[len("file://") :]).resolve()
    if not path.is_dir():
        raise RepoError(f"{repository} is not a chart directory ({path} does not exist)")
    chart = load_chart(path)
    if chart.name != dependency.name:
        raise RepoError(f"{repository} holds chart {chart.name!r}, not {dependency.name!r}")
    _check_allowed(wanted, chart.version, repository)
    data = build_chart_archive(chart.name, chart.raw_files)
    # a local chart is its own source of truth: no archive digest is locked for it
    return FetchedDependency(LockedDependency(chart.name, chart.version, repository), data)


def _check_allowed(wanted: str | None, version: str, where: str) -> None:
    from tfhelm.versions import parse_constraint

    if not wanted or wanted == version:
        return
    try:
        allowed = parse_constraint(wanted).allows(version, include_prerelease=True)
    except ValueError as error:
        raise RepoError(f"version {wanted!r}: {error}") from None
    if not allowed:
        raise RepoError(f"{where} has version {version}, which does not match {wanted!r}")


def _from_registry(
    dependency: Dependency, repository: str, wanted: str | None, settings: FetchSettings
) -> FetchedDependency:
    from tfhelm.repo.oci import fetch_chart

    source = replace(settings.source, version=wanted, devel=False)
    pulled = fetch_chart(f"{repository.rstrip('/')}/{dependency.name}", source, transport=settings.transport)
    return FetchedDependency(LockedDependency(dependency.name, pulled.version, repository, pulled.digest), pulled.data)


def _from_chart_repository(
    dependency: Dependency, url: str, wanted: str | None, repositories, settings: FetchSettings
) -> FetchedDependency:
    from tfhelm.repo.index import sha256_hex
    from tfhelm.repo.resolve import download_entry, select_version, verify_download

    repo, index = _index_for(url, repositories, settings)
    entry = select_version(index, dependency.name, wanted, repo_name=repo.display_url)
    chart_url, data, _files = download_entry(repo, entry, transport=settings.transport)
    if settings.source.verify_keyring is not None:
        verify_download(repo, chart_url, data, settings.source.verify_keyring, transport=settings.transport)
    locked = LockedDependency(dependency.name, entry.version, url, "sha256:" + sha256_hex(data))
    return FetchedDependency(locked, data)


def _index_for(url: str, repositories, settings: FetchSettings):
    """The repository to download from and its index (fresh unless ``refresh`` is off)."""
    from tfhelm.repo.config import Repository
    from tfhelm.repo.resolve import cached_index, update_index

    configured = next((repo for repo in repositories.repositories if repo.url.rstrip("/") == url.rstrip("/")), None)
    if configured is not None:
        index = update_index(configured, transport=settings.transport) if settings.refresh else cached_index(configured)
        return configured, index
    unmanaged = Repository(name="unmanaged", url=url)
    return unmanaged, _download_index(unmanaged, settings)


def _download_index(repo, settings: FetchSettings):
    from tfhelm.repo.http import Downloader
    from tfhelm.repo.index import parse_index
    from tfhelm.repo.resolve import MAX_INDEX_BYTES, transport_options

    with Downloader(transport_options(repo), transport=settings.transport) as downloader:
        data = downloader.get(repo.index_url, max_bytes=MAX_INDEX_BYTES, what=f"the index of {repo.display_url}")
    return parse_index(data, source=f"{repo.display_url}/index.yaml")
