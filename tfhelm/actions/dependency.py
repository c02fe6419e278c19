"""``tfhelm dependency update|build|list``: a chart's dependencies in ``charts/`` and ``Chart.lock``.

* update: resolve every Chart.yaml dependency (newest version its constraint allows), fetch and
  check all of them, and only then write ``charts/<name>-<version>.tgz``, remove archives of
  those charts at other versions, and write ``Chart.lock``.
* build: restore exactly what ``Chart.lock`` records, refusing when Chart.yaml's dependencies
  changed since the lock was written, or when an archive's bytes differ from the locked digest.
* list: each dependency with the state of ``charts/`` (ok, missing, wrong version, corrupt).

update and build check the fetched archives together against one chart tree's limits (see
:class:`~tfhelm.chart.archive.ArchiveBudget`), refusing as soon as they pass it. A dependency
without a repository is vendored: it must already be in ``charts/`` and is never removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfhelm.chart.archive import ArchiveBudget, check_chart_archive_tree
from tfhelm.chart.model import Dependency
from tfhelm.chartsource import ChartSource
from tfhelm.errors import ArchiveError, ChartError, ChartNotFoundError, RepoError
from tfhelm.repo.dependencies import (
    ChartLock,
    FetchedDependency,
    FetchSettings,
    LockedDependency,
    canonical_repository,
    fetch_dependency,
    read_lock,
    requirements_digest,
    write_lock,
)

__all__ = [
    "DependencyOptions",
    "DependencyResult",
    "DependencyStatus",
    "build_dependencies",
    "list_dependencies",
    "update_dependencies",
]


@dataclass(frozen=True)
class DependencyOptions:
    chart: str | Path  # the chart directory
    source: ChartSource = field(default_factory=ChartSource)  # how to reach OCI registries; --verify
    refresh: bool = True  # update: download the configured repositories' indexes first (build never does)

    def settings(self, *, refresh: bool, transport: Any) -> FetchSettings:
        return FetchSettings(refresh=refresh, source=self.source, transport=transport)


@dataclass(frozen=True)
class DependencyResult:
    lock: ChartLock
    written: tuple[Path, ...]
    removed: tuple[Path, ...]


@dataclass(frozen=True)
class DependencyStatus:
    name: str
    version: str  # the constraint from Chart.yaml
    repository: str
    status: str  # ok, missing, wrong version, corrupt
    found: str | None = None  # the version found in charts/


def update_dependencies(options: DependencyOptions, *, transport: Any = None) -> DependencyResult:
    """Resolve, fetch and lock every dependency of the chart in ``options.chart``."""
    chart_dir, dependencies = _chart(options.chart)
    settings = options.settings(refresh=options.refresh, transport=transport)
    repositories = _repositories()
    requirements = [_canonical(dependency, repositories) for dependency in dependencies]
    fetched: dict[tuple[str, str, str | None], FetchedDependency] = {}
    budget = ArchiveBudget()
    locked = []
    for dependency in requirements:
        if not dependency.repository:
            locked.append(_vendored_lock_entry(chart_dir, dependency))
            continue
        key = (dependency.name, dependency.repository, dependency.version)
        if key not in fetched:  # one chart used under several aliases is fetched once
            fetched[key] = _within(budget, chart_dir, fetch_dependency(dependency, chart_dir, repositories, settings))
        locked.append(fetched[key].locked)
    lock = ChartLock(tuple(locked), requirements_digest(requirements, locked), _now())
    return _install(chart_dir, list(fetched.values()), lock, dependencies)


def build_dependencies(options: DependencyOptions, *, transport: Any = None) -> DependencyResult:
    """Fetch exactly the versions (and bytes) ``Chart.lock`` records into ``charts/``."""
    chart_dir, dependencies = _chart(options.chart)
    settings = options.settings(refresh=False, transport=transport)
    lock = read_lock(chart_dir)
    if lock is None:
        raise RepoError(f"{chart_dir} has no Chart.lock; run `tfhelm dependency update {chart_dir}` first")
    repositories = _repositories()
    requirements = [_canonical(dependency, repositories) for dependency in dependencies]
    if requirements_digest(requirements, lock.dependencies) != lock.digest:
        raise RepoError(
            f"{chart_dir / 'Chart.lock'} is out of sync with the dependencies in {chart_dir / 'Chart.yaml'}; "
            f"run `tfhelm dependency update {chart_dir}` to resolve them again"
        )
    fetched: dict[LockedDependency, FetchedDependency] = {}
    budget = ArchiveBudget()
    for entry in lock.dependencies:
        if entry.repository and entry not in fetched:
            fetched[entry] = _within(budget, chart_dir, _fetch_locked(entry, chart_dir, repositories, settings))
    return _install(chart_dir, list(fetched.values()), lock, dependencies, write_lock_file=False)


def list_dependencies(options: DependencyOptions) -> list[DependencyStatus]:
    """Every Chart.yaml dependency with what ``charts/`` holds for it."""
    chart_dir, dependencies = _chart(options.chart)
    lock = read_lock(chart_dir)
    locked = {entry.name: entry.version for entry in lock.dependencies} if lock else {}
    present = _present_charts(chart_dir)
    return [
        _status(dependency, present.get(dependency.name), locked.get(dependency.name)) for dependency in dependencies
    ]


# --------------------------------------------------------------------------- steps


def _chart(chart_dir: str | Path) -> tuple[Path, tuple[Dependency, ...]]:
    from tfhelm.chart.metadata import CHART_FILE, parse_metadata

    path = Path(chart_dir)
    chart_yaml = path / CHART_FILE
    if not chart_yaml.is_file():
        raise ChartNotFoundError(f"{path} is not a chart directory ({CHART_FILE} is missing)")
    return path, parse_metadata(chart_yaml.read_text(encoding="utf-8"), source=str(path)).dependencies


def _repositories():
    from tfhelm.repo.config import load_repositories

    return load_repositories()


def _canonical(dependency: Dependency, repositories) -> Dependency:
    from dataclasses import replace

    return replace(dependency, repository=canonical_repository(dependency, repositories))


def _now() -> str:
    from tfhelm.repo.index import timestamp

    return timestamp()


def _vendored_lock_entry(chart_dir: Path, dependency: Dependency) -> LockedDependency:
    """A dependency without a repository must already sit in ``charts/``."""
    versions = [version for version in _present_charts(chart_dir).get(dependency.name, []) if version != "corrupt"]
    if not versions:
        raise RepoError(
            f"dependency {dependency.name!r} has no repository and is not in {chart_dir / 'charts'}; "
            "give it a repository (https://…, @name, oci://…, file://…) or put the chart there"
        )
    return LockedDependency(dependency.name, versions[0], "")


def _within(budget: ArchiveBudget, chart_dir: Path, fetched: FetchedDependency) -> FetchedDependency:
    """Charge a fetched archive (and the archives nested in it) to the budget the dependencies
    of one chart share; refuse it, before anything is written, once they pass the limit."""
    source = f"{fetched.file_name} from {fetched.locked.repository}"
    try:
        check_chart_archive_tree(fetched.data, source=source, budget=budget)
    except ArchiveError as error:
        raise ArchiveError(
            f"dependency {fetched.locked.name!r} of {chart_dir}: {error} "
            "(the dependencies of a chart, decompressed, count together against the limits of one chart)"
        ) from None
    return fetched


def _fetch_locked(entry: LockedDependency, chart_dir: Path, repositories, settings: FetchSettings) -> FetchedDependency:
    dependency = Dependency(name=entry.name, version=entry.version, repository=entry.repository)
    fetched = fetch_dependency(dependency, chart_dir, repositories, settings, exact_version=entry.version)
    if fetched.locked.version != entry.version:
        raise RepoError(
            f"dependency {entry.name!r}: Chart.lock records {entry.version}, found {fetched.locked.version}"
        )
    if entry.digest and fetched.locked.digest != entry.digest:
        raise ArchiveError(
            f"dependency {entry.name!r} {entry.version} from {entry.repository}: Chart.lock records "
            f"{entry.digest}, the archive fetched now is {fetched.locked.digest}; refusing it "
            "(the published chart changed; run `tfhelm dependency update` only if you trust the new one)"
        )
    return fetched


def _install(
    chart_dir: Path,
    fetched: list[FetchedDependency],
    lock: ChartLock,
    dependencies: tuple[Dependency, ...],
    *,
    write_lock_file: bool = True,
) -> DependencyResult:
    """Write the archives, drop other versions of the same charts, then the lock."""
    from tfhelm.fileio import write_file_atomically

    charts = chart_dir / "charts"
    written = []
    for item in fetched:
        path = charts / item.file_name
        write_file_atomically(path, item.data)
        written.append(path)
    fetched_names = {dependency.name for dependency in dependencies if dependency.repository}
    removed = _remove_stale(charts, fetched_names, set(written))
    if write_lock_file:
        write_lock(chart_dir, lock)
    return DependencyResult(lock, tuple(written), tuple(removed))


def _remove_stale(charts: Path, names: set[str], keep: set[Path]) -> list[Path]:
    """Archives in ``charts/`` of a fetched dependency's chart at another version (as Helm deletes
    them). Vendored dependencies (no repository) are not in ``names``: they are left alone."""
    from tfhelm.versions import is_valid_semver

    removed = []
    for path in sorted(charts.glob("*.tgz")) if charts.is_dir() else []:
        if path in keep:
            continue
        for name in names:
            claimed = path.name[len(name) + 1 : -len(".tgz")]
            if path.name.startswith(name + "-") and is_valid_semver(claimed):
                path.unlink()
                removed.append(path)
                break
    return removed


def _present_charts(chart_dir: Path) -> dict[str, list[str]]:
    """Chart name → versions found under ``charts/`` (archives and directories). An archive
    that cannot be read safely counts as version "corrupt" of the chart its file name names."""
    from tfhelm.chart.archive import read_chart_archive
    from tfhelm.chart.metadata import parse_metadata

    present: dict[str, list[str]] = {}
    charts = chart_dir / "charts"
    for path in sorted(charts.iterdir()) if charts.is_dir() else []:
        try:
            if path.is_file() and path.name.endswith(".tgz"):
                chart_yaml = read_chart_archive(path)["Chart.yaml"].decode("utf-8")
            elif (path / "Chart.yaml").is_file():
                chart_yaml = (path / "Chart.yaml").read_text(encoding="utf-8")
            else:
                continue
            metadata = parse_metadata(chart_yaml, source=str(path))
        except (ChartError, RepoError, KeyError, UnicodeDecodeError):
            present.setdefault(_name_in_file_name(path.name), []).append("corrupt")
            continue
        present.setdefault(metadata.name, []).append(metadata.version)
    return present


def _name_in_file_name(file_name: str) -> str:
    """``my-chart-1.2.0-rc.1.tgz`` → ``my-chart`` (the version starts at the first ``-<digit>``)."""
    import re

    match = re.match(r"(.+?)-\d", file_name)
    return match.group(1) if match else file_name.removesuffix(".tgz")


def _status(dependency: Dependency, versions: list[str] | None, locked: str | None) -> DependencyStatus:
    from tfhelm.versions import parse_constraint

    row = dict(name=dependency.name, version=dependency.version or "", repository=dependency.repository or "")
    if not versions:
        return DependencyStatus(**row, status="missing")
    if versions == ["corrupt"]:
        return DependencyStatus(**row, status="corrupt")
    good = [version for version in versions if version != "corrupt"]
    if locked is not None:
        matching = [version for version in good if version == locked]
    else:
        try:
            constraint = parse_constraint(dependency.version or "*")
        except ValueError:
            return DependencyStatus(**row, status="wrong version", found=good[0])
        matching = [version for version in good if constraint.allows(version, include_prerelease=True)]
    if matching:
        return DependencyStatus(**row, status="ok", found=matching[0])
    return DependencyStatus(**row, status="wrong version", found=good[0] if good else None)
