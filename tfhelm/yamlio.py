"""Safe YAML loading and dumping shared by every part of tfhelm.

Loading is always safe (no Python tags) and uses libyaml when available. Timestamps stay
strings, as they do in Helm (values pass through JSON there), so ``date: 2024-01-01`` renders
back unchanged and values can always be serialised to JSON. Parse errors are re-raised by the
caller's choice of error class with the file and line of the problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

try:
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = ["YamlProblem", "dump_yaml", "load_yaml", "load_yaml_documents"]


class _Loader(_BaseLoader):
    """Safe loader that keeps timestamps as plain strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


class _Dumper(_BaseDumper):
    """Safe dumper; block sequences are not indented under their key, as in Helm's toYaml."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
# dict and list subclasses (such as the engine's path-aware values) dump as plain mappings/lists
_Dumper.add_multi_representer(dict, yaml.SafeDumper.represent_dict)
_Dumper.add_multi_representer(list, yaml.SafeDumper.represent_list)


class YamlProblem(Exception):
    """A YAML parse error with the 1-based line (and column) where it was found."""

    def __init__(self, problem: str, line: int | None, column: int | None):
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.column = column


def _problem(error: yaml.YAMLError) -> YamlProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    text = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    if context:
        text = f"{text} ({context})"
    if mark is None:
        return YamlProblem(text, None, None)
    return YamlProblem(text, mark.line + 1, mark.column + 1)


def load_yaml(text: str | bytes) -> Any:
    """Parse one YAML document safely; raise :class:`YamlProblem` with the line on error."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a safe loader
    except yaml.YAMLError as error:
        raise _problem(error) from None


def load_yaml_documents(text: str | bytes) -> Iterator[Any]:
    """Parse every document of a YAML stream safely, in order."""
    try:
        yield from yaml.load_all(text, Loader=_Loader)  # noqa: S506 - safe loader
    except yaml.YAMLError as error:
        raise _problem(error) from None


def dump_yaml(value: Any) -> str:
    """Serialise to block-style YAML, keys in their given order, multi-line strings as ``|``."""
    return yaml.dump(
        value, Dumper=_Dumper, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1 << 16
    )
