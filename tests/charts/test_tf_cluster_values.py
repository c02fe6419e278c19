"""Every values rule of tf-cluster, with the exact message a user sees when breaking it.

Rules JSON Schema can state live in values.schema.json and are reported as ``path: message``
lines; rules that span several values or depend on the release name are ``fail()`` calls in
templates/_helpers.tpl and are reported with that file and line.
"""

from __future__ import annotations

import re

import pytest
from helpers import run_cli

from tfcluster import CHART, PASSWORD, render_chart
from tfhelm.errors import RenderError, SchemaError

CHIEF_JOB = {"tasks": 1, "command": ["python3", "train.py"]}
NO_NOTEBOOK_CHIEF = {"asChief": False, "password": PASSWORD}


def violations(values: dict, **kwargs) -> list[tuple[str, str]]:
    with pytest.raises(SchemaError) as caught:
        render_chart(values, **kwargs)
    return caught.value.violations


def failure(values: dict, **kwargs) -> str:
    with pytest.raises(RenderError) as caught:
        render_chart(values, **kwargs)
    message = str(caught.value)
    match = re.fullmatch(r"tf-cluster/templates/_helpers\.tpl:\d+: (.*)", message, re.DOTALL)
    assert match, f"not reported at a line of _helpers.tpl: {message}"
    return match.group(1)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            {"jobs": {"trainer": {"tasks": 1}}},
            [("jobs", 'key "trainer" is not one of the allowed values: "chief", "evaluator", "ps", "worker"')],
            id="tensorflow-job-names",
        ),
        pytest.param(
            {"tfConfig": False, "jobs": {"Big_Job": {"tasks": 1}}},
            [("jobs", "key \"Big_Job\" does not match the pattern '^[a-z]([-a-z0-9]*[a-z0-9])?$'")],
            id="dns-1035-job-names",
        ),
        pytest.param(
            {"jobs": {"worker": {"tasks": 0}}},
            [("jobs.worker.tasks", "0 is less than the minimum of 1")],
            id="tasks-at-least-1",
        ),
        pytest.param(
            {"jobs": {"worker": {"tasks": "4"}}},
            [("jobs.worker.tasks", '"4" is not of type integer')],
            id="tasks-an-integer",
        ),
        pytest.param(
            {"jobs": {"chief": {"command": ["x"]}}, "jupyter": NO_NOTEBOOK_CHIEF},
            [("jobs.chief.tasks", "is required")],
            id="tasks-required",
        ),
        pytest.param(
            {"jobs": {"chief": {"tasks": 2, "command": ["x"]}}, "jupyter": NO_NOTEBOOK_CHIEF},
            [("jobs.chief.tasks", "2 is greater than the maximum of 1")],
            id="one-chief",
        ),
        pytest.param(
            {"jobs": {"evaluator": {"tasks": 3, "command": ["x"]}}},
            [("jobs.evaluator.tasks", "3 is greater than the maximum of 1")],
            id="one-evaluator",
        ),
        pytest.param(
            {"jobs": {"chief": {"tasks": 1}}, "jupyter": NO_NOTEBOOK_CHIEF},
            [("jobs.chief.command", "is required")],
            id="chief-needs-a-command",
        ),
        pytest.param(
            {"jobs": {"ps": None, "worker": {"tasks": 2}}},
            [("jobs.worker.command", "is required")],
            id="workers-without-ps-need-a-command",
        ),
        pytest.param(
            {"jobs": {"worker": None}},
            [("jobs.worker", "is required when 'ps' is set")],
            id="ps-needs-workers",
        ),
        pytest.param(
            {"port": 70000, "jobs": {"ps": {"tasks": 1, "port": 0}}, "jupyter": {"service": {"port": -1}}},
            [
                ("jobs.ps.port", "0 is less than the minimum of 1"),
                ("jupyter.service.port", "-1 is less than the minimum of 1"),
                ("port", "70000 is greater than the maximum of 65535"),
            ],
            id="ports",
        ),
        pytest.param(
            {"jupyter": {"password": "short"}},
            [("jupyter.password", "value is too short (minimum length 8)")],
            id="password-length",
        ),
        pytest.param(
            {"jupyter": {"password": "", "hashedPassword": "plain-text"}},
            [("jupyter.hashedPassword", "value does not match the pattern '^$|^argon2:\\S+$|^[a-z0-9_]+:[^:\\s]*:[0-9a-f]+$'")],
            id="hashed-password-format",
        ),
        pytest.param(
            {"jobs": {"worker": {"taks": 3}}, "jupyter": {"pasword": "x"}, "imag": {}},
            [
                ("imag", "unknown key (did you mean 'image'?)"),
                ("jobs.worker.taks", "unknown key (did you mean 'tasks'?)"),
                ("jupyter.pasword", "unknown key (did you mean 'password'?)"),
            ],
            id="unknown-keys",
        ),
        pytest.param(
            {"image": {"tag": 2.16}},
            [("image.tag", "2.16 is not of type string")],
            id="image-tag-a-string",
        ),
        pytest.param(
            {"jupyter": {"service": {"type": "Ingress"}}},
            [("jupyter.service.type", '"Ingress" is not one of the allowed values: "ClusterIP", "NodePort", "LoadBalancer"')],
            id="service-type",
        ),
    ],
)
def test_schema_rules(values, expected):
    assert violations(values) == expected


def test_ps_needs_a_coordinator():
    assert failure({"jupyter": {"asChief": False}}) == (
        "jobs.ps needs a coordinator for ParameterServerStrategy: add a chief job (jobs.chief with tasks: 1 "
        "and a command) or let the notebook coordinate (jupyter.enabled=true, jupyter.asChief=true)"
    )


def test_a_disabled_notebook_is_no_coordinator():
    assert failure({"jupyter": {"enabled": False}}, base=None).startswith("jobs.ps needs a coordinator")


def test_not_both_a_chief_job_and_the_notebook_as_chief():
    assert failure({"jobs": {"chief": CHIEF_JOB}}) == (
        "jobs.chief and jupyter.asChief=true both claim task chief/0: remove jobs.chief or set jupyter.asChief=false"
    )


def test_a_notebook_needs_a_password():
    assert failure({}, base=None) == (
        "jupyter.enabled=true needs exactly one of jupyter.password, jupyter.hashedPassword or "
        "jupyter.existingSecret, but none is set (or set jupyter.enabled=false)"
    )


def test_only_one_way_to_give_the_password():
    message = failure({"jupyter": {"password": PASSWORD, "existingSecret": "mine"}}, base=None)
    assert message == (
        "jupyter.enabled=true needs exactly one of jupyter.password, jupyter.hashedPassword or "
        "jupyter.existingSecret, but jupyter.password and jupyter.existingSecret are set (or set jupyter.enabled=false)"
    )


def test_task_names_leave_room_for_the_run_revision():
    release = "m" * 48  # tf-worker-9 would be 57 characters, its Job 64
    assert failure({"jobs": {"worker": {"tasks": 10}}}, release=release) == (
        f"the name {release}-worker-9 of job worker is 57 characters, more than 56 (its Job is named "
        f"{release}-worker-9-<run revision>, at most 63 characters as a label value): use a shorter release "
        "or job name, or releasePrefix=false"
    )
    assert render_chart({"releasePrefix": False, "jobs": {"worker": {"tasks": 10}}}, release=release).manifests


def test_the_notebooks_chief_name_fits_a_kubernetes_name():
    release = "m" * 56
    values = {"jobs": {"worker": {"tasks": 1}}}
    assert failure(values, release=release) == (
        f"the name {release}-chief-0 of the notebook's chief Service is more than 63 characters: "
        "use a shorter release name, or releasePrefix=false"
    )


def test_the_notebook_cannot_coordinate_multi_worker_mirrored_strategy():
    values = {"jobs": {"ps": None, "worker": {"tasks": 2, "command": ["train"]}}}
    assert failure(values) == (
        "jupyter.asChief=true needs jobs.ps: without parameter servers (MultiWorkerMirroredStrategy) TensorFlow "
        "counts the chief as a worker and makes it the collective leader, so the workers would wait for a notebook "
        "kernel. Set jupyter.asChief=false (the notebook runs beside the cluster) or add jobs.ps"
    )
    assert render_chart({**values, "jupyter": {"asChief": False}}).manifests


def test_all_workers_success_needs_training_workers():
    values = {"jobs": {"chief": {"tasks": 1, "command": ["train"]}}, "jupyter": {"asChief": False}, "run": {"successPolicy": "AllWorkers"}}
    assert failure(values).startswith("run.successPolicy=AllWorkers needs workers that train to completion")


def test_the_command_line_shows_schema_violations_and_exits_1():
    completed = run_cli("template", str(CHART), "--set", "jupyter.password=" + PASSWORD, "--set", "jobs.worker.tasks=0", "--set", "jobs.ps.taks=2")
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr == (
        "Error: values do not match the schema of chart 'tf-cluster':\n"
        "  jobs.ps.taks: unknown key (did you mean 'tasks'?)\n"
        "  jobs.worker.tasks: 0 is less than the minimum of 1\n"
    )


def test_the_command_line_shows_template_failures_and_exits_1():
    completed = run_cli("template", str(CHART))
    assert completed.returncode == 1 and completed.stdout == ""
    assert re.fullmatch(
        r"Error: tf-cluster/templates/_helpers\.tpl:\d+: jupyter\.enabled=true needs exactly one of jupyter\.password, "
        r"jupyter\.hashedPassword or jupyter\.existingSecret, but none is set \(or set jupyter\.enabled=false\)\n",
        completed.stderr,
    ), completed.stderr
