"""The user's value sources (``-f``, ``--set`` and friends) and the order Helm applies them in.

Order: each ``-f/--values`` file left to right (``-`` reads standard input), then every
``--set-json``, every ``--set``, every ``--set-string``, every ``--set-file`` and every
``--set-literal``. Each ``--set``-style flag is parsed into the values merged so far, so
``--set workers[1]=x`` patches a list that came from a file, as in Helm.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfhelm.errors import ValuesError
from tfhelm.values.limits import MAX_VALUES_DEPTH, depth_exceeded, read_limited
from tfhelm.values.merge import coalesce, merge_maps
from tfhelm.yamlio import parse_yaml

__all__ = ["ValueOptions", "load_values_file", "merge_values"]


@dataclass(frozen=True)
class ValueOptions:
    """Everything a user can say about values on the command line, in flag form."""

    value_files: tuple[str, ...] = ()
    json_values: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    string_values: tuple[str, ...] = ()
    file_values: tuple[str, ...] = ()
    literal_values: tuple[str, ...] = ()

    def user_values(self, read_stdin: Callable[[], str] | None = None) -> dict[str, Any]:
        """The user-supplied values alone, merged in Helm's order (no chart defaults)."""
        merged: dict[str, Any] = {}
        for name in self.value_files:
            merged = merge_maps(merged, load_values_file(name, read_stdin=read_stdin))
        if not (self.json_values or self.values or self.string_values or self.file_values or self.literal_values):
            return merged
        from tfhelm.values import strvals

        parsers = (
            (self.json_values, strvals.parse_set_json, "--set-json"),
            (self.values, strvals.parse_set, "--set"),
            (self.string_values, strvals.parse_set_string, "--set-string"),
            (self.file_values, strvals.parse_set_file, "--set-file"),
            (self.literal_values, strvals.parse_set_literal, "--set-literal"),
        )
        for expressions, parse, flag in parsers:
            for expression in expressions:
                merged = parse(expression, merged)
                if flag == "--set-json" and depth_exceeded(merged):
                    key = expression.split("=", 1)[0]
                    raise ValuesError(
                        f"--set-json for key {key!r}: values nested deeper than {MAX_VALUES_DEPTH} levels"
                    )
        return merged


def load_values_file(name: str, *, read_stdin: Callable[[], str] | None = None) -> dict[str, Any]:
    """Load one ``-f`` values file (``-`` for standard input); it must hold a mapping."""
    label = "<stdin>" if name == "-" else name
    try:
        text = (read_stdin or (lambda: read_limited(sys.stdin)))() if name == "-" else _read(name)
    except OSError as error:
        raise ValuesError(f"cannot read values file {label!r}: {error.strerror}") from None
    values = parse_yaml(text, file=label, error=ValuesError)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValuesError(f"a values file must hold a mapping, not a {type(values).__name__}", file=label)
    if depth_exceeded(values):
        raise ValuesError(f"values nested deeper than {MAX_VALUES_DEPTH} levels", file=label)
    return values


def _read(name: str) -> str:
    try:
        with Path(name).open("rb") as handle:
            return read_limited(handle).decode("utf-8")
    except FileNotFoundError:
        raise ValuesError(f"values file {name!r} not found") from None
    except IsADirectoryError:
        raise ValuesError(f"values file {name!r} is a directory") from None
    except UnicodeDecodeError:
        raise ValuesError("not UTF-8 text", file=name) from None
    except OSError as error:
        raise ValuesError(f"cannot read values file {name!r}: {error.strerror}") from None


def merge_values(defaults: dict[str, Any], options: ValueOptions | None = None, **flags: Any) -> dict[str, Any]:
    """Chart defaults overlaid with the user's values, exactly as Helm merges them.

    ``flags`` are a shortcut for :class:`ValueOptions` fields:

    >>> merge_values({"jobs": {"worker": {"tasks": 4}}}, values=["jobs.worker.tasks=8"])
    {'jobs': {'worker': {'tasks': 8}}}
    """
    if options is None:
        options = ValueOptions(**{key: tuple(value) for key, value in flags.items()})
    return coalesce(defaults, options.user_values())
