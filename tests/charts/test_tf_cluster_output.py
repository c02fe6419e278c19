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
)
from tfhelm.actions.lint import LintOptions, run_lint
from tfhelm.engine.passwords import matches
from tfhelm.errors import SchemaError
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
    assert kinds["StatefulSet"] == 1100 and kinds["Service"] == 1102


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
        return {m.kind: m.text for m in result.manifests if m.name == name}

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
        return {m.name: m.object["spec"]["template"]["metadata"]["annotations"] for m in result.manifests if m.kind in ("Deployment", "StatefulSet")}

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
