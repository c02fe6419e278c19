"""Tests for tfhelm.values.schema: schema checks, violation messages, paths and secrets."""

from __future__ import annotations

import datetime

import pytest

from tfhelm.errors import ChartError, SchemaError
from tfhelm.values import schema as schema_module
from tfhelm.values.schema import check_schema, validate_values, value_path, write_only_paths

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
DRAFT_04 = "http://json-schema.org/draft-04/schema#"

TF_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "jobs": {
            "type": "object",
            "properties": {
                "worker": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "tasks": {"type": "integer", "minimum": 1},
                        "image": {"type": "string"},
                    },
                }
            },
        },
        "port": {"type": "integer"},
        "mode": {"enum": ["sync", "async"]},
        "jupyter": {
            "type": "object",
            "required": ["password"],
            "properties": {"password": {"type": "string", "minLength": 8, "writeOnly": True}},
        },
    },
}


def violations(values: dict, schema: dict) -> list[tuple[str, str]]:
    with pytest.raises(SchemaError) as caught:
        validate_values(values, schema, chart="tf")
    assert caught.value.chart == "tf"
    return caught.value.violations


def chart_error(schema: object) -> str:
    with pytest.raises(ChartError) as caught:
        check_schema(schema, chart="tf")
    assert caught.value.file == "values.schema.json"
    return str(caught.value)


# --------------------------------------------------------------------------- value_path


def test_value_path_joins_keys_with_dots():
    assert value_path(["jobs", "worker", "tasks"]) == "jobs.worker.tasks"


def test_value_path_renders_indices_in_brackets():
    assert value_path(["args", 0, "name", 12]) == "args[0].name[12]"
    assert value_path([3, "x"]) == "[3].x"


def test_value_path_of_nothing_is_root():
    assert value_path([]) == "(root)"


@pytest.mark.parametrize(
    ("key", "escaped"),
    [
        ("kubernetes.io/name", "kubernetes\\.io/name"),
        ("a,b", "a\\,b"),
        ("x[0]", "x\\[0]"),
        ("k=v", "k\\=v"),
        ("back\\slash", "back\\\\slash"),
    ],
)
def test_value_path_escapes_set_syntax_characters(key, escaped):
    assert value_path(["labels", key]) == f"labels.{escaped}"


def test_value_path_leaves_other_characters_alone():
    assert value_path(["a-b_c/d", "ünï"]) == "a-b_c/d.ünï"


# --------------------------------------------------------------------------- messages


def test_valid_values_pass():
    values = {"jobs": {"worker": {"tasks": 2}}, "port": 80, "jupyter": {"password": "longenough"}}
    assert validate_values(values, TF_SCHEMA, chart="tf") is None


def test_minimum_message():
    values = {"jobs": {"worker": {"tasks": -1}}, "jupyter": {"password": "longenough"}}
    assert violations(values, TF_SCHEMA) == [
        ("jobs.worker.tasks", "-1 is less than the minimum of 1")
    ]


def test_schema_error_text_lists_violations_under_the_chart():
    with pytest.raises(SchemaError) as caught:
        values = {"port": "80", "jupyter": {"password": "longenough"}}
        validate_values(values, TF_SCHEMA, chart="tf")
    assert str(caught.value) == (
        "values do not match the schema of chart 'tf':\n  port: \"80\" is not of type integer"
    )


def test_required_is_reported_at_the_missing_key():
    assert violations({"jupyter": {}}, TF_SCHEMA) == [("jupyter.password", "is required")]


def test_several_missing_required_keys_each_get_a_line():
    schema = {"properties": {"db": {"required": ["user", "host", "name"]}}}
    assert violations({"db": {"host": "h"}}, schema) == [
        ("db.name", "is required"),
        ("db.user", "is required"),
    ]


def test_unknown_key_suggests_the_close_match():
    values = {"jobs": {"worker": {"taks": 3}}, "jupyter": {"password": "longenough"}}
    assert violations(values, TF_SCHEMA) == [
        ("jobs.worker.taks", "unknown key (did you mean 'tasks'?)")
    ]


def test_unknown_key_without_close_match_lists_allowed_keys():
    values = {"replicas": 3, "jupyter": {"password": "longenough"}}
    assert violations(values, TF_SCHEMA) == [
        ("replicas", "unknown key (allowed keys: jobs, jupyter, mode, port)")
    ]


def test_unknown_key_listing_is_brief_for_many_keys():
    schema = {
        "additionalProperties": False,
        "properties": {f"key{n:02}": {} for n in range(12)},
    }
    assert violations({"zzz": 1}, schema) == [
        (
            "zzz",
            "unknown key (allowed keys: key00, key01, key02, key03, key04, key05, key06, key07, "
            "... (12 in all))",
        )
    ]


def test_unknown_key_where_no_keys_are_allowed():
    schema = {"properties": {"extra": {"type": "object", "additionalProperties": False}}}
    assert violations({"extra": {"a": 1}}, schema) == [
        ("extra.a", "unknown key (no keys are allowed here)")
    ]


def test_pattern_properties_count_as_allowed_keys():
    schema = {
        "additionalProperties": False,
        "properties": {"name": {}},
        "patternProperties": {"^x-": {}},
    }
    assert violations({"name": "n", "x-team": "ml", "owner": "me"}, schema) == [
        ("owner", "unknown key (allowed keys: name or keys matching '^x-')")
    ]


def test_several_unknown_keys_in_one_object_are_reported_separately():
    schema = {"additionalProperties": False, "properties": {"image": {}, "tasks": {}}}
    assert violations({"imgae": "tf", "taks": 1}, schema) == [
        ("imgae", "unknown key (did you mean 'image'?)"),
        ("taks", "unknown key (did you mean 'tasks'?)"),
    ]


def test_type_error_shows_the_value_compactly():
    values = {"port": "80", "jupyter": {"password": "longenough"}}
    assert violations(values, TF_SCHEMA) == [("port", '"80" is not of type integer')]


def test_type_error_with_several_types():
    schema = {"properties": {"limit": {"type": ["integer", "string", "null"]}}}
    assert violations({"limit": [1, 2]}, schema) == [
        ("limit", "[1, 2] is not of type integer, string or null")
    ]


def test_long_values_are_truncated():
    schema = {"properties": {"n": {"type": "integer"}, "m": {"type": "integer"}}}
    found = dict(violations({"n": "x" * 500, "m": list(range(100))}, schema))
    assert found["n"] == '"' + "x" * 55 + '..." is not of type integer'
    assert found["m"].startswith("[0, 1, 2, 3,") and "..." in found["m"]
    assert len(found["m"]) < 100


def test_enum_lists_the_allowed_values():
    values = {"mode": "both", "jupyter": {"password": "longenough"}}
    assert violations(values, TF_SCHEMA) == [
        ("mode", '"both" is not one of the allowed values: "sync", "async"')
    ]


@pytest.mark.parametrize(
    ("keyword", "limit", "value", "message"),
    [
        ("maximum", 4, 5, "5 is greater than the maximum of 4"),
        ("exclusiveMinimum", 0, 0, "0 is not greater than the exclusive minimum of 0"),
        ("exclusiveMaximum", 1, 1.5, "1.5 is not less than the exclusive maximum of 1"),
        ("multipleOf", 2, 3, "3 is not a multiple of 2"),
        ("maxLength", 3, "abcd", '"abcd" is too long (maximum length 3)'),
        ("pattern", "^[a-z]+$", "ABC", "\"ABC\" does not match the pattern '^[a-z]+$'"),
        ("minItems", 2, ["a"], "has 1 item, fewer than the minimum of 2"),
        ("maxItems", 1, [1, 2], "has 2 items, more than the maximum of 1"),
        ("uniqueItems", True, [1, 1], "has duplicate items"),
        ("minProperties", 1, {}, "has 0 keys, fewer than the minimum of 1"),
        ("const", "v1", "v2", '"v2" is not the allowed value "v1"'),
    ],
)
def test_keyword_messages(keyword, limit, value, message):
    schema = {"properties": {"x": {keyword: limit}}}
    assert violations({"x": value}, schema) == [("x", message)]


def test_dependent_required_is_reported_at_the_missing_key():
    schema = {"properties": {"tls": {"dependentRequired": {"cert": ["key"]}}}}
    assert violations({"tls": {"cert": "c"}}, schema) == [
        ("tls.key", "is required when 'cert' is set")
    ]


def test_property_names_failures_name_the_key():
    schema = {"properties": {"labels": {"propertyNames": {"pattern": "^[a-z]+$"}}}}
    assert violations({"labels": {"Team": "ml"}}, schema) == [
        ("labels", "key \"Team\" does not match the pattern '^[a-z]+$'")
    ]


def test_values_that_are_not_json_are_rendered_without_crashing():
    schema = {"properties": {"when": {"type": "string"}}}
    assert violations({"when": datetime.date(2024, 1, 2)}, schema) == [
        ("when", '"2024-01-02" is not of type string')
    ]


# --------------------------------------------------------------------------- anyOf / oneOf


def test_any_of_with_only_type_branches_merges_the_types():
    schema = {"properties": {"cpu": {"anyOf": [{"type": "string"}, {"type": "number"}]}}}
    assert violations({"cpu": True}, schema) == [("cpu", "true is not of type string or number")]


def test_one_of_picks_the_branch_matching_the_value_type():
    schema = {
        "properties": {
            "gpus": {
                "oneOf": [
                    {"type": "string", "pattern": "^all$"},
                    {"type": "integer", "minimum": 1},
                ]
            }
        }
    }
    assert violations({"gpus": 0}, schema) == [("gpus", "0 is less than the minimum of 1")]


def test_one_of_sub_error_keeps_its_deeper_path():
    schema = {
        "properties": {
            "storage": {
                "oneOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "properties": {"size": {"type": "integer", "maximum": 100}},
                    },
                ]
            }
        }
    }
    assert violations({"storage": {"size": 500}}, schema) == [
        ("storage.size", "500 is greater than the maximum of 100")
    ]


def test_one_of_matching_several_alternatives():
    schema = {"properties": {"n": {"oneOf": [{"type": "integer"}, {"minimum": 0}]}}}
    assert violations({"n": 3}, schema) == [
        ("n", '3 matches more than one of the "oneOf" alternatives')
    ]


def test_equally_relevant_alternatives_are_all_summarised():
    schema = {
        "properties": {
            "auth": {
                "anyOf": [
                    {"type": "object", "required": ["token"]},
                    {"type": "object", "required": ["user"]},
                ]
            }
        }
    }
    assert violations({"auth": {}}, schema) == [
        ("auth", "matches none of the allowed alternatives (token: is required; user: is required)")
    ]


# --------------------------------------------------------------------------- all violations


def test_all_violations_are_reported_sorted_by_path():
    values = {
        "port": "80",
        "mode": "both",
        "jobs": {"worker": {"tasks": 0, "taks": 1}},
        "extra": True,
        "jupyter": {},
    }
    assert violations(values, TF_SCHEMA) == [
        ("extra", "unknown key (allowed keys: jobs, jupyter, mode, port)"),
        ("jobs.worker.taks", "unknown key (did you mean 'tasks'?)"),
        ("jobs.worker.tasks", "0 is less than the minimum of 1"),
        ("jupyter.password", "is required"),
        ("mode", '"both" is not one of the allowed values: "sync", "async"'),
        ("port", '"80" is not of type integer'),
    ]


def test_indices_sort_numerically_and_parents_first():
    schema = {"properties": {"args": {"type": "array", "items": {"type": "string"}, "maxItems": 3}}}
    args = ["ok"] * 12
    args[2] = 2
    args[10] = 10
    assert violations({"args": args}, schema) == [
        ("args", "has 12 items, more than the maximum of 3"),
        ("args[2]", "2 is not of type string"),
        ("args[10]", "10 is not of type string"),
    ]


def test_root_level_violation_uses_root_path():
    assert violations({}, {"minProperties": 1}) == [
        ("(root)", "has 0 keys, fewer than the minimum of 1")
    ]


# --------------------------------------------------------------------------- drafts


def test_draft_07_schema_is_selected_by_dollar_schema():
    schema = {
        "$schema": DRAFT_07,
        "definitions": {"port": {"type": "integer", "exclusiveMinimum": 0}},
        "properties": {"port": {"$ref": "#/definitions/port"}},
    }
    check_schema(schema, chart="tf")
    assert violations({"port": 0}, schema) == [
        ("port", "0 is not greater than the exclusive minimum of 0")
    ]


def test_draft_07_ignores_2020_keywords():
    # prefixItems means nothing in draft-07, so it must not be enforced there.
    items = {"prefixItems": [{"type": "string"}]}
    validate_values({"a": [1]}, {"$schema": DRAFT_07, "properties": {"a": items}}, chart="tf")
    assert violations({"a": [1]}, {"properties": {"a": items}}) == [
        ("a[0]", "1 is not of type string")
    ]


def test_draft_04_boolean_exclusive_minimum_is_valid_only_in_draft_04():
    schema = {"minimum": 0, "exclusiveMinimum": True}
    check_schema({"$schema": DRAFT_04, **schema}, chart="tf")
    assert "exclusiveMinimum" in chart_error(schema)


def test_local_defs_refs_work_and_keep_paths():
    schema = {
        "$defs": {"resources": {"type": "object", "properties": {"cpu": {"type": "number"}}}},
        "properties": {"worker": {"properties": {"resources": {"$ref": "#/$defs/resources"}}}},
    }
    check_schema(schema, chart="tf")
    assert violations({"worker": {"resources": {"cpu": "two"}}}, schema) == [
        ("worker.resources.cpu", '"two" is not of type number')
    ]


# --------------------------------------------------------------------------- invalid schemas


def test_invalid_type_keyword_is_a_chart_error_naming_the_location():
    message = chart_error({"properties": {"port": {"type": "nope"}}})
    assert message.startswith(
        "values.schema.json: invalid schema for chart 'tf' at #/properties/port/type: 'nope'"
    )


def test_invalid_regex_is_a_chart_error():
    assert "at #/pattern: '(' is not a 'regex'" in chart_error({"pattern": "("})


def test_schema_must_be_an_object():
    assert chart_error([1]) == (
        "values.schema.json: the schema of chart 'tf' must be a JSON object, not an array"
    )


def test_unknown_dialect_is_a_chart_error():
    assert "unknown \"$schema\" 'https://example.com/my-dialect'" in chart_error(
        {"$schema": "https://example.com/my-dialect"}
    )


def test_check_schema_reports_the_given_file():
    with pytest.raises(ChartError) as caught:
        check_schema({"type": 5}, chart="tf", file="charts/tf/values.schema.json")
    assert caught.value.file == "charts/tf/values.schema.json"
    assert str(caught.value).startswith("charts/tf/values.schema.json: invalid schema")


def test_validate_values_with_an_invalid_schema_raises_chart_error():
    with pytest.raises(ChartError, match="invalid schema for chart 'tf' at #/minimum"):
        validate_values({}, {"minimum": "one"}, chart="tf")


@pytest.mark.parametrize(
    "ref",
    [
        "https://example.com/schemas/worker.json",
        "http://example.com/worker.json#/$defs/x",
        "file:///etc/passwd",
        "worker.json",
    ],
)
def test_refs_outside_the_schema_are_refused_without_fetching(ref, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a schema was fetched")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    message = chart_error({"properties": {"worker": {"$ref": ref}}})
    assert message == (
        f"values.schema.json: $ref {ref!r} at #/properties/worker points outside the schema of "
        "chart 'tf'; tfhelm never fetches remote or file schemas, so copy the definition into "
        "\"$defs\" and refer to it as '#/$defs/<name>'"
    )


def test_remote_ref_fails_validation_too():
    schema = {"properties": {"a": {"anyOf": [{"type": "string"}, {"$ref": "https://x.io/s"}]}}}
    with pytest.raises(ChartError, match="points outside the schema"):
        validate_values({"a": "fine"}, schema, chart="tf")


def test_dangling_local_ref_is_a_chart_error():
    assert chart_error({"items": {"$ref": "#/$defs/missing"}}) == (
        "values.schema.json: $ref '#/$defs/missing' at #/items does not point to anything in "
        "the schema of chart 'tf'"
    )


def test_ref_like_data_and_property_names_are_not_refs():
    schema = {
        "properties": {"$ref": {"type": "string"}},
        "default": {"$ref": "https://example.com/not-a-ref"},
        "examples": [{"$ref": "https://example.com/not-a-ref"}],
    }
    check_schema(schema, chart="tf")
    assert violations({"$ref": 1}, schema) == [("$ref", "1 is not of type string")]


def test_bundled_metaschemas_resolve_locally(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a schema was fetched")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    schema = {"properties": {"nested": {"$ref": DRAFT_07}}}
    check_schema(schema, chart="tf")
    # the value under "nested" is checked against the draft-07 metaschema itself
    validate_values({"nested": {"type": "string", "minLength": 2}}, schema, chart="tf")
    found = dict(violations({"nested": {"type": 5, "minLength": -1}}, schema))
    assert found.keys() == {"nested.minLength", "nested.type"}
    assert found["nested.minLength"] == "-1 is less than the minimum of 0"
    assert '5 is not one of the allowed values: "array", "boolean", "integer", "null"' in found["nested.type"]


# --------------------------------------------------------------------------- secrets


def test_write_only_value_is_never_echoed():
    found = violations({"jupyter": {"password": "hunter2"}}, TF_SCHEMA)
    assert found == [("jupyter.password", "value is too short (minimum length 8)")]
    assert "hunter2" not in str(found)


def test_write_only_reached_through_a_ref_is_redacted():
    schema = {
        "$defs": {"secret": {"type": "string", "writeOnly": True}},
        "properties": {"token": {"allOf": [{"$ref": "#/$defs/secret"}], "enum": ["a", "b"]}},
    }
    assert violations({"token": "s3cr3t"}, schema) == [
        ("token", 'value is not one of the allowed values: "a", "b"')
    ]


def test_value_containing_a_secret_is_not_echoed():
    schema = {
        "properties": {
            "db": {
                "properties": {"password": {"writeOnly": True}},
                "not": {"required": ["password"]},
            }
        }
    }
    (path, message), = violations({"db": {"password": "s3cr3t"}}, schema)
    assert path == "db"
    assert message.startswith("value must not match the schema")
    assert "s3cr3t" not in message


def test_secret_fallback_message_hides_the_value():
    schema = {"properties": {"keys": {"writeOnly": True, "contains": {"const": "admin"}}}}
    assert violations({"keys": ["s3cr3t"]}, schema) == [
        ("keys", 'value is invalid (contains: {"const": "admin"})')
    ]


def test_write_only_paths_follows_the_schema_structure():
    secret = {"writeOnly": True}
    schema = {
        "$defs": {"creds": {"properties": {"token": secret}}},
        "properties": {
            "jupyter": {"properties": {"password": secret, "user": {}}},
            "registries": {"type": "array", "items": {"$ref": "#/$defs/creds"}},
            "env": {"additionalProperties": {"allOf": [secret]}},
            "tls": {"patternProperties": {"Key$": secret}},
        },
    }
    values = {
        "jupyter": {"password": "p", "user": "u"},
        "registries": [{"token": "t1"}, {"name": "no token"}, {"token": "t3"}],
        "env": {"API_KEY": "k"},
        "tls": {"privateKey": "pk", "cert": "c"},
    }
    assert write_only_paths(schema, values) == [
        ("env", "API_KEY"),
        ("jupyter", "password"),
        ("registries", 0, "token"),
        ("registries", 2, "token"),
        ("tls", "privateKey"),
    ]


def test_write_only_paths_lists_only_values_present():
    assert write_only_paths(TF_SCHEMA, {"jupyter": {}}) == []


def test_write_only_paths_survives_recursive_schemas():
    schema = {
        "$defs": {"node": {"allOf": [{"$ref": "#/$defs/node"}], "properties": {
            "child": {"$ref": "#/$defs/node"}, "key": {"writeOnly": True}}}},
        "$ref": "#/$defs/node",
    }
    values = {"child": {"child": {"key": "k"}}}
    assert write_only_paths(schema, values) == [("child", "child", "key")]


# --------------------------------------------------------------------------- caching


def test_validator_is_created_once_per_schema_object(monkeypatch):
    schema = {"properties": {"n": {"type": "integer"}}}
    calls = []
    original = schema_module._checked_validator_class

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(schema_module, "_checked_validator_class", counting)
    validate_values({"n": 1}, schema, chart="tf")
    assert calls == []  # valid values are proven valid without jsonschema (quickcheck)
    for _ in range(3):
        with pytest.raises(SchemaError):
            validate_values({"n": "x"}, schema, chart="tf")
    assert len(calls) == 1
    with pytest.raises(SchemaError):
        validate_values({"n": "x"}, dict(schema), chart="tf")
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("schema", "values", "expected"),
    [
        ({"properties": {"legacy": False}}, {"legacy": 1}, [("legacy", "is not allowed here")]),
        ({"prefixItems": [True, False]}, [1, 2], [("[1]", "is not allowed here")]),
        ({"items": False, "prefixItems": [True]}, [1, 2, 3],
         [("[1]", "is not allowed here"), ("[2]", "is not allowed here")]),
        ({"$schema": DRAFT_07, "items": [True, False]}, [1, 2], [("[1]", "is not allowed here")]),
        ({"$defs": {"no": False}, "properties": {"a": {"$ref": "#/$defs/no"}}}, {"a": 1},
         [("a", "is not allowed here")]),
    ],
)
def test_false_subschemas_report_at_the_value_path(schema, values, expected):
    assert violations(values, schema) == expected
