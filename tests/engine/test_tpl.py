"""``tpl``: a values string rendered as a template with the caller's context, sandboxed and bounded."""

import pytest

from tfhelm.chart import load_chart
from tfhelm.engine import ReleaseInfo, render
from tfhelm.engine.tpl import MAX_TPL_DEPTH
from tfhelm.errors import RenderError

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n"


def _render(chart_dir, body, values, files=None):
    chart = load_chart(chart_dir({"templates/cm.yaml": CM + body, **(files or {})}))
    return render(chart, {**chart.values, **values}, release=ReleaseInfo("rel", namespace="ns"))


def _data(result):
    [manifest] = result.manifests
    return manifest.object["data"]


def test_filter_and_function_render_a_value_with_the_same_context(chart_dir):
    values = {"greeting": "{{ Release.name }} in {{ Release.namespace }}, {{ Values.count * 2 }}", "count": 3}
    body = '  a: {{ Values.greeting | tpl | quote }}\n  b: {{ tpl(Values.greeting) | quote }}\n'
    assert _data(_render(chart_dir, body, values)) == {"a": "rel in ns, 6", "b": "rel in ns, 6"}


def test_caller_variables_are_passed_by_name_or_as_a_mapping(chart_dir):
    values = {"jobs": ["ps", "worker"], "host": "{{ job }}.{{ Release.namespace }}.svc"}
    body = (
        "{% for job in Values.jobs %}\n"
        "  {{ job }}: {{ Values.host | tpl(job=job) | quote }}\n"
        "  {{ job }}-map: {{ tpl(Values.host, {'job': job}) | quote }}\n"
        "{% endfor %}\n"
    )
    assert _data(_render(chart_dir, body, values)) == {
        "ps": "ps.ns.svc",
        "ps-map": "ps.ns.svc",
        "worker": "worker.ns.svc",
        "worker-map": "worker.ns.svc",
    }


def test_tpld_text_can_use_the_charts_macros(chart_dir):
    files = {"templates/_helpers.tpl": "{% macro fullname() %}{{ Release.name }}-app{% endmacro %}\n"}
    values = {"ref": '{% import "_helpers.tpl" as h %}{{ h.fullname() }}'}
    assert _data(_render(chart_dir, "  a: {{ Values.ref | tpl }}\n", values, files)) == {"a": "rel-app"}


def test_none_renders_empty_and_a_non_string_is_an_error(chart_dir):
    assert _data(_render(chart_dir, '  a: {{ Values.n | tpl | quote }}\n', {"n": None})) == {"a": ""}
    with pytest.raises(RenderError, match=r"cm.yaml:6: tpl expects a string to render, not int"):
        _render(chart_dir, "  a: {{ Values.n | tpl }}\n", {"n": 5})


def test_an_undefined_value_names_the_value_the_line_of_its_text_and_the_calling_template(chart_dir):
    with pytest.raises(RenderError) as caught:
        _render(chart_dir, "  a: b\n  c: {{ Values.extra | tpl }}\n", {"extra": "x\n{{ Values.nope }}"})
    assert str(caught.value) == (
        "mini/templates/cm.yaml:7: tpl of Values.extra, line 2 of its text: Values.nope is undefined"
    )


def test_a_syntax_error_in_the_text_names_the_value(chart_dir):
    with pytest.raises(RenderError, match=r"cm.yaml:6: tpl of Values.list\[1\], line 1 of its text: template syntax"):
        _render(chart_dir, "  a: {{ Values.list[1] | tpl }}\n", {"list": ["ok", "{% if %}"]})


def test_a_literal_text_is_named_by_its_text(chart_dir):
    with pytest.raises(RenderError, match=r"tpl of '\{\{ nope \}\}', line 1 of its text: 'nope' is undefined"):
        _render(chart_dir, "  a: {{ tpl('{{ nope }}') }}\n", {})


def test_fail_inside_the_text_keeps_the_authors_message(chart_dir):
    with pytest.raises(RenderError, match=r"^mini/templates/cm.yaml:6: give a host$"):
        _render(chart_dir, "  a: {{ Values.x | tpl }}\n", {"x": "{{ fail('give a host') }}"})


def test_the_text_stays_in_the_sandbox(chart_dir):
    with pytest.raises(RenderError, match="tpl of Values.x"):
        _render(chart_dir, "  a: {{ Values.x | tpl }}\n", {"x": "{{ ''.__class__.__mro__[1].__subclasses__() }}"})


def test_a_value_that_renders_itself_stops_at_the_depth_limit(chart_dir):
    with pytest.raises(RenderError) as caught:
        _render(chart_dir, "  a: {{ Values.loop | tpl }}\n", {"loop": "{{ Values.loop | tpl }}"})
    assert f"tpl nests more than {MAX_TPL_DEPTH} levels deep (does Values.loop render itself?)" in str(caught.value)
    assert str(caught.value).startswith("mini/templates/cm.yaml:6:")


def test_the_text_spends_from_the_render_budget(chart_dir):
    with pytest.raises(RenderError, match=r"cm.yaml:6: repeating 1 items 20,000,000 times exceeds the render budget"):
        _render(chart_dir, "  a: {{ Values.x | tpl }}\n", {"x": "{{ 'x' * 20000000 }}"})
    loops = "{% for i in range(100000) %}{% for j in range(20) %}xxxxxxxxxx{% endfor %}{% endfor %}"
    with pytest.raises(RenderError, match=r"cm.yaml:6: the text tpl renders exceeds the render budget"):
        _render(chart_dir, "  a: {{ Values.x | tpl }}\n", {"x": loops})


def test_loops_in_the_text_count_as_operations(chart_dir, monkeypatch):
    from tfhelm.engine.budget import RenderBudget

    monkeypatch.setitem(RenderBudget.__init__.__kwdefaults__, "operations", 2_000)  # a small budget for this render
    loops = "{% for i in range(1000) %}{% for j in range(10) %}{% endfor %}{% endfor %}"
    with pytest.raises(RenderError, match=r"cm.yaml:6: the templates exceed the render budget of 2,000 loop iterations"):
        _render(chart_dir, "  a: {{ Values.x | tpl | quote }}\n", {"x": loops})
