"""The real console script: output conventions, exit codes, and clear errors without tracebacks."""

import json

import pytest
import yaml

from helpers import DEMO_CHART, run_cli, write_chart

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.name }}\n"


def assert_clean_failure(result, *fragments, code=1):
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_help_and_version():
    assert run_cli("--help").returncode == 0
    for command in ("template", "lint", "show", "version"):
        result = run_cli(command, "--help")
        assert result.returncode == 0 and "Usage:" in result.stdout
    assert run_cli("version", "--short").stdout.strip() == "0.1.0"


def test_template_prints_sources_and_defaults_name_to_chart():
    result = run_cli("template", str(DEMO_CHART))
    assert result.returncode == 0, result.stderr
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert [d["kind"] for d in documents] == ["ConfigMap", "ConfigMap", "Service", "Deployment"]
    assert documents[3]["metadata"]["name"] == "demo"
    assert "---\n# Source: demo/templates/service.yaml\n" in result.stdout


def test_template_with_name_namespace_and_values_flags(tmp_path):
    values = tmp_path / "v.yaml"
    values.write_text("replicas: 5\nlabels: {team: research}\n")
    result = run_cli(
        "template", "prod", str(DEMO_CHART), "-n", "ml", "-f", str(values),
        "--set", "service.port=8080", "--set-string", "image=1", "--show-only", "templates/deployment.yaml",
        "--show-only", "templates/service.yaml",
    )
    assert result.returncode == 0, result.stderr
    service, deployment = list(yaml.safe_load_all(result.stdout))
    assert service["metadata"] == {"name": "prod", "namespace": "ml"}
    assert service["spec"]["ports"][0]["port"] == 8080
    assert deployment["spec"]["replicas"] == 5
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "1"
    assert deployment["metadata"]["labels"]["team"] == "research"


def test_values_from_stdin():
    result = run_cli("template", str(DEMO_CHART), "-f", "-", "-s", "templates/deployment.yaml", stdin="replicas: 7\n")
    assert yaml.safe_load(result.stdout)["spec"]["replicas"] == 7


def test_include_notes_appends_them_as_comments():
    result = run_cli("template", "r", str(DEMO_CHART), "--include-notes")
    assert result.stdout.endswith("---\n# Source: demo/templates/NOTES.txt\n# Release r of demo 1.2.3 is in namespace default.\n")
    assert all(d is None or "kind" in d for d in yaml.safe_load_all(result.stdout))


def test_output_dir_writes_helm_layout(tmp_path):
    result = run_cli("template", str(DEMO_CHART), "--output-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.yaml"))
    assert written == ["demo/templates/configmap.yaml", "demo/templates/deployment.yaml", "demo/templates/service.yaml"]


def test_output_dir_that_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("keep")
    assert_clean_failure(run_cli("template", str(DEMO_CHART), "--output-dir", str(target)), "exists and is not a directory", code=2)
    assert target.read_text() == "keep"


def test_failed_render_writes_nothing_to_output_dir(tmp_path):
    out = tmp_path / "out"
    result = run_cli("template", str(DEMO_CHART), "--output-dir", str(out), "--set", "replicas=0")
    assert_clean_failure(result, "replicas: 0 is less than the minimum of 1")
    assert not out.exists()


def test_template_is_deterministic():
    # different hash seeds: set and dict iteration orders differ between the two runs
    first, second = (run_cli("template", str(DEMO_CHART), env={"PYTHONHASHSEED": seed}) for seed in ("1", "2"))
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert first.stdout.count("\nkind: ") == 4
    assert first.stdout == second.stdout


def test_show_commands():
    assert run_cli("show", "chart", str(DEMO_CHART)).stdout.startswith("apiVersion: v2\nname: demo\n")
    assert run_cli("show", "values", str(DEMO_CHART)).stdout.startswith("# Defaults of the demo chart.")
    assert run_cli("show", "readme", str(DEMO_CHART)).stdout.startswith("# demo")
    assert json.loads(run_cli("show", "schema", str(DEMO_CHART)).stdout)["type"] == "object"


def test_lint_passes_demo_chart_and_prints_summary():
    result = run_cli("lint", str(DEMO_CHART), "--kube-version", "1.25")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo: passed: 0 error(s)" in result.stdout and "4 object(s) checked" in result.stdout


def test_lint_reports_kubernetes_schema_errors(chart_dir):
    root = chart_dir({"templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  prots: []\n"})
    result = run_cli("lint", str(root))
    assert result.returncode == 1
    assert "[ERROR] mini/templates/svc.yaml: Service/s: spec: Additional properties are not allowed ('prots' was unexpected)" in result.stdout
    assert "Traceback" not in result.stderr


def test_lint_strict_turns_warnings_into_errors(chart_dir):
    root = chart_dir({"templates/x.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"})
    assert run_cli("lint", str(root)).returncode == 0
    result = run_cli("lint", "--strict", str(root))
    assert result.returncode == 1
    assert "[WARNING] mini/templates/x.yaml: Widget/w: no schema for example.com/v1 Widget" in result.stdout


def test_lint_schema_violations_are_all_listed():
    result = run_cli("lint", str(DEMO_CHART), "--set", "replicas=-1,service.port=70000,servise.x=1")
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("[ERROR]")]
    assert lines == [
        "[ERROR] values: replicas: -1 is less than the minimum of 1",
        "[ERROR] values: service.port: 70000 is greater than the maximum of 65535",
        "[ERROR] values: servise: unknown key (did you mean 'service'?)",
    ]


# --- bad input: one clear message, exit code 1 (2 for usage), no traceback, nothing on stdout ---

def test_missing_chart_directory(tmp_path):
    assert_clean_failure(run_cli("template", str(tmp_path / "nope")), "not found")


def test_chart_yaml_missing(tmp_path):
    assert_clean_failure(run_cli("template", str(tmp_path)), "Chart.yaml is missing")


def test_chart_yaml_not_a_mapping(chart_dir):
    root = chart_dir({"Chart.yaml": "- just\n- a list\n"})
    assert_clean_failure(run_cli("template", str(root)), "Chart.yaml: must be a mapping")


def test_bad_chart_version(chart_dir):
    root = chart_dir({"Chart.yaml": "apiVersion: v2\nname: x\nversion: one\n"})
    assert_clean_failure(run_cli("template", str(root)), "Chart.yaml:3: version 'one' is not a valid SemVer 2 version")


def test_malformed_values_yaml_names_file_and_line(chart_dir):
    root = chart_dir({"values.yaml": "a: 1\nb: : 2\n"})
    assert_clean_failure(run_cli("template", str(root)), "values.yaml:2", "invalid YAML")


def test_values_file_not_a_mapping(tmp_path):
    values = tmp_path / "v.yaml"
    values.write_text("[1, 2]\n")
    assert_clean_failure(run_cli("template", str(DEMO_CHART), "-f", str(values)), "a values file must hold a mapping, not a list")


def test_bad_set_expression():
    assert_clean_failure(run_cli("template", str(DEMO_CHART), "--set", "a.b"), "--set 'a.b'")
    assert_clean_failure(run_cli("template", str(DEMO_CHART), "--set", "a=1,,b=2"), "--set 'a=…,,b=…'")
    assert_clean_failure(run_cli("template", str(DEMO_CHART), "--set", "a[-1]=x"), "--set 'a[-1]=…'")


def test_schema_violations_are_listed_sorted():
    result = run_cli("template", str(DEMO_CHART), "--set", "service.port=0,replicas=0,image=null")
    assert_clean_failure(result, "values do not match the schema of chart 'demo':")
    assert result.stderr.index("replicas: 0 is less than") < result.stderr.index("service.port: 0 is less than")


def test_skip_schema_validation():
    result = run_cli("template", str(DEMO_CHART), "--set", "replicas=0", "--skip-schema-validation", "-s", "templates/deployment.yaml")
    assert result.returncode == 0 and yaml.safe_load(result.stdout)["spec"]["replicas"] == 0


def test_undefined_template_variable(chart_dir):
    root = chart_dir({"templates/cm.yaml": CM + "data:\n  a: {{ Values.nope }}\n"})
    assert_clean_failure(run_cli("template", str(root)), "mini/templates/cm.yaml:6: Values.nope is undefined")


def test_template_syntax_error(chart_dir):
    root = chart_dir({"templates/cm.yaml": CM + "{% for x in %}\n"})
    assert_clean_failure(run_cli("template", str(root)), "mini/templates/cm.yaml:5: template syntax error")


def test_template_emitting_a_non_mapping(chart_dir):
    root = chart_dir({"templates/cm.yaml": "just text\n"})
    assert_clean_failure(run_cli("template", str(root)), "mini/templates/cm.yaml", "is a str, not a Kubernetes object")


def test_document_without_kind(chart_dir):
    root = chart_dir({"templates/cm.yaml": "apiVersion: v1\nmetadata:\n  name: a\n"})
    assert_clean_failure(run_cli("template", str(root)), "has no kind")


def test_duplicate_objects(chart_dir):
    root = chart_dir({"templates/a.yaml": CM, "templates/b.yaml": CM})
    assert_clean_failure(run_cli("template", str(root)), "ConfigMap/mini is defined twice")


def test_usage_errors_exit_2():
    assert_clean_failure(run_cli("template"), "Missing argument", code=2)
    assert_clean_failure(run_cli("template", "a", "b", "c"), "expected [NAME] CHART", code=2)
    assert_clean_failure(run_cli("template", str(DEMO_CHART), "--kube-version", "latest"), "invalid Kubernetes version", code=2)
    assert_clean_failure(run_cli("nonsense"), "No such command", code=2)


def test_debug_shows_the_traceback(chart_dir):
    root = chart_dir({"templates/cm.yaml": "{{ fail('boom') }}\n"})
    plain = run_cli("template", str(root))
    assert_clean_failure(plain, "boom")
    debug = run_cli("template", str(root), "--debug")
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "boom" in debug.stderr


def test_kube_version_incompatible(chart_dir):
    root = chart_dir({"Chart.yaml": "apiVersion: v2\nname: k\nversion: 0.1.0\nkubeVersion: '>=1.30.0-0'\n", "templates/cm.yaml": CM})
    assert_clean_failure(run_cli("template", str(root), "--kube-version", "1.29"), "incompatible with Kubernetes v1.29.0")
    assert run_cli("template", str(root), "--kube-version", "1.30").returncode == 0


def test_output_dir_files_are_readable_by_others(tmp_path):
    run_cli("template", str(DEMO_CHART), "--output-dir", str(tmp_path / "out"))
    written = tmp_path / "out" / "demo" / "templates" / "service.yaml"
    assert written.stat().st_mode & 0o777 == 0o644


def test_lint_says_which_schema_version_it_used():
    result = run_cli("lint", str(DEMO_CHART), "--kube-version", "9.99")
    assert result.returncode == 0
    assert "objects are checked against 1.3" in result.stdout


def test_lint_reports_an_incompatible_kube_version_against_chart_yaml():
    result = run_cli("lint", str(DEMO_CHART), "--kube-version", "1.20")
    assert result.returncode == 1
    assert "[ERROR] Chart.yaml: chart demo requires kubeVersion >=1.25.0-0" in result.stdout
