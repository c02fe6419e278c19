import pytest

from tfhelm.chart import load_chart
from tfhelm.engine import Capabilities, KubeVersion, ReleaseInfo, render
from tfhelm.errors import ChartError, ManifestError, RenderError


def _render(chart_dir, templates, values=None, **kwargs):
    chart = load_chart(chart_dir({**templates, "values.yaml": "x: 1\nnested: {tasks: 2}\n"}))
    merged = {**chart.values, **(values or {})}
    return render(chart, merged, release=ReleaseInfo("rel", namespace="ns"), **kwargs)


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: {value}\n"


def test_context_names_match_helm(chart_dir):
    result = _render(chart_dir, {"templates/cm.yaml": CM.format(
        name="{{ Release.name }}-{{ Chart.name }}",
        value="\"{{ Release.namespace }} {{ Release.revision }} {{ Release.isInstall }} {{ Release.service }} "
              "{{ Capabilities.kubeVersion.minor }} {{ Capabilities.apiVersions.has('apps/v1') }} {{ Template.name }}\"",
    )})
    [manifest] = result.manifests
    assert manifest.name == "rel-mini"
    assert manifest.object["data"]["v"] == "ns 1 True tfhelm 33 True mini/templates/cm.yaml"


def test_undefined_value_is_an_error_naming_path_and_line(chart_dir):
    with pytest.raises(RenderError) as caught:
        _render(chart_dir, {"templates/cm.yaml": "a: 1\nb: {{ Values.nested.taks }}\n"})
    message = str(caught.value)
    assert message.startswith("mini/templates/cm.yaml:2:")
    assert "Values.nested.taks is undefined (did you mean 'tasks'?)" in message


def test_syntax_error_names_template_and_line(chart_dir):
    with pytest.raises(RenderError) as caught:
        _render(chart_dir, {"templates/cm.yaml": "a: 1\n{% if %}\n"})
    assert str(caught.value).startswith("mini/templates/cm.yaml:2: template syntax error")


def test_error_inside_a_macro_points_at_the_macro_file(chart_dir):
    templates = {
        "templates/_helpers.tpl": "{% macro broken() %}\n{{ Values.missing }}\n{% endmacro %}\n",
        "templates/cm.yaml": '{% import "_helpers.tpl" as h %}\n{{ h.broken() }}\n',
    }
    with pytest.raises(RenderError) as caught:
        _render(chart_dir, templates)
    assert str(caught.value).startswith("mini/templates/_helpers.tpl:2:")


def test_fail_and_required_give_the_authors_message(chart_dir):
    with pytest.raises(RenderError, match="cm.yaml:1: workers must be even"):
        _render(chart_dir, {"templates/cm.yaml": "{{ fail('workers must be even') }}\n"})
    with pytest.raises(RenderError, match="password is required"):
        _render(chart_dir, {"templates/cm.yaml": "{{ Values.password | required('password is required') }}\n"})


def test_sandbox_blocks_python_internals(chart_dir):
    with pytest.raises(RenderError, match="not allowed in templates|undefined"):
        _render(chart_dir, {"templates/cm.yaml": "{{ Values.__class__.__mro__[1].__subclasses__() }}\n"})


def test_underscore_and_dot_files_are_not_emitted_and_notes_are_separate(chart_dir):
    result = _render(chart_dir, {
        "templates/_helpers.tpl": "apiVersion: v1\nkind: Secret\nmetadata: {name: nope}\n",
        "templates/.hidden.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: nope2}\n",
        "templates/cm.yaml": CM.format(name="a", value="b"),
        "templates/NOTES.txt": "Hello {{ Release.name }}\n",
    })
    assert [m.name for m in result.manifests] == ["a"]
    assert result.notes == "Hello rel\n"


def test_kube_version_constraint_is_checked(chart_dir):
    chart = load_chart(chart_dir({"Chart.yaml": "apiVersion: v2\nname: k\nversion: 0.1.0\nkubeVersion: '>=1.28.0-0'\n"}))
    old = Capabilities(kube_version=KubeVersion.parse("1.27"))
    with pytest.raises(ChartError, match="requires kubeVersion >=1.28.0-0, which is incompatible with Kubernetes v1.27.0"):
        render(chart, {}, capabilities=old)
    render(chart, {}, capabilities=Capabilities(kube_version=KubeVersion.parse("v1.30.2")))


def test_show_only_limits_output_and_rejects_unknown(chart_dir):
    templates = {"templates/a.yaml": CM.format(name="a", value="1"), "templates/b.yaml": CM.format(name="b", value="2")}
    result = _render(chart_dir, templates, show_only=["templates/b.yaml"])
    assert [m.name for m in result.manifests] == ["b"]
    with pytest.raises(RenderError, match="could not find template templates/zzz.yaml"):
        _render(chart_dir, templates, show_only=["templates/zzz.yaml"])


def test_rendering_is_deterministic(chart_dir):
    templates = {"templates/cm.yaml": CM.format(name="a", value="'{{ Values | tojson }}'")}
    first = _render(chart_dir, templates, values={"z": 1, "a": {"c": 1, "b": 2}})
    second = _render(chart_dir, templates, values={"a": {"b": 2, "c": 1}, "z": 1})
    assert first.manifest_text == second.manifest_text


def test_bad_rendered_yaml_names_the_output_line(chart_dir):
    with pytest.raises(RenderError) as caught:
        _render(chart_dir, {"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n"})
    assert "mini/templates/cm.yaml" in str(caught.value) and "not valid YAML" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "is a list, not a Kubernetes object"),
        ("apiVersion: v1\nmetadata: {name: x}\n", "has no kind"),
        ("kind: ConfigMap\nmetadata: {name: x}\n", "has no apiVersion"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "(ConfigMap) has no metadata.name"),
    ],
)
def test_documents_must_be_kubernetes_objects(chart_dir, text, expected):
    with pytest.raises(ManifestError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        _render(chart_dir, {"templates/x.yaml": text})


def test_duplicate_objects_are_an_error(chart_dir):
    templates = {"templates/a.yaml": CM.format(name="same", value="1"), "templates/b.yaml": CM.format(name="same", value="2")}
    with pytest.raises(ManifestError, match="ConfigMap/same is defined twice \\(also in mini/templates/a.yaml\\)"):
        _render(chart_dir, templates)


def test_same_name_in_different_kinds_or_namespaces_is_fine(chart_dir):
    text = CM.format(name="same", value="1") + "---\n" + CM.format(name="same", value="1").replace("metadata:\n", "metadata:\n  namespace: other\n")
    text += "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: same\n"
    assert len(_render(chart_dir, {"templates/a.yaml": text}).manifests) == 3


def test_recursive_macro_is_a_clear_error(chart_dir):
    templates = {"templates/cm.yaml": "{% macro loop(n) %}{{ loop(n + 1) }}{% endmacro %}\n{{ loop(0) }}\n"}
    with pytest.raises(RenderError, match="call each other without end") as caught:
        _render(chart_dir, templates)
    assert str(caught.value).startswith("mini/templates/cm.yaml:")


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ("name: ../../kube-system/secrets/x", "invalid metadata.name"),
        ("name: '..'", "invalid metadata.name"),
        ("name: a%2F", "invalid metadata.name"),
        ("name: ok\n  namespace: Bad_NS", "invalid metadata.namespace 'Bad_NS'"),
    ],
)
def test_names_that_would_retarget_api_paths_are_refused(chart_dir, metadata, expected):
    with pytest.raises(ManifestError, match=expected):
        _render(chart_dir, {"templates/x.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  {metadata}\n"})


def test_invalid_yaml_in_a_secret_does_not_echo_the_line(chart_dir):
    text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: [hunter2\n"
    with pytest.raises(RenderError) as caught:
        _render(chart_dir, {"templates/s.yaml": text})
    assert "not valid YAML" in str(caught.value) and "hunter2" not in str(caught.value)
