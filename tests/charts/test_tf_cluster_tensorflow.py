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

Before training, the chief asks each ps and worker task, through TensorFlow, which process runs
its ops (``support.tfprograms.TASK_PROCESSES``); the test reads each started process's TF_CONFIG
and listening ports from /proc, so it can tell that the server started from workload tf-ps-1 is
the one serving ps:1 of the rendered cluster at ps:1's address.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from tfcluster import argv, cluster_spec, container, free_port, of_kind, plain_env, render_chart

from support.netns import private_network
from support.peers import peers_python_or_skip
from support.tfprograms import PS_TRAINING, TASK_PROCESSES

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

    processes: dict[str, subprocess.Popen] = {}
    logs = []
    # TensorFlow servers listen on every interface: keep them in a loopback-only namespace
    with private_network() as netns:
        try:
            for workload in of_kind(rendered, "StatefulSet"):
                tensorflow = container(workload, "tensorflow")
                env = _environment(tensorflow, addresses, _spec_mount(workload, "tensorflow"), spec_dir, root)
                log = open(root / f"{workload['metadata']['name']}.log", "w+")
                logs.append(log)
                # nsenter and the TF_CONFIG shim exec: the pid is the TensorFlow server's
                processes[workload["metadata"]["name"]] = subprocess.Popen(
                    [*netns, *argv(tensorflow)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root
                )
            notebook_deployment = next(o for o in of_kind(rendered, "Deployment"))
            notebook = container(notebook_deployment, "notebook")
            script = root / "chief.py"
            script.write_text(TASK_PROCESSES + PS_TRAINING)
            # the notebook's own command is the TF_CONFIG shim; a kernel inherits what it exports
            shim = notebook["command"]
            env = _environment(notebook, addresses, _spec_mount(notebook_deployment, "notebook"), spec_dir, root)
            env["ROUNDS"] = "4"  # 40 steps
            started = time.monotonic()
            chief = subprocess.run([*netns, *shim, "python3", str(script)], env=env, capture_output=True, text=True, cwd=root, timeout=180)
            elapsed = time.monotonic() - started
            exited_early = [p.args for p in processes.values() if p.poll() is not None]
            reachable_outside = [a for a in addresses.values() if _accepts_connections(a)]
            tasks = {name: _what_the_process_is(process.pid) for name, process in processes.items()}
        finally:
            for process in processes.values():
                process.kill()
            for process in processes.values():
                process.wait(timeout=30)
    task_logs = {}
    for log in logs:
        log.seek(0)
        task_logs[Path(log.name).stem] = log.read()[-2000:]
        log.close()
    lines = [line for line in chief.stdout.splitlines() if line.startswith("RESULT ")]
    served = [line for line in chief.stdout.splitlines() if line.startswith("SERVED ")]
    assert chief.returncode == 0 and lines, f"chief failed ({chief.returncode}):\n{chief.stderr[-4000:]}\ntasks:\n{task_logs}"
    assert not exited_early, f"tasks exited early: {exited_early}\n{task_logs}"
    return {
        "report": json.loads(lines[-1][len("RESULT "):]),
        "addresses": addresses,
        "elapsed": elapsed,
        "reachable_outside": reachable_outside,
        "tasks": tasks,
        "served": json.loads(served[-1][len("SERVED "):]),
    }


def _what_the_process_is(pid: int) -> dict:
    """A running task seen from outside: its TF_CONFIG, its command line, its listening TCP ports."""
    proc = Path(f"/proc/{pid}")
    environ = dict(item.split("=", 1) for item in proc.joinpath("environ").read_text().split("\0") if "=" in item)
    sockets = set()
    for fd in proc.joinpath("fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                sockets.add(target[len("socket:["):-1])
    listening = set()
    for table in ("tcp", "tcp6"):  # the tables of the process's own network namespace
        for row in proc.joinpath("net", table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in sockets:  # state LISTEN, a socket this process holds
                listening.add(int(fields[1].rsplit(":", 1)[1], 16))
    return {
        "pid": pid,
        "tf_config": json.loads(environ.get("TF_CONFIG", "null")),
        "argv": proc.joinpath("cmdline").read_text().split("\0")[:-1],
        "listening": sorted(listening),
    }


def _accepts_connections(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return True
    except OSError:
        return False


def test_the_tensorflow_servers_are_unreachable_outside_their_namespace(cluster_run):
    assert cluster_run["reachable_outside"] == []


def test_the_rendered_tasks_are_servers_of_the_rendered_cluster(rendered, cluster_run):
    local = cluster_run["addresses"]
    rendered_spec = cluster_spec(rendered)
    assert rendered_spec == {
        "chief": ["tf-chief-0.default.svc.cluster.local:8080"],
        "ps": [f"tf-ps-{i}.default.svc.cluster.local:8080" for i in range(2)],
        "worker": [f"tf-worker-{i}.default.svc.cluster.local:8080" for i in range(2)],
    }
    local_spec = {job: [local[address] for address in addresses] for job, addresses in rendered_spec.items()}
    services = {o["metadata"]["name"]: o for o in of_kind(rendered, "Service")}
    workloads = {o["metadata"]["name"]: o for o in of_kind(rendered, "StatefulSet")}
    tasks = {"tf-ps-0": ("ps", 0), "tf-ps-1": ("ps", 1), "tf-worker-0": ("worker", 0), "tf-worker-1": ("worker", 1)}
    assert workloads.keys() == cluster_run["tasks"].keys() == tasks.keys()
    for name, (job, index) in tasks.items():
        host, port = rendered_spec[job][index].split(".", 1)[0], int(rendered_spec[job][index].rsplit(":", 1)[1])
        # in Kubernetes: the address's Service selects this workload's pod, on the port its server listens on
        pod = workloads[name]["spec"]["template"]
        service = services[host]
        assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items(), name
        (grpc,) = [p for p in container(workloads[name], "tensorflow")["ports"] if p["name"] == "tf-grpc"]
        assert service["spec"]["ports"] == [{"name": "tf-grpc", "port": port, "targetPort": "tf-grpc", "protocol": "TCP"}]
        assert grpc["containerPort"] == port
        # here: the process started from the workload is a TensorFlow server that believes it is
        # this task of the rendered cluster, listens on the task's address, and is the process
        # that runs what the chief sends to /job:<job>/task:<index>
        process = cluster_run["tasks"][name]
        assert process["argv"][0].endswith("python3") and "tf.distribute.Server(" in process["argv"][-1], process
        assert process["tf_config"] == {"cluster": local_spec, "task": {"type": job, "index": index}}, name
        assert int(local_spec[job][index].rsplit(":", 1)[1]) in process["listening"], (name, process)
        assert process["pid"] in cluster_run["served"][f"{job}/{index}"], name


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


def test_training_through_the_workers_lowers_the_loss(cluster_run):
    report = cluster_run["report"]
    assert report["steps"] == 40
    assert report["after"] < report["before"] * 0.5, report
