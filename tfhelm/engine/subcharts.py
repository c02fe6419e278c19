"""Subcharts: which are enabled, and the values each one sees.

A subchart under ``charts/`` is configured by the parent's values under its alias (or name),
laid over its own defaults, plus the parent's ``global`` map. A dependency's ``condition``
(comma-separated value paths; the first that exists decides) or, failing that, its ``tags``
enable or disable it, as in Helm.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from tfhelm.chart.model import Chart, Dependency
from tfhelm.values.merge import coalesce, merge_maps

__all__ = ["chart_tree", "coalesce_chart_values"]


def coalesce_chart_values(chart: Chart, user_values: dict[str, Any]) -> dict[str, Any]:
    """The chart's defaults (and each subchart's, under its key) overlaid with the user's values."""
    values = coalesce(chart.values, user_values)
    for subchart, dependency in _subcharts(chart):
        key = dependency.values_key if dependency else subchart.name
        own = values.get(key)
        if not isinstance(own, dict):
            own = {}
        sub_values = coalesce_chart_values(subchart, own)
        sub_values["global"] = merge_maps(sub_values.get("global") or {}, values.get("global") or {})
        values[key] = sub_values
    return values


def chart_tree(
    chart: Chart, values: dict[str, Any], root: str | None = None, tags: dict[str, Any] | None = None
) -> Iterator[tuple[Chart, dict[str, Any], str]]:
    """Yield ``(chart, its values, its source path)`` for the chart and every enabled subchart.

    Conditions are read from the parent's values, tags from the top chart's ``tags`` (as Helm
    does); an aliased subchart is yielded under its alias, as a copy whose ``Chart.name`` is
    the alias.
    """
    root = root or chart.name
    if tags is None:
        tags = _tags(values)
    yield chart, values, root
    for subchart, dependency in _subcharts(chart):
        if dependency is not None and not is_enabled(dependency, values, tags):
            continue
        key = dependency.values_key if dependency else subchart.name
        sub_values = values.get(key)
        if not isinstance(sub_values, dict):
            sub_values = coalesce_chart_values(subchart, {})
        yield from chart_tree(_aliased(subchart, dependency), sub_values, f"{root}/charts/{key}", tags)


def _tags(values: dict[str, Any]) -> dict[str, Any]:
    """The ``tags`` of the top chart's values ({} when missing or not a mapping)."""
    tags = values.get("tags")
    return tags if isinstance(tags, dict) else {}


def _subcharts(chart: Chart) -> Iterator[tuple[Chart, Dependency | None]]:
    """Each dependency with its chart from ``charts/`` (one chart may serve several aliases),
    then the charts no dependency names."""
    by_name = {subchart.name: subchart for subchart in chart.subcharts}
    for dependency in chart.metadata.dependencies:
        if dependency.name in by_name:
            yield by_name[dependency.name], dependency
    named = {dependency.name for dependency in chart.metadata.dependencies}
    for subchart in chart.subcharts:
        if subchart.name not in named:
            yield subchart, None


def _aliased(subchart: Chart, dependency: Dependency | None) -> Chart:
    if dependency is None or not dependency.alias or dependency.alias == subchart.name:
        return subchart
    metadata = replace(
        subchart.metadata, name=dependency.alias, raw={**subchart.metadata.raw, "name": dependency.alias}
    )
    return replace(subchart, metadata=metadata)


def is_enabled(dependency: Dependency, values: dict[str, Any], tags: dict[str, Any] | None = None) -> bool:
    """Helm's rule: the first condition path that resolves to a bool wins, then tags, then on.

    ``values`` are the parent chart's; ``tags`` the top chart's ``tags`` map (defaults to
    ``values["tags"]``).
    """
    for path in (dependency.condition or "").split(","):
        found = _lookup(values, path.strip())
        if isinstance(found, bool):
            return found
    if tags is None:
        tags = _tags(values)
    tag_states = [tags[tag] for tag in dependency.tags if isinstance(tags.get(tag), bool)]
    if tag_states:
        return any(tag_states)
    return dependency.enabled is not False


def _lookup(values: dict[str, Any], path: str) -> Any:
    current: Any = values
    for part in path.split(".") if path else []:
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current if path else None
