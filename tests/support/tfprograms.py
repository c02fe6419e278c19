"""TensorFlow programs the tests run as tasks of tf-cluster: in pods of the one-node cluster (as
``python3 -c`` commands of chart jobs, or in a notebook kernel) and as local processes
(tests/charts/test_tf_cluster_tensorflow.py).

Each prints machine-readable lines (``ROUND``, ``RESOLVED``, ``SERVED <json>``, ``RESULT <json>``) the tests parse
from ``kubectl logs`` or stdout. They use only TensorFlow and the chart's TF_CONFIG.
"""

from __future__ import annotations

import textwrap

# ParameterServerStrategy coordinator (the chief Job, or a notebook kernel after the NOTES snippet,
# which defines ``strategy``): a linear model trained in ROUNDS rounds of 10 steps scheduled on the
# workers, with the whole-data loss printed after each round; then a RESULT report: TF_CONFIG, the
# loss before and after, the steps, and the devices the variables live on.
PS_TRAINING = textwrap.dedent(
    """
    import json, os, sys, time
    import numpy as np
    import tensorflow as tf

    if "strategy" not in globals():
        resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
        strategy = tf.distribute.ParameterServerStrategy(resolver)
    coordinator = tf.distribute.coordinator.ClusterCoordinator(strategy)
    rounds = int(os.environ.get("ROUNDS", "8"))
    pause = float(os.environ.get("ROUND_PAUSE", "0"))

    rng = np.random.default_rng(7)
    x_all = rng.normal(size=(256, 4)).astype("float32")
    y_all = x_all @ np.array([[1.0], [2.0], [-1.0], [0.5]], "float32") + 0.3

    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(1)])
        optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
        optimizer.build(model.trainable_variables)

    def loss_of(x, y):
        return tf.reduce_mean(tf.square(model(x, training=False) - y))

    def dataset_fn(_context=None):
        return tf.data.Dataset.from_tensor_slices((x_all, y_all)).repeat().batch(32)

    iterator = iter(coordinator.create_per_worker_dataset(dataset_fn))

    @tf.function
    def train_step(iterator):
        def replica_fn(batch):
            x, y = batch
            with tf.GradientTape() as tape:
                loss = loss_of(x, y)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss
        return strategy.run(replica_fn, args=(next(iterator),))

    losses = [float(loss_of(x_all, y_all))]
    print("ROUND 0 loss %.6f" % losses[0], flush=True)
    for round_ in range(1, rounds + 1):
        for _ in range(10):
            coordinator.schedule(train_step, args=(iterator,))
        coordinator.join()
        losses.append(float(loss_of(x_all, y_all)))
        print("ROUND %d loss %.6f" % (round_, losses[-1]), flush=True)
        time.sleep(pause)
    devices = sorted({v.value.device if hasattr(v, "value") else v.device for v in model.trainable_variables})
    print("RESULT " + json.dumps({
        "tf_config": json.loads(os.environ.get("TF_CONFIG", "{}")), "before": losses[0], "after": losses[-1],
        "steps": rounds * 10, "devices": devices,
    }), flush=True)
    if "ipykernel" not in sys.modules:
        os._exit(0)  # the coordinator's threads would keep polling the servers forever
    """
)

# Run before PS_TRAINING on a chief: connects (defining ``strategy``), then asks every other task
# of TF_CONFIG's cluster, through TensorFlow itself, which process it is. The op runs in the
# server process that answers for ``/job:<job>/task:<index>``; the thread ids under its
# /proc/self/task include that process's pid. Prints ``SERVED {"ps/0": [tids], ...}``.
TASK_PROCESSES = textwrap.dedent(
    """
    import json
    import tensorflow as tf

    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    strategy = tf.distribute.ParameterServerStrategy(resolver)
    served = {}
    for job, addresses in resolver.cluster_spec().as_dict().items():
        for index in range(len(addresses)) if job != resolver.task_type else ():
            with tf.device("/job:%s/replica:0/task:%d/device:CPU:0" % (job, index)):
                threads = tf.io.matching_files("/proc/self/task/*")
            served["%s/%d" % (job, index)] = sorted(int(path.rsplit(b"/", 1)[1]) for path in threads.numpy())
    print("SERVED " + json.dumps(served), flush=True)
    """
)

# MultiWorkerMirroredStrategy worker (no ps, no chief): a custom loop whose gradients are
# all-reduced across the workers over gRPC, so no worker finishes without the others.
MWMS_TRAINING = textwrap.dedent(
    """
    import json, os
    import numpy as np
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    rng = np.random.default_rng(task["index"])
    x_all = rng.normal(size=(256, 4)).astype("float32")
    y_all = x_all @ np.array([[1.0], [2.0], [-1.0], [0.5]], "float32") + 0.3
    with strategy.scope():
        w = tf.Variable(tf.zeros((4, 1)))
        b = tf.Variable(0.0)

    @tf.function
    def step(x, y):
        def replica(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
            grads = tape.gradient(loss, [w, b])
            grads = tf.distribute.get_replica_context().all_reduce("mean", grads)
            w.assign_sub(0.1 * grads[0])
            b.assign_sub(0.1 * grads[1])
            return loss
        return strategy.reduce("mean", strategy.run(replica, args=(x, y)), axis=None)

    losses = [float(step(x_all, y_all)) for _ in range(40)]
    print("RESULT " + json.dumps({"task": task, "replicas": strategy.num_replicas_in_sync,
                                  "first": losses[0], "last": losses[-1]}), flush=True)
    """
)

# Resolves every address of the mounted cluster spec, retrying until each has an IP, and prints
# ``RESOLVED <host> <ip>``. Plain Python: it starts in a second, before any TensorFlow server.
RESOLVE_ALL = textwrap.dedent(
    """
    import json, os, socket, time
    spec = json.load(open(os.environ["TFHELM_CLUSTER_SPEC_FILE"]))
    hosts = [address.rsplit(":", 1)[0] for addresses in spec.values() for address in addresses]
    deadline = time.time() + 120
    for host in hosts:
        while True:
            try:
                print("RESOLVED %s %s" % (host, socket.gethostbyname(host)), flush=True)
                break
            except OSError as error:
                if time.time() > deadline:
                    print("UNRESOLVED %s %s" % (host, error), flush=True)
                    raise SystemExit(1)
                time.sleep(0.5)
    """
)


def python(program: str) -> list[str]:
    """A job ``command`` running ``program`` with the image's Python."""
    return ["python3", "-c", program]
