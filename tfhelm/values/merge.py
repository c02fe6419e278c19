"""Merging values the way Helm does.

Two different merges exist, as in Helm:

* :func:`merge_maps` combines the user's own sources (``-f`` files, ``--set`` …) left to right:
  maps merge deeply, anything else is replaced, and ``null`` is kept so it can delete later.
* :func:`coalesce` lays the user's values over a chart's defaults: maps merge deeply, lists and
  scalars are replaced whole, and a ``null`` deletes the key from the defaults.

Neither function mutates its arguments.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["coalesce", "merge_maps"]


def merge_maps(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``override`` merged in: nested maps merge, other values replace."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_maps(merged[key], value)
        else:
            merged[key] = value
    return merged


def coalesce(defaults: dict[str, Any], user_values: dict[str, Any]) -> dict[str, Any]:
    """Lay ``user_values`` over ``defaults``; ``null`` in the user's values deletes a default.

    >>> coalesce({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"c": None}, "d": [2]})
    {'a': {'b': 1}, 'd': [2]}
    """
    merged = copy.deepcopy(user_values)
    _coalesce_into(merged, defaults)
    return merged


def _coalesce_into(target: dict[str, Any], defaults: dict[str, Any]) -> None:
    for key, default in defaults.items():
        if key not in target:
            target[key] = copy.deepcopy(default)
        elif target[key] is None:
            del target[key]
        elif isinstance(target[key], dict) and isinstance(default, dict):
            _coalesce_into(target[key], default)
