"""tf-cluster against real TensorFlow: the rendered tasks form a cluster a coordinator trains on.

The chart is rendered for 2 parameter servers, 2 workers and the notebook as chief. Each ps and
worker task is started as a local process with exactly the rendered command, args and
environment. The only substitutions are the ones a laptop forces: every task address becomes a
free 127.0.0.1 port, and the mounted cluster-spec directory becomes a temporary directory.

The chief runs through the notebook container's rendered command and environment too (its
TF_CONFIG is built by the same shim); in place of the Jupyter server it runs what a notebook
cell would: ParameterServerStrategy from TF_CONFIG, a small Keras model trained for a few steps
with a ClusterCoordinator (``support.tfprograms.PS_TRAINING``, which the cluster tests run in real
pods too). Keras 3 has no model.fit for this strategy, so the loop is the one
TensorFlow's parameter-server tutorial uses.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from tfcluster import argv, cluster_spec, container, free_port, objects, of_kind, plain_env, render_chart, task_name

from support.netns import private_network
from support.peers import peers_python_or_skip
from support.tfprograms import PS_TRAINING

# The peers run from their own virtual environment (.venv-peers, see scripts/bootstrap); its
# bin directory plays the image's PATH. Outside CI the test skips when it is missing; in CI it fails.
PEERS_BIN = peers_python_or_skip("tensorflow").parent

pytestmark = pytest.mark.timeout(240)



def _localize(text: str, addresses: dict[str, str]) -> str:
    for address, local in addresses.items():
        text = text.replace(address, local)
    return text


def _substitute(value: str, addresses: dict[str, str], mount: str, spec_dir: Path) -> str:
    value = _localize(value, addresses)
    return str(spec_dir) + value[len(mount):] if value.startswith(mount + "/") else value


def _environment(spec: dict, addresses: dict[str, str], mount: str, spec_dir: Path, home: Path) -> dict[str, str]:
    """The container's rendered literal environment, on top of what an image would provide."""
    base = {
        # the image's PATH: ours puts the interpreter that has TensorFlow first
        "PATH": f"{PEERS_BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "",
    }
    rendered = {name: _substitute(value, addresses, mount, spec_dir) for name, value in plain_env(spec).items()}
    return {**base, **rendered}


def _spec_mount(workload: dict, container_name: str) -> str:
    (mount,) = [m["mountPath"] for m in container(workload, container_name)["volumeMounts"] if m["name"] == "cluster-spec"]
    return mount


@pytest.fixture(scope="module")
def rendered():
    return render_chart({"jobs": {"ps": {"tasks": 2}, "worker": {"tasks": 2}}, "jupyter": {"asChief": True}})


@pytest.fixture(scope="module")
def cluster_run(rendered, tmp_path_factory):
    """Start every ps/worker task, run the chief, stop everything; return the chief's report."""
    root = tmp_path_factory.mktemp("tfcluster")
    spec = cluster_spec(rendered)
    addresses = {address: f"127.0.0.1:{free_port()}" for job in spec.values() for address in job}
    spec_dir = root / "etc-tfhelm"
    spec_dir.mkdir()
    config_map = next(m.object for m in rendered.manifests if m.kind == "ConfigMap")
    (spec_dir / "cluster-spec.json").write_text(_localize(config_map["data"]["cluster-spec.json"], addresses))
    (spec_dir / "run.py").write_text(config_map["data"]["run.py"])

    processes: list[subprocess.Popen] = []
    logs = []
    # TensorFlow servers listen on every interface: keep them in a loopback-only namespace
    with private_network() as netns:
        try:
            for workload in of_kind(rendered, "Job"):
                tensorflow = container(workload, "tensorflow")
                mount = _spec_mount(workload, "tensorflow")
                env = _environment(tensorflow, addresses, mount, spec_dir, root)
                log = open(root / f"{task_name(workload)}.log", "w+")
                logs.append(log)
                # run.py (the run supervisor) runs from the mounted directory too; it starts the
                # server as its child, so each task gets a process group of its own to stop
                command = [_substitute(item, addresses, mount, spec_dir) for item in argv(tensorflow)]
                processes.append(subprocess.Popen(
                    [*netns, *command], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root, start_new_session=True
                ))
            notebook_deployment = next(o for o in of_kind(rendered, "Deployment"))
            notebook = container(notebook_deployment, "notebook")
            script = root / "chief.py"
            script.write_text(PS_TRAINING)
            # the notebook's own command is the TF_CONFIG shim; a kernel inherits what it exports
            shim = notebook["command"]
            env = _environment(notebook, addresses, _spec_mount(notebook_deployment, "notebook"), spec_dir, root)
            env["ROUNDS"] = "4"  # 40 steps
            started = time.monotonic()
            chief = subprocess.run([*netns, *shim, "python3", str(script)], env=env, capture_output=True, text=True, cwd=root, timeout=180)
            elapsed = time.monotonic() - started
            exited_early = [p.args for p in processes if p.poll() is not None]
            reachable_outside = [a for a in addresses.values() if _accepts_connections(a)]
        finally:
            for process in processes:  # run.py and the server it started
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for process in processes:
                process.wait(timeout=30)
            left_behind = _live_groups([p.pid for p in processes])
    task_logs = {}
    for log in logs:
        log.seek(0)
        task_logs[Path(log.name).stem] = log.read()[-2000:]
        log.close()
    lines = [line for line in chief.stdout.splitlines() if line.startswith("RESULT ")]
    assert chief.returncode == 0 and lines, f"chief failed ({chief.returncode}):\n{chief.stderr[-4000:]}\ntasks:\n{task_logs}"
    assert not exited_early, f"tasks exited early: {exited_early}\n{task_logs}"
    return {
        "report": json.loads(lines[-1][len("RESULT "):]),
        "addresses": addresses,
        "elapsed": elapsed,
        "reachable_outside": reachable_outside,
        "left_behind": left_behind,
    }


def _live_groups(groups: list[int], timeout: float = 10.0) -> list[int]:
    """The process groups in ``groups`` that still have a process after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for group in groups:
            try:
                os.killpg(group, 0)
                alive.append(group)
            except ProcessLookupError:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def _accepts_connections(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return True
    except OSError:
        return False


def test_the_tensorflow_servers_are_unreachable_outside_their_namespace(cluster_run):
    assert cluster_run["reachable_outside"] == []


def test_no_task_process_outlives_the_run(cluster_run):
    # run.py starts each server as its child: stopping a task stops both
    assert cluster_run["left_behind"] == []


def test_the_rendered_tasks_are_servers_of_the_rendered_cluster(rendered):
    workloads = {(kind, name) for kind, name in objects(rendered) if kind != "Service"}
    assert {name for kind, name in workloads if kind == "Job"} == {"tf-ps-0", "tf-ps-1", "tf-worker-0", "tf-worker-1"}
    rendered_spec = cluster_spec(rendered)
    assert rendered_spec == {
        "chief": ["tf-chief-0.default.svc.cluster.local:8080"],
        "ps": [f"tf-ps-{i}.default.svc.cluster.local:8080" for i in range(2)],
        "worker": [f"tf-worker-{i}.default.svc.cluster.local:8080" for i in range(2)],
    }
    # each address's Service selects that task's pod (and no other), on the port its server listens on
    services = {o["metadata"]["name"]: o for o in of_kind(rendered, "Service")}
    jobs = of_kind(rendered, "Job")
    for job, addresses in rendered_spec.items():
        for index, address in enumerate(addresses):
            if job == "chief":
                continue  # the notebook is the chief here (a Deployment)
            host, port = address.split(".", 1)[0], int(address.rsplit(":", 1)[1])
            selector = services[host]["spec"]["selector"].items()
            (selected,) = [j for j in jobs if selector <= j["spec"]["template"]["metadata"]["labels"].items()]
            assert task_name(selected) == host
            (grpc,) = [p for p in container(selected, "tensorflow")["ports"] if p["name"] == "tf-grpc"]
            assert grpc["containerPort"] == port
            assert services[host]["spec"]["ports"][0]["targetPort"] == "tf-grpc"


def test_the_chief_sees_tf_config_for_chief_0_of_the_whole_cluster(cluster_run):
    tf_config = cluster_run["report"]["tf_config"]
    local = cluster_run["addresses"]
    assert tf_config["task"] == {"type": "chief", "index": 0}
    assert tf_config["cluster"] == {
        "chief": [local["tf-chief-0.default.svc.cluster.local:8080"]],
        "ps": [local[f"tf-ps-{i}.default.svc.cluster.local:8080"] for i in range(2)],
        "worker": [local[f"tf-worker-{i}.default.svc.cluster.local:8080"] for i in range(2)],
    }


def test_variables_live_on_the_parameter_servers(cluster_run):
    devices = cluster_run["report"]["devices"]
    assert devices and all("/job:ps/" in device for device in devices), devices
    # two variables (kernel, bias) are placed round-robin: both ps tasks hold one
    assert {device.split("/task:")[1].split("/")[0] for device in devices} == {"0", "1"}


def test_each_server_runs_with_a_sparse_cluster_spec_of_itself(rendered):
    # The default server never reads TF_CONFIG: the coordinator sends the whole cluster when it
    # connects, so the training above proves the sparse form trains.
    for workload in of_kind(rendered, "Job"):
        program = argv(container(workload, "tensorflow"))[-1]
        assert "tf.train.ClusterSpec({job: {index: address}})" in program and "TF_CONFIG" not in program


def test_training_through_the_workers_lowers_the_loss(cluster_run):
    report = cluster_run["report"]
    assert report["steps"] == 40
    assert report["after"] < report["before"] * 0.5, report
