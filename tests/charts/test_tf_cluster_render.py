"""What tf-cluster renders: names, addresses, TF_CONFIG, labels, annotations, pods, notes.

TF_CONFIG is checked by running the rendered shim under /bin/sh and parsing what it exports,
so the tests see what a TensorFlow process in the pod would see.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tfcluster import (
    HASHED_PASSWORD,
    argv,
    cluster_spec,
    container,
    large_render,
    objects,
    of_kind,
    plain_env,
    pod_spec,
    render_chart,
    run_wrapper,
    task_name,
)

WORKLOAD_KINDS = ("Job", "Deployment")
STABLE_SELECTOR_KEYS = {"app.kubernetes.io/name", "app.kubernetes.io/instance", "tfhelm.io/job", "tfhelm.io/task-index"}
PRINT_TF_CONFIG = [sys.executable, "-c", "import os, sys; sys.stdout.write(os.environ['TF_CONFIG'])"]
CHIEF_JOB = {"tasks": 1, "command": ["python3", "/app/train.py"]}


def tf_config_of(workload: dict, container_name: str, tmp_path: Path) -> dict:
    """Run the container's rendered command (the shim) with its rendered environment, the
    mounted spec written to ``tmp_path``, and a program that prints TF_CONFIG; parse it."""
    spec = container(workload, container_name)
    mount = next(m["mountPath"] for m in spec["volumeMounts"] if m["name"] == "cluster-spec")
    env = plain_env(spec)
    env["TFHELM_CLUSTER_SPEC_FILE"] = str(tmp_path) + env["TFHELM_CLUSTER_SPEC_FILE"][len(mount):]
    completed = subprocess.run(
        [*run_wrapper(spec)[1], *PRINT_TF_CONFIG], env={**env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


def write_spec(result, tmp_path: Path) -> dict:
    spec = cluster_spec(result)
    config_map = next(m.object for m in result.manifests if m.kind == "ConfigMap")
    (tmp_path / "cluster-spec.json").write_text(config_map["data"]["cluster-spec.json"])
    return spec


def workloads(result) -> list[dict]:
    return [m.object for m in result.manifests if m.kind in WORKLOAD_KINDS]


# ------------------------------------------------------------------------------ names and addresses


def test_every_task_has_a_headless_service_and_a_single_pod_workload():
    found = objects(render_chart({"jobs": {"ps": {"tasks": 2}, "worker": {"tasks": 3}}}))
    for name in ["tf-ps-0", "tf-ps-1", "tf-worker-0", "tf-worker-1", "tf-worker-2"]:
        service = found[("Service", name)]
        assert service["spec"]["clusterIP"] == "None"
        assert service["spec"]["publishNotReadyAddresses"] is True
        assert service["spec"]["ports"] == [{"name": "tf-grpc", "port": 8080, "targetPort": "tf-grpc", "protocol": "TCP"}]
        job = found[("Job", name)]
        assert job["apiVersion"] == "batch/v1" and "parallelism" not in job["spec"]  # one pod
        assert [c["name"] for c in pod_spec(job)["containers"]] == ["tensorflow"]
    assert ("Service", "tf-chief-0") in found  # the notebook's chief address
    assert ("Job", "tf-chief-0") not in found


def test_addresses_follow_name_namespace_domain_and_port():
    result = render_chart(
        {"clusterDomain": "corp.example", "port": 2222, "jobs": {"ps": {"tasks": 1, "port": 3333}, "worker": {"tasks": 2}}},
        release="mnist",
        namespace="ml",
    )
    assert cluster_spec(result) == {
        "chief": ["mnist-chief-0.ml.svc.corp.example:2222"],
        "ps": ["mnist-ps-0.ml.svc.corp.example:3333"],
        "worker": ["mnist-worker-0.ml.svc.corp.example:2222", "mnist-worker-1.ml.svc.corp.example:2222"],
    }
    found = objects(result)
    assert found[("Service", "mnist-ps-0")]["spec"]["ports"][0]["port"] == 3333
    assert container(found[("Job", "mnist-ps-0")], "tensorflow")["ports"] == [
        {"name": "tf-grpc", "containerPort": 3333, "protocol": "TCP"}
    ]


def test_seed_example_gives_exactly_the_founding_addresses():
    result = render_chart(example="seed", base=None, namespace="default")
    spec = cluster_spec(result)
    assert spec["ps"] == ["ps-0.default.svc.cluster.local:8080", "ps-1.default.svc.cluster.local:8080"]
    assert spec["worker"] == [f"worker-{i}.default.svc.cluster.local:8080" for i in range(8)]
    assert spec["chief"] == ["chief-0.default.svc.cluster.local:8080"]
    found = objects(result)
    assert found[("Service", "jupyter")]["spec"]["type"] == "LoadBalancer"
    assert ("ConfigMap", "cluster-spec") in found


def test_job_order_in_the_spec_is_task_index_order():
    spec = cluster_spec(render_chart({"jobs": {"worker": {"tasks": 12}}}))
    assert spec["worker"] == [f"tf-worker-{i}.default.svc.cluster.local:8080" for i in range(12)]


# ------------------------------------------------------------------------------ TF_CONFIG


def test_every_server_task_gets_its_own_tf_config(tmp_path):
    result = render_chart({"jobs": {"ps": {"tasks": 2}, "worker": {"tasks": 2}}})
    spec = write_spec(result, tmp_path)
    for workload in of_kind(result, "Job"):
        job, index = task_name(workload).removeprefix("tf-").rsplit("-", 1)
        tf_config = tf_config_of(workload, "tensorflow", tmp_path)
        assert tf_config == {"cluster": spec, "task": {"type": job, "index": int(index)}}
        assert isinstance(tf_config["task"]["index"], int)


def test_the_notebook_is_chief_0(tmp_path):
    result = render_chart({})
    spec = write_spec(result, tmp_path)
    notebook = objects(result)[("Deployment", "tf-jupyter")]
    assert tf_config_of(notebook, "notebook", tmp_path) == {"cluster": spec, "task": {"type": "chief", "index": 0}}
    assert argv(container(notebook, "notebook"))[4:6] == ["jupyter", "server"]


def test_a_chief_job_and_an_evaluator_are_jobs_and_the_evaluator_stays_out_of_the_cluster(tmp_path):
    result = render_chart(
        {
            "jobs": {"chief": CHIEF_JOB, "evaluator": {"tasks": 1, "command": ["python3", "/app/eval.py"]}},
            "jupyter": {"asChief": False},
        }
    )
    spec = write_spec(result, tmp_path)
    assert set(spec) == {"chief", "ps", "worker"}
    found = objects(result)
    chief, evaluator = found[("Job", "tf-chief-0")], found[("Job", "tf-evaluator-0")]
    assert chief["apiVersion"] == evaluator["apiVersion"] == "batch/v1"
    assert pod_spec(chief)["restartPolicy"] == "Never"  # each attempt a new pod, for run.py to judge
    assert pod_spec(evaluator)["restartPolicy"] == "OnFailure"  # it serves until the run ends
    assert run_wrapper(container(chief, "tensorflow"))[0][2] == "train"
    assert run_wrapper(container(evaluator, "tensorflow"))[0][2] == "serve"
    assert container(chief, "tensorflow")["args"] == ["python3", "/app/train.py"]
    assert tf_config_of(chief, "tensorflow", tmp_path) == {"cluster": spec, "task": {"type": "chief", "index": 0}}
    assert tf_config_of(evaluator, "tensorflow", tmp_path) == {"cluster": spec, "task": {"type": "evaluator", "index": 0}}
    assert ("Service", "tf-evaluator-0") in found
    notebook = container(found[("Deployment", "tf-jupyter")], "notebook")
    assert "TF_CONFIG" not in json.dumps(notebook) and notebook["command"][:2] == ["jupyter", "server"]


def test_without_parameter_servers_workers_run_their_command_as_jobs(tmp_path):
    result = render_chart(
        {"jobs": {"ps": None, "worker": {"tasks": 2, "command": ["python3", "train.py"]}}, "jupyter": {"asChief": False}}
    )
    spec = write_spec(result, tmp_path)
    assert spec == {"worker": [f"tf-worker-{i}.default.svc.cluster.local:8080" for i in range(2)]}
    worker = objects(result)[("Job", "tf-worker-1")]
    assert tf_config_of(worker, "tensorflow", tmp_path)["task"] == {"type": "worker", "index": 1}
    assert "GRPC_FAIL_FAST" not in plain_env(container(worker, "tensorflow"))


def test_the_default_task_command_is_the_standard_server():
    result = render_chart({})
    ps = container(objects(result)[("Job", "tf-ps-0")], "tensorflow")
    assert run_wrapper(ps) == (["python3", "/etc/tfhelm/run.py", "serve"], ps["command"][3:])
    assert ps["command"][3:5] == ["/bin/sh", "-c"]
    assert ps["args"][:2] == ["python3", "-c"]
    assert "tf.distribute.Server(" in ps["args"][2] and "signal.SIGTERM" in ps["args"][2]
    assert plain_env(ps)["GRPC_FAIL_FAST"] == "use_caller"


def test_a_jobs_own_command_and_args_run_behind_the_shim():
    result = render_chart({"jobs": {"worker": {"tasks": 1, "command": ["python3", "-m", "srv"], "args": ["--x", "a\nb"]}}})
    worker = container(objects(result)[("Job", "tf-worker-0")], "tensorflow")
    assert worker["args"] == ["python3", "-m", "srv", "--x", "a\nb"]


def test_tf_config_off_allows_any_job_names_and_runs_commands_directly():
    result = render_chart(
        {"tfConfig": False, "jobs": {"ps": None, "worker": None, "server": {"tasks": 2, "command": ["serve"]}}, "jupyter": {"asChief": False}}
    )
    server = container(objects(result)[("Job", "tf-server-1")], "tensorflow")
    assert server["command"] == ["python3", "/etc/tfhelm/run.py", "serve", "serve"] and "args" not in server
    assert plain_env(server)["TFHELM_TASK_INDEX"] == "1"
    assert cluster_spec(result) == {"server": [f"tf-server-{i}.default.svc.cluster.local:8080" for i in range(2)]}


# ------------------------------------------------------------------------------ labels and selectors


def _pod_templates(result) -> list[tuple[str, dict]]:
    return [(w["metadata"]["name"], w["spec"]["template"]["metadata"]["labels"]) for w in workloads(result)]


def test_selectors_use_stable_labels_only_and_match_their_own_pods():
    result = render_chart({"jobs": {"chief": CHIEF_JOB}, "jupyter": {"asChief": False}})
    for workload in workloads(result):
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        assert workload["metadata"]["labels"]["app.kubernetes.io/instance"] == "tf"
        if workload["kind"] == "Job":
            assert "selector" not in workload["spec"]  # batch/v1 generates its own
            continue
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items()
        assert not {"app.kubernetes.io/version", "tfhelm.io/chart"} & selector.keys()
    for service in of_kind(result, "Service"):
        if service["metadata"]["name"] != "tf-jupyter":
            assert set(service["spec"]["selector"]) == STABLE_SELECTOR_KEYS | {"tfhelm.io/run"}


def test_each_task_service_selects_exactly_its_own_pod():
    cases = [
        ({}, {"tf-chief-0", "tf-jupyter"}),  # the notebook is chief/0
        ({"jobs": {"chief": CHIEF_JOB, "evaluator": {"tasks": 1, "command": ["e"]}}, "jupyter": {"asChief": False}}, {"tf-jupyter"}),
    ]
    for values, notebook_services in cases:
        result = render_chart(values)
        pods = _pod_templates(result)
        for service in of_kind(result, "Service"):
            name = service["metadata"]["name"]
            selected = [pod for pod, labels in pods if service["spec"]["selector"].items() <= labels.items()]
            tasks = [pod if pod == "tf-jupyter" else pod.rsplit("-", 1)[0] for pod in selected]
            assert tasks == (["tf-jupyter"] if name in notebook_services else [name]), name


def test_labels_name_the_chart_release_and_version():
    labels = objects(render_chart({}))[("Job", "tf-worker-0")]["metadata"]["labels"]
    assert labels == {
        "app.kubernetes.io/name": "tf-cluster",
        "app.kubernetes.io/instance": "tf",
        "app.kubernetes.io/version": "2.21.0",
        "app.kubernetes.io/component": "task",
        "app.kubernetes.io/managed-by": "tfhelm",
        "tfhelm.io/chart": "tf-cluster-0.1.0",
        "tfhelm.io/job": "worker",
        "tfhelm.io/task-index": "0",
        "tfhelm.io/run": labels["tfhelm.io/run"],
        "tfhelm.io/role": "serve",
    }
    assert len(labels["tfhelm.io/run"]) == 6


# ------------------------------------------------------------------------------ annotations


def test_workloads_and_pods_say_which_task_they_are():
    result = render_chart({})
    spec_json = next(m.object for m in result.manifests if m.kind == "ConfigMap")["data"]["cluster-spec.json"]
    checksum = hashlib.sha256(spec_json.encode()).hexdigest()
    for workload in workloads(result):
        name = task_name(workload)
        task = "chief/0" if name == "tf-jupyter" else "/".join(name.removeprefix("tf-").rsplit("-", 1))
        address = f"tf-{task.replace('/', '-')}.default.svc.cluster.local:8080"
        for annotations in (workload["metadata"]["annotations"], workload["spec"]["template"]["metadata"]["annotations"]):
            assert annotations["tfhelm.io/task"] == task
            assert annotations["tfhelm.io/address"] == address
        assert workload["spec"]["template"]["metadata"]["annotations"]["tfhelm.io/cluster-spec-checksum"] == checksum
        assert json.loads(workload["metadata"]["annotations"]["tfhelm.io/cluster-spec"]) == json.loads(spec_json)


def test_resizing_the_cluster_changes_every_pods_checksum():
    def checksums(workers: int) -> dict[str, str]:
        result = render_chart({"jobs": {"worker": {"tasks": workers}}})
        return {task_name(w): w["spec"]["template"]["metadata"]["annotations"]["tfhelm.io/cluster-spec-checksum"] for w in workloads(result)}

    before, after = checksums(2), checksums(3)
    assert all(before[name] != after[name] for name in before)


def test_the_cluster_spec_annotation_stops_at_the_threshold():
    def annotated(workers: int, limit: int | None = None) -> bool:
        values = {"jobs": {"worker": {"tasks": workers}}}
        if limit is not None:
            values["clusterSpecAnnotationMaxTasks"] = limit
        statefulset = objects(render_chart(values))[("Job", "tf-worker-0")]
        return "tfhelm.io/cluster-spec" in statefulset["metadata"]["annotations"]

    # 2 ps + 1 chief + workers: 64 tasks with 61 workers
    assert annotated(61) and not annotated(62)
    assert not annotated(2, limit=0)


# ------------------------------------------------------------------------------ pods


def test_ports_state_tcp_everywhere():
    for example in ("small", "gpu", "seed"):
        for manifest in render_chart(example=example, base=None).manifests:
            obj = manifest.object
            if obj["kind"] == "Service":
                assert all(port["protocol"] == "TCP" for port in obj["spec"]["ports"])
            if obj["kind"] in WORKLOAD_KINDS:
                for spec in pod_spec(obj)["containers"]:
                    assert all(port["protocol"] == "TCP" for port in spec["ports"])


def test_pods_get_no_service_links_and_no_api_token_unless_the_run_reads_its_state():
    # The notebook coordinates: no run outcome, so no pod reads the API.
    for workload in workloads(render_chart({})):
        assert pod_spec(workload)["enableServiceLinks"] is False
        assert pod_spec(workload)["automountServiceAccountToken"] is False
    # A chief Job decides the run: the tasks read it with the read-only run ServiceAccount.
    result = render_chart({"jobs": {"chief": CHIEF_JOB}, "jupyter": {"asChief": False}})
    for workload in workloads(result):
        tasks = workload["kind"] == "Job"
        assert pod_spec(workload)["automountServiceAccountToken"] is tasks
        assert pod_spec(workload).get("serviceAccountName") == ("tf-run" if tasks else None)


def test_gpu_example_puts_gpus_tolerations_and_shared_storage_where_asked():
    found = objects(render_chart(example="gpu", base=None))
    worker, ps = found[("Job", "tf-worker-0")], found[("Job", "tf-ps-0")]
    assert container(worker, "tensorflow")["resources"]["limits"] == {"nvidia.com/gpu": 1}
    assert "limits" not in container(ps, "tensorflow")["resources"]
    assert pod_spec(worker)["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert "tolerations" not in pod_spec(ps)
    assert container(worker, "tensorflow")["image"] == "tensorflow/tensorflow:2.21.0-gpu"
    assert plain_env(container(worker, "tensorflow"))["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    claim = found[("PersistentVolumeClaim", "tf-checkpoints")]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"] and claim["spec"]["resources"]["requests"]["storage"] == "50Gi"
    for workload in (worker, ps, found[("Deployment", "tf-jupyter")]):
        volumes = {v["name"]: v for v in pod_spec(workload)["volumes"]}
        assert volumes["checkpoints"]["persistentVolumeClaim"]["claimName"] == "tf-checkpoints"
        assert volumes["shm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "2Gi"}
    tensorboard = container(found[("Deployment", "tf-jupyter")], "tensorboard")
    assert tensorboard["volumeMounts"] == [{"name": "checkpoints", "mountPath": "/checkpoints", "readOnly": True}]


def test_job_settings_override_chart_defaults():
    result = render_chart(
        {
            "nodeSelector": {"pool": "cpu"},
            "priorityClassName": "batch",
            "imagePullSecrets": [{"name": "registry"}],
            "resources": {"requests": {"cpu": "1"}},
            "jobs": {"worker": {"tasks": 1, "nodeSelector": {"pool": "gpu"}, "priorityClassName": "high", "image": {"tag": "custom"}}},
        }
    )
    found = objects(result)
    worker, ps = pod_spec(found[("Job", "tf-worker-0")]), pod_spec(found[("Job", "tf-ps-0")])
    assert worker["nodeSelector"] == {"pool": "gpu"} and ps["nodeSelector"] == {"pool": "cpu"}
    assert worker["priorityClassName"] == "high" and ps["priorityClassName"] == "batch"
    assert worker["imagePullSecrets"] == ps["imagePullSecrets"] == [{"name": "registry"}]
    assert worker["containers"][0]["image"] == "tensorflow/tensorflow:custom"
    assert ps["containers"][0]["resources"] == {"requests": {"cpu": "1"}}


def test_existing_claim_is_used_without_creating_one():
    found = objects(render_chart({"persistence": {"enabled": True, "existingClaim": "shared"}}))
    assert not [key for key in found if key[0] == "PersistentVolumeClaim"]
    volumes = {v["name"]: v for v in pod_spec(found[("Job", "tf-ps-0")])["volumes"]}
    assert volumes["checkpoints"]["persistentVolumeClaim"]["claimName"] == "shared"


def test_the_notebook_runs_the_tasks_tensorflow_with_probes_and_tensorboard():
    found = objects(render_chart({}))
    deployment = found[("Deployment", "tf-jupyter")]
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    notebook = container(deployment, "notebook")
    assert notebook["image"] == "tensorflow/tensorflow:2.21.0-jupyter"
    assert notebook["readinessProbe"]["httpGet"] == {"path": "/api", "port": "notebook"}
    assert notebook["livenessProbe"]["httpGet"] == {"path": "/api", "port": "notebook"}
    assert {p["name"]: p["containerPort"] for p in notebook["ports"]} == {"notebook": 8888, "tf-grpc": 8080}
    assert container(deployment, "tensorboard")["ports"][0]["containerPort"] == 6006
    service = found[("Service", "tf-jupyter")]
    assert service["spec"]["type"] == "ClusterIP"
    assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [("http", 80), ("tensorboard", 6006)]


def test_jupyter_disabled_renders_no_notebook():
    found = objects(render_chart({"jobs": {"chief": CHIEF_JOB}, "jupyter": {"enabled": False}}, base=None))
    assert not [key for key in found if "jupyter" in key[1]]
    assert ("Job", "tf-chief-0") in found


# ------------------------------------------------------------------------------ notes


def test_notes_list_addresses_and_how_to_reach_the_notebook():
    notes = render_chart({}).notes
    assert "tf-worker-3.default.svc.cluster.local:8080" in notes
    assert "kubectl --namespace default port-forward service/tf-jupyter 8888:80" in notes
    assert "tf.distribute.ParameterServerStrategy(resolver)" in notes
    balanced = render_chart(example="seed", base=None).notes
    assert "get service jupyter --watch" in balanced and "http://EXTERNAL-IP/" in balanced
    large = large_render().notes
    assert "... 998 more ..." in large and len(large) < 4000


@pytest.mark.parametrize("release", ["tf", "other"])
def test_rendering_is_deterministic(release):
    """Byte for byte with a pinned hash; with a password, given the previous revision (whose
    hash is kept), since every new hash gets a random salt."""
    pinned = {"jupyter": {"hashedPassword": HASHED_PASSWORD}}
    first = render_chart(pinned, release=release, base=None)
    second = render_chart(pinned, release=release, base=None)
    assert first.manifest_text == second.manifest_text and first.notes == second.notes
    installed = render_chart({}, release=release)
    upgraded = render_chart({}, release=release, previous=installed)
    assert upgraded.manifest_text == installed.manifest_text and upgraded.notes == installed.notes


# ------------------------------------------------------------------------------ shared clusters


def test_a_network_policy_lets_only_the_releases_pods_reach_the_tensorflow_ports():
    found = objects(render_chart({}))
    tasks, notebook = found[("NetworkPolicy", "tf-tasks")], found[("NetworkPolicy", "tf-notebook")]
    release = {"app.kubernetes.io/name": "tf-cluster", "app.kubernetes.io/instance": "tf"}
    assert tasks["spec"]["podSelector"]["matchLabels"] == {**release, "app.kubernetes.io/component": "task"}
    assert tasks["spec"]["ingress"] == [{"from": [{"podSelector": {"matchLabels": release}}], "ports": [{"port": "tf-grpc", "protocol": "TCP"}]}]
    # every task pod is selected; the notebook keeps its web ports open to its Service
    for workload in of_kind(render_chart({}), "Job"):
        assert tasks["spec"]["podSelector"]["matchLabels"].items() <= workload["spec"]["template"]["metadata"]["labels"].items()
    assert notebook["spec"]["ingress"][1] == {"ports": [{"port": "notebook", "protocol": "TCP"}, {"port": "tensorboard", "protocol": "TCP"}]}
    assert not [k for k in objects(render_chart({"networkPolicy": {"enabled": False}})) if k[0] == "NetworkPolicy"]


def test_kueue_labels_the_jobs_and_creates_them_suspended():
    result = render_chart({"kueue": {"queueName": "team-a"}})
    for job in of_kind(result, "Job"):
        assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "team-a"
        assert job["spec"]["suspend"] is True
    assert all("suspend" not in job["spec"] for job in of_kind(render_chart({}), "Job"))


@pytest.mark.parametrize(("scheduler", "api_version", "scheduler_name"), [
    ("volcano", "scheduling.volcano.sh/v1beta1", "volcano"),
    ("scheduler-plugins", "scheduling.x-k8s.io/v1alpha1", "scheduler-plugins-scheduler"),
])
def test_a_pod_group_gangs_every_task(scheduler, api_version, scheduler_name):
    result = render_chart({"jobs": {"ps": {"tasks": 2}, "worker": {"tasks": 3}}, "gang": {"scheduler": scheduler}})
    group = objects(result)[("PodGroup", "tf-tasks")]
    assert group["apiVersion"] == api_version and group["spec"]["minMember"] == 5
    for job in of_kind(result, "Job"):
        template = job["spec"]["template"]
        assert template["spec"]["schedulerName"] == scheduler_name
        member = template["metadata"]["annotations"].get("scheduling.k8s.io/group-name") or template["metadata"]["labels"].get("scheduling.x-k8s.io/pod-group")
        assert member == "tf-tasks"


# ------------------------------------------------------------------------------ the run revision


def _job_names(values: dict) -> set[str]:
    return {job["metadata"]["name"] for job in of_kind(render_chart(values), "Job")}


def test_a_change_to_any_job_is_a_new_run_with_new_job_names():
    chief = {"jobs": {"chief": CHIEF_JOB}, "jupyter": {"asChief": False}}
    first = _job_names(chief)
    assert first == _job_names(chief)  # same values, same run: an upgrade leaves it alone
    revision = next(iter(first)).rsplit("-", 1)[1]
    assert first == {f"tf-{task}-{revision}" for task in ("chief-0", "ps-0", "ps-1", *(f"worker-{i}" for i in range(4)))}
    resized = _job_names({**chief, "jobs": {**chief["jobs"], "worker": {"tasks": 5}}})
    new_image = _job_names({**chief, "image": {"tag": "2.20.0"}})
    rerun = _job_names({**chief, "run": {"id": "second-try"}})
    for other in (resized, new_image, rerun):
        assert not first & other
    # the Services keep their names: task addresses never change
    assert {s["metadata"]["name"] for s in of_kind(render_chart(chief), "Service")} >= {"tf-chief-0", "tf-worker-0"}


def test_notes_say_when_the_run_ends():
    notes = render_chart({"jobs": {"chief": CHIEF_JOB}, "jupyter": {"asChief": False}}).notes
    assert "The run succeeds when the chief completes; then the other tasks stop. Follow it: tfhelm status tf --namespace default" in notes
    assert "The run succeeds" not in render_chart({}).notes  # the notebook coordinates: no outcome


def test_the_notebook_runs_as_a_non_root_user_without_privileges():
    deployment = objects(render_chart({}))[("Deployment", "tf-jupyter")]
    assert pod_spec(deployment)["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    for name in ("notebook", "tensorboard"):
        assert container(deployment, name)["securityContext"] == {
            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
        }, name


def test_the_notebook_security_contexts_are_values():
    values = {"jupyter": {"podSecurityContext": {"runAsUser": 2000, "runAsNonRoot": True}, "securityContext": {}}}
    deployment = objects(render_chart(values))[("Deployment", "tf-jupyter")]
    # a map given in values replaces nothing it does not name: Helm-style merging keeps the other defaults
    assert pod_spec(deployment)["securityContext"]["runAsUser"] == 2000
    assert container(deployment, "notebook")["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    # null drops a key, or the whole context
    values = {"jupyter": {"podSecurityContext": {"seccompProfile": None}, "securityContext": None}}
    deployment = objects(render_chart(values))[("Deployment", "tf-jupyter")]
    assert "seccompProfile" not in pod_spec(deployment)["securityContext"]
    assert pod_spec(deployment)["securityContext"]["runAsNonRoot"] is True
    assert "securityContext" not in container(deployment, "notebook")


def _home(deployment: dict) -> tuple[dict, dict, dict]:
    notebook = container(deployment, "notebook")
    mounts = {m["name"]: m["mountPath"] for m in notebook["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
    return plain_env(notebook), mounts, volumes["home"]


def test_the_notebooks_home_is_a_writable_volume_holding_jupyters_files():
    deployment = objects(render_chart({}))[("Deployment", "tf-jupyter")]
    env, mounts, home = _home(deployment)
    assert mounts["home"] == "/tf" and home == {"name": "home", "emptyDir": {}}
    assert env["HOME"] == "/tf"
    assert env["JUPYTER_DATA_DIR"] == "/tf/.local/share/jupyter"
    assert env["JUPYTER_RUNTIME_DIR"] == "/tf/.local/share/jupyter/runtime"
    assert "--ServerApp.root_dir=/tf" in argv(container(deployment, "notebook"))
    # TensorBoard's log emptyDir is mounted inside the home
    assert mounts["logs"] == "/tf/logs"


def test_a_persistent_home_is_a_claim_of_its_own():
    home_values = {"mountPath": "/home/me", "persistence": {"enabled": True, "size": "2Gi", "storageClass": "fast"}}
    found = objects(render_chart({"jupyter": {"home": home_values, "rootDir": "/home/me/work"}}))
    claim = found[("PersistentVolumeClaim", "tf-jupyter-home")]
    assert claim["spec"] == {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                             "resources": {"requests": {"storage": "2Gi"}}}
    env, mounts, home = _home(found[("Deployment", "tf-jupyter")])
    assert home["persistentVolumeClaim"] == {"claimName": "tf-jupyter-home"}
    assert mounts["home"] == env["HOME"] == "/home/me"
    assert env["JUPYTER_RUNTIME_DIR"] == "/home/me/.local/share/jupyter/runtime"
    assert ("PersistentVolumeClaim", "tf-checkpoints") not in found


def test_a_persistent_home_uses_an_existing_claim_without_creating_one():
    persistence = {"enabled": True, "existingClaim": "my-home"}
    found = objects(render_chart({"jupyter": {"home": {"persistence": persistence}}}))
    assert not [key for key in found if key[0] == "PersistentVolumeClaim"]
    _, _, home = _home(found[("Deployment", "tf-jupyter")])
    assert home["persistentVolumeClaim"] == {"claimName": "my-home"}


def test_no_home_claim_without_the_notebook():
    values = {"jobs": {"chief": CHIEF_JOB}, "jupyter": {"enabled": False, "home": {"persistence": {"enabled": True}}}}
    found = objects(render_chart(values, base=None))
    assert not [key for key in found if key[0] == "PersistentVolumeClaim"]
