"""Values schema validation: a chart's ``values.schema.json`` checked against the merged values.

This module owns three things:

* checking that a chart's schema is itself valid for its JSON Schema draft, and that it never
  needs anything from outside the file (remote or file ``$ref``s are refused, never fetched);
* validating merged values and reporting *every* violation at the value path a user would pass
  to ``--set``, with messages clearer than jsonschema's (unknown keys suggest the intended key,
  missing keys are reported at their own path, secrets are never echoed);
* finding the value paths a schema marks ``writeOnly`` so stored releases can redact them.

jsonschema takes a quarter of a second to import, so it is imported only inside the functions
that need it; importing this module stays cheap for commands that never validate. Schemas and
values that :mod:`tfhelm.values.quickcheck` proves valid skip jsonschema altogether.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from tfhelm.errors import ChartError, SchemaError
from tfhelm.values import quickcheck, schema_limits

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator
    from referencing import Specification
    from referencing._core import Resolver  # referencing does not re-export it

__all__ = ["check_schema", "validate_values", "value_path", "write_only_paths"]

# Characters that --set treats specially inside a key; escaping them makes a path pasteable.
_PATH_SPECIAL = frozenset(".,[=\\")
_MAX_VALUE_CHARS = 60
_MAX_LISTED = 8
_CACHE_SIZE = 32
# Keywords whose value maps names to subschemas: their keys are names, not keywords.
_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
)
# Keywords whose value is plain data that merely looks like a schema.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
_REF_KEYWORDS = ("$ref", "$dynamicRef")
# Keywords holding one subschema, or a list of them. A `false` there is rewritten for validation
# (see _without_false_subschemas); the keywords below it jsonschema reports well by itself.
_SCHEMA_KEYWORDS = frozenset({"items", "additionalItems", "contains", "propertyNames", "if", "then", "else", "not"})
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
_NATIVE_FALSE = frozenset({"additionalProperties", "unevaluatedProperties", "unevaluatedItems"})
_NOTHING_ALLOWED: dict = {"not": {}}
_DRAFT_NAMES = "draft-04, draft-06, draft-07, 2019-09 or 2020-12"
_SCHEMA_FILE = "values.schema.json"

# id(schema) -> (schema, validator). The schema itself is kept so its id cannot be reused by
# another object while the entry exists; schemas are treated as immutable once validated.
_validators: dict[int, tuple[object, Validator]] = {}


# --------------------------------------------------------------------------- value paths


def value_path(parts: Sequence[object]) -> str:
    """Render a value path the way ``--set`` spells it: ``jobs.worker.tasks``, ``args[0]``.

    Keys containing ``.`` ``,`` ``[`` ``=`` or ``\\`` are escaped with ``\\``; the empty path is
    ``(root)``.
    """
    rendered: list[str] = []
    for part in parts:
        if _is_index(part):
            rendered.append(f"[{part}]")
        else:
            key = "".join("\\" + char if char in _PATH_SPECIAL else char for char in str(part))
            rendered.append(("." if rendered else "") + key)
    return "".join(rendered) or "(root)"


def _is_index(part: object) -> bool:
    return isinstance(part, int) and not isinstance(part, bool)


def _path_sort_key(parts: Sequence[object]) -> tuple[tuple[int, Any], ...]:
    # Indices sort numerically (a[2] before a[10]); a parent sorts before its children.
    return tuple((0, part) if _is_index(part) else (1, str(part)) for part in parts)


def _schema_pointer(parts: Sequence[object]) -> str:
    """A JSON pointer into the schema document, e.g. ``#/properties/port/type``."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "#" + "".join("/" + part for part in escaped)


# --------------------------------------------------------------------------- schema checks


def check_schema(schema: object, *, chart: str, file: str = _SCHEMA_FILE) -> None:
    """Raise :class:`ChartError` unless ``schema`` is a valid, self-contained JSON schema.

    The draft comes from ``$schema`` (draft 2020-12 when absent). A ``$ref`` that would need
    another document (a URL or a file) is an error: tfhelm never fetches schemas.
    """
    if quickcheck.schema_is_plainly_valid(schema):
        return
    _checked_validator_class(schema, chart=chart, file=file)


def _checked_validator_class(schema: object, *, chart: str, file: str) -> type[Validator]:
    from jsonschema.exceptions import best_match

    if not isinstance(schema, (dict, bool)):
        raise ChartError(
            f"the schema of chart {chart!r} must be a JSON object, not {_json_type(schema)}",
            file=file,
        )
    cls = _validator_class(schema, chart=chart, file=file)
    meta_cls = _jsonschema_validator_for(cls.META_SCHEMA, default=cls)
    meta_validator = meta_cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)
    problem = best_match(meta_validator.iter_errors(schema))
    if problem is not None:
        where = _schema_pointer(problem.absolute_path)
        raise ChartError(f"invalid schema for chart {chart!r} at {where}: {problem.message}", file=file)
    _check_patterns(schema, chart=chart, file=file)
    _check_refs(schema, cls, chart=chart, file=file)
    _check_expansion(schema, chart=chart, file=file)
    return cls


def _check_patterns(schema: object, *, chart: str, file: str) -> None:
    """Every ``pattern`` and ``patternProperties`` key must compile under RE2 (as in Helm)."""
    for where, pattern in schema_limits.pattern_locations(schema):
        try:
            schema_limits.compile_pattern(pattern)
        except schema_limits.PatternError as error:
            raise ChartError(
                f"invalid schema for chart {chart!r} at {_schema_pointer(where)}: {error} "
                "(schema patterns are matched with RE2, as Helm does: no lookaround or backreferences)",
                file=file,
            ) from None


def _check_expansion(schema: object, *, chart: str, file: str) -> None:
    limit = schema_limits.MAX_EXPANDED_SUBSCHEMAS
    if schema_limits.expanded_size(schema, limit) > limit:
        raise ChartError(
            f"the schema of chart {chart!r} is too large once its $refs are expanded "
            f"(more than {limit:,} subschemas); refer to shared definitions less often",
            file=file,
        )


def _jsonschema_validator_for(schema: Mapping[str, Any] | bool, default: type[Validator]) -> type[Validator]:
    from jsonschema.validators import validator_for

    return validator_for(schema, default=default)


def _validator_class(schema: dict | bool, *, chart: str, file: str) -> type[Validator]:
    from jsonschema.validators import Draft202012Validator, validator_for

    if isinstance(schema, dict) and "$schema" in schema:
        dialect = schema["$schema"]
        # validator_for hands back the default as given, None here, for a dialect it does not know
        # (its stubs allow only a validator class there)
        known = isinstance(dialect, str) and validator_for({"$schema": dialect}, default=None)  # type: ignore[arg-type]
        if not known:
            raise ChartError(
                f'the schema of chart {chart!r} names an unknown "$schema" {dialect!r} '
                f"(tfhelm supports JSON Schema {_DRAFT_NAMES})",
                file=file,
            )
    return validator_for(schema, default=Draft202012Validator)


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a number" if isinstance(value, (int, float)) else type(value).__name__


def _check_refs(schema: object, cls: type[Validator], *, chart: str, file: str) -> None:
    from referencing.exceptions import InvalidAnchor, NoSuchAnchor, PointerToNowhere, Unresolvable

    spec = _specification(cls)
    root = _root_resolver(schema, spec)
    for keyword, ref, where, scopes in _refs(schema, ()):
        resolver = root
        for scope in scopes:
            resolver = resolver.in_subresource(spec.create_resource(scope))
        try:
            resolver.lookup(ref)
        except (PointerToNowhere, NoSuchAnchor, InvalidAnchor):
            raise ChartError(
                f"{keyword} {ref!r} at {_schema_pointer(where)} does not point to anything in "
                f"the schema of chart {chart!r}",
                file=file,
            ) from None
        except Unresolvable:
            raise ChartError(
                f"{keyword} {ref!r} at {_schema_pointer(where)} points outside the schema of "
                f"chart {chart!r}; tfhelm never fetches remote or file schemas, so copy the "
                "definition into \"$defs\" and refer to it as '#/$defs/<name>'",
                file=file,
            ) from None


def _refs(
    node: object, where: tuple[object, ...], scopes: tuple[dict, ...] = ()
) -> Iterator[tuple[str, str, tuple[object, ...], tuple[dict, ...]]]:
    """Yield ``(keyword, ref, location, enclosing schemas)`` for every reference in a schema."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _refs(item, (*where, index), scopes)
        return
    if not isinstance(node, dict):
        return
    scopes = (*scopes, node)
    for keyword in _REF_KEYWORDS:
        if isinstance(node.get(keyword), str):
            yield keyword, node[keyword], where, scopes
    for key, value in node.items():
        if key in _DATA_KEYWORDS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            for name, subschema in value.items():
                yield from _refs(subschema, (*where, key, name), scopes)
        else:
            yield from _refs(value, (*where, key), scopes)


def _specification(cls: type[Validator]) -> Specification:
    import referencing.jsonschema

    # every jsonschema validator class has ID_OF; the stubs' Validator protocol leaves it out
    return referencing.jsonschema.specification_with(cls.ID_OF(cls.META_SCHEMA))  # type: ignore[attr-defined]


def _refuse_retrieval(uri: str) -> Any:
    # Charts must be self-contained and installing one must never touch the network.
    raise LookupError(f"tfhelm does not fetch schemas ({uri})")


def _refusing_registry() -> Any:
    from referencing import Registry

    return Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]


def _root_resolver(schema: object, spec: Specification) -> Resolver:
    from jsonschema_specifications import REGISTRY as METASCHEMAS

    # The bundled metaschemas resolve locally, exactly as they do during validation.
    registry = METASCHEMAS.combine(_refusing_registry())
    return registry.resolver_with_root(spec.create_resource(schema))


# --------------------------------------------------------------------------- validation


def validate_values(values: dict, schema: dict, *, chart: str) -> None:
    """Raise :class:`SchemaError` listing every way ``values`` violate ``schema``.

    Violations are ``(value_path, message)`` pairs sorted by path. The schema is checked first
    (a :class:`ChartError` if it is invalid); the checked validator is cached per schema object.
    """
    if quickcheck.values_are_valid(values, schema):
        return
    from referencing.exceptions import Unresolvable

    validator = _cached_validator(schema, chart=chart)
    try:
        errors = list(validator.iter_errors(values))
    except Unresolvable as error:  # _check_refs should have refused this already
        ref = getattr(error, "ref", str(error))
        raise ChartError(
            f"the schema of chart {chart!r} has a reference that cannot be resolved: {ref!r}",
            file=_SCHEMA_FILE,
        ) from None
    if not errors:
        return
    secrets = write_only_paths(schema, values)
    found: set[tuple[tuple[object, ...], str]] = set()
    for violation in errors:
        found.update(_violations(violation, secrets))
    ordered = sorted(found, key=lambda item: (_path_sort_key(item[0]), item[1]))
    raise SchemaError(chart, [(value_path(path), message) for path, message in ordered])


def _cached_validator(schema: dict, *, chart: str) -> Validator:
    cached = _validators.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    cls = _checked_validator_class(schema, chart=chart, file=_SCHEMA_FILE)
    schema_limits.use_re2_in_jsonschema()
    validator = cls(_without_false_subschemas(schema), registry=_refusing_registry())
    if len(_validators) >= _CACHE_SIZE:
        _validators.pop(next(iter(_validators)))
    _validators[id(schema)] = (schema, validator)
    return validator


@overload
def _without_false_subschemas(node: dict) -> dict: ...
@overload
def _without_false_subschemas(node: object) -> object: ...
def _without_false_subschemas(node: object) -> object:
    """A copy of a schema where a ``false`` subschema is ``{"not": {}}`` (same meaning).

    jsonschema drops the value path of errors from a ``false`` subschema (``properties:
    {legacy: false}`` reports at the parent), while ``{"not": {}}`` keeps it.
    """
    if not isinstance(node, dict):
        return node
    copy: dict = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            copy[key] = {name: _subschema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LIST_KEYWORDS and isinstance(value, list):
            copy[key] = [_subschema(sub) for sub in value]
        elif key in _SCHEMA_KEYWORDS or (key in _NATIVE_FALSE and value is not False):
            copy[key] = _subschema(value)
        else:
            copy[key] = value
    return copy


def _subschema(value: object) -> object:
    return dict(_NOTHING_ALLOWED) if value is False else _without_false_subschemas(value)


def _violations(error: ValidationError, secrets: list[tuple]) -> Iterator[tuple[tuple[object, ...], str]]:
    """Turn one jsonschema error into ``(path parts, message)`` pairs written for users."""
    path = tuple(error.absolute_path)
    kind = error.validator
    instance = error.instance
    if kind == "required" and isinstance(error.validator_value, list):
        if isinstance(instance, dict):
            for name in error.validator_value:
                if name not in instance:
                    yield (*path, name), "is required"
        return
    if kind == "additionalProperties" and error.validator_value is False and isinstance(error.schema, dict):
        for key in _unknown_keys(instance, error.schema):
            yield (*path, key), _unknown_key_message(str(key), error.schema)
        return
    if kind in ("dependentRequired", "dependencies") and isinstance(instance, dict):
        missing = list(_missing_dependencies(instance, error.validator_value))
        if missing:
            for trigger, name in missing:
                yield (*path, name), f"is required when {trigger!r} is set"
            return
    if kind in ("anyOf", "oneOf") and error.context:
        yield from _alternative_violations(error, secrets)
        return
    yield path, _message(error, _is_secret(path, error, secrets))


def _unknown_keys(instance: object, schema: dict) -> list[object]:
    if not isinstance(instance, dict):
        return []
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [key for key in instance if key not in properties and not any(_search(pattern, key) for pattern in patterns)]


def _search(pattern: str, key: object) -> bool:
    try:
        return schema_limits.search(pattern, str(key))
    except schema_limits.PatternError:
        return False


def _unknown_key_message(key: str, schema: dict) -> str:
    import difflib

    allowed = sorted(str(name) for name in schema.get("properties", {}))
    close = difflib.get_close_matches(key, allowed, n=3)
    if close:
        return f"unknown key (did you mean {_or_list([repr(name) for name in close])}?)"
    patterns = [repr(pattern) for pattern in schema.get("patternProperties", {})]
    if not allowed and not patterns:
        return "unknown key (no keys are allowed here)"
    described = []
    if allowed:
        shown = ", ".join(allowed[:_MAX_LISTED])
        more = f", ... ({len(allowed)} in all)" if len(allowed) > _MAX_LISTED else ""
        described.append(f"allowed keys: {shown}{more}")
    if patterns:
        described.append(f"keys matching {_or_list(patterns)}")
    return f"unknown key ({' or '.join(described)})"


def _missing_dependencies(instance: dict, dependencies: object) -> Iterator[tuple[str, str]]:
    if not isinstance(dependencies, dict):
        return
    for trigger, needed in dependencies.items():
        if trigger in instance and isinstance(needed, list):
            for name in needed:
                if name not in instance:
                    yield trigger, name


def _alternative_violations(error: ValidationError, secrets: list[tuple]) -> Iterator[tuple[tuple[object, ...], str]]:
    from jsonschema.exceptions import best_match

    best = best_match([error])
    if best is not error:
        yield from _violations(best, secrets)
        return
    path = tuple(error.absolute_path)
    subject = _subject(error.instance, _is_secret(path, error, secrets))
    branches = list(error.context or ())
    if all(branch.validator == "type" and not branch.path for branch in branches):
        types = [name for branch in branches for name in _as_list(branch.validator_value)]
        yield path, f"{subject} is not of type {_or_list(list(dict.fromkeys(types)))}"
        return
    reasons = []
    for branch in branches[:3]:
        for sub_path, message in _violations(branch, secrets):
            relative = sub_path[len(path) :]
            reasons.append(f"{value_path(relative)}: {message}" if relative else message)
    more = "; ..." if len(branches) > 3 else ""
    yield path, f"matches none of the allowed alternatives ({'; '.join(reasons)}{more})"


def _is_secret(path: tuple[object, ...], error: ValidationError, secrets: list[tuple]) -> bool:
    if isinstance(error.schema, dict) and error.schema.get("writeOnly") is True:
        return True
    # A secret is exposed both by a value inside it and by a value that contains it.
    return any(secret[: len(path)] == path or path[: len(secret)] == secret for secret in secrets)


def _message(error: ValidationError, secret: bool) -> str:
    """A user message for one keyword failure; never echoes the value when ``secret``."""
    kind = error.validator
    limit = error.validator_value
    subject = _subject(error.instance, secret)
    if _from_property_names(error):
        subject = f"key {subject}"
    size = len(error.instance) if isinstance(error.instance, (list, dict, str)) else 0
    number = isinstance(limit, (int, float)) and not isinstance(limit, bool)
    if kind is None or (kind == "not" and limit == {}):  # a `false` schema
        return "is not allowed here"
    if kind == "type":
        return f"{subject} is not of type {_or_list(_as_list(limit))}"
    if kind == "enum" and isinstance(limit, list):
        return f"{subject} is not one of the allowed values: {_listing(limit)}"
    if kind == "const":
        return f"{subject} is not the allowed value {_compact(limit)}"
    if number and kind == "minimum":
        return f"{subject} is less than the minimum of {_compact(limit)}"
    if number and kind == "maximum":
        return f"{subject} is greater than the maximum of {_compact(limit)}"
    if number and kind == "exclusiveMinimum":
        return f"{subject} is not greater than the exclusive minimum of {_compact(limit)}"
    if number and kind == "exclusiveMaximum":
        return f"{subject} is not less than the exclusive maximum of {_compact(limit)}"
    if kind == "multipleOf":
        return f"{subject} is not a multiple of {_compact(limit)}"
    if kind == "minLength":
        return f"{subject} is too short (minimum length {limit})"
    if kind == "maxLength":
        return f"{subject} is too long (maximum length {limit})"
    if kind == "pattern":
        return f"{subject} does not match the pattern '{limit}'"
    if kind == "minItems":
        return f"has {_count(size, 'item')}, fewer than the minimum of {limit}"
    if kind == "maxItems":
        return f"has {_count(size, 'item')}, more than the maximum of {limit}"
    if kind == "uniqueItems":
        return "has duplicate items"
    if kind == "minProperties":
        return f"has {_count(size, 'key')}, fewer than the minimum of {limit}"
    if kind == "maxProperties":
        return f"has {_count(size, 'key')}, more than the maximum of {limit}"
    if kind == "oneOf":  # no context: more than one alternative matched
        return f'{subject} matches more than one of the "oneOf" alternatives'
    if kind == "not":
        return f"{subject} must not match the schema {_compact(limit)}"
    if secret:
        return f"value is invalid ({kind}: {_compact(limit)})"
    return error.message


def _from_property_names(error: ValidationError) -> bool:
    # propertyNames failures sit at the object's path with the key name as the instance.
    keywords = list(error.absolute_schema_path)
    return any(
        part == "propertyNames" and (index == 0 or keywords[index - 1] not in _SCHEMA_MAPS)
        for index, part in enumerate(keywords)
    )


def _subject(value: object, secret: bool) -> str:
    return "value" if secret else _compact(value)


def _compact(value: object) -> str:
    """Render a value as short, single-line JSON (how it would be written in YAML/--set-json)."""
    if isinstance(value, str) and len(value) > _MAX_VALUE_CHARS:
        return json.dumps(value[: _MAX_VALUE_CHARS - 5] + "...", ensure_ascii=False)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def _listing(values: list) -> str:
    shown = ", ".join(_compact(value) for value in values[:_MAX_LISTED])
    return shown + (f", ... ({len(values)} in all)" if len(values) > _MAX_LISTED else "")


def _as_list(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def _or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# --------------------------------------------------------------------------- secrets


def write_only_paths(schema: dict, values: dict) -> list[tuple]:
    """Value paths (tuples of keys and indices) present in ``values`` that are ``writeOnly``.

    Follows properties, patternProperties, additionalProperties, items/prefixItems, $ref and
    allOf — and, erring on the side of hiding secrets, anyOf/oneOf/then/else as well. Below a
    write-only path nothing more is listed: the whole subtree is secret.
    """
    from jsonschema.validators import Draft202012Validator

    cls = _jsonschema_validator_for(schema, default=Draft202012Validator)
    spec = _specification(cls)
    walker = _WriteOnlyWalker(spec)
    walker.visit(schema, values, (), _root_resolver(schema, spec))
    return sorted(walker.found, key=_path_sort_key)


class _WriteOnlyWalker:
    """Walks a schema alongside the values it describes, collecting write-only paths."""

    def __init__(self, spec: Specification) -> None:
        self.spec = spec
        self.found: set[tuple] = set()
        self.seen: set[tuple[int, tuple]] = set()  # guards against $ref cycles

    def visit(self, node: object, value: object, path: tuple, resolver: Resolver) -> None:
        if not isinstance(node, dict) or (id(node), path) in self.seen:
            return
        self.seen.add((id(node), path))
        if node.get("writeOnly") is True:
            self.found.add(path)
            return
        resolver = resolver.in_subresource(self.spec.create_resource(node))
        self._visit_refs(node, value, path, resolver)
        for keyword in ("allOf", "anyOf", "oneOf"):
            for subschema in _list(node.get(keyword)):
                self.visit(subschema, value, path, resolver)
        for keyword in ("then", "else"):
            self.visit(node.get(keyword), value, path, resolver)
        if isinstance(value, dict):
            self._visit_object(node, value, path, resolver)
        elif isinstance(value, list):
            self._visit_array(node, value, path, resolver)

    def _visit_refs(self, node: dict, value: object, path: tuple, resolver: Resolver) -> None:
        from referencing.exceptions import Unresolvable

        for keyword in _REF_KEYWORDS:
            ref = node.get(keyword)
            if not isinstance(ref, str):
                continue
            try:
                resolved = resolver.lookup(ref)
            except Unresolvable:  # check_schema reports these; nothing to redact here
                continue
            self.visit(resolved.contents, value, path, resolved.resolver)

    def _visit_object(self, node: dict, value: dict, path: tuple, resolver: Resolver) -> None:
        properties = node.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        patterns = node.get("patternProperties")
        patterns = patterns if isinstance(patterns, dict) else {}
        for key, item in value.items():
            matched = key in properties
            if matched:
                self.visit(properties[key], item, (*path, key), resolver)
            for pattern, subschema in patterns.items():
                if _search(pattern, key):
                    matched = True
                    self.visit(subschema, item, (*path, key), resolver)
            if not matched:
                self.visit(node.get("additionalProperties"), item, (*path, key), resolver)

    def _visit_array(self, node: dict, value: list, path: tuple, resolver: Resolver) -> None:
        items = node.get("items")
        if isinstance(items, list):  # draft 2019-09 and older: tuple form + additionalItems
            prefix, rest = items, node.get("additionalItems")
        else:
            prefix, rest = _list(node.get("prefixItems")), items
        for index, item in enumerate(value):
            subschema = prefix[index] if index < len(prefix) else rest
            self.visit(subschema, item, (*path, index), resolver)


def _list(value: object) -> list:
    return value if isinstance(value, list) else []
