"""tfhelm run supervisor: makes a tf-cluster release one training run, without an operator.

Every task's container runs ``python3 run.py train|serve COMMAND...`` (COMMAND is the TF_CONFIG
shim followed by the task's own command). Only the Python standard library; it reads the API
server with the pod's ServiceAccount (a namespaced Role that may only get/list Jobs and pods).

train: the training tasks (chief, MultiWorkerMirroredStrategy workers). Before the program starts,
  it refuses to run again after an earlier attempt of the same Job failed fatally, and (with
  parameter servers) waits until every ps task has a pod and remembers them. When the program
  fails it decides: retried (the exit code is the program's, the Job makes a new pod) or fatal
  (the exit code plus the termination message "tfhelm-run: fatal ..." that every task can read).
  A parameter server that was restarted or replaced while the program ran is always retried:
  the coordinator cannot recover from a lost ps, so the run restarts (from the last checkpoint
  the program saved).
serve: parameter servers, workers under ParameterServerStrategy, the evaluator. Runs the server
  and asks the API server every TFHELM_RUN_POLL seconds whether the run has ended (succeeded or
  failed); then it stops the server and exits 0, so the Job completes and the pod is kept for
  its logs. A server that exits by itself passes its exit code on.
"""

import json
import os
import random
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request

SA = "/var/run/secrets/kubernetes.io/serviceaccount"
FATAL = "tfhelm-run: fatal"
ENV = os.environ


def say(message):
    print("tfhelm-run: " + message, file=sys.stderr, flush=True)


def api(path, query):
    host, port = ENV["KUBERNETES_SERVICE_HOST"], ENV.get("KUBERNETES_SERVICE_PORT", "443")
    host = "[" + host + "]" if ":" in host else host
    with open(SA + "/namespace") as f:
        namespace = f.read().strip()
    with open(SA + "/token") as f:
        token = f.read().strip()
    url = "https://%s:%s/%s?%s" % (host, port, path % namespace, urllib.parse.urlencode(query))
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    context = ssl.create_default_context(cafile=SA + "/ca.crt")
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return json.load(response)["items"]


def selector(**labels):
    base = {"app.kubernetes.io/instance": ENV["TFHELM_RELEASE"], "tfhelm.io/run": ENV["TFHELM_RUN"]}
    base.update({"tfhelm.io/" + k: v for k, v in labels.items()})
    return {"labelSelector": ",".join("%s=%s" % kv for kv in sorted(base.items()))}


def pods(**labels):
    return api("api/v1/namespaces/%s/pods", selector(**labels))


def terminations(pod):
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        for state in (status.get("state"), status.get("lastState")):
            if state and state.get("terminated"):
                yield state["terminated"]


def fatal_message(pod_list):
    for pod in pod_list:
        for terminated in terminations(pod):
            if (terminated.get("message") or "").startswith(FATAL):
                return "%s: %s" % (pod["metadata"]["name"], terminated["message"].strip())
    return None


def outcome():
    """'succeeded', 'failed' (with why) or None while the run goes on."""
    fatal = fatal_message(pods(role="train"))
    if fatal:
        return "failed (" + fatal + ")"
    done = 0
    for job in api("apis/batch/v1/namespaces/%s/jobs", selector(role="train")):
        conditions = {c["type"]: c for c in (job.get("status") or {}).get("conditions") or [] if c["status"] == "True"}
        if "Failed" in conditions:
            return "failed (Job %s: %s)" % (job["metadata"]["name"], conditions["Failed"].get("reason", "Failed"))
        if "Complete" in conditions and job["metadata"]["labels"].get("tfhelm.io/decides") == "true":
            done += 1
    return "succeeded" if done >= int(ENV["TFHELM_RUN_DECIDING"]) else None


def exit_code(returncode):
    return returncode if returncode >= 0 else 128 - returncode


TERMINATED = []


def start(command):
    """Start the program; SIGTERM (the pod is being deleted) is passed on to it."""
    child = subprocess.Popen(command)

    def forward(*_):
        TERMINATED.append(True)
        child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    return child


def stop(child):
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(20)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def serve(command):
    child = start(command)
    watch = ENV.get("TFHELM_RUN_WATCH") == "1"
    interval = float(ENV.get("TFHELM_RUN_POLL", "10"))
    next_poll, warned = time.monotonic() + random.uniform(0, interval), 0.0
    while child.poll() is None:
        if watch and not TERMINATED and time.monotonic() >= next_poll:
            next_poll = time.monotonic() + interval
            try:
                ended = outcome()
            except Exception as error:  # the API may be briefly unreachable: keep serving
                ended = None
                if time.monotonic() - warned > 300:
                    warned = time.monotonic()
                    say("cannot read the run's outcome (%s); still serving" % error)
            if ended:
                say("the run has %s: stopping this task" % ended)
                stop(child)
                return 0
        time.sleep(1)
    # Stopped from outside (the pod deleted, not the run ended): a failure, so that the Job
    # replaces the pod, whatever the server's own exit code.
    return 143 if TERMINATED else exit_code(child.returncode)


def ps_state():
    """Each ps task's pods as (uid, restarts, terminating), keyed by task index."""
    state = {}
    for pod in pods(job="ps"):
        index = pod["metadata"]["labels"]["tfhelm.io/task-index"]
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        restarts = sum(s.get("restartCount", 0) for s in statuses)
        terminating = bool(pod["metadata"].get("deletionTimestamp"))
        state.setdefault(index, []).append((pod["metadata"]["uid"], restarts, terminating))
    return {index: sorted(entries) for index, entries in state.items()}


def wait_for_ps():
    expected = int(ENV.get("TFHELM_PS_TASKS", "0"))
    said = False
    while True:
        state = ps_state()
        if len(state) == expected and all(len(e) == 1 and not e[0][2] for e in state.values()):
            return state
        if not said:
            say("waiting for a pod of each of the %d parameter server(s)" % expected)
            said = True
        time.sleep(2)


def ps_lost(before):
    """True when a ps task was restarted, replaced or is going away since ``before``."""
    for _ in range(5):  # the pod's status lags the failure the coordinator saw by a few seconds
        if ps_state() != before:
            return True
        time.sleep(2)
    return False


def watch_ps(child, before):
    """While the program runs, watch the parameter servers: once one is lost, the program (whose
    coordinator cannot recover, and may hang instead of exiting) gets 20 s to end, then is stopped.
    True when a ps was lost."""
    next_check = time.monotonic() + 5
    while child.poll() is None:
        time.sleep(1)
        if time.monotonic() < next_check:
            continue
        next_check = time.monotonic() + 5
        try:
            changed = ps_state() != before
        except Exception:
            changed = False
        if changed:
            say("a parameter server was lost: stopping the program so the run restarts")
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                stop(child)
            return True
    return False


def fatal(code):
    policy = ENV.get("TFHELM_RUN_RESTART_POLICY", "ExitCode")
    return policy == "Never" or (policy == "ExitCode" and 1 <= code <= 127)


def train(command):
    me = ENV.get("HOSTNAME", "")
    try:
        mine = pods(**{"job": ENV["TFHELM_TASK_TYPE"], "task-index": ENV["TFHELM_TASK_INDEX"]})
        earlier = fatal_message(p for p in mine if p["metadata"]["name"] != me)
    except Exception as error:
        earlier = None
        say("cannot read earlier attempts (%s)" % error)
    if earlier:
        say("an earlier attempt failed fatally, not running again: " + earlier)
        return finish(1, "%s (earlier attempt %s)" % (FATAL, earlier))
    before = None
    if int(ENV.get("TFHELM_PS_TASKS", "0")):
        try:
            before = wait_for_ps()
        except Exception as error:
            say("cannot watch the parameter servers (%s): a lost ps is not told apart" % error)
    child = start(command)
    lost = watch_ps(child, before) if before is not None else False
    code = exit_code(child.wait())
    if TERMINATED:
        return 143  # the pod is being deleted: retried
    if code == 0:
        return 0
    if not lost and before is not None:
        try:
            lost = ps_lost(before)
        except Exception:
            lost = False
    if lost:
        say("exit %d after a parameter server was lost: the run restarts" % code)
        return code or 1
    if fatal(code):
        say("exit %d is fatal (run.restartPolicy=%s): the run fails" % (code, ENV.get("TFHELM_RUN_RESTART_POLICY")))
        return finish(code, "%s exit %d" % (FATAL, code))
    say("exit %d is retried" % code)
    return code


def finish(code, message):
    try:
        with open("/dev/termination-log", "w") as f:
            f.write(message[:4000])
    except OSError:
        pass
    return code


if __name__ == "__main__":
    mode, command = sys.argv[1], sys.argv[2:]
    sys.exit(train(command) if mode == "train" else serve(command))
