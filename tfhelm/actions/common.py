"""Steps every chart-using verb shares: find the chart, and the capabilities to render for.

The flow is Helm's: chart → values tree (``tfhelm.values.tree``: defaults, subcharts, schema)
→ render → …
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from tfhelm.chart.loader import load_chart
from tfhelm.chart.model import Chart
from tfhelm.chartsource import ChartSource
from tfhelm.engine.context import DEFAULT_API_VERSIONS, DEFAULT_KUBE_VERSION, Capabilities, KubeVersion
from tfhelm.errors import ChartNotFoundError

__all__ = ["build_capabilities", "locate_chart"]


def locate_chart(reference: str, source: ChartSource | None = None) -> Chart:
    """Load a chart named on the command line.

    ``reference`` is a chart directory, a ``.tgz`` archive, ``REPO/CHART`` of a repository
    added with ``tfhelm repo add``, or ``oci://HOST/PATH/CHART``. ``source`` chooses among a
    repository's or registry's versions and says how to reach a registry (see :class:`ChartSource`);
    a local chart is what it is. A local path wins over a repository of the same name. Remote
    charts are verified (digest, archive safety) before loading.
    With ``source.verify_keyring`` (``--verify``) the chart must be a package whose ``.prov`` signature
    (beside a local ``.tgz``, ``URL.prov`` in a repository, a layer in a registry) verifies
    against that keyring; a chart directory cannot be verified and is refused.
    """
    from tfhelm.chart.archive import read_chart_archive_bytes
    from tfhelm.chart.loader import chart_from_files

    source = source or ChartSource()
    if reference.startswith("oci://"):
        from tfhelm.repo.oci import pull_chart

        data = pull_chart(reference, source)
        return chart_from_files(read_chart_archive_bytes(data, source=reference), source=reference)
    if os.path.exists(reference) or not _names_a_repository(reference):
        if source.verify_keyring is None:
            return load_chart(reference)
        from tfhelm.chart.provenance import read_verified_package

        data, _ = read_verified_package(Path(reference), keyring=source.verify_keyring)
        return chart_from_files(read_chart_archive_bytes(data, source=reference), source=reference)
    from tfhelm.repo.http import redact
    from tfhelm.repo.resolve import fetch_repo_chart

    fetched = fetch_repo_chart(
        reference, version=source.version, devel=source.devel, verify_keyring=source.verify_keyring
    )
    return chart_from_files(fetched.files, source=redact(fetched.url))


def _names_a_repository(reference: str) -> bool:
    """True for ``REPO/CHART`` whose REPO is configured; a missing local path otherwise."""
    from tfhelm.repo.config import load_repositories
    from tfhelm.repo.resolve import split_reference

    parts = split_reference(reference)
    if parts is None:
        return False
    repo_name = parts[0]

    if load_repositories().get(repo_name) is not None:
        return True
    raise ChartNotFoundError(
        f"chart {reference!r} not found: no such directory or archive, and no chart repository "
        f"named {repo_name!r} (`tfhelm repo list` shows them)"
    )


def build_capabilities(kube_version: str | None = None, api_versions: Iterable[str] = ()) -> Capabilities:
    """Capabilities for rendering: the given Kubernetes version and extra API versions."""
    return Capabilities(
        kube_version=KubeVersion.parse(kube_version or DEFAULT_KUBE_VERSION),
        api_versions=tuple(dict.fromkeys([*DEFAULT_API_VERSIONS, *api_versions])),
    )
