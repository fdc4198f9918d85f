"""Jobs and CronJobs on the process runtime, driven by real kubectl: python pods really run to completion and
their exit codes decide (completions and parallelism, the backoff limit, the deadline, indexes, suspension, TTL),
`kubectl wait --for=condition=complete`, kubectl's tables, `kubectl create job --from=cronjob/...`, the app's
order sender, and a minutely CronJob under Forbid and Replace (wall-clock minutes: the slowest test here)."""
from __future__ import annotations

import json

import pytest

from helpers import load_jobs, scaling
from tests.sandbox.runtime.conftest import apply
from tests.waiting import wait_until

PYTHON = "python:3.11-slim"

pytestmark = pytest.mark.sandbox


def job_manifest(name: str, code: str, *, restart: str = "Never", **spec) -> str:
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {**spec, "template": {"spec": {"restartPolicy": restart, "containers": [
                {"name": "main", "image": PYTHON, "command": ["python", "-c", code]}]}}}}
    return json.dumps(body)


def get(sandbox, namespace: str, kind: str, name: str) -> dict:
    result = sandbox.kubectl("-n", namespace, "get", kind, name, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def condition(obj: dict, kind: str) -> dict | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or []
                 if c["type"] == kind and c["status"] == "True"), None)


def wait_condition(sandbox, namespace: str, name: str, kind: str, timeout: float = 120) -> dict:
    return wait_until(lambda: condition(get(sandbox, namespace, "job", name), kind), timeout=timeout, interval=0.3,
                      what=f"job {name} {kind}", debug=lambda: json.dumps(get(sandbox, namespace, "job", name)
                                                                         .get("status"), indent=1))


def test_completions_and_parallelism_with_python_pods(runtime_sandbox, namespace):
    apply(runtime_sandbox, namespace, job_manifest("work", "print('done')", completions=3, parallelism=2))
    waited = runtime_sandbox.kubectl("-n", namespace, "wait", "--for=condition=complete", "job/work",
                                     "--timeout=120s", timeout=150)
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout.strip() == "job.batch/work condition met"
    job = get(runtime_sandbox, namespace, "job", "work")
    assert (job["status"]["succeeded"], job["status"]["failed"]) == (3, 0)
    assert [c["type"] for c in job["status"]["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    table = runtime_sandbox.kubectl("-n", namespace, "get", "jobs")
    header, row = table.stdout.splitlines()
    assert header.split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert row.split()[:3] == ["work", "Complete", "3/3"]
    pods = json.loads(runtime_sandbox.kubectl("-n", namespace, "get", "pods", "-l", "job-name=work", "-o",
                                              "json").stdout)["items"]
    assert len(pods) == 3 and {p["status"]["phase"] for p in pods} == {"Succeeded"}
    assert not any(p["metadata"].get("finalizers") for p in pods)
    logs = runtime_sandbox.kubectl("-n", namespace, "logs", f"pod/{pods[0]['metadata']['name']}")
    assert logs.stdout.strip() == "done"
    wide = runtime_sandbox.kubectl("-n", namespace, "get", "job", "work", "-o", "wide").stdout.splitlines()[0].split()
    assert wide == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]


def test_failing_pods_hit_the_backoff_limit(runtime_sandbox, namespace):
    apply(runtime_sandbox, namespace, job_manifest("broken", "import sys; sys.exit(3)", backoffLimit=1))
    failed = wait_condition(runtime_sandbox, namespace, "broken", "Failed")
    assert (failed["reason"], failed["message"]) == ("BackoffLimitExceeded",
                                                     "Job has reached the specified backoff limit")
    job = get(runtime_sandbox, namespace, "job", "broken")
    assert job["status"]["failed"] == 2 and condition(job, "FailureTarget")
    pods = json.loads(runtime_sandbox.kubectl("-n", namespace, "get", "pods", "-l", "job-name=broken", "-o",
                                              "json").stdout)["items"]
    codes = {p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] for p in pods}
    assert codes == {3}
    assert runtime_sandbox.kubectl("-n", namespace, "get", "job", "broken").stdout.split()[5:8] == \
        ["broken", "Failed", "0/1"]
    events = runtime_sandbox.kubectl("-n", namespace, "get", "events", "--field-selector",
                                     "involvedObject.name=broken", "-o", "json")
    assert "BackoffLimitExceeded" in {e["reason"] for e in json.loads(events.stdout)["items"]}


def test_on_failure_restarts_the_container(runtime_sandbox, namespace):
    apply(runtime_sandbox, namespace, job_manifest("retry", "import sys; sys.exit(1)", restart="OnFailure",
                                                   backoffLimit=2))
    wait_condition(runtime_sandbox, namespace, "retry", "Failed")


def test_active_deadline_seconds(runtime_sandbox, namespace):
    apply(runtime_sandbox, namespace, job_manifest("slow", "import time; time.sleep(3600)",
                                                   activeDeadlineSeconds=20))
    failed = wait_condition(runtime_sandbox, namespace, "slow", "Failed")
    assert failed["reason"] == "DeadlineExceeded"
    wait_until(lambda: not runtime_sandbox.kubectl("-n", namespace, "get", "pods", "-l", "job-name=slow",
                                                   "-o", "name").stdout.strip(), timeout=60, what="pods gone")


def test_indexed_pods_print_their_index(runtime_sandbox, namespace):
    code = "import os; print('index', os.environ['JOB_COMPLETION_INDEX'])"
    apply(runtime_sandbox, namespace, job_manifest("idx", code, completions=3, parallelism=3,
                                                   completionMode="Indexed"))
    wait_condition(runtime_sandbox, namespace, "idx", "Complete")
    assert get(runtime_sandbox, namespace, "job", "idx")["status"]["completedIndexes"] == "0-2"
    for index in range(3):
        name = runtime_sandbox.kubectl("-n", namespace, "get", "pods", "-l",
                                       f"batch.kubernetes.io/job-completion-index={index}", "-o", "name").stdout
        assert name.startswith(f"pod/idx-{index}-")
        assert runtime_sandbox.kubectl("-n", namespace, "logs", name.strip()).stdout.strip() == f"index {index}"


def test_suspend_and_resume(runtime_sandbox, namespace):
    apply(runtime_sandbox, namespace, job_manifest("paused", "print('ran')", suspend=True))
    wait_until(lambda: condition(get(runtime_sandbox, namespace, "job", "paused"), "Suspended"), timeout=60,
               what="Suspended")
    assert runtime_sandbox.kubectl("-n", namespace, "get", "job", "paused").stdout.split()[6] == "Suspended"
    patched = runtime_sandbox.kubectl("-n", namespace, "patch", "job", "paused", "-p", '{"spec":{"suspend":false}}')
    assert patched.returncode == 0, patched.stderr
    wait_condition(runtime_sandbox, namespace, "paused", "Complete")


def test_ttl_after_finished_deletes_the_job_and_its_pods(runtime_sandbox, namespace):
    apply(runtime_sandbox, namespace, job_manifest("brief", "print('bye')", ttlSecondsAfterFinished=5))
    wait_until(lambda: runtime_sandbox.kubectl("-n", namespace, "get", "job", "brief").returncode != 0,
               timeout=120, what="the Job deleted")
    wait_until(lambda: not runtime_sandbox.kubectl("-n", namespace, "get", "pods", "-l", "job-name=brief", "-o",
                                                   "name").stdout.strip(), timeout=60, what="its pods deleted")


def test_create_job_from_cronjob_and_the_cronjob_table(runtime_sandbox, namespace):
    created = runtime_sandbox.kubectl("-n", namespace, "create", "cronjob", "nightly", "--image", PYTHON,
                                      "--schedule", "0 3 * * *", "--", "python", "-c", "print('nightly')")
    assert created.returncode == 0, created.stderr
    table = runtime_sandbox.kubectl("-n", namespace, "get", "cronjobs").stdout.splitlines()
    assert table[0].split() == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"]
    assert table[1].split()[:8] == ["nightly", "0", "3", "*", "*", "*", "<none>", "False"]
    made = runtime_sandbox.kubectl("-n", namespace, "create", "job", "by-hand", "--from=cronjob/nightly")
    assert made.returncode == 0, made.stderr
    job = get(runtime_sandbox, namespace, "job", "by-hand")
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    wait_condition(runtime_sandbox, namespace, "by-hand", "Complete")
    wait_until(lambda: (get(runtime_sandbox, namespace, "cronjob", "nightly").get("status") or {})
               .get("lastSuccessfulTime"), timeout=60, what="lastSuccessfulTime")


def test_the_order_sender_job_runs(runtime_sandbox, namespace):
    stub = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stub", "labels": {"app": "stub"}},
            "spec": {"containers": [{"name": "http", "image": PYTHON, "command": ["python", "-m", "http.server", "80"],
                                     "ports": [{"containerPort": 80}]}]}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "stub"},
               "spec": {"selector": {"app": "stub"}, "ports": [{"port": 1337, "targetPort": 80}]}}
    apply(runtime_sandbox, namespace, json.dumps(stub) + "\n" + json.dumps(service))
    job = load_jobs.orders_job(3, scaling.ORDER, "stub", 1337, namespace)
    created = runtime_sandbox.kubectl("-n", namespace, "create", "-f", "-", "-o", "name", input=json.dumps(job))
    assert created.returncode == 0, created.stderr
    name = created.stdout.strip().split("/")[-1]
    wait_condition(runtime_sandbox, namespace, name, "Complete", timeout=180)
