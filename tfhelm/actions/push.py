"""``tfhelm push CHART.tgz oci://HOST/PATH``: publish a packaged chart to an OCI registry."""

from __future__ import annotations

from dataclasses import dataclass, field

from tfhelm.chartsource import ChartSource

__all__ = ["PushOptions", "PushResult", "run_push"]


@dataclass(frozen=True)
class PushOptions:
    archive: str
    destination: str  # oci://HOST/PATH
    source: ChartSource = field(default_factory=ChartSource)  # how to reach the registry


@dataclass(frozen=True)
class PushResult:
    reference: str  # HOST/PATH/NAME:TAG
    digest: str  # of the manifest


def run_push(options: PushOptions) -> PushResult:
    """Check the archive (every safety rule), then push it as a Helm chart artifact."""
    from tfhelm.errors import UsageError
    from tfhelm.repo.oci import is_oci_reference, push_chart

    if not is_oci_reference(options.destination):
        raise UsageError(f"push needs an oci://HOST/PATH destination, not {options.destination!r}")
    reference, digest = push_chart(options.archive, options.destination, options.source)
    return PushResult(reference, digest)
