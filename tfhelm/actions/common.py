"""Steps every chart-using verb shares: find the chart, compute its values, check them.

The flow is Helm's: chart → user values → defaults coalesced → schema → (render …).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tfhelm.chart.loader import load_chart
from tfhelm.chart.model import Chart
from tfhelm.engine.context import DEFAULT_API_VERSIONS, DEFAULT_KUBE_VERSION, Capabilities, KubeVersion
from tfhelm.engine.subcharts import chart_tree, coalesce_chart_values
from tfhelm.errors import ChartError, ChartNotFoundError
from tfhelm.values.options import ValueOptions

__all__ = ["build_capabilities", "check_dependencies", "compute_values", "locate_chart", "validate_chart_values"]


def locate_chart(
    reference: str,
    *,
    version: str | None = None,
    devel: bool = False,
    verify_keyring: Path | None = None,
    **registry_tls: Any,
) -> Chart:
    """Load a chart named on the command line.

    ``reference`` is a chart directory, a ``.tgz`` archive, ``REPO/CHART`` of a repository
    added with ``tfhelm repo add``, or ``oci://HOST/PATH/CHART``. ``version`` (a version or a
    constraint such as ``^1.2``) and ``devel`` (allow prereleases) choose among a repository's
    or registry's versions; a local chart is what it is. A local path wins over a repository
    of the same name. Remote charts are verified (digest, archive safety) before loading.
    ``registry_tls`` (``plain_http``, ``insecure_skip_tls_verify``, ``ca_file``) reaches an OCI
    registry; a chart repository's TLS settings are those given to ``tfhelm repo add``.
    With ``verify_keyring`` (``--verify``) the chart must be a package whose ``.prov`` signature
    (beside a local ``.tgz``, ``URL.prov`` in a repository, a layer in a registry) verifies
    against that keyring; a chart directory cannot be verified and is refused.
    """
    from tfhelm.chart.archive import read_chart_archive_bytes
    from tfhelm.chart.loader import chart_from_files

    if reference.startswith("oci://"):
        from tfhelm.repo.oci import fetch_chart

        data = fetch_chart(reference, version=version, devel=devel, verify_keyring=verify_keyring, **registry_tls).data
        return chart_from_files(read_chart_archive_bytes(data, source=reference), source=reference)
    if os.path.exists(reference) or not _names_a_repository(reference):
        if verify_keyring is None:
            return load_chart(reference)
        from tfhelm.chart.provenance import read_verified_package

        data, _ = read_verified_package(Path(reference), keyring=verify_keyring)
        return chart_from_files(read_chart_archive_bytes(data, source=reference), source=reference)
    from tfhelm.repo.http import redact
    from tfhelm.repo.resolve import fetch_repo_chart

    fetched = fetch_repo_chart(reference, version=version, devel=devel, verify_keyring=verify_keyring)
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


def compute_values(
    chart: Chart,
    options: ValueOptions | None = None,
    *,
    user_values: dict[str, Any] | None = None,
    skip_schema_validation: bool = False,
) -> dict[str, Any]:
    """The values a chart renders with: defaults, then the user's, checked against the schema.

    Every verb that renders comes through here, so this is where a chart whose dependencies
    are not all in ``charts/`` is refused (:func:`check_dependencies`).
    """
    check_dependencies(chart)
    if user_values is None:
        user_values = (options or ValueOptions()).user_values()
    values = coalesce_chart_values(chart, user_values)
    if not skip_schema_validation:
        validate_chart_values(chart, values)
    return values


def check_dependencies(chart: Chart) -> None:
    """Refuse a chart (or subchart) whose Chart.yaml names a dependency missing from ``charts/``.

    Helm's rule and words: rendering without it would silently leave its objects out. Disabled
    dependencies must be present too, since values may enable them.
    """
    present = {subchart.name for subchart in chart.subcharts}
    missing = [dependency.name for dependency in chart.metadata.dependencies if dependency.name not in present]
    if missing:
        names = ", ".join(dict.fromkeys(missing))
        raise ChartError(
            f"found in Chart.yaml, but missing in charts/ directory: {names} "
            f"(run `tfhelm dependency build` or `tfhelm dependency update` on the chart; "
            "a dependency without a repository must be copied into charts/ by hand)",
            file=chart.source,
        )
    for subchart in chart.subcharts:
        check_dependencies(subchart)


def validate_chart_values(chart: Chart, values: dict[str, Any]) -> None:
    """Check the chart's and every enabled subchart's values against their schemas."""
    for node, node_values, _root in chart_tree(chart, values):
        if node.schema is not None:
            from tfhelm.values.schema import validate_values

            validate_values(node_values, node.schema, chart=node.name)


def build_capabilities(kube_version: str | None = None, api_versions: Iterable[str] = ()) -> Capabilities:
    """Capabilities for rendering: the given Kubernetes version and extra API versions."""
    return Capabilities(
        kube_version=KubeVersion.parse(kube_version or DEFAULT_KUBE_VERSION),
        api_versions=tuple(dict.fromkeys([*DEFAULT_API_VERSIONS, *api_versions])),
    )
