"""What a values schema may cost: regexes matched in linear time, and a bound on ``$ref`` expansion.

A chart's ``values.schema.json`` is untrusted (see README, Security). Two things in it could
otherwise run without end:

* **Regexes.** ``pattern`` and ``patternProperties`` (and the ``additionalProperties`` /
  ``unevaluatedProperties`` checks built on them) are matched with RE2 (``google-re2``), which
  never backtracks: ``^(a+)+$`` against a long value takes microseconds. Helm matches schema
  patterns with Go's ``regexp``, which is RE2 too, so a pattern RE2 cannot compile (lookaround,
  backreferences) is refused by Helm as well: :func:`check_patterns` reports it with the schema
  file and the keyword's location. jsonschema itself calls ``re.search``; :func:`use_re2_in_jsonschema`
  points the modules that do at :data:`RE2_SEARCH` instead.
* **``$ref`` fan-out.** ``{"allOf": [{"$ref": "#/$defs/a1"}, {"$ref": "#/$defs/a1"}]}`` repeated
  30 times is a few KB whose validation visits 2^30 subschemas. :func:`expanded_size` counts the
  subschemas a schema stands for once every ``$ref`` is expanded (a reference back into itself,
  which only recurses as deep as the values do, counts once); more than :data:`MAX_EXPANDED_SUBSCHEMAS`
  is refused before anything is validated.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from typing import Any

from tfhelm.errors import PatternError

__all__ = [
    "MAX_EXPANDED_SUBSCHEMAS",
    "compile_pattern",
    "expanded_size",
    "pattern_locations",
    "search",
    "use_re2_in_jsonschema",
]

MAX_EXPANDED_SUBSCHEMAS = 100_000
_MAX_PATTERN_MEMORY = 8 << 20  # bytes RE2 may use for one compiled pattern

_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
)
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})

_compiled: dict[str, Any] = {}


def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 pattern (cached); :class:`PatternError` if RE2 refuses it."""
    compiled = _compiled.get(pattern)
    if compiled is None:
        import re2  # 25 ms to import: only once a schema has a pattern

        options = re2.Options()
        options.log_errors = False  # RE2 would print its own complaint on stderr
        options.max_mem = _MAX_PATTERN_MEMORY
        try:
            compiled = re2.compile(pattern, options)
        except re2.error as error:
            detail = error.args[0] if error.args else error
            reason = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
            raise PatternError(pattern, reason) from None
        if len(_compiled) >= 1024:
            _compiled.clear()
        _compiled[pattern] = compiled
    return compiled


def search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches anywhere in ``text`` (JSON Schema's unanchored ``pattern``)."""
    return compile_pattern(pattern).search(text) is not None


def _re2_search(pattern: str, text: str, flags: int = 0) -> Any:
    try:
        compiled = None if flags else compile_pattern(pattern)
    except PatternError:
        compiled = None
    if compiled is None:
        # Only schemas tfhelm did not check get here (values schemas pass check_patterns first):
        # the bundled Kubernetes schemas of ``lint --strict``, whose patterns are trusted.
        return re.search(pattern, text, flags)
    return compiled.search(text)


RE2_SEARCH = types.SimpleNamespace(**{**{name: getattr(re, name) for name in re.__all__}, "search": _re2_search})


def use_re2_in_jsonschema() -> None:
    """Make jsonschema's ``pattern``/``patternProperties``/``additionalProperties``/
    ``unevaluatedProperties`` match with RE2 (they call ``re.search`` through these modules)."""
    from jsonschema import _keywords, _legacy_keywords, _utils

    for module in (_keywords, _legacy_keywords, _utils):
        module.re = RE2_SEARCH  # type: ignore[attr-defined]  # the modules' own ``import re``


def pattern_locations(node: object, where: tuple[object, ...] = ()) -> Iterator[tuple[tuple[object, ...], str]]:
    """Every regex of a schema: ``(location of the keyword or key, pattern)``."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from pattern_locations(item, (*where, index))
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("pattern"), str):
        yield (*where, "pattern"), node["pattern"]
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict):
        for pattern in patterns:
            yield (*where, "patternProperties", pattern), pattern
    for key, value in node.items():
        if key in _DATA_KEYWORDS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            for name, subschema in value.items():
                yield from pattern_locations(subschema, (*where, key, name))
        elif isinstance(value, (dict, list)):
            yield from pattern_locations(value, (*where, key))


def expanded_size(schema: object, limit: int = MAX_EXPANDED_SUBSCHEMAS) -> int:
    """How many subschemas ``schema`` stands for with every local ``$ref`` expanded (at most ``limit + 1``)."""
    return _Expansion(schema, limit).size(schema)


class _Expansion:
    def __init__(self, root: object, limit: int) -> None:
        self.root = root
        self.limit = limit
        self.by_ref: dict[str, int] = {}
        self.expanding: set[str] = set()

    def size(self, node: object) -> int:
        if isinstance(node, list):
            return min(self.limit + 1, sum(self.size(item) for item in node))
        if not isinstance(node, dict):
            return 0
        total = 1
        for key, value in node.items():
            if key in _DATA_KEYWORDS:
                continue
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                total += self.ref(value)
            elif key in _SCHEMA_MAPS and isinstance(value, dict):
                total += sum(self.size(sub) for sub in value.values())
            else:
                total += self.size(value)
            if total > self.limit:
                return self.limit + 1
        return total

    def ref(self, ref: str) -> int:
        if ref in self.by_ref:
            return self.by_ref[ref]
        if ref in self.expanding:
            return 0  # recursion: as deep as the values, not exponential in the schema
        target = _pointer(self.root, ref)
        self.expanding.add(ref)
        size = self.size(target)
        self.expanding.discard(ref)
        self.by_ref[ref] = size
        return size


def _pointer(root: object, ref: str) -> object:
    if not ref.startswith("#/"):
        return None
    node = root
    for segment in ref[2:].split("/"):
        key = segment.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node
