"""Finding 6: tf-cluster's schema anchored only one alternative of ``jupyter.existingSecret``.

``^$|[a-z0-9]…$`` accepted anything that merely *ended* like a Secret name, and the value is
rendered unquoted into ``secretKeyRef.name`` and a Secret's ``metadata.name``: a value such as
``"x\\n  evil: true\\nok"`` injected YAML into the manifests. Every alternative is anchored now.
"""

from __future__ import annotations

import json

import pytest

from helpers import REPO
from tfhelm.chart.loader import load_chart
from tfhelm.errors import SchemaError
from tfhelm.values.tree import chart_values

CHART = REPO / "charts" / "tf-cluster"
PREFIX_PATTERNS = {"^/"}  # deliberate prefix checks (absolute paths)


@pytest.fixture(scope="module")
def tf_cluster():
    return load_chart(CHART)


@pytest.mark.parametrize("secret", ["Evil Name ok", "x\n  evil: true\nok", "a b.c", "../x", "UPPER-ok", "x}}{{ok"])
def test_existing_secret_must_be_a_secret_name_from_its_first_character(tf_cluster, secret):
    with pytest.raises(SchemaError) as caught:
        chart_values(tf_cluster, {"jupyter": {"existingSecret": secret}})
    assert caught.value.violations[0][0] == "jupyter.existingSecret"
    assert "does not match the pattern" in caught.value.violations[0][1]


@pytest.mark.parametrize("secret", ["my-jupyter", "team.jupyter-hash", "a", ""])
def test_secret_names_still_pass(tf_cluster, secret):
    jupyter = {"existingSecret": secret} if secret else {"password": "correct-horse-battery"}
    assert chart_values(tf_cluster, {"jupyter": jupyter}).values["jupyter"]["existingSecret"] == secret


def _alternatives(pattern: str) -> list[str]:
    """Top-level ``|`` alternatives (outside groups and classes)."""
    parts, depth, in_class, escaped, start = [], 0, False, False, 0
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
    return [*parts, pattern[start:]]


def _patterns(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


def test_every_alternative_of_every_pattern_is_anchored():
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    loose = [
        (pattern, alternative)
        for pattern in _patterns(schema) if pattern not in PREFIX_PATTERNS
        for alternative in _alternatives(pattern)
        if not (alternative.startswith("^") and alternative.endswith("$"))
    ]
    assert loose == []
    assert _alternatives("^$|^a(b|c)$|^[|]$") == ["^$", "^a(b|c)$", "^[|]$"]
