"""The Job, CronJob and TTL-after-finished controllers in process, on simulated pods whose commands end
(sandbox/simulation/exits.py): counting, back-off limits, deadlines, indexes, suspension, history and TTL."""
from __future__ import annotations

import time

import pytest

from tests.unit.controllers.harness import run


def job(name: str, command: list[str], restart: str = "Never", image: str = "busybox:1.36", **spec) -> dict:
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"spec": {"restartPolicy": restart,
                                           "containers": [{"name": "main", "image": image, "command": command}]}}}}
    body["spec"].update(spec)
    return body


def _condition(obj: dict | None, kind: str) -> dict | None:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c["type"] == kind and c["status"] == "True":
            return c
    return None


def test_completions_and_parallelism_with_tracking_finalizers():
    async def scenario(c):
        c.create("jobs.batch", job("count", ["sh", "-c", "echo hi"], completions=3, parallelism=2))
        done = await c.wait_for(lambda: _condition(c.get("jobs.batch", "count"), "Complete"), 60, "Complete")
        j = c.get("jobs.batch", "count")
        assert done["reason"] == "CompletionsReached"
        assert _condition(j, "SuccessCriteriaMet")["message"] == "Reached expected number of succeeded pods"
        status = j["status"]
        assert (status["succeeded"], status["failed"], status["active"]) == (3, 0, 0)
        assert status["uncountedTerminatedPods"] == {} and status["completionTime"] and status["startTime"]
        pods = c.list("pods", label_selector="batch.kubernetes.io/job-name=count")
        assert len(pods) == 3 and all(p["status"]["phase"] == "Succeeded" for p in pods)
        assert all("batch.kubernetes.io/job-tracking" not in (p["metadata"].get("finalizers") or []) for p in pods)
        reasons = [e["reason"] for e in c.events(name="count")]
        assert reasons.count("SuccessfulCreate") == 3 and "Completed" in reasons
    run(scenario)


def test_backoff_limit_exceeded_with_failing_pods():
    async def scenario(c):
        c.create("jobs.batch", job("fail", ["sh", "-c", "exit 3"], backoffLimit=1))
        failed = await c.wait_for(lambda: _condition(c.get("jobs.batch", "fail"), "Failed"), 60, "Failed")
        j = c.get("jobs.batch", "fail")
        assert (failed["reason"], failed["message"]) == ("BackoffLimitExceeded",
                                                         "Job has reached the specified backoff limit")
        assert _condition(j, "FailureTarget")["reason"] == "BackoffLimitExceeded"
        assert j["status"]["failed"] == 2 and "completionTime" not in j["status"]
        pods = c.list("pods", label_selector="job-name=fail")
        assert [p["status"]["phase"] for p in pods] == ["Failed", "Failed"]
        state = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
        assert (state["exitCode"], state["reason"]) == (3, "Error")
        assert any(e["reason"] == "BackoffLimitExceeded" and e["type"] == "Warning" for e in c.events(name="fail"))
    run(scenario, time_scale=100)


def test_on_failure_restarts_count_against_the_backoff_limit():
    async def scenario(c):
        c.create("jobs.batch", job("restarts", ["false"], restart="OnFailure", backoffLimit=2))
        await c.wait_for(lambda: _condition(c.get("jobs.batch", "restarts"), "Failed"), 60, "Failed")
        pods = c.list("pods", label_selector="job-name=restarts")
        assert len(pods) <= 1  # the active pod is deleted once the Job has failed
    run(scenario, time_scale=200)


def test_active_deadline_seconds():
    async def scenario(c):
        c.create("jobs.batch", job("slow", ["sleep", "3600"], activeDeadlineSeconds=5))
        failed = await c.wait_for(lambda: _condition(c.get("jobs.batch", "slow"), "Failed"), 60, "Failed")
        assert (failed["reason"], failed["message"]) == ("DeadlineExceeded",
                                                         "Job was active longer than specified deadline")
        await c.wait_for(lambda: not c.list("pods", label_selector="job-name=slow"), 30, "pods gone")
    run(scenario)


def test_indexed_job_gives_each_pod_its_index():
    async def scenario(c):
        c.create("jobs.batch", job("idx", ["sh", "-c", "echo $JOB_COMPLETION_INDEX"], completions=3, parallelism=3,
                                   completionMode="Indexed"))
        await c.wait_for(lambda: _condition(c.get("jobs.batch", "idx"), "Complete"), 60, "Complete")
        assert c.get("jobs.batch", "idx")["status"]["completedIndexes"] == "0-2"
        pods = c.list("pods", label_selector="job-name=idx")
        indexes = sorted(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in pods)
        assert indexes == ["0", "1", "2"]
        pod = next(p for p in pods if p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == "1")
        assert pod["metadata"]["name"].startswith("idx-1-") and pod["spec"]["hostname"] == "idx-1"
        env = pod["spec"]["containers"][0]["env"]
        assert env[-1]["name"] == "JOB_COMPLETION_INDEX"
    run(scenario)


def test_suspend_and_resume():
    async def scenario(c):
        c.create("jobs.batch", job("later", ["sleep", "1"], suspend=True))
        await c.wait_for(lambda: _condition(c.get("jobs.batch", "later"), "Suspended"), 30, "Suspended")
        assert not c.list("pods", label_selector="job-name=later")
        assert "startTime" not in c.get("jobs.batch", "later")["status"]
        c.patch("jobs.batch", "later", {"spec": {"suspend": False}})
        await c.wait_for(lambda: _condition(c.get("jobs.batch", "later"), "Complete"), 60, "Complete")
        suspended = next(x for x in c.get("jobs.batch", "later")["status"]["conditions"] if x["type"] == "Suspended")
        assert (suspended["status"], suspended["reason"]) == ("False", "JobResumed")
        reasons = [e["reason"] for e in c.events(name="later")]
        assert "Suspended" in reasons and "Resumed" in reasons
    run(scenario)


def test_ttl_after_finished_deletes_the_job_and_its_pods():
    async def scenario(c):
        c.create("jobs.batch", job("short", ["true"], ttlSecondsAfterFinished=2))
        await c.wait_for(lambda: c.get("jobs.batch", "short") is None, 60, "the Job deleted")
        await c.wait_for(lambda: not c.list("pods", label_selector="job-name=short"), 30, "its pods deleted")
    run(scenario)


def test_pods_of_a_deleted_job_lose_their_finalizer():
    async def scenario(c):
        c.create("jobs.batch", job("gone", ["sleep", "3600"]))
        await c.wait_for(lambda: c.list("pods", label_selector="job-name=gone"), 30, "a pod")
        c.delete("jobs.batch", "gone", propagation_policy="Background")
        await c.wait_for(lambda: not c.list("pods", label_selector="job-name=gone"), 30, "pods gone")
    run(scenario)


def test_cron_job_runs_as_created_by_hand_and_keeps_its_history():
    async def scenario(c):
        tmpl = job("x", ["true"])["spec"]
        c.create("cronjobs.batch", {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
                                    "spec": {"schedule": "0 3 * * *", "timeZone": "Europe/Paris",
                                             "jobTemplate": {"spec": tmpl}}})
        cj = c.get("cronjobs.batch", "nightly")
        from sandbox.controllers.cronjob.controller import job_from_template
        from sandbox.machinery import cron
        manual = job_from_template(cj, time.time(), cron.zone("Europe/Paris"))
        manual["metadata"]["name"] = "nightly-manual"
        manual["metadata"]["annotations"] = {"cronjob.kubernetes.io/instantiate": "manual"}
        c.create("jobs.batch", manual)
        await c.wait_for(lambda: _condition(c.get("jobs.batch", "nightly-manual"), "Complete"), 60, "Complete")
        await c.wait_for(lambda: (c.get("cronjobs.batch", "nightly").get("status") or {}).get("lastSuccessfulTime"),
                         30, "lastSuccessfulTime")
        assert "UnexpectedJob" in [e["reason"] for e in c.events(name="nightly")]
    run(scenario)


@pytest.mark.parametrize("policy", ["Forbid", "Replace"])
def test_a_minutely_cron_job_honours_its_concurrency_policy(policy):
    """The second run of `*/1` comes while the first Job still runs: Forbid skips it (JobAlreadyActive), Replace
    deletes the running Job and starts the new one. The controller's wall clock is moved a minute at a time."""
    async def scenario(c):
        controller = c.manager.controller("cronjob-controller")
        start = (int(time.time()) // 60 + 1) * 60  # the next whole minute
        now = [start - 30.0]
        controller.wall_clock = lambda: now[0]
        tmpl = job("x", ["sleep", "36000"])["spec"]
        c.create("cronjobs.batch", {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
                                    "spec": {"schedule": "*/1 * * * *", "concurrencyPolicy": policy,
                                             "jobTemplate": {"spec": tmpl}}})

        def active() -> list[dict]:
            return (c.get("cronjobs.batch", "tick").get("status") or {}).get("active") or []

        now[0] = start + 1.0
        controller.queue.add("default/tick")
        first = (await c.wait_for(lambda: active(), 30, "the first run"))[0]["name"]
        await c.wait_for(lambda: c.list("pods", label_selector=f"job-name={first}"), 30, "its pod")
        now[0] = start + 61.0
        controller.queue.add("default/tick")
        reason = "JobAlreadyActive" if policy == "Forbid" else "SuccessfulDelete"
        await c.wait_for(lambda: reason in [e["reason"] for e in c.events(name="tick")], 30, reason)
        if policy == "Replace":
            await c.wait_for(lambda: active() and active()[0]["name"] != first, 30, "the replacing run")
        assert len(active()) == 1 and (active()[0]["name"] == first) == (policy == "Forbid")
    run(scenario)
