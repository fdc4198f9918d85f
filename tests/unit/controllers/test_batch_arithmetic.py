"""The Job and CronJob controllers' pure decisions: wanted pods, outcomes, indexes, the pod failure back-off,
due runs and history limits; and which simulated commands end."""
from __future__ import annotations

import datetime as dt

from sandbox.controllers.cronjob import schedule as sched
from sandbox.controllers.job import status as js
from sandbox.machinery import cron
from sandbox.simulation import exits


def test_wanted_pods_and_outcome():
    spec = {"completions": 3, "parallelism": 2}
    assert [js.wanted_active(spec, s, 0) for s in range(4)] == [2, 2, 1, 0]
    assert js.wanted_active({"parallelism": 4}, 0, 0) == 4 and js.wanted_active({"parallelism": 4}, 1, 2) == 2
    assert not js.succeeded_enough(spec, 2, 1, 0) and js.succeeded_enough(spec, 3, 0, 0)
    assert js.succeeded_enough({"parallelism": 2}, 1, 0, 0) and not js.succeeded_enough({"parallelism": 2}, 1, 1, 0)
    indexed = {"completions": 4, "parallelism": 2, "completionMode": "Indexed"}
    assert js.wanted_active(indexed, 0, 0, completed_indexes=3) == 1


def test_backoff_limits():
    never = {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "Never"}}}
    assert not js.past_backoff_limit(never, 2, []) and js.past_backoff_limit(never, 3, [])
    on_failure = {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "OnFailure"}}}
    pod = {"metadata": {}, "status": {"phase": "Running", "containerStatuses": [{"restartCount": 2}]}}
    assert js.past_backoff_limit(on_failure, 0, [pod])


def test_pod_failure_back_off_doubles_to_ten_minutes_and_resets_on_success():
    record = js.BackoffRecord()
    record.record(0, 1, now=100.0)
    assert record.remaining(100.0) == 10.0
    record.record(0, 1, now=100.0)
    assert record.remaining(105.0) == 15.0  # 20 s after the second failure
    record.record(0, 10, now=0.0)
    assert record.remaining(0.0) == 600.0
    record.record(1, 0, now=1.0)
    assert record.remaining(1.0) == 0.0


def test_indexes():
    assert js.parse_indexes("0-2,4,9", 5) == {0, 1, 2, 4}
    assert js.format_indexes({0, 1, 2, 4, 6, 7}) == "0-2,4,6-7"
    assert js.pending_indexes(5, {0, 2}, {1}, 2) == [3, 4]


def test_due_runs_and_deadlines():
    created = dt.datetime(2026, 3, 6, 10, 0, 30, tzinfo=dt.timezone.utc).timestamp()
    cj = {"metadata": {"name": "hello", "creationTimestamp": "2026-03-06T10:00:30Z"}, "spec": {}, "status": {}}
    minutely = cron.parse("*/1 * * * *")
    due = sched.due(cj, minutely, dt.timezone.utc, created + 95)  # 10:02:05
    assert (due.missed, due.scheduled, due.next) == (2, created - 30 + 120, created - 30 + 180)
    assert sched.job_name(cj, due.scheduled) == f"hello-{int(due.scheduled) // 60}"
    late = {**cj, "spec": {"startingDeadlineSeconds": 3}}
    assert sched.too_late(late, due.scheduled, created + 95) and not sched.too_late(cj, due.scheduled, created + 95)
    assert sched.due(late, minutely, dt.timezone.utc, created + 95).missed == 0  # the deadline bounds the search


def test_history_limits_drop_the_oldest_finished_jobs():
    def job(name, start, kind):
        return {"metadata": {"name": name}, "status": {"startTime": start,
                                                       "conditions": [{"type": kind, "status": "True"}]}}
    jobs = [job("c", "2026-01-01T00:03:00Z", "Complete"), job("a", "2026-01-01T00:01:00Z", "Complete"),
            job("b", "2026-01-01T00:02:00Z", "Complete"), job("f1", "2026-01-01T00:01:00Z", "Failed"),
            job("f2", "2026-01-01T00:02:00Z", "Failed")]
    assert [j["metadata"]["name"] for j in sched.jobs_to_delete(jobs, 2, 1)] == ["a", "f1"]
    assert sched.jobs_to_delete(jobs, 3, 2) == []


def test_simulated_commands_that_end():
    def end(command, restart="Never"):
        found = exits.ending({"command": command}, restart)
        return None if found is None else (found.seconds, found.exit_code)
    assert end(["sh", "-c", "exit 3"]) == (exits.STEP_SECONDS, 3)
    assert end(["sh", "-c", "echo hi; sleep 5; exit 0"]) == (5.5, 0)
    assert end(["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]) == (exits.PERL_SECONDS, 0)
    assert end(["false"]) == (exits.STEP_SECONDS, 1)
    assert end(["sh", "-c", "while true; do sleep 1; done"]) is None
    assert end(["nginx", "-g", "daemon off;"]) is None
    assert end(["sleep", "10"], restart="Always") is None  # a Deployment's container keeps running
