"""``tfhelm repo index|add|list|update|remove`` and ``tfhelm search repo``.

Each function takes its options object and returns data for the CLI to print; none prints itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tfhelm.chartsource import ChartSource
from tfhelm.errors import RepoError
from tfhelm.repo.config import Repository, load_repositories, locked_repositories, with_credentials

__all__ = [
    "IndexOptions",
    "RepoAddOptions",
    "RepoNames",
    "SearchOptions",
    "SearchResult",
    "UpdateOutcome",
    "repo_add",
    "repo_index",
    "repo_list",
    "repo_remove",
    "repo_update",
    "search_repo",
]


@dataclass(frozen=True)
class IndexOptions:
    directory: str | Path
    url: str | None = None  # where the directory will be served from (chart URLs are relative without it)
    merge: str | Path | None = None  # an existing index whose versions the directory lacks are kept


@dataclass(frozen=True)
class RepoAddOptions:
    name: str
    url: str
    source: ChartSource = field(default_factory=ChartSource)  # credentials and TLS to remember for it
    force_update: bool = False  # replace a repository of that name with another configuration


@dataclass(frozen=True)
class RepoNames:
    """The repositories ``repo update`` (all when empty) or ``repo remove`` works on."""

    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchOptions:
    keyword: str | None = None
    source: ChartSource = field(default_factory=ChartSource)  # version constraint and devel
    all_versions: bool = False
    warn: Callable[[str], None] = lambda message: print(f"WARNING: {message}", file=sys.stderr)


def repo_index(options: IndexOptions) -> Path:
    """Write ``DIR/index.yaml`` for the chart archives in DIR; return its path.

    With ``merge``, versions from that index which the directory lacks are kept (a missing
    merge file counts as an empty index, as in Helm).
    """
    directory, url, merge = options.directory, options.url, options.merge
    from tfhelm.fileio import write_file_atomically
    from tfhelm.repo.index import INDEX_FILE, dump_index, index_directory, load_index

    index = index_directory(directory, url=url)
    if merge is not None and Path(merge).exists():
        index.merge(load_index(merge))
    path = Path(directory) / INDEX_FILE
    write_file_atomically(path, dump_index(index).encode("utf-8"))
    return path


def repo_add(options: RepoAddOptions, *, transport=None) -> str:
    """Check that URL serves a chart index, cache it, and remember the repository as NAME."""
    from tfhelm.repo.resolve import update_index

    name, source, force_update = options.name, options.source, options.force_update
    wanted = with_credentials(
        Repository(
            name,
            options.url,
            ca_file=source.ca_file,
            insecure_skip_tls_verify=source.insecure_skip_tls_verify,
            pass_credentials_all=source.pass_credentials_all,
        ),
        source.username,
        source.password,
    )
    with locked_repositories() as config:
        existing = config.get(name)
        if existing == wanted and not force_update:
            return f"{name!r} already exists with the same configuration, skipping"
        if existing is not None and not force_update:
            raise RepoError(
                f"repository name {name!r} already exists with another configuration; use --force-update to replace it"
            )
        update_index(wanted, transport=transport)
        config.put(wanted)
    return f"{name!r} has been added to your repositories"


def repo_list() -> list[Repository]:
    repositories = load_repositories().repositories
    if not repositories:
        raise RepoError("no repositories to show; add one with `tfhelm repo add NAME URL`")
    return repositories


@dataclass(frozen=True)
class UpdateOutcome:
    name: str
    url: str
    charts: int
    error: str | None = None


def repo_update(options: RepoNames, *, transport=None) -> list[UpdateOutcome]:
    """Refresh the cached index of the named repositories (all when none are named)."""
    from tfhelm.repo.resolve import update_index

    names = options.names
    config = load_repositories()
    if not config.repositories:
        raise RepoError("no repositories found; add one with `tfhelm repo add NAME URL`")
    targets = [config.require(name) for name in names] if names else config.repositories
    outcomes = []
    for repo in targets:
        try:
            index = update_index(repo, transport=transport)
            outcomes.append(UpdateOutcome(repo.name, repo.display_url, len(index.entries)))
        except RepoError as error:
            outcomes.append(UpdateOutcome(repo.name, repo.display_url, 0, str(error)))
    return outcomes


def repo_remove(options: RepoNames) -> list[str]:
    """Forget repositories and delete their cached indexes; return a line per repository."""
    from tfhelm.repo.config import index_cache_path

    messages = []
    with locked_repositories() as config:
        for name in options.names:
            config.remove(name)
            index_cache_path(name).unlink(missing_ok=True)
            messages.append(f"{name!r} has been removed from your repositories")
    return messages


@dataclass(frozen=True)
class SearchResult:
    name: str
    version: str
    app_version: str
    description: str

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "version": self.version,
            "app_version": self.app_version,
            "description": self.description,
        }


def search_repo(options: SearchOptions) -> list[SearchResult]:
    """Charts of all repositories whose ``repo/name``, description or keywords contain KEYWORD.

    One row per chart: its newest version the constraint allows (``source.version``, default any
    release; prereleases with ``source.devel``), or every allowed version with ``all_versions``.
    """
    from tfhelm.repo.resolve import cached_index
    from tfhelm.versions import parse_constraint

    keyword, version, devel, warn = options.keyword, options.source.version, options.source.devel, options.warn
    try:
        constraint = parse_constraint(version or "*")
    except ValueError as error:
        raise RepoError(f"--version: {error}") from None
    config = load_repositories()
    if not config.repositories:
        raise RepoError("no repositories configured; add one with `tfhelm repo add NAME URL`")
    results = []
    for repo in config.repositories:
        try:
            index = cached_index(repo)
        except RepoError as error:
            warn(str(error))
            continue
        for chart, entries in index.entries.items():
            allowed = [entry for entry in entries if constraint.allows(entry.parsed_version, include_prerelease=devel)]
            if not allowed or not _matches(keyword, f"{repo.name}/{chart}", allowed[0]):
                continue
            for entry in allowed if options.all_versions else allowed[:1]:
                results.append(
                    SearchResult(f"{repo.name}/{chart}", entry.version, entry.app_version, entry.description)
                )
    return sorted(results, key=lambda result: result.name)  # stable: versions stay newest first


def _matches(keyword: str | None, name: str, entry) -> bool:
    if not keyword:
        return True
    haystack = " ".join([name, entry.description, *entry.keywords]).lower()
    return keyword.lower() in haystack
