"""``tfhelm status``'s view of a run: Jobs and pods as the API server returns them, summarized."""

from __future__ import annotations

from tfhelm.actions.status import run_state


def job(name, task_job, uid, *, decides=False, condition=None):
    labels = {"tfhelm.io/job": task_job, **({"tfhelm.io/decides": "true"} if decides else {})}
    status = {"conditions": [{"type": condition, "status": "True", "reason": "BackoffLimitExceeded"}]} if condition else {}
    return {"metadata": {"name": name, "uid": uid, "labels": labels}, "status": status}


def pod(name, owner, phase, *, restarts=0, terminated=None, last=None, unschedulable=None):
    container = {"name": "tensorflow", "restartCount": restarts, "state": {}, "lastState": {}}
    if terminated:
        container["state"] = {"terminated": terminated}
    if last:
        container["lastState"] = {"terminated": last}
    status = {"phase": phase, "containerStatuses": [container]}
    if unschedulable:
        status = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": unschedulable}]}
    return {"metadata": {"name": name, "ownerReferences": [{"uid": owner}]}, "status": status}


def test_a_running_run_counts_tasks_restarts_exit_codes_and_unscheduled_pods():
    jobs = [job("tf-chief-0-abc", "chief", "c", decides=True), job("tf-ps-0-abc", "ps", "p0"),
            job("tf-worker-0-abc", "worker", "w0"), job("tf-worker-1-abc", "worker", "w1")]
    pods = [
        pod("tf-chief-0-abc-x", "c", "Running"),
        pod("tf-ps-0-abc-x", "p0", "Running", restarts=2, last={"exitCode": 137, "reason": "OOMKilled"}),
        pod("tf-worker-0-abc-x", "w0", "Failed", terminated={"exitCode": 143, "reason": "Error"}),
        pod("tf-worker-0-abc-y", "w0", "Running"),
        pod("tf-worker-1-abc-x", "w1", "Pending", unschedulable="0/1 nodes are available: 1 Insufficient cpu."),
        pod("someone-else", "other", "Running"),
    ]
    run = run_state(jobs, pods)
    assert (run.outcome, run.reason) == ("running", "0 of 1 deciding Job(s) completed")
    chief, ps, worker = run.jobs
    assert (ps.job, ps.tasks, ps.running, ps.restarts, ps.last_exit) == ("ps", 1, 1, 2, "OOMKilled")
    assert (worker.tasks, worker.running, worker.failed, worker.pending, worker.last_exit) == (2, 1, 1, 1, "exit 143")
    assert worker.unscheduled == ["tf-worker-1-abc-x: Unschedulable: 0/1 nodes are available: 1 Insufficient cpu."]
    assert (chief.tasks, chief.running, chief.unscheduled) == (1, 1, [])


def test_the_outcome_follows_the_deciding_jobs_and_fatal_exits():
    done = job("tf-chief-0-abc", "chief", "c", decides=True, condition="Complete")
    serving = job("tf-ps-0-abc", "ps", "p0")
    assert run_state([done, serving], []).outcome == "succeeded"
    failed = job("tf-chief-0-abc", "chief", "c", decides=True, condition="Failed")
    assert run_state([failed, serving], []).reason == "Job tf-chief-0-abc: BackoffLimitExceeded"
    running = job("tf-chief-0-abc", "chief", "c", decides=True)
    fatal = pod("tf-chief-0-abc-x", "c", "Failed", terminated={"exitCode": 1, "message": "tfhelm-run: fatal exit 1"})
    run = run_state([running, serving], [fatal])
    assert (run.outcome, run.reason) == ("failed", "tf-chief-0-abc-x: tfhelm-run: fatal exit 1")
    assert run.jobs[0].last_exit == "exit 1"


def test_pods_after_a_fatal_one_still_count():
    chief = job("tf-chief-0-abc", "chief", "c", decides=True)
    fatal = pod("tf-chief-0-abc-x", "c", "Failed", terminated={"exitCode": 1, "message": "tfhelm-run: fatal exit 1"})
    later = pod("tf-chief-0-abc-y", "c", "Failed", terminated={"exitCode": 1, "message": "tfhelm-run: fatal (earlier attempt)"})
    server = pod("tf-ps-0-abc-x", "p0", "Succeeded", terminated={"exitCode": 0})
    run = run_state([chief, job("tf-ps-0-abc", "ps", "p0")], [fatal, later, server])
    assert run.reason == "tf-chief-0-abc-x: tfhelm-run: fatal exit 1"
    assert [(j.job, j.failed, j.succeeded, j.last_exit) for j in run.jobs] == [("chief", 2, 0, "exit 1"), ("ps", 0, 1, "exit 0")]
