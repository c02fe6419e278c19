"""Finding 7 (templates): a chart's templates cannot spend unbounded CPU, memory or output.

Each bomb runs through the real CLI under an address-space and CPU limit; it must be refused by
the render budget (:mod:`tfhelm.engine.budget`) with the template's file and line, before the
limit kills the process, and ``--output-dir`` must stay empty.
"""

from __future__ import annotations

import pytest

from security.hostile import assert_refused, files_under, run_limited
from tfhelm.engine.budget import MAX_CPU_SECONDS, MAX_OPERATIONS, MAX_OUTPUT_BYTES, BudgetExceeded, RenderBudget

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n"

BOMBS = {
    "repeat": ("  a: {{ 'a' * 10**10 }}\n", "repeating 1 items 10,000,000,000 times exceeds the render budget"),
    "power": ("  a: {{ 10**(10**9) }}\n", "10 ** 1000000000 exceeds the render budget (integers of at most 14,000 bits)"),
    "nested loops": (
        "{% for i in range(100000) %}\n{% for j in range(100000) %}{% endfor %}\n{% endfor %}\n",
        f"exceed the render budget of {MAX_OPERATIONS:,} loop iterations and calls",
    ),
    "output": (
        "{% for i in range(100000) %}\n  k{{ i }}: {{ 'x' * 10000 }}\n{% endfor %}\n",
        f"the rendered output exceeds the render budget of {MAX_OUTPUT_BYTES:,} characters",
    ),
    "doubling": (
        "{% set ns = namespace(s='a') %}\n{% for i in range(64) %}\n{% set ns.s = ns.s ~ ns.s %}\n{% endfor %}\n",
        "concatenating 33,554,432 characters exceeds the render budget",
    ),
    "list doubling": (
        "{% set ns = namespace(s=[1]) %}\n{% for i in range(64) %}\n{% set ns.s = ns.s + ns.s %}\n{% endfor %}\n",
        "joining 16,777,216 and 16,777,216 items exceeds the render budget",
    ),
    "string method": ("  a: {{ 'a'.ljust(10**10) }}\n", "a width or count of 10,000,000,000 exceeds the render budget"),
    "format width": ("  a: {{ '{:>9999999999}'.format(1) }}\n", "a width in a format string of 9,999,999,999"),
    "percent width": ("  a: {{ '%9999999999d' % 1 }}\n", "a width in a format string of 9,999,999,999"),
    "filter width": ("  a: {{ 'a' | indent(10**10) }}\n", "a width of 10,000,000,000 exceeds the render budget"),
}
# the line each bomb's error must name (line 6 is the first after the ConfigMap header)
LINES = {"repeat": 6, "power": 6, "nested loops": 7, "output": 7, "doubling": 8, "list doubling": 8}


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_a_template_bomb_is_refused_with_its_file_and_line(chart_dir, tmp_path, kind):
    body, message = BOMBS[kind]
    chart = chart_dir({"templates/cm.yaml": CM + body, "values.yaml": "{}\n"})
    result = run_limited("template", str(chart), "--output-dir", str(tmp_path / "out"), memory_mb=700, cpu_seconds=40)
    assert_refused(result, f"Error: mini/templates/cm.yaml:{LINES.get(kind, 6)}: ", message)
    assert files_under(tmp_path / "out") == []


def test_a_bomb_in_a_dead_branch_is_not_folded_at_compile_time(chart_dir):
    # Jinja's optimizer evaluates constant expressions while compiling, even in {% if false %}
    chart = chart_dir({"templates/cm.yaml": CM + "{% if false %}\n  a: {{ 10**(10**9) }}\n{% endif %}\n  b: ok\n"})
    result = run_limited("template", str(chart), cpu_seconds=20)
    assert result.returncode == 0, result.stderr
    assert "  b: ok" in result.stdout and "  a:" not in result.stdout


def test_a_bomb_in_a_macro_file_names_the_macro_file(chart_dir, tmp_path):
    chart = chart_dir({
        "templates/_helpers.tpl": "{% macro big() %}\n{{ 'a' * 10**10 }}\n{% endmacro %}\n",
        "templates/cm.yaml": CM + "{% from '_helpers.tpl' import big %}\n  a: {{ big() }}\n",
    })
    result = run_limited("template", str(chart), "--output-dir", str(tmp_path / "out"))
    assert_refused(result, "Error: mini/templates/_helpers.tpl:2: repeating 1 items 10,000,000,000 times")
    assert files_under(tmp_path / "out") == []


def test_the_budget_is_shared_by_the_parent_and_its_subcharts(chart_dir):
    loop = "{% for i in range(100000) %}{% for j in range(60) %}{% endfor %}{% endfor %}\n"
    chart = chart_dir({
        "templates/cm.yaml": CM + loop,
        "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        "charts/sub/templates/cm.yaml": CM.replace("name: cm", "name: sub") + loop,
    })
    # each template alone spends 6.1 million of the 10 million operations; together they cannot
    result = run_limited("template", str(chart))
    assert_refused(result, "Error: sub/templates/cm.yaml:6: the templates exceed the render budget")


def test_ordinary_arithmetic_and_loops_still_work(chart_dir):
    body = (
        "  power: {{ 2 ** 64 }}\n  product: {{ 3 * 7 }}\n  text: {{ 'ab' * 3 }}\n  joined: {{ 'a' ~ 1 ~ 'b' }}\n"
        "  list: {{ ([1] + [2]) * 2 }}\n  percent: {{ '%05d' % 42 }}\n  mod: {{ 17 % 5 }}\n"
        "{% for i in range(3) %}\n  k{{ i }}: {{ loop.length }}\n{% endfor %}\n"
        "  center: {{ 'x' | center(5) }}\n  ljust: {{ 'x'.ljust(3) ~ '|' }}\n"
    )
    result = run_limited("template", str(chart_dir({"templates/cm.yaml": CM + body})))
    assert result.returncode == 0, result.stderr
    for expected in ("power: 18446744073709551616", "product: 21", "text: ababab", "joined: a1b",
                     "list: [1, 2, 1, 2]", "percent: 00042", "mod: 2", "k2: 3", "center:   x  \n", "ljust: x  |"):
        assert expected in result.stdout, result.stdout


def test_the_cpu_deadline_is_checked_as_operations_are_spent():
    budget = RenderBudget(cpu_seconds=0)
    with pytest.raises(BudgetExceeded, match="render budget of 0 CPU seconds"):
        for _ in budget.iterate(range(1000)):
            pass
    assert MAX_CPU_SECONDS == 60
