"""A fast, conservative yes-check for schemas and values, so most renders never import jsonschema.

Why it exists: importing jsonschema (with referencing, rpds and attrs) costs a tenth of a second
or more, a large share of a ``tfhelm template`` run. Yet almost every render has a valid schema
and valid values, and proving *that* needs no jsonschema: only its error messages do.

Why it is safe: both functions answer ``True`` only when certain and ``False`` on any doubt, and
``False`` only means "ask jsonschema" (:mod:`tfhelm.values.schema` then runs exactly as before,
so every error message is jsonschema-based). Certainty comes from a closed world:

* the schema must say draft 2020-12 (or nothing), use only the keywords listed in
  ``_VALUE_CHECKS`` / ``_SUBSCHEMA_*``, each with exactly the type the 2020-12 metaschema
  requires, and every ``$ref`` must be a local JSON pointer to a subschema;
* values must be plain JSON (dict with str keys, list, str, int, finite float, bool, None);
* each keyword is evaluated as jsonschema's ``Draft202012Validator`` does it (``bool`` is not a
  number, ``1.0`` is an integer, ``True != 1`` in ``enum``/``const``/``uniqueItems``, regexes
  use RE2's search, ``additionalProperties`` sees the joined ``patternProperties`` regex,
  ``format`` is not asserted). Where an exact answer is hard (``multipleOf`` with floats, some
  ``uniqueItems`` cases) evaluation raises :class:`_Uncertain`, which also propagates through
  ``not``/``anyOf``/``oneOf``/``if`` so a doubtful "invalid" never turns into "valid".

tests/values/test_quickcheck.py checks this differentially against jsonschema.
Schemas are treated as immutable once checked (results are cached per schema object).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeGuard

from tfhelm.values import schema_limits

__all__ = ["schema_is_plainly_valid", "values_are_valid"]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_CACHE_SIZE = 32
_TYPE_NAMES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
# A local JSON pointer with characters that are valid in a URI fragment without escapes.
_LOCAL_REF = re.compile(r"#(/[A-Za-z0-9._~$!&'()*+,;=:@-]*)*")
# A root $id: a plain absolute http(s) URL, not one of the metaschemas bundled with jsonschema.
_PLAIN_ID = re.compile(r"https?://(?!json-schema\.org)[A-Za-z0-9.-]+(/[A-Za-z0-9._~-]*)*")

_SUBSCHEMA_ONE = frozenset({"additionalProperties", "items", "not", "if", "then", "else", "propertyNames"})
_SUBSCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
_SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_ROOT_ONLY = frozenset({"$schema", "$id"})

# id(schema) -> (schema, resolved refs or None when the schema is not plainly valid). The schema
# is kept so its id cannot be reused by another object while the entry exists.
_plans: dict[int, tuple[object, dict[str, object] | None]] = {}


class _Uncertain(Exception):
    """The fast path cannot decide exactly; jsonschema must."""


# --------------------------------------------------------------------------- shared helpers


def _regex(pattern: str) -> Any:
    # RE2, as jsonschema is made to use (tfhelm.values.schema_limits): linear time, same answers
    return schema_limits.compile_pattern(pattern)


def _is_json(value: Any) -> bool:
    """Plain JSON data only: anything else (dates, tuples, int keys, NaN) is left to jsonschema."""
    kind = type(value)
    if kind is dict:
        return all(type(key) is str and _is_json(item) for key, item in value.items())
    if kind is list:
        return all(_is_json(item) for item in value)
    if kind is float:
        return math.isfinite(value)
    return kind in (str, int, bool) or value is None


def _is_number(value: Any) -> TypeGuard[int | float]:
    return type(value) is int or (type(value) is float and math.isfinite(value))


def _equal(one: Any, two: Any) -> bool:
    """JSON equality as jsonschema decides it: ``1 == 1.0`` but ``True != 1``; deep."""
    if type(one) is str or type(two) is str:
        return one == two
    if type(one) is list and type(two) is list:
        return len(one) == len(two) and all(map(_equal, one, two))
    if type(one) is dict and type(two) is dict:
        return len(one) == len(two) and all(key in two and _equal(item, two[key]) for key, item in one.items())
    if type(one) is bool or type(two) is bool:
        return one is two
    return one == two


# --------------------------------------------------------------------------- schema checks


def _is_regex(value: Any) -> bool:
    try:
        return type(value) is str and _regex(value) is not None
    except schema_limits.PatternError:
        return False


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _is_type_keyword(value: Any) -> bool:
    if type(value) is str:
        return value in _TYPE_NAMES
    return _is_unique_strings(value) and len(value) > 0 and set(value) <= _TYPE_NAMES


def _is_unique_strings(value: Any) -> bool:
    return type(value) is list and all(type(item) is str for item in value) and len(set(value)) == len(value)


def _is_dependent_required(value: Any) -> bool:
    return type(value) is dict and all(_is_unique_strings(item) for item in value.values())


_VALUE_CHECKS: dict[str, Callable[[object], bool]] = {
    "$schema": lambda value: value == DRAFT_2020_12,
    "$id": lambda value: type(value) is str and _PLAIN_ID.fullmatch(value) is not None,
    "$comment": lambda value: type(value) is str,
    "title": lambda value: type(value) is str,
    "description": lambda value: type(value) is str,
    "format": lambda value: type(value) is str,
    "default": _is_json,
    "examples": lambda value: type(value) is list and _is_json(value),
    "enum": lambda value: type(value) is list and _is_json(value),
    "const": _is_json,
    "deprecated": lambda value: type(value) is bool,
    "readOnly": lambda value: type(value) is bool,
    "writeOnly": lambda value: type(value) is bool,
    "uniqueItems": lambda value: type(value) is bool,
    "type": _is_type_keyword,
    "required": _is_unique_strings,
    "dependentRequired": _is_dependent_required,
    "pattern": _is_regex,
    "multipleOf": lambda value: _is_number(value) and value > 0,
    **dict.fromkeys(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"], _is_number),
    **dict.fromkeys(
        ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"],
        _is_count,
    ),
}


class _SchemaWalk:
    """Checks every (sub)schema, remembering where subschemas are and which refs are used."""

    def __init__(self) -> None:
        self.locations: set[tuple[object, ...]] = set()
        self.refs: set[str] = set()

    def schema(self, node: Any, where: tuple[object, ...]) -> bool:
        if type(node) is bool:
            self.locations.add(where)
            return True
        if type(node) is not dict:
            return False
        self.locations.add(where)
        return all(
            type(key) is str and (not where or key not in _ROOT_ONLY) and self.keyword(key, value, where)
            for key, value in node.items()
        )

    def keyword(self, key: str, value: Any, where: tuple[object, ...]) -> bool:
        if key in _SUBSCHEMA_ONE:
            return self.schema(value, (*where, key))
        if key in _SUBSCHEMA_MAPS:
            return type(value) is dict and all(
                type(name) is str
                and (key != "patternProperties" or _is_regex(name))
                and self.schema(sub, (*where, key, name))
                for name, sub in value.items()
            )
        if key in _SUBSCHEMA_LISTS:
            return (
                type(value) is list
                and len(value) > 0
                and all(self.schema(sub, (*where, key, index)) for index, sub in enumerate(value))
            )
        if key == "$ref":
            if type(value) is not str or _LOCAL_REF.fullmatch(value) is None:
                return False
            self.refs.add(value)
            return True
        check = _VALUE_CHECKS.get(key)
        return check is not None and check(value)


def _pointer_target(root: Any, ref: str) -> tuple[tuple[object, ...], object] | None:
    """Follow a local ``#/a/b`` pointer the way jsonschema's resolver does; None if it cannot."""
    if ref == "#":
        return (), root
    where: list[object] = []
    node: Any = root
    for segment in ref[2:].split("/"):
        if type(node) is list:
            if not segment.isdigit() or (segment != "0" and segment.startswith("0")):
                return None
            index = int(segment)
            if index >= len(node):
                return None
            where.append(index)
            node = node[index]
        elif type(node) is dict:
            key = segment.replace("~1", "/").replace("~0", "~")
            if key not in node:
                return None
            where.append(key)
            node = node[key]
        else:
            return None
    return tuple(where), node


def _resolved_refs(schema: object) -> dict[str, object] | None:
    """Check a schema; its refs resolved to subschemas, or None unless certainly valid."""
    walk = _SchemaWalk()
    if not walk.schema(schema, ()):
        return None
    resolved = {}
    for ref in walk.refs:
        target = _pointer_target(schema, ref)
        if target is None or target[0] not in walk.locations:
            return None
        resolved[ref] = target[1]
    return resolved


def _plan(schema: object) -> dict[str, object] | None:
    cached = _plans.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    try:
        plan = _resolved_refs(schema)
        if plan and schema_limits.expanded_size(schema) > schema_limits.MAX_EXPANDED_SUBSCHEMAS:
            plan = None  # jsonschema's path refuses it with a message
    except Exception:  # noqa: BLE001 - e.g. a recursion error on an absurdly deep schema
        plan = None
    if len(_plans) >= _CACHE_SIZE:
        _plans.pop(next(iter(_plans)))
    _plans[id(schema)] = (schema, plan)
    return plan


def schema_is_plainly_valid(schema: object) -> bool:
    """True only if ``schema`` is certainly a valid, self-contained draft 2020-12 schema.

    False means "not known": the schema may still be valid (jsonschema decides).
    """
    return _plan(schema) is not None


# --------------------------------------------------------------------------- values


def values_are_valid(values: object, schema: object) -> bool:
    """True only if ``values`` certainly satisfy ``schema`` as jsonschema's Draft202012Validator
    (without format assertion) would decide. False means invalid *or* not known.
    """
    refs = _plan(schema)
    if refs is None:
        return False
    try:
        return _is_json(values) and _valid(values, schema, refs)
    except Exception:  # noqa: BLE001 - _Uncertain, a recursion error on a ref cycle, anything unforeseen
        return False


def _valid(instance: Any, schema: Any, refs: dict[str, object]) -> bool:
    if type(schema) is bool:
        return schema
    for key, value in schema.items():
        rule = _RULES.get(key)
        if rule is not None and not rule(instance, value, schema, refs):
            return False
    return True


Rule = Callable[[Any, Any, dict, dict], bool]


def _type(instance: Any, types: Any, schema: dict, refs: dict) -> bool:
    names = [types] if type(types) is str else types
    return any(_TYPE_TESTS[name](instance) for name in names)


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "null": lambda value: value is None,
    "boolean": lambda value: type(value) is bool,
    "integer": lambda value: type(value) is int or (type(value) is float and value.is_integer()),
    "number": lambda value: type(value) in (int, float),
    "string": lambda value: type(value) is str,
    "array": lambda value: type(value) is list,
    "object": lambda value: type(value) is dict,
}


def _properties(instance: Any, properties: dict, schema: dict, refs: dict) -> bool:
    return type(instance) is not dict or all(
        _valid(instance[name], sub, refs) for name, sub in properties.items() if name in instance
    )


def _pattern_properties(instance: Any, patterns: dict, schema: dict, refs: dict) -> bool:
    return type(instance) is not dict or all(
        _valid(item, sub, refs)
        for pattern, sub in patterns.items()
        for key, item in instance.items()
        if _regex(pattern).search(key)
    )


def _additional_properties(instance: Any, extra: Any, schema: dict, refs: dict) -> bool:
    if type(instance) is not dict:
        return True
    # Like jsonschema: a key is "additional" unless it is a property or matches the patterns
    # joined with "|" (which is not always the same as matching one of them).
    properties = schema.get("properties", {})
    joined = "|".join(schema.get("patternProperties", {}))
    keys = [key for key in instance if key not in properties and not (joined and _regex(joined).search(key))]
    if type(extra) is dict:
        return all(_valid(instance[key], extra, refs) for key in keys)
    return extra or not keys


def _property_names(instance: Any, names: Any, schema: dict, refs: dict) -> bool:
    return type(instance) is not dict or all(_valid(key, names, refs) for key in instance)


def _items(instance: Any, items: Any, schema: dict, refs: dict) -> bool:
    return type(instance) is not list or all(_valid(item, items, refs) for item in instance)


def _unique_items(instance: Any, unique: bool, schema: dict, refs: dict) -> bool:
    if not unique or type(instance) is not list:
        return True
    for index, item in enumerate(instance):
        if any(_equal(item, other) for other in instance[index + 1 :]):
            # jsonschema sorts before comparing neighbours; with lists inside, Python's sort
            # order (True == 1) can hide duplicates from it, so "not unique" is not certain.
            if any(type(each) is list for each in instance):
                raise _Uncertain("uniqueItems")
            return False
    return True


def _multiple_of(instance: Any, factor: Any, schema: dict, refs: dict) -> bool:
    if not _is_number(instance):
        return True
    if type(instance) is int and type(factor) is int:
        return instance % factor == 0
    raise _Uncertain("multipleOf with a float")


def _if(instance: Any, condition: Any, schema: dict, refs: dict) -> bool:
    branch = "then" if _valid(instance, condition, refs) else "else"
    return _valid(instance, schema.get(branch, True), refs)


def _dependent_required(instance: Any, needs: dict, schema: dict, refs: dict) -> bool:
    return type(instance) is not dict or all(
        name in instance for trigger, names in needs.items() if trigger in instance for name in names
    )


def _matches(instance: Any, subs: list, refs: dict) -> int:
    return sum(_valid(instance, sub, refs) for sub in subs)


def _bounded(test: Callable[[Any, Any], bool], applies: Callable[[Any], bool]) -> Rule:
    """A rule that holds unless ``applies(instance)`` and ``test(instance, limit)`` fails."""
    return lambda instance, limit, schema, refs: not applies(instance) or test(instance, limit)


def _is_str(value: Any) -> bool:
    return type(value) is str


def _is_list(value: Any) -> bool:
    return type(value) is list


def _is_dict(value: Any) -> bool:
    return type(value) is dict


_RULES: dict[str, Rule] = {
    "type": _type,
    "enum": lambda instance, allowed, schema, refs: any(_equal(each, instance) for each in allowed),
    "const": lambda instance, const, schema, refs: _equal(instance, const),
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "propertyNames": _property_names,
    "required": lambda instance, names, schema, refs: (
        type(instance) is not dict or all(name in instance for name in names)
    ),
    "dependentRequired": _dependent_required,
    "items": _items,
    "uniqueItems": _unique_items,
    "multipleOf": _multiple_of,
    "minimum": _bounded(lambda value, limit: not value < limit, _is_number),
    "maximum": _bounded(lambda value, limit: not value > limit, _is_number),
    "exclusiveMinimum": _bounded(lambda value, limit: not value <= limit, _is_number),
    "exclusiveMaximum": _bounded(lambda value, limit: not value >= limit, _is_number),
    "minLength": _bounded(lambda value, limit: len(value) >= limit, _is_str),
    "maxLength": _bounded(lambda value, limit: len(value) <= limit, _is_str),
    "pattern": _bounded(lambda value, pattern: _regex(pattern).search(value) is not None, _is_str),
    "minItems": _bounded(lambda value, limit: len(value) >= limit, _is_list),
    "maxItems": _bounded(lambda value, limit: len(value) <= limit, _is_list),
    "minProperties": _bounded(lambda value, limit: len(value) >= limit, _is_dict),
    "maxProperties": _bounded(lambda value, limit: len(value) <= limit, _is_dict),
    "allOf": lambda instance, subs, schema, refs: all(_valid(instance, sub, refs) for sub in subs),
    "anyOf": lambda instance, subs, schema, refs: any(_valid(instance, sub, refs) for sub in subs),
    "oneOf": lambda instance, subs, schema, refs: _matches(instance, subs, refs) == 1,
    "not": lambda instance, sub, schema, refs: not _valid(instance, sub, refs),
    "if": _if,
    "$ref": lambda instance, ref, schema, refs: _valid(instance, refs[ref], refs),
}
