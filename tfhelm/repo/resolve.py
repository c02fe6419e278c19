"""From ``repo/chart`` and a version constraint to a verified chart archive.

* :func:`select_version` picks the version as Helm does: an exact version string first, else the
  highest version the constraint allows; prereleases only with ``devel`` or when the constraint
  names one. When nothing matches, the error lists the versions that exist.
* :func:`download_entry` fetches the archive and refuses it unless its SHA-256 equals the
  index's ``digest`` and it passes every archive safety check for that name and version. Only a
  ``file://`` repository may point chart URLs at ``file://``: an index served over http(s) must
  not make tfhelm read local files.
* :func:`verify_download` fetches ``URL.prov`` beside an archive and checks the archive with it
  (``--verify``): a chart without one, or with a bad one, is refused.
* :func:`update_index` downloads a repository's index into the cache; :func:`cached_index`
  reads it back.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tfhelm.errors import ArchiveError, RepoError
from tfhelm.repo.config import Repository, RepositoryConfig, index_cache_path, load_repositories
from tfhelm.repo.index import ChartEntry, RepoIndex, parse_index, sha256_hex

if TYPE_CHECKING:
    from tfhelm.chart.provenance import Verification

__all__ = [
    "MAX_ARCHIVE_BYTES",
    "MAX_INDEX_BYTES",
    "FetchedChart",
    "cached_index",
    "download_entry",
    "fetch_repo_chart",
    "select_version",
    "split_reference",
    "transport_options",
    "update_index",
    "verify_download",
]

MAX_INDEX_BYTES = 256 * 1024 * 1024
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
_SHOWN_VERSIONS = 20


@dataclass(frozen=True)
class FetchedChart:
    """A downloaded, verified chart: the archive bytes, its checked files and where it came from."""

    repository: Repository
    entry: ChartEntry
    url: str
    data: bytes
    files: dict[str, bytes]
    provenance: bytes | None = None  # the .prov file, when it was verified
    verification: Verification | None = None


def split_reference(reference: str) -> tuple[str, str] | None:
    """``"repo/chart"`` → ``("repo", "chart")``; None for anything else."""
    repo, slash, chart = reference.partition("/")
    if not slash or not repo or not chart or "/" in chart or repo in (".", ".."):
        return None
    return repo, chart


def transport_options(repo: Repository):
    from tfhelm.repo.http import TransportOptions

    return TransportOptions(repo.source)


def update_index(repo: Repository, *, transport=None) -> RepoIndex:
    """Download ``repo``'s index, check it parses, and store it in the cache."""
    from tfhelm.fileio import write_file_atomically
    from tfhelm.repo.http import Downloader

    with Downloader(transport_options(repo), transport=transport) as downloader:
        data = downloader.get(repo.index_url, max_bytes=MAX_INDEX_BYTES, what=f"the index of repository {repo.name!r}")
    index = parse_index(data, source=f"{repo.display_url}/index.yaml")
    write_file_atomically(index_cache_path(repo.name), data)
    return index


def cached_index(repo: Repository) -> RepoIndex:
    path = index_cache_path(repo.name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RepoError(f"no cached index for repository {repo.name!r}; run `tfhelm repo update {repo.name}`") from None
    except OSError as error:
        raise RepoError(f"cannot read {path}: {error.strerror or error}") from None
    return parse_index(data, source=str(path))


def select_version(
    index: RepoIndex, chart: str, constraint: str | None = None, *, devel: bool = False, repo_name: str = "repository"
) -> ChartEntry:
    """The chart version to use (see the module docstring)."""
    from tfhelm.versions import highest_match, parse_constraint

    versions = index.entries.get(chart)
    if not versions:
        raise RepoError(_unknown_chart(index, chart, repo_name))
    if constraint:
        exact = next((entry for entry in versions if entry.version == constraint), None)
        if exact is not None:
            return exact
    try:
        parsed = parse_constraint(constraint or "*")
    except ValueError as error:
        raise RepoError(f"--version: {error}") from None
    best = highest_match(parsed, [entry.parsed_version for entry in versions], include_prerelease=devel)
    if best is None:
        raise RepoError(_no_match(chart, repo_name, constraint, versions, devel))
    return next(entry for entry in versions if entry.parsed_version == best)


def _unknown_chart(index: RepoIndex, chart: str, repo_name: str) -> str:
    message = f"chart {chart!r} not found in repository {repo_name!r}"
    close = difflib.get_close_matches(chart, list(index.entries), n=3)
    if close:
        return f"{message}; did you mean {', '.join(close)}?"
    return f"{message} (it has {len(index.entries)} chart(s); `tfhelm search repo {repo_name}/` lists them)"


def _no_match(chart: str, repo_name: str, constraint: str | None, versions: list[ChartEntry], devel: bool) -> str:
    wanted = f"matches {constraint!r}" if constraint else "is a release"
    has_prerelease = any(entry.parsed_version.is_prerelease for entry in versions)
    hint = (
        " (prereleases count only with --devel or a prerelease in the constraint)"
        if has_prerelease and not devel
        else ""
    )
    shown = [entry.version for entry in versions[:_SHOWN_VERSIONS]]
    more = f" and {len(versions) - _SHOWN_VERSIONS} older" if len(versions) > _SHOWN_VERSIONS else ""
    return f"no version of {repo_name}/{chart} {wanted}{hint}; versions that exist: {', '.join(shown)}{more}"


def download_entry(repo: Repository, entry: ChartEntry, *, transport=None) -> tuple[str, bytes, dict[str, bytes]]:
    """Download one index entry; return (url, archive bytes, checked files). Refuses a digest mismatch."""
    from tfhelm.chart.archive import read_chart_archive_bytes
    from tfhelm.repo.http import Downloader, redact, resolve_url, same_origin

    url = resolve_url(repo.url, entry.urls[0])
    _refuse_local_file_from_remote_index(repo, entry, url)
    expected = (entry.digest or "").lower().removeprefix("sha256:")
    if not expected:
        raise ArchiveError(
            f"the index of repository {repo.name!r} gives no digest for {entry.name} {entry.version}; "
            "refusing an unverifiable download"
        )
    send_credentials = repo.pass_credentials_all or same_origin(url, repo.url)
    with Downloader(transport_options(repo), transport=transport) as downloader:
        data = downloader.get(
            url, max_bytes=MAX_ARCHIVE_BYTES, what=f"{entry.name} {entry.version}", send_credentials=send_credentials
        )
    actual = sha256_hex(data)
    if actual != expected:
        raise ArchiveError(
            f"digest mismatch for {redact(url)}: the index of repository {repo.name!r} says sha256:{expected}, "
            f"the download is sha256:{actual}; "
            f"refusing it (run `tfhelm repo update {repo.name}` if the repository changed)"
        )
    files = read_chart_archive_bytes(data, source=redact(url), expected_name=entry.name, expected_version=entry.version)
    return url, data, files


def _refuse_local_file_from_remote_index(repo: Repository, entry: ChartEntry, url: str) -> None:
    from urllib.parse import urlsplit

    from tfhelm.repo.http import redact

    if urlsplit(url).scheme.lower() == "file" and urlsplit(repo.url).scheme.lower() != "file":
        raise RepoError(
            f"the index of repository {repo.name!r} ({repo.display_url}) points {entry.name} {entry.version} at the "
            f"local file {redact(url)}; only a file:// repository may use file:// chart URLs, refusing it"
        )


def fetch_repo_chart(
    reference: str,
    *,
    version: str | None = None,
    devel: bool = False,
    config: RepositoryConfig | None = None,
    transport=None,
    verify_keyring: Path | None = None,
) -> FetchedChart:
    """Resolve ``repo/chart`` against the cached index and download the verified archive; with
    ``verify_keyring``, also its ``.prov`` signature, checked against that keyring."""
    parts = split_reference(reference)
    if parts is None:
        raise RepoError(f"{reference!r} is not a REPO/CHART reference")
    repo = (config or load_repositories()).require(parts[0])
    entry = select_version(cached_index(repo), parts[1], version, devel=devel, repo_name=repo.name)
    url, data, files = download_entry(repo, entry, transport=transport)
    if verify_keyring is None:
        return FetchedChart(repo, entry, url, data, files)
    provenance, verification = verify_download(repo, url, data, verify_keyring, transport=transport)
    return FetchedChart(repo, entry, url, data, files, provenance, verification)


def verify_download(
    repo: Repository, url: str, data: bytes, keyring: Path, *, transport=None
) -> tuple[bytes, Verification]:
    """Download ``URL.prov`` (as Helm: the archive's URL plus ``.prov``) and verify ``data`` with
    it and ``keyring``; the signed file name is the URL's last path segment."""
    from urllib.parse import unquote, urlsplit

    from tfhelm.chart.provenance import MAX_PROVENANCE_BYTES, verify_package_bytes
    from tfhelm.errors import ProvenanceError
    from tfhelm.repo.http import Downloader, redact, same_origin

    prov_url = url + ".prov"
    send_credentials = repo.pass_credentials_all or same_origin(prov_url, repo.url)
    with Downloader(transport_options(repo), transport=transport) as downloader:
        try:
            provenance = downloader.get(
                prov_url, max_bytes=MAX_PROVENANCE_BYTES, what="the provenance file", send_credentials=send_credentials
            )
        except RepoError as error:
            raise ProvenanceError(
                f"{error}; the chart is not signed, or repository {repo.name!r} does not serve its .prov file"
            ) from None
    file_name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    verification = verify_package_bytes(data, file_name, provenance, keyring=keyring, source=redact(prov_url))
    return provenance, verification
