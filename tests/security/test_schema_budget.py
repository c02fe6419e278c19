"""Finding 7 (schemas): a chart's values.schema.json cannot spend unbounded CPU.

Patterns are matched with RE2 (no backtracking), patterns RE2 cannot compile are refused as Helm
refuses them, and a schema whose ``$ref``s fan out exponentially is refused before validation.
Each case runs the real CLI under an address-space and CPU limit.
"""

from __future__ import annotations

import json
import time

import pytest

from security.hostile import assert_refused, files_under, run_limited
from tfhelm.errors import ChartError, SchemaError
from tfhelm.values.schema import check_schema, validate_values
from tfhelm.values.schema_limits import MAX_EXPANDED_SUBSCHEMAS, expanded_size

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
EVIL = "^(a+)+$"
LONG = "a" * 5000 + "!"  # Python's re needs about 2**5000 steps to refuse this
KEY = "a" * 40 + "!"  # a key (YAML keys stay short): 2**40 steps


def _chart(chart_dir, schema: dict, values: dict):
    return chart_dir({
        "templates/cm.yaml": CM,
        "values.yaml": json.dumps(values),
        "values.schema.json": json.dumps(schema),
    })


SCHEMAS = {
    "pattern": ({"properties": {"name": {"type": "string", "pattern": EVIL}}}, {"name": LONG}, "name: "),
    "patternProperties": (
        {"patternProperties": {EVIL: {"type": "integer"}}, "additionalProperties": False},
        {KEY: 1},
        "unknown key (keys matching",
    ),
    "unevaluatedProperties": (
        {"patternProperties": {EVIL: {"type": "integer"}}, "unevaluatedProperties": False},
        {KEY: 1},
        "(root): ",
    ),
}


@pytest.mark.parametrize("keyword", sorted(SCHEMAS))
def test_a_catastrophic_pattern_is_matched_in_linear_time(chart_dir, tmp_path, keyword):
    schema, values, fragment = SCHEMAS[keyword]
    chart = _chart(chart_dir, schema, values)
    result = run_limited("template", str(chart), "--output-dir", str(tmp_path / "out"), cpu_seconds=20)
    assert_refused(result, "values do not match the schema of chart 'mini'", fragment)
    assert files_under(tmp_path / "out") == []


def test_the_same_pattern_still_accepts_what_it_should(chart_dir):
    chart = _chart(chart_dir, SCHEMAS["pattern"][0], {"name": "a" * 5000})
    assert run_limited("template", str(chart), cpu_seconds=20).returncode == 0


@pytest.mark.parametrize("pattern", ["^(?=a)a$", "^(a)\\1$", "^a(?!b)"])
def test_a_pattern_re2_cannot_compile_is_refused_naming_the_file_and_keyword(chart_dir, tmp_path, pattern):
    chart = _chart(chart_dir, {"properties": {"name": {"type": "string", "pattern": pattern}}}, {"name": "a"})
    result = run_limited("template", str(chart), "--output-dir", str(tmp_path / "out"), cpu_seconds=20)
    assert_refused(
        result,
        f"Error: {chart}/values.schema.json: invalid schema for chart 'mini' at #/properties/name/pattern: "
        f"RE2 cannot compile the pattern {pattern!r}",
        "as Helm does",
    )
    assert files_under(tmp_path / "out") == []


def test_a_pattern_properties_key_is_checked_too():
    with pytest.raises(ChartError, match=r"at #/patternProperties/\^\(\?=x\): RE2 cannot compile"):
        check_schema({"patternProperties": {"^(?=x)": {}}}, chart="mini")


def _fan_out(levels: int) -> dict:
    defs = {"d0": {"type": "string"}}
    for level in range(1, levels + 1):
        ref = {"$ref": f"#/$defs/d{level - 1}"}
        defs[f"d{level}"] = {"allOf": [ref, ref, ref]}
    return {"$defs": defs, "properties": {"x": {"$ref": f"#/$defs/d{levels}"}}}


def test_an_exponential_ref_fan_out_fails_fast_naming_the_schema_file(chart_dir, tmp_path):
    schema = _fan_out(60)  # 3**60 subschemas once expanded
    assert len(json.dumps(schema)) < 6000
    chart = _chart(chart_dir, schema, {"x": "y"})
    result = run_limited("template", str(chart), "--output-dir", str(tmp_path / "out"), cpu_seconds=20)
    assert_refused(
        result,
        f"Error: {chart}/values.schema.json: the schema of chart 'mini' is too large once its $refs are expanded "
        f"(more than {MAX_EXPANDED_SUBSCHEMAS:,} subschemas)",
    )
    assert files_under(tmp_path / "out") == []


def test_the_fan_out_is_counted_without_expanding_it():
    started = time.process_time()
    assert expanded_size(_fan_out(60)) == MAX_EXPANDED_SUBSCHEMAS + 1
    assert time.process_time() - started < 1
    # d0 = 1, d1 = 1 + 3 * (1 + 1) = 7, d2 = 1 + 3 * (1 + 7) = 25, d3 = 79; root + $defs + properties.x
    assert expanded_size(_fan_out(3)) == 1 + (1 + 7 + 25 + 79) + (1 + 79)


def test_recursive_schemas_stay_allowed():
    tree = {"$defs": {"node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
            "properties": {"root": {"$ref": "#/$defs/node"}}}
    validate_values({"root": {"children": [{"children": []}]}}, tree, chart="mini")
    with pytest.raises(SchemaError):
        validate_values({"root": {"children": [1]}}, tree, chart="mini")
