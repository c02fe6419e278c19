"""tf-cluster's output as a whole: the golden file, size at 1,000 workers, Kubernetes schemas,
and the Jupyter password (never in plaintext; an argon2 hash salted at random, kept on upgrade).

Regenerate the golden file with ``TFHELM_UPDATE_GOLDEN=1 pytest tests/charts`` and review the diff
(refused in CI, where it would make the test pass whatever the output).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, run_cli
from support import in_ci

from tfcluster import (
    CHART,
    EXAMPLE_NAMES,
    EXAMPLES,
    HASHED_PASSWORD,
    PASSWORD,
    chart,
    container,
    large_render,
    objects,
    render_chart,
    task_name,
)
from tfhelm.actions.lint import LintOptions, run_lint
from tfhelm.engine.passwords import matches
from tfhelm.errors import RenderError, SchemaError
from tfhelm.kubeschema import available_versions
from tfhelm.values.options import ValueOptions
from tfhelm.values.schema import write_only_paths

GOLDEN = REPO / "tests" / "charts" / "golden" / "small.yaml"
SMALL_PASSWORD = "change-me-please"  # examples/small.yaml
MEGABYTE = 1024 * 1024


# ------------------------------------------------------------------------------ golden


def _update_golden() -> bool:
    """True when TFHELM_UPDATE_GOLDEN=1 asks to rewrite the golden file; in CI the test fails instead."""
    if os.environ.get("TFHELM_UPDATE_GOLDEN") != "1":
        return False
    if in_ci():
        pytest.fail(
            "TFHELM_UPDATE_GOLDEN=1 is refused in CI (env CI is set): rewriting the golden file would make "
            "this test pass whatever tfhelm prints. Regenerate it on your machine and commit the reviewed diff.",
            pytrace=False,
        )
    return True


def _pin_the_password_hash(output: str) -> str:
    """``output`` with the notebook's hash and its checksum, which change with every render (the salt
    is random), replaced by placeholders, once they are checked: an argon2 hash of the example's
    password, and the checksum of exactly that hash."""
    (encoded,) = re.findall(r"(?m)^  hashed-password: (\S+)$", output)
    (checksum,) = re.findall(r"(?m)^        tfhelm.io/secret-checksum: (\S+)$", output)
    hashed = base64.b64decode(encoded).decode()
    assert hashed.startswith("argon2:") and matches(hashed[len("argon2:"):], SMALL_PASSWORD), hashed
    assert checksum == hashlib.sha256(hashed.encode()).hexdigest()
    return output.replace(encoded, "<argon2 hash, random salt>").replace(checksum, "<sha256 of that hash>")


def test_small_example_matches_the_golden_file():
    update = _update_golden()
    completed = run_cli("template", "charts/tf-cluster", "-f", "charts/tf-cluster/examples/small.yaml", "--include-notes", cwd=REPO)
    assert completed.returncode == 0, completed.stderr
    output = _pin_the_password_hash(completed.stdout)
    if update:
        GOLDEN.write_text(output, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8")
    assert output == expected, "output changed; review and regenerate with TFHELM_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("ci", ["true", "1"])
def test_ci_refuses_to_rewrite_the_golden_file(monkeypatch, ci):
    monkeypatch.setenv("TFHELM_UPDATE_GOLDEN", "1")
    monkeypatch.setenv("CI", ci)
    before = GOLDEN.read_bytes()
    with pytest.raises(pytest.fail.Exception, match="refused in CI"):
        test_small_example_matches_the_golden_file()
    assert GOLDEN.read_bytes() == before


def test_outside_ci_the_golden_file_may_be_rewritten(monkeypatch):
    monkeypatch.setenv("TFHELM_UPDATE_GOLDEN", "1")
    monkeypatch.setenv("CI", "false")
    assert _update_golden()
    monkeypatch.delenv("TFHELM_UPDATE_GOLDEN")
    assert not _update_golden()


# ------------------------------------------------------------------------------ size


def test_a_thousand_workers_render_in_under_ten_megabytes():
    result = large_render()
    size = len(result.manifest_text.encode())
    assert size < 10 * MEGABYTE, f"{size / MEGABYTE:.1f} MB"
    kinds = {}
    for manifest in result.manifests:
        kinds[manifest.kind] = kinds.get(manifest.kind, 0) + 1
    assert kinds["Job"] == 1100 and kinds["Service"] == 1102


def test_only_the_cluster_spec_grows_with_the_cluster():
    result = large_render()
    spec_json = next(m for m in result.manifests if m.kind == "ConfigMap").object["data"]["cluster-spec.json"]
    assert len(json.loads(spec_json)["worker"]) == 1000
    for manifest in result.manifests:
        if manifest.kind != "ConfigMap":
            assert len(manifest.text) < 6000, manifest.describe()
            assert '"worker":[' not in manifest.text, f"{manifest.describe()} carries the cluster spec"


@pytest.mark.parametrize("name", ["tf-worker-0", "tf-ps-0", "tf-jupyter"])
def test_each_tasks_objects_are_the_same_size_at_10_and_1000_workers(name):
    def texts(workers: int) -> dict[str, str]:
        # the small-cluster convenience annotation is off so both sizes render the same way
        result = render_chart({"clusterSpecAnnotationMaxTasks": 0, "jobs": {"worker": {"tasks": workers}}})
        return {m.kind: m.text for m in result.manifests if task_name(m.object) == name}

    small, large = texts(10), texts(1000)
    assert small.keys() == large.keys() and small
    for kind in small:
        assert len(small[kind]) == len(large[kind]), kind


# ------------------------------------------------------------------------------ Kubernetes schemas


@pytest.mark.parametrize("version", sorted({"1.25", "{}.{}".format(*available_versions()[-1])}))
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_example_passes_strict_lint(example, version):
    report = run_lint(
        LintOptions(
            chart=str(CHART),
            values=ValueOptions(value_files=(str(EXAMPLES / f"{example}.yaml"),)),
            kube_version=version,
            strict=True,
        )
    )
    problems = [str(finding) for finding in report.findings if finding.severity != "INFO"]
    assert not report.failed and not problems, problems
    assert report.objects_checked > 0


def test_strict_lint_passes_on_the_command_line():
    completed = run_cli("lint", "--strict", "--kube-version", "1.25", str(CHART), "-f", str(EXAMPLES / "small.yaml"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 error(s), 0 warning(s)" in completed.stdout


# ------------------------------------------------------------------------------ the Jupyter password


def _secret_hash(result) -> str:
    (secret,) = [m.object for m in result.manifests if m.kind == "Secret"]
    return base64.b64decode(secret["data"]["hashed-password"]).decode()


def test_the_password_appears_nowhere_in_the_output():
    result = render_chart({"jupyter": {"password": PASSWORD}})
    text = result.manifest_text + (result.notes or "")
    encoded = base64.b64encode(PASSWORD.encode()).decode()
    assert PASSWORD not in text and encoded not in text
    assert json.dumps(result.values).count(PASSWORD) == 1  # only the input values hold it


def test_the_secret_holds_an_argon2_hash_in_jupyters_format():
    hashed = _secret_hash(render_chart({"jupyter": {"password": PASSWORD}}))
    assert re.fullmatch(r"argon2:\$argon2id\$v=19\$m=10240,t=10,p=8\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}", hashed)
    assert matches(hashed[len("argon2:"):], PASSWORD) and not matches(hashed[len("argon2:"):], PASSWORD + "x")


def test_the_salt_is_random_not_derived_from_the_release():
    hashes = {_secret_hash(render_chart({})) for _ in range(2)} | {_secret_hash(render_chart({}, release="other"))}
    salts = {hashed.split("$")[4] for hashed in hashes}
    assert len(salts) == 3
    release_derived = hashlib.sha256(b"tfhelm-jupyter/default/tf").hexdigest()[:16]
    assert not any(release_derived in hashed for hashed in hashes)


def _notebook_annotations(result) -> dict[str, str]:
    (deployment,) = [m.object for m in result.manifests if m.kind == "Deployment"]
    return deployment["spec"]["template"]["metadata"]["annotations"]


def test_the_checksum_is_over_the_secrets_content_and_reveals_nothing_of_the_password():
    result = render_chart({"jupyter": {"password": PASSWORD}})
    checksum = _notebook_annotations(result)["tfhelm.io/secret-checksum"]
    assert checksum == hashlib.sha256(_secret_hash(result).encode()).hexdigest()
    # not a function of the password and the release (which a dictionary attack could compute): it
    # changes with the random salt, and only the Secret holds that
    again = _notebook_annotations(render_chart({"jupyter": {"password": PASSWORD}}))["tfhelm.io/secret-checksum"]
    assert again != checksum
    assert "tfhelm.io/password-checksum" not in _notebook_annotations(result)


def test_with_the_previous_revision_the_same_password_renders_the_same_objects():
    first = render_chart({"jupyter": {"password": PASSWORD}})
    again = render_chart({"jupyter": {"password": PASSWORD}}, previous=first)
    assert again.manifest_text == first.manifest_text


def test_changing_the_password_restarts_the_notebook_only():
    def annotations(result) -> dict[str, dict]:
        return {m.name: m.object["spec"]["template"]["metadata"]["annotations"] for m in result.manifests if m.kind in ("Deployment", "Job")}

    first = render_chart({"jupyter": {"password": PASSWORD}})
    before, after = annotations(first), annotations(render_chart({"jupyter": {"password": PASSWORD + "2"}}, previous=first))
    assert before["tf-jupyter"]["tfhelm.io/secret-checksum"] != after["tf-jupyter"]["tfhelm.io/secret-checksum"]
    assert all(before[name] == after[name] for name in before if name != "tf-jupyter")


def test_a_hashed_password_is_used_as_given():
    assert _secret_hash(render_chart({"jupyter": {"hashedPassword": HASHED_PASSWORD}}, base=None)) == HASHED_PASSWORD


def test_an_existing_secret_is_referenced_not_rendered():
    result = render_chart({"jupyter": {"existingSecret": "my-jupyter", "existingSecretKey": "hash"}}, base=None)
    found = objects(result)
    assert not [key for key in found if key[0] == "Secret"]
    deployment = found[("Deployment", "tf-jupyter")]
    (variable,) = [e for e in container(deployment, "notebook")["env"] if e["name"] == "JUPYTER_HASHED_PASSWORD"]
    assert variable["valueFrom"] == {"secretKeyRef": {"name": "my-jupyter", "key": "hash"}}
    assert "tfhelm.io/secret-checksum" not in deployment["spec"]["template"]["metadata"]["annotations"]


def test_the_schema_marks_secrets_write_only_so_release_records_redact_them():
    values = {"jupyter": {"password": PASSWORD, "hashedPassword": ""}}
    assert write_only_paths(chart().schema, values) == [("jupyter", "hashedPassword"), ("jupyter", "password")]


def test_a_too_short_password_is_not_echoed():
    with pytest.raises(SchemaError) as caught:
        render_chart({"jupyter": {"password": "hunter2"}}, base=None)
    assert caught.value.violations == [("jupyter.password", "value is too short (minimum length 8)")]
    assert "hunter2" not in str(caught.value)


# ------------------------------------------------------------------------------ 10,000 tasks

ARG_MAX_STRLEN = 128 * 1024  # Linux: the longest single argument or environment string exec takes


def test_at_ten_thousand_tasks_no_argument_or_environment_string_nears_the_kernel_limit(tmp_path):
    # 9,899 workers, 100 ps and the notebook as chief: 10,000 tasks. (With a 63-character
    # namespace the spec would outgrow a ConfigMap: the chart refuses that, see the next test.)
    result = render_chart({"jobs": {"ps": {"tasks": 100}, "worker": {"tasks": 9899}}}, namespace="ml-team-training")
    spec = json.loads(next(m for m in result.manifests if m.kind == "ConfigMap").object["data"]["cluster-spec.json"])
    assert sum(len(addresses) for addresses in spec.values()) == 10000
    strings = []
    for manifest in result.manifests:
        if manifest.kind in ("Job", "Deployment"):
            for spec_ in manifest.object["spec"]["template"]["spec"]["containers"]:
                strings += [*spec_.get("command", []), *spec_.get("args", [])]
                strings += [f"{e['name']}={e['value']}" for e in spec_.get("env", []) if "value" in e]
    largest = max(len(s.encode()) for s in strings)
    assert largest < 4096, largest
    # What the shim exports at start: TF_CONFIG with 10,000 addresses would be too long, so it
    # goes to a file; the largest string the program is exec'd with stays small.
    worker = objects(result)[("Job", "tf-worker-0")]
    tensorflow = container(worker, "tensorflow")
    (tmp_path / "cluster-spec.json").write_text(json.dumps(spec, separators=(",", ":")))
    env = {e["name"]: e["value"] for e in tensorflow["env"] if "value" in e}
    env["TFHELM_CLUSTER_SPEC_FILE"] = str(tmp_path / "cluster-spec.json")
    shim = tensorflow["command"][3:]  # after the run supervisor
    report = "import json, os; print(json.dumps({'largest': max(len(k) + 1 + len(v) for k, v in os.environ.items()), 'file': os.environ.get('TFHELM_TF_CONFIG_FILE'), 'tf_config': 'TF_CONFIG' in os.environ}))"
    done = subprocess.run([*shim, sys.executable, "-c", report], env={**env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout)
    assert seen["largest"] < ARG_MAX_STRLEN // 10 and not seen["tf_config"], seen
    tf_config = json.loads(Path(seen["file"]).read_text())
    assert tf_config["task"] == {"type": "worker", "index": 0} and len(tf_config["cluster"]["worker"]) == 9899
    assert len(Path(seen["file"]).read_text()) > ARG_MAX_STRLEN  # it really would not have fit


def test_a_cluster_spec_that_outgrows_a_config_map_is_refused():
    with pytest.raises(RenderError) as caught:
        render_chart({"jobs": {"ps": {"tasks": 100}, "worker": {"tasks": 9899}}}, namespace="n" * 63)
    assert re.search(r"the cluster spec is \d+ bytes, more than a ConfigMap holds", str(caught.value))


def test_more_than_ten_thousand_tasks_are_refused():
    with pytest.raises(RenderError) as caught:
        render_chart({"jobs": {"ps": {"tasks": 2}, "worker": {"tasks": 10000}}})
    assert "the cluster has 10003 tasks; tf-cluster supports at most 10,000" in str(caught.value)


def test_lint_warns_about_a_load_balancer_open_to_everyone(tmp_path):
    open_values = tmp_path / "open.yaml"
    open_values.write_text("jupyter: {service: {loadBalancerSourceRanges: []}}\n")
    report = run_lint(LintOptions(chart=str(CHART), values=ValueOptions(value_files=(str(EXAMPLES / "seed.yaml"), str(open_values)))))
    warnings = [str(f) for f in report.findings if f.severity == "WARNING" and "loadBalancerSourceRanges" in f.message]
    assert len(warnings) == 1 and "jupyter-service.yaml: Service/jupyter:" in warnings[0], warnings
    restricted = run_lint(LintOptions(chart=str(CHART), values=ValueOptions(value_files=(str(EXAMPLES / "seed.yaml"),))))
    assert not [f for f in restricted.findings if "loadBalancerSourceRanges" in f.message]
