"""``tfhelm pull``: download a verified chart archive from a repository or an OCI registry.

With ``source.verify_keyring`` (``--verify``) the chart's provenance file is fetched too and must verify
against that keyring; it is saved beside the archive (``NAME-VERSION.tgz.prov``), as Helm does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tfhelm.chartsource import ChartSource
from tfhelm.errors import UsageError

if TYPE_CHECKING:
    from tfhelm.chart.provenance import Verification

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
    verification: Verification | None = None
    provenance: Path | None = None  # the .prov saved beside the archive


@dataclass(frozen=True)
class _Downloaded:
    data: bytes
    files: dict[str, bytes]
    source: str
    provenance: bytes | None = None
    verification: Verification | None = None


def run_pull(options: PullOptions, *, transport=None) -> PullResult:
    """Download ``REPO/CHART`` or ``oci://…``; save ``<name>-<version>.tgz`` or, with
    ``untar``, the unpacked chart directory. Nothing is written unless every check passed."""
    from tfhelm.chart.archive import archive_file_name, extract_chart_files
    from tfhelm.chart.provenance import provenance_path
    from tfhelm.fileio import write_file_atomically
    from tfhelm.repo.index import sha256_hex

    downloaded = _download(options, transport)
    name, version = _name_and_version(downloaded.files, downloaded.source)
    digest = f"sha256:{sha256_hex(downloaded.data)}"
    if options.untar:
        path = extract_chart_files(downloaded.files, options.destination, source=downloaded.source)
        return PullResult(path, name, version, digest, downloaded.verification)
    path = Path(options.destination) / archive_file_name(name, version)
    write_file_atomically(path, downloaded.data)
    if downloaded.provenance is None:
        return PullResult(path, name, version, digest)
    provenance = provenance_path(path)
    write_file_atomically(provenance, downloaded.provenance)
    return PullResult(path, name, version, digest, downloaded.verification, provenance)


def _download(options: PullOptions, transport) -> _Downloaded:
    from tfhelm.chart.archive import read_chart_archive_bytes

    if options.reference.startswith("oci://"):
        from tfhelm.repo.oci import fetch_chart

        pulled = fetch_chart(options.reference, options.source)
        files = read_chart_archive_bytes(pulled.data, source=options.reference)
        return _Downloaded(pulled.data, files, options.reference, pulled.provenance, pulled.verification)
    from tfhelm.repo.http import redact
    from tfhelm.repo.resolve import fetch_repo_chart, split_reference

    if split_reference(options.reference) is None:
        raise UsageError(f"pull takes REPO/CHART or oci://HOST/PATH/CHART, not {options.reference!r}")
    fetched = fetch_repo_chart(
        options.reference,
        version=options.source.version,
        devel=options.source.devel,
        transport=transport,
        verify_keyring=options.source.verify_keyring,
    )
    return _Downloaded(fetched.data, fetched.files, redact(fetched.url), fetched.provenance, fetched.verification)


def _name_and_version(files: dict[str, bytes], source: str) -> tuple[str, str]:
    from tfhelm.chart.metadata import parse_metadata

    metadata = parse_metadata(files["Chart.yaml"].decode("utf-8", errors="replace"), source=source)
    return metadata.name, metadata.version
