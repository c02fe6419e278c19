"""The values of a chart tree: which subcharts are on, and the values each chart sees.

:func:`values_tree` walks a chart and its subcharts once and returns a :class:`ValuesTree`:
the top chart's computed values (what a release records) and, in render order, each enabled
chart with its own values and where it sits in the tree. Schema validation
(:func:`validate_tree`), rendering (``tfhelm.engine.render_tree``), the upgrade fingerprint and
the library's ``tfhelm.render`` all read that one list, so the CLI and the library cannot
disagree about what a subchart sees.

Helm's rules (``pkg/chart/v2/util/coalesce.go`` and ``dependencies.go``):

* a subchart under ``charts/`` is configured by its parent's values under its alias (or name),
  laid over its own defaults (:func:`~tfhelm.values.merge.coalesce`), plus the parent's
  ``global`` map, which wins over the subchart's own and reaches subcharts of subcharts;
* a dependency's ``condition`` (comma-separated value paths of the parent's values; the first
  that holds a bool decides) or, failing that, its ``tags`` (read from the top chart's ``tags``)
  enable or disable it; an aliased subchart is seen under its alias;
* every dependency Chart.yaml names must be present under ``charts/``, enabled or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from tfhelm.chart.model import Chart, Dependency
from tfhelm.errors import ChartError
from tfhelm.values.merge import coalesce, merge_maps

__all__ = ["ChartValues", "ValuesTree", "chart_values", "is_enabled", "validate_tree", "values_tree"]


@dataclass(frozen=True)
class ChartValues:
    """One chart of the tree as its templates see it.

    ``chart`` is named by its alias when it has one; ``source`` is where it came from, as
    ``# Source:`` lines name it (``app`` for the top chart, ``app/charts/worker`` below).
    """

    chart: Chart
    values: dict[str, Any]
    source: str


@dataclass(frozen=True)
class ValuesTree:
    """A chart's computed values and every enabled chart of its tree, parents first."""

    chart: Chart
    values: dict[str, Any]
    nodes: tuple[ChartValues, ...]


def chart_values(chart: Chart, user_values: dict[str, Any], *, validate: bool = True) -> ValuesTree:
    """The tree for the user's own values (``-f``, ``--set`` …): defaults laid under, checked.

    >>> tree = chart_values(load_chart("charts/tf-cluster"), {"jobs": {"worker": {"tasks": 8}}})  # doctest: +SKIP
    >>> tree.values["jobs"]["worker"]["tasks"]                                                  # doctest: +SKIP
    8
    """
    tree = values_tree(chart, coalesce(chart.values, user_values))
    if validate:
        validate_tree(tree)
    return tree


def values_tree(chart: Chart, merged_values: dict[str, Any]) -> ValuesTree:
    """The tree for values already laid over the top chart's defaults (``merge_values``).

    Each subchart's defaults are laid under its values here; ``merged_values`` is not changed.
    """
    values = dict(merged_values)  # _walk fills in each subchart's key; nested maps are copies already
    nodes = _walk(chart, values, chart.name, _tags(values))
    return ValuesTree(chart, values, tuple(nodes))


def validate_tree(tree: ValuesTree) -> None:
    """Check each enabled chart's values against its own schema (SchemaError on the first bad one)."""
    for node in tree.nodes:
        if node.chart.schema is not None:
            from tfhelm.values.schema import validate_values

            validate_values(node.values, node.chart.schema, chart=node.chart.name)


def _walk(chart: Chart, values: dict[str, Any], source: str, tags: dict[str, Any]) -> list[ChartValues]:
    """Visit ``chart`` and each of its subcharts once: complete ``values`` with the subcharts'
    (enabled or not: a condition may read any of them) and return the enabled charts."""
    _check_dependencies(chart)
    below: list[tuple[Dependency | None, list[ChartValues]]] = []
    for subchart, dependency in _subcharts(chart):
        key = dependency.values_key if dependency else subchart.name
        own = values.get(key)
        sub_values = coalesce(subchart.values, own if isinstance(own, dict) else {})
        # before going down, so globals reach every level, as in Helm
        sub_values["global"] = merge_maps(sub_values.get("global") or {}, values.get("global") or {})
        values[key] = sub_values
        sub_nodes = _walk(_aliased(subchart, dependency), sub_values, f"{source}/charts/{key}", tags)
        below.append((dependency, sub_nodes))
    nodes = [ChartValues(chart, values, source)]
    for dependency, sub_nodes in below:
        if dependency is None or is_enabled(dependency, values, tags):
            nodes += sub_nodes
    return nodes


def _check_dependencies(chart: Chart) -> None:
    """Refuse a chart whose Chart.yaml names a dependency missing from ``charts/``.

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
