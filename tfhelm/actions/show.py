"""``tfhelm show chart|values|readme|schema|crds|all``: print parts of a chart as written."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tfhelm.actions.common import locate_chart
from tfhelm.chartsource import ChartSource

__all__ = ["ShowOptions", "show_chart"]


@dataclass(frozen=True)
class ShowOptions:
    chart: str
    part: str = "all"  # chart, values, readme, schema, crds or all
    source: ChartSource = field(default_factory=ChartSource)


def show_chart(options: ShowOptions) -> str:
    """The text of one part of a chart (``all`` joins them with ``---``)."""
    chart = locate_chart(options.chart, options.source)
    parts = {
        "chart": lambda: _raw(chart, "Chart.yaml"),
        "values": lambda: _raw(chart, "values.yaml"),
        "readme": lambda: _readme(chart),
        "schema": lambda: json.dumps(chart.schema, indent=2) + "\n" if chart.schema is not None else "",
    }
    if options.part == "crds":
        return _crds(chart)
    if options.part == "all":
        return "---\n".join(text for text in (parts[key]() for key in parts) if text)
    return parts[options.part]()


def _raw(chart, name: str) -> str:
    text = chart.raw_files.get(name, b"").decode("utf-8")
    return text if not text or text.endswith("\n") else text + "\n"


def _readme(chart) -> str:
    """The README, or nothing (as Helm: ``show readme`` of a chart without one prints nothing, exit 0)."""
    if chart.readme is None:
        return ""
    return chart.readme if chart.readme.endswith("\n") else chart.readme + "\n"


def _crds(chart, source: str | None = None) -> str:
    """Helm's ``show crds``: every ``crds/`` file of the chart and of all its subcharts, as written."""
    from tfhelm.chart.crds import chart_crd_files

    source = source or chart.name
    text = "".join(f"---\n{crd.text}\n" for crd in chart_crd_files(chart, source))
    return text + "".join(_crds(sub, f"{source}/charts/{sub.name}") for sub in chart.subcharts)
