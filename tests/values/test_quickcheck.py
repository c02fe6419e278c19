"""Tests for tfhelm.values.quickcheck: differential against jsonschema, and the fast path is taken.

The safety rule under test: ``values_are_valid`` True implies jsonschema finds no error, and
``schema_is_plainly_valid`` True implies the schema passes tfhelm's full jsonschema-based check.
For the charts tfhelm ships, the answers must also be *exact*, so the fast path is really used.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema.validators import Draft202012Validator

from helpers import DEMO_CHART, REPO, write_chart
from tfhelm.errors import ChartError
from tfhelm.values import quickcheck
from tfhelm.values import schema as schema_module
from tfhelm.values.merge import coalesce
from tfhelm.values.quickcheck import schema_is_plainly_valid, values_are_valid
from tfhelm.yamlio import load_yaml

TF_CHART = REPO / "charts" / "tf-cluster"
TF_SCHEMA = json.loads((TF_CHART / "values.schema.json").read_text())
TF_DEFAULTS = load_yaml((TF_CHART / "values.yaml").read_text())
EXAMPLES = sorted(TF_CHART.glob("examples/*.yaml"))
DEMO_SCHEMA = json.loads((DEMO_CHART / "values.schema.json").read_text())
DEMO_DEFAULTS = load_yaml((DEMO_CHART / "values.yaml").read_text())


def jsonschema_valid(values: object, schema: object) -> bool:
    """The oracle: jsonschema's verdict, without format assertion (as tfhelm validates)."""
    return not any(Draft202012Validator(schema).iter_errors(values))


@functools.lru_cache(maxsize=None)
def _full_check_passes(schema_json: str) -> bool:
    schema = json.loads(schema_json)
    Draft202012Validator.check_schema(schema)
    try:
        schema_module._checked_validator_class(schema, chart="t", file="f")
    except ChartError:
        return False
    return True


def full_check_passes(schema: object) -> bool:
    """The oracle for schemas: the metaschema plus tfhelm's own refusal of outside refs."""
    return _full_check_passes(json.dumps(schema, sort_keys=True))


def assert_safe(values: object, schema: object) -> bool:
    """Assert the safety rule for one pair; return the fast answer."""
    fast = values_are_valid(values, schema)
    if fast:
        assert schema_is_plainly_valid(schema) and full_check_passes(schema), schema
        assert jsonschema_valid(values, schema), (values, schema)
    return fast


def with_change(values: dict, path: tuple, value: object = ...) -> dict:
    """A deep copy of ``values`` with ``path`` set to ``value`` (deleted when omitted)."""
    changed = copy.deepcopy(values)
    node = changed
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if value is ...:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return changed


# --------------------------------------------------------------------------- semantics


@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        ({"type": "integer"}, 1.0, True),
        ({"type": "integer"}, True, False),
        ({"type": "number"}, False, False),
        ({"type": ["string", "null"]}, None, True),
        ({"enum": [1, "a"]}, True, False),
        ({"enum": [True]}, 1, False),
        ({"enum": [1]}, 1.0, True),
        ({"const": {"a": [1, {"b": None}]}}, {"a": [1.0, {"b": None}]}, True),
        ({"const": [False]}, [0], False),
        ({"uniqueItems": True}, [1, True], True),
        ({"uniqueItems": True}, [1, 1.0], False),
        ({"uniqueItems": True}, [{"a": 1}, {"a": 1}], False),
        ({"pattern": "b"}, "abc", True),
        ({"pattern": "^b"}, "abc", False),
        ({"pattern": "^b"}, 5, True),
        ({"minLength": 2}, "é!", True),
        ({"exclusiveMinimum": 1}, 1.0, False),
        ({"maximum": 10}, 10.0, True),
        ({"multipleOf": 3}, 9, True),
        ({"multipleOf": 3}, 10, False),
        ({"required": ["a"]}, [], True),
        ({"dependentRequired": {"a": ["b"]}}, {"a": 1}, False),
        ({"dependentRequired": {"a": ["b"]}}, {"b": 1}, True),
        ({"propertyNames": {"maxLength": 1}}, {"ab": 1}, False),
        ({"items": {"type": "string"}}, ["a", 1], False),
        ({"items": False}, [], True),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1, False),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1.5, True),
        ({"not": {"type": "string"}}, "s", False),
        ({"if": {"minLength": 1}, "then": {"minLength": 3}}, "ab", False),
        ({"if": {"minLength": 1}, "then": {"minLength": 3}}, "", True),
        ({"if": {"type": "string"}, "else": {"minimum": 5}}, 4, False),
        ({"then": {"type": "string"}}, 4, True),
        (True, {"any": "thing"}, True),
        (False, None, False),
        ({"properties": {"a": False}}, {"b": 1}, True),
        ({"properties": {"a": False}}, {"a": 1}, False),
    ],
)
def test_keyword_semantics_match_jsonschema(schema, value, expected):
    assert jsonschema_valid(value, schema) is expected
    assert values_are_valid(value, schema) is expected


def test_additional_properties_skip_properties_and_pattern_matches():
    schema = {
        "properties": {"name": {}},
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": False,
    }
    assert values_are_valid({"name": 1, "x-team": "ml"}, schema)
    assert not values_are_valid({"name": 1, "x-team": 1}, schema)
    assert not values_are_valid({"owner": "me"}, schema)


def test_an_empty_pattern_does_not_exempt_keys_from_additional_properties():
    # jsonschema joins the patterns with "|"; an empty join exempts nothing.
    schema = {"patternProperties": {"": {}}, "additionalProperties": False}
    assert not jsonschema_valid({"a": 1}, schema)
    assert not values_are_valid({"a": 1}, schema)


def test_ref_siblings_apply():
    schema = {
        "$defs": {"argv": {"type": "array", "items": {"type": "string"}}},
        "properties": {"command": {"$ref": "#/$defs/argv", "minItems": 1}},
    }
    assert values_are_valid({"command": ["python"]}, schema)
    assert not values_are_valid({"command": []}, schema)
    assert not values_are_valid({"command": [1]}, schema)


def test_refs_follow_escaped_pointers_and_list_indices():
    schema = {
        "$defs": {"a/b": {"type": "integer"}, "m~n": {"type": "string"}},
        "allOf": [{"minimum": 0}],
        "properties": {
            "x": {"$ref": "#/$defs/a~1b"},
            "y": {"$ref": "#/$defs/m~0n"},
            "z": {"$ref": "#/allOf/0"},
        },
    }
    assert schema_is_plainly_valid(schema)
    assert values_are_valid({"x": 1, "y": "s", "z": 2}, schema)
    assert not values_are_valid({"z": -1}, schema)


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"multipleOf": 0.1}, 0.3),
        ({"not": {"multipleOf": 0.1}}, 0.3),
        ({"multipleOf": 2}, 4.0),
        ({"not": {"uniqueItems": True}}, [[1], [True], [1]]),
        ({"anyOf": [{"not": {"multipleOf": 0.5}}]}, 1.25),
    ],
)
def test_uncertain_keywords_are_left_to_jsonschema(schema, value):
    assert not values_are_valid(value, schema)


@pytest.mark.parametrize(
    "value",
    [{1: "int key"}, {"a": (1, 2)}, {"a": float("nan")}, {"a": float("inf")}, {"when": object()}],
)
def test_values_that_are_not_plain_json_are_left_to_jsonschema(value):
    assert not values_are_valid(value, {})


def test_absurdly_deep_values_are_left_to_jsonschema():
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert not values_are_valid(deep, {})


def test_a_ref_cycle_is_left_to_jsonschema():
    schema = {"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}
    assert schema_is_plainly_valid(schema)
    assert not values_are_valid(1, schema)


# --------------------------------------------------------------------------- schema checks


@pytest.mark.parametrize(
    "schema",
    [
        {"$schema": "http://json-schema.org/draft-07/schema#"},
        {"$schema": "https://json-schema.org/draft/2019-09/schema"},
        {"properties": {"a": {"$schema": quickcheck.DRAFT_2020_12}}},
        {"properties": {"a": {"$id": "https://example.com/a"}}},
        {"$id": "https://json-schema.org/draft/2020-12/schema"},
        {"$id": "urn:example"},
        {"$ref": "https://example.com/s.json"},
        {"$ref": "s.json#/a"},
        {"$ref": "#anchor"},
        {"$ref": "#/$defs/missing"},
        {"$ref": "#/properties", "properties": {}},
        {"$ref": "#/$defs/a%20b", "$defs": {"a b": {}}},
        {"prefixItems": [{}]},
        {"contains": {}},
        {"unevaluatedProperties": False},
        {"x-custom": 1},
        {"items": [{}]},
        {"type": "integr"},
        {"type": []},
        {"type": ["string", "string"]},
        {"required": ["a", "a"]},
        {"required": "a"},
        {"pattern": "("},
        {"patternProperties": {"(": {}}},
        {"minLength": -1},
        {"minLength": 1.0},
        {"maxItems": True},
        {"minimum": "1"},
        {"maximum": float("nan")},
        {"multipleOf": 0},
        {"allOf": []},
        {"anyOf": {}},
        {"enum": "x"},
        {"examples": {}},
        {"writeOnly": "yes"},
        {"dependentRequired": {"a": "b"}},
        {"properties": {"a": 5}},
        {"default": object()},
        [1],
        None,
    ],
)
def test_schemas_outside_the_closed_world_are_not_plainly_valid(schema):
    assert schema_is_plainly_valid(schema) is False


def test_shipped_schemas_are_plainly_valid():
    for schema in (TF_SCHEMA, DEMO_SCHEMA):
        assert schema_is_plainly_valid(schema)
        assert full_check_passes(schema)


def test_root_id_and_annotations_are_fine():
    schema = {
        "$schema": quickcheck.DRAFT_2020_12,
        "$id": "https://example.com/schemas/tf.json",
        "$comment": "c",
        "definitions": {"p": {"type": "integer", "deprecated": True, "readOnly": False}},
        "properties": {"p": {"$ref": "#/definitions/p", "examples": [1], "format": "int32"}},
    }
    assert schema_is_plainly_valid(schema) and full_check_passes(schema)
    assert assert_safe({"p": 3}, schema)


def test_schema_check_is_cached_per_schema_object(monkeypatch):
    calls = []
    original = quickcheck._resolved_refs
    monkeypatch.setattr(quickcheck, "_resolved_refs", lambda s: calls.append(1) or original(s))
    schema = {"type": "object"}
    for _ in range(3):
        assert values_are_valid({}, schema)
    assert schema_is_plainly_valid(schema)
    assert len(calls) == 1


# --------------------------------------------------------------------------- shipped charts


def tf_values(example: Path | None = None) -> dict:
    user = load_yaml(example.read_text()) if example else {}
    return coalesce(TF_DEFAULTS, user or {})


SMALL = TF_CHART / "examples" / "small.yaml"
VALID_TF_CHANGES = [
    (("port",), 8080.0),
    (("jupyter", "password"), ""),
    (("jobs", "chief"), {"tasks": 1, "command": ["python", "train.py"]}),
    (("jobs",), {"worker": {"tasks": 1, "command": ["python"]}}),
    (("shm", "sizeLimit"), 2),
    (("shm", "sizeLimit"), "2Gi"),
    (("resources", "limits"), {"cpu": 1.5, "memory": "4Gi"}),
    (("imagePullSecrets",), [{"name": "registry"}]),
    (("jobs", "worker", "env"), [{"name": "A_B", "value": "1"}]),
]
INVALID_TF_CHANGES = [
    (("port",), "8080"),
    (("port",), 0),
    (("port",), 65536),
    (("port",), True),
    (("jobs", "worker", "tasks"), 0),
    (("jobs", "worker", "tasks"), 2.5),
    (("jobs", "worker", "tasks"), None),
    (("jobs", "worker", "taks"), 3),
    (("replicas",), 3),
    (("image", "tag"), ...),
    (("image", "pullPolicy"), "Sometimes"),
    (("jupyter", "password"), "short"),
    (("jupyter", "hashedPassword"), "nope"),
    (("jupyter", "service", "type"), "Ingress"),
    (("jupyter", "service", "annotations"), {"a": 1}),
    (("jobs", "Bad_Name"), {"tasks": 1}),
    (("jobs", "trainer"), {"tasks": 1}),
    (("jobs", "worker"), ...),
    (("jobs", "ps"), ...),
    (("jobs", "chief"), {"tasks": 2, "command": ["x"]}),
    (("jobs", "chief"), {"tasks": 1}),
    (("jobs", "chief"), {"tasks": 1, "command": []}),
    (("jobs",), {}),
    (("shm", "sizeLimit"), "two"),
    (("shm", "sizeLimit"), True),
    (("persistence", "accessMode"), "RWX"),
    (("persistence", "mountPath"), "checkpoints"),
    (("clusterDomain",), "Cluster.Local"),
    (("resources", "limits"), {"cpu": [1]}),
    (("tolerations",), [{"key": "a", "operator": "Maybe"}]),
    (("jobs", "worker", "env"), [{"value": "x"}]),
    (("jobs", "worker", "env"), [{"name": "9x"}]),
    (("imagePullSecrets",), [{"name": ""}]),
    (("affinity",), {"nodeAffinity": []}),
    (("tfConfig",), "yes"),
    (("nodeSelector",), {"a": None}),
    (("clusterSpecAnnotationMaxTasks",), -1),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_every_tf_cluster_example_takes_the_fast_path(example):
    assert assert_safe(tf_values(example), TF_SCHEMA)


def test_tf_cluster_defaults_take_the_fast_path():
    assert assert_safe(tf_values(), TF_SCHEMA)


@pytest.mark.parametrize(("path", "value"), VALID_TF_CHANGES)
def test_valid_tf_cluster_changes_take_the_fast_path(path, value):
    assert assert_safe(with_change(tf_values(SMALL), path, value), TF_SCHEMA)


@pytest.mark.parametrize(("path", "value"), INVALID_TF_CHANGES)
def test_invalid_tf_cluster_changes_go_to_jsonschema(path, value):
    values = with_change(tf_values(SMALL), path, value)
    assert not jsonschema_valid(values, TF_SCHEMA)
    assert not values_are_valid(values, TF_SCHEMA)


def test_job_names_are_checked_when_tf_config_is_off():
    values = with_change(tf_values(SMALL), ("tfConfig",), False)
    assert assert_safe(with_change(values, ("jobs", "trainer"), {"tasks": 1}), TF_SCHEMA)
    for name in ("Bad_Name", "a" * 51, "-x"):
        bad = with_change(values, ("jobs", name), {"tasks": 1})
        assert not jsonschema_valid(bad, TF_SCHEMA)
        assert not values_are_valid(bad, TF_SCHEMA)


def test_tf_cluster_mutations_agree_exactly_with_jsonschema():
    rng = random.Random(7)
    base = tf_values(SMALL)
    changes = VALID_TF_CHANGES + INVALID_TF_CHANGES
    for _ in range(200):  # several changes at once
        values = base
        for path, value in rng.sample(changes, rng.randint(1, 4)):
            values = with_change(values, path, value)
        assert values_are_valid(values, TF_SCHEMA) is jsonschema_valid(values, TF_SCHEMA)


@pytest.mark.parametrize(
    ("path", "value", "valid"),
    [
        (("replicas",), 3, True),
        (("labels",), {}, True),
        (("replicas",), 0, False),
        (("service", "port"), 70000, False),
        (("labels", "team"), 1, False),
        (("extra",), 1, False),
        (("password",), 5, False),
        (("service",), ..., True),
    ],
)
def test_demo_chart_agrees_with_jsonschema(path, value, valid):
    assert assert_safe(DEMO_DEFAULTS, DEMO_SCHEMA)
    values = with_change(DEMO_DEFAULTS, path, value)
    assert jsonschema_valid(values, DEMO_SCHEMA) is valid
    assert values_are_valid(values, DEMO_SCHEMA) is valid


# ------------------------------------------------------------------------- test_schema.py inputs


@pytest.fixture(scope="module")
def schema_test_inputs():
    """Every schema and (values, schema) pair that tests/values/test_schema.py passes in."""
    seen: dict[str, list] = {"schemas": [], "pairs": []}
    real_schema, real_values = quickcheck.schema_is_plainly_valid, quickcheck.values_are_valid

    def schema_spy(schema):
        seen["schemas"].append(copy.deepcopy(schema))
        return real_schema(schema)

    def values_spy(values, schema):
        seen["pairs"].append((copy.deepcopy(values), copy.deepcopy(schema)))
        return real_values(values, schema)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(quickcheck, "schema_is_plainly_valid", schema_spy)
        patch.setattr(quickcheck, "values_are_valid", values_spy)
        # Its pass/fail is that file's business; here only the inputs matter.
        test_file = Path(__file__).with_name("test_schema.py")
        pytest.main([str(test_file), "-q", "-p", "no:cacheprovider"])
    return seen


def test_every_pair_from_test_schema_is_safe(schema_test_inputs):
    pairs = schema_test_inputs["pairs"]
    assert len(pairs) > 50
    fast = [assert_safe(values, schema) for values, schema in pairs]
    assert any(fast)


def test_every_schema_from_test_schema_is_safe(schema_test_inputs):
    schemas = schema_test_inputs["schemas"] + [schema for _, schema in schema_test_inputs["pairs"]]
    plain = [schema for schema in schemas if schema_is_plainly_valid(schema)]
    assert plain and len(plain) < len(schemas)
    for schema in plain:
        assert full_check_passes(schema), schema


# --------------------------------------------------------------------------- random pairs

KEYS = ["a", "b", "c", "x-1"]
STRINGS = ["", "a", "ab", "abc", "x1", "1", "B"]
PATTERNS = ["^a", "b", "^[a-z]+$", "\\d", "^x-", ""]
TYPES = ["array", "boolean", "integer", "null", "number", "object", "string"]


def random_value(rng: random.Random, depth: int = 0) -> object:
    kinds = ["null", "bool", "int", "float", "str", "list", "dict"]
    kind = rng.choice(kinds[:5] if depth > 2 else kinds)
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.randint(-2, 6)
    if kind == "float":
        return rng.choice([0.5, 1.0, 2.5, -1.0, 3.0])
    if kind == "str":
        return rng.choice(STRINGS)
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {key: random_value(rng, depth + 1) for key in rng.sample(KEYS, rng.randint(0, 3))}


def random_keyword(rng: random.Random, depth: int, refs: bool = True) -> tuple[str, object]:
    """One keyword and a valid value for it; ``refs`` False keeps ``$ref`` out (no cycles)."""
    sub = lambda: random_schema(rng, depth + 1, refs)  # noqa: E731
    choices = {
        "type": lambda: rng.choice([rng.choice(TYPES), ["integer", "string"], ["null", "number"]]),
        "enum": lambda: [random_value(rng, 2) for _ in range(rng.randint(1, 3))],
        "const": lambda: random_value(rng, 2),
        "properties": lambda: {key: sub() for key in rng.sample(KEYS, rng.randint(1, 2))},
        "patternProperties": lambda: {p: sub() for p in rng.sample(PATTERNS, rng.randint(1, 2))},
        "additionalProperties": lambda: rng.choice([False, True, sub()]),
        "propertyNames": lambda: rng.choice(
            [{"pattern": "^[a-c]$"}, {"maxLength": 1}, {"enum": ["a", "b"]}]
        ),
        "required": lambda: rng.sample(KEYS, rng.randint(0, 2)),
        "dependentRequired": lambda: {"a": ["b"]},
        "minimum": lambda: rng.choice([-1, 0, 1, 2.5]),
        "maximum": lambda: rng.choice([0, 1, 2.5, 5]),
        "exclusiveMinimum": lambda: rng.choice([-1, 0, 1.0]),
        "exclusiveMaximum": lambda: rng.choice([1, 3, 2.5]),
        "multipleOf": lambda: rng.choice([2, 3, 0.5]),
        "minLength": lambda: rng.randint(0, 3),
        "maxLength": lambda: rng.randint(0, 3),
        "pattern": lambda: rng.choice(PATTERNS),
        "items": sub,
        "minItems": lambda: rng.randint(0, 2),
        "maxItems": lambda: rng.randint(0, 3),
        "uniqueItems": lambda: rng.random() < 0.7,
        "minProperties": lambda: rng.randint(0, 2),
        "maxProperties": lambda: rng.randint(0, 3),
        "allOf": lambda: [sub() for _ in range(rng.randint(1, 2))],
        "anyOf": lambda: [sub() for _ in range(rng.randint(1, 3))],
        "oneOf": lambda: [sub() for _ in range(rng.randint(1, 3))],
        "not": sub,
        "if": sub,
        "then": sub,
        "else": sub,
        "$ref": lambda: rng.choice(["#/$defs/d0", "#/$defs/d1"]),
        "title": lambda: "t",
        "writeOnly": lambda: True,
        "default": lambda: random_value(rng, 2),
        "format": lambda: "email",
    }
    keyword = rng.choice(sorted(choices.keys() - (set() if refs else {"$ref"})))
    return keyword, choices[keyword]()


def random_schema(rng: random.Random, depth: int = 0, refs: bool = True) -> object:
    if depth > 2 or rng.random() < 0.1:
        return rng.random() < 0.8
    return dict(random_keyword(rng, depth, refs) for _ in range(rng.randint(1, 3)))


BROKEN = [
    ("minLength", -1), ("type", "integr"), ("required", ["a", "a"]), ("pattern", "("),
    ("allOf", []), ("multipleOf", 0), ("minimum", "1"), ("enum", "x"), ("items", [{}]),
    ("$ref", "#/$defs/missing"), ("maxItems", True), ("prefixItems", [{}]), ("$ref", "#/$defs"),
]


def random_root(rng: random.Random) -> dict:
    schema = {"$defs": {"d0": random_schema(rng, 1, False), "d1": random_schema(rng, 2, False)}}
    schema.update(random_keyword(rng, 0) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.2:  # sometimes break it, at the root or deeper
        keyword, value = rng.choice(BROKEN)
        where = schema if rng.random() < 0.5 else schema["$defs"].setdefault("d9", {})
        where[keyword] = value
    return schema


def test_random_schemas_are_safe():
    rng = random.Random(2024)
    plain = 0
    for _ in range(300):
        schema = random_root(rng)
        if schema_is_plainly_valid(schema):
            plain += 1
            assert full_check_passes(schema), schema
    assert plain > 180


def test_random_pairs_are_safe_and_mostly_exact():
    rng = random.Random(1312)
    fast = exact = total = 0
    for _ in range(300):
        schema = random_root(rng)
        if not schema_is_plainly_valid(schema):
            continue
        for _ in range(8):
            values = random_value(rng)
            total += 1
            answer = assert_safe(values, schema)
            fast += answer
            if answer == jsonschema_valid(values, schema):
                exact += 1
            else:  # only the keywords the fast path admits it cannot decide exactly
                text = json.dumps(schema)
                assert "multipleOf" in text or "uniqueItems" in text, (values, schema)
    assert fast > total // 5
    assert exact > total * 0.95


# --------------------------------------------------------------------------- end to end


def run_template(args: list[str], *, slow: bool = False) -> tuple[str, str, str]:
    """Run ``tfhelm template`` in a fresh interpreter; (stdout, stderr, last line) where the last
    line says whether jsonschema was imported and the exit code. ``slow`` disables the fast path.
    """
    disable = (
        "import tfhelm.values.quickcheck as q; q.values_are_valid = lambda v, s: False; "
        "q.schema_is_plainly_valid = lambda s: False; "
        if slow
        else ""
    )
    code = (
        f"import sys; {disable}from tfhelm.cli import main; c = main({args!r}); "
        "print('jsonschema' in sys.modules, c)"
    )
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    return "\n".join(lines[:-1]), done.stderr, lines[-1]


@pytest.mark.parametrize(
    "args",
    [
        ["template", "tests/fixtures/charts/demo"],
        ["template", "charts/tf-cluster", "-f", "charts/tf-cluster/examples/small.yaml"],
    ],
)
def test_template_of_a_valid_chart_does_not_import_jsonschema(args):
    fast_out, _, fast_last = run_template(args)
    slow_out, _, slow_last = run_template(args, slow=True)
    assert fast_last == "False 0"
    assert slow_last == "True 0"
    assert _without_salted_hashes(fast_out) == _without_salted_hashes(slow_out) and "kind:" in fast_out


def _without_salted_hashes(output: str) -> str:
    """tf-cluster's notebook password hash (and its checksum) has a random salt: new in every render."""
    return re.sub(r"(?m)^( *(?:hashed-password|tfhelm\.io/secret-checksum): ).*$", r"\1<salted>", output)


@pytest.mark.parametrize(
    "args",
    [
        ["template", "tests/fixtures/charts/demo", "--set", "replicas=0,service.prot=1"],
        ["template", "charts/tf-cluster", "-f", "charts/tf-cluster/examples/small.yaml",
         "--set", "jupyter.password=short,jobs.worker.tasks=two"],
    ],
)
def test_invalid_values_report_exactly_as_before(args):
    _, fast_err, fast_last = run_template(args)
    _, slow_err, slow_last = run_template(args, slow=True)
    assert fast_last == slow_last and fast_last.startswith("True ") and fast_last != "True 0"
    assert fast_err == slow_err and "values do not match the schema" in fast_err


def test_invalid_schema_reports_exactly_as_before(tmp_path):
    schema = '{"properties": {"n": {"type": "nope"}}}'
    chart = write_chart(tmp_path / "bad", {"values.schema.json": schema})
    _, fast_err, fast_last = run_template(["template", str(chart)])
    _, slow_err, slow_last = run_template(["template", str(chart)], slow=True)
    assert fast_last == slow_last and fast_last.startswith("True ") and fast_last != "True 0"
    assert fast_err == slow_err and "invalid schema for chart 'mini'" in fast_err
