"""Start-up and rendering speed of ``tfhelm template`` (prints a table; asserts nothing).

    .venv/bin/python benchmarks/bench_template.py [--runs N]

Cases: ``tfhelm --help``; ``template`` of a small chart; a chart whose one template emits
2,000 Kubernetes objects (render, parse, sort and print); and charts/tf-cluster at 1,000
workers + 100 ps when the chart exists. Each case is the median wall time of N runs of the real
console script, so interpreter start-up and imports are included, as a user sees them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TFHELM = [str(Path(sys.executable).parent / "tfhelm")]

MANY_OBJECTS = """\
{% for i in range(Values.count // 2) %}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ Release.name }}-task-{{ i }}
  labels:
    app.kubernetes.io/instance: {{ Release.name }}
    tfhelm.io/task-index: "{{ i }}"
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector:
    app.kubernetes.io/instance: {{ Release.name }}
    tfhelm.io/task-index: "{{ i }}"
  ports:
    - name: tf-grpc
      port: 8080
      protocol: TCP
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ Release.name }}-task-{{ i }}
  labels:
    app.kubernetes.io/instance: {{ Release.name }}
    tfhelm.io/task-index: "{{ i }}"
spec:
  replicas: 1
  serviceName: {{ Release.name }}-task-{{ i }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ Release.name }}
      tfhelm.io/task-index: "{{ i }}"
  template:
    metadata:
      labels:
        app.kubernetes.io/instance: {{ Release.name }}
        tfhelm.io/task-index: "{{ i }}"
    spec:
      containers:
        - name: tensorflow
          image: "tensorflow/tensorflow:2.21.0"
          command: ["/bin/sh", "-c", "exec python -m server"]
          env:
            - name: TASK_INDEX
              value: "{{ i }}"
          ports:
            - name: tf-grpc
              containerPort: 8080
              protocol: TCP
          resources:
            limits:
              cpu: "1"
              memory: 2Gi
{% endfor %}
"""


def many_objects_chart(root: Path, count: int) -> Path:
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: many\nversion: 0.1.0\n")
    (root / "values.yaml").write_text(f"count: {count}\n")
    (root / "templates" / "services.yaml").write_text(MANY_OBJECTS)
    return root


def wall_time(command: list[str], runs: int) -> tuple[float, int]:
    """Median seconds over ``runs`` runs, and the bytes the command printed."""
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
        size = len(done.stdout)
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    # byte-compile first: with PYTHONDONTWRITEBYTECODE set, every run would recompile edited modules
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "tfhelm")], check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as scratch:
        many = many_objects_chart(Path(scratch) / "many", 2000)
        cases = [
            ("tfhelm --help", [*TFHELM, "--help"], "0.25"),
            ("template small chart (demo)", [*TFHELM, "template", str(REPO / "tests/fixtures/charts/demo")], "0.25"),
            ("template 2,000 objects (1,000 Services + StatefulSets)", [*TFHELM, "template", str(many)], "1.5"),
        ]
        tf_cluster = REPO / "charts" / "tf-cluster"
        large = tf_cluster / "examples" / "large.yaml"
        if large.exists():
            small = tf_cluster / "examples" / "small.yaml"
            cases.append(("template tf-cluster small example", [*TFHELM, "template", str(tf_cluster), "-f", str(small)], "-"))
            cases.append(("template tf-cluster 1,000 workers + 100 ps", [*TFHELM, "template", str(tf_cluster), "-f", str(large)], "-"))
        print(f"{'case':<56} {'median s':>9} {'target s':>9} {'output':>10}")
        for label, command, target in cases:
            seconds, size = wall_time(command, runs)
            print(f"{label:<56} {seconds:>9.3f} {target:>9} {size / 1e6:>8.2f}MB")


if __name__ == "__main__":
    main()
