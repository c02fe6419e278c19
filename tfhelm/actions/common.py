"""Steps every chart-using verb shares: find the chart, compute its values, check them.

The flow is Helm's: chart → user values → defaults coalesced → schema → (render …).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tfhelm.chart.loader import load_chart
from tfhelm.chart.model import Chart
from tfhelm.engine.context import DEFAULT_API_VERSIONS, DEFAULT_KUBE_VERSION, Capabilities, KubeVersion
from tfhelm.engine.subcharts import chart_tree, coalesce_chart_values
from tfhelm.values.options import ValueOptions

__all__ = ["build_capabilities", "compute_values", "locate_chart", "validate_chart_values"]


def locate_chart(reference: str, *, version: str | None = None) -> Chart:
    """Load a chart named on the command line: a directory or a ``.tgz`` archive."""
    del version  # repository and OCI references arrive with chart sharing
    return load_chart(reference)


def compute_values(
    chart: Chart,
    options: ValueOptions | None = None,
    *,
    user_values: dict[str, Any] | None = None,
    skip_schema_validation: bool = False,
) -> dict[str, Any]:
    """The values a chart renders with: defaults, then the user's, checked against the schema."""
    if user_values is None:
        user_values = (options or ValueOptions()).user_values()
    values = coalesce_chart_values(chart, user_values)
    if not skip_schema_validation:
        validate_chart_values(chart, values)
    return values


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
