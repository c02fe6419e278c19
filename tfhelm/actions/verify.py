"""``tfhelm verify``: check a chart package against its ``.prov`` file and a keyring."""

from __future__ import annotations

from pathlib import Path

from tfhelm.chart.provenance import Verification

__all__ = ["run_verify"]


def run_verify(chart: str | Path, *, keyring: str | Path) -> Verification:
    """Verify ``CHART.tgz`` with ``CHART.tgz.prov``: a good signature by a key of ``keyring``
    over the archive's SHA-256. Raises ProvenanceError (naming the file and key) otherwise."""
    from tfhelm.chart.provenance import verify_package

    return verify_package(Path(chart), keyring=Path(keyring))
