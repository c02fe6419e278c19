"""The chart's README documents every value, and its claims about the examples hold."""

from __future__ import annotations

import re

from tfcluster import CHART, chart

README = (CHART / "README.md").read_text(encoding="utf-8")
VALUES_SECTION = README.split("\n## Values\n", 1)[1].split("\n## ", 1)[0]
DOCUMENTED = set(re.findall(r"^\| `([^`]+)` \|", VALUES_SECTION, re.MULTILINE))


# Kubernetes' own structures, documented as one value each
KUBERNETES_TYPES = {"resources", "affinity"}


def schema_paths(schema: dict, defs: dict, prefix: str = "") -> set[str]:
    """Every value path the schema allows; a job's keys as ``jobs.<job>.<key>``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in KUBERNETES_TYPES:
            return set()
        schema = {**defs[name], **{k: v for k, v in schema.items() if k != "$ref"}}
    paths = set()
    for key, subschema in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        children = schema_paths(subschema, defs, path + ".")
        paths |= children or {path}
        if key == "jobs":
            paths.add(path)
            paths |= schema_paths(subschema["additionalProperties"], defs, "jobs.<job>.")
    return paths


def test_every_value_is_in_the_readme_table():
    schema = chart().schema
    expected = {p for p in schema_paths(schema, schema["$defs"]) if not p.startswith("jobs.") or p.startswith("jobs.<job>.")}
    expected.add("jobs")
    assert expected - DOCUMENTED == set(), "undocumented values"
    assert DOCUMENTED - expected == set(), "documented values the schema does not know"


def test_the_readme_defaults_match_values_yaml():
    values = chart().values
    for path in ("image.tag", "port", "clusterDomain", "jupyter.service.type", "persistence.mountPath"):
        value = values
        for part in path.split("."):
            value = value[part]
        (row,) = [line for line in VALUES_SECTION.splitlines() if line.startswith(f"| `{path}` |")]
        assert str(value) in row.split("|")[3], path
