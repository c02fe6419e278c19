"""``tfhelm pull``: download a verified chart archive from a repository or an OCI registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tfhelm.chartsource import ChartSource
from tfhelm.errors import UsageError

__all__ = ["PullOptions", "PullResult", "run_pull"]


@dataclass(frozen=True)
class PullOptions:
    reference: str  # REPO/CHART or oci://HOST/PATH/CHART
    destination: Path = field(default_factory=lambda: Path("."))
    untar: bool = False
    source: ChartSource = field(default_factory=ChartSource)


@dataclass(frozen=True)
class PullResult:
    path: Path
    name: str
    version: str
    digest: str


def run_pull(options: PullOptions, *, transport=None) -> PullResult:
    """Download ``REPO/CHART`` or ``oci://…``; save ``<name>-<version>.tgz`` or, with
    ``untar``, the unpacked chart directory. Nothing is written unless every check passed."""
    from tfhelm.chart.archive import archive_file_name, extract_chart_files
    from tfhelm.fileio import write_file_atomically
    from tfhelm.repo.index import sha256_hex

    data, files, source = _download(options, transport)
    name, version = _name_and_version(files, source)
    if options.untar:
        path = extract_chart_files(files, options.destination, source=source)
    else:
        path = Path(options.destination) / archive_file_name(name, version)
        write_file_atomically(path, data)
    return PullResult(path=path, name=name, version=version, digest=f"sha256:{sha256_hex(data)}")


def _download(options: PullOptions, transport) -> tuple[bytes, dict[str, bytes], str]:
    from tfhelm.chart.archive import read_chart_archive_bytes

    if options.reference.startswith("oci://"):
        from tfhelm.repo.oci import pull_chart

        data = pull_chart(options.reference, options.source)
        return data, read_chart_archive_bytes(data, source=options.reference), options.reference
    from tfhelm.repo.http import redact
    from tfhelm.repo.resolve import fetch_repo_chart, split_reference

    if split_reference(options.reference) is None:
        raise UsageError(f"pull takes REPO/CHART or oci://HOST/PATH/CHART, not {options.reference!r}")
    fetched = fetch_repo_chart(
        options.reference, version=options.source.version, devel=options.source.devel, transport=transport
    )
    return fetched.data, fetched.files, redact(fetched.url)


def _name_and_version(files: dict[str, bytes], source: str) -> tuple[str, str]:
    from tfhelm.chart.metadata import parse_metadata

    metadata = parse_metadata(files["Chart.yaml"].decode("utf-8", errors="replace"), source=source)
    return metadata.name, metadata.version
