"""pods/log against a real sandbox process, for simulated containers: real kubectl with its log options, -f that
stays open while the container runs, the official client, and kube-apiserver's validation and container choice
over raw HTTP."""
import re
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def running_pod(sandbox, namespace, name, image="nginx:1.27"):
    ok(sandbox.kubectl("run", name, "-n", namespace, f"--image={image}"))
    wait_until(lambda: ok(sandbox.kubectl("get", "pod", name, "-n", namespace, "-o",
                                          "jsonpath={.status.phase}")) == "Running", what=f"{name} running")


def test_kubectl_log_options_apply_to_simulated_logs(sandbox_process, fresh_namespace):
    k, ns = sandbox_process.kubectl, fresh_namespace
    running_pod(sandbox_process, ns, "web")
    full = ok(k("logs", "web", "-n", ns)).splitlines()
    assert full[0].startswith("[workshop sandbox] Simulated log") and len(full) > 5
    assert ok(k("logs", "web", "-n", ns, "--tail=2")).splitlines() == full[-2:]
    stamped = ok(k("logs", "web", "-n", ns, "--timestamps", "--tail=1"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z " + re.escape(full[-1]) + "\n", stamped)
    assert ok(k("logs", "web", "-n", ns, "--limit-bytes=18")) == "[workshop sandbox]"
    assert ok(k("logs", "web", "-n", ns, "--since=1h")).splitlines() == full
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ok(k("logs", "web", "-n", ns, f"--since-time={future}")) == ""
    previous = k("logs", "web", "-n", ns, "--previous")
    assert previous.returncode == 1
    assert previous.stderr.strip() == ('Error from server (BadRequest): previous terminated container "web" in pod '
                                       '"web" not found')


def test_follow_stays_open_while_the_container_runs(sandbox_process, fresh_namespace):
    ns = fresh_namespace
    running_pod(sandbox_process, ns, "tail", image="redis:7.4")
    follower = subprocess.Popen(["kubectl", "--kubeconfig", str(sandbox_process.kubeconfig), "logs", "-f", "tail",
                                 "-n", ns, "--tail=1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "Ready to accept connections" in follower.stdout.readline()
        assert follower.poll() is None  # everything read, and the stream is still open
        ok(sandbox_process.kubectl("delete", "pod", "tail", "-n", ns, "--wait=false"))
        assert follower.wait(60) == 0  # the container stopped: the stream ends, kubectl exits
        assert follower.stdout.read() == ""
    finally:
        follower.kill()


def test_the_python_client_reads_simulated_logs(sandbox_process, fresh_namespace):
    from kubernetes import client
    running_pod(sandbox_process, fresh_namespace, "web")
    with sandbox_process.api_client() as api:
        core = client.CoreV1Api(api)
        last = core.read_namespaced_pod_log("web", fresh_namespace, tail_lines=1)
        assert "[notice]" in last and last.count("\n") == 1
        errors = core.read_namespaced_pod_log("web", fresh_namespace, stream="Stderr")
        assert errors and all("[notice]" in line for line in errors.splitlines())
        with pytest.raises(client.ApiException) as caught:
            core.read_namespaced_pod_log("web", fresh_namespace, previous=True)
        assert caught.value.status == 400


@pytest.mark.parametrize("query, message", [
    ("tailLines=-1", 'PodLogOptions "two" is invalid: tailLines: Invalid value: -1: must be greater than or equal '
                     'to 0'),
    ("limitBytes=0", 'PodLogOptions "two" is invalid: limitBytes: Invalid value: 0: must be greater than 0'),
    ("sinceSeconds=0", 'PodLogOptions "two" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0'),
    ("sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z",
     'PodLogOptions "two" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified'),
    ("stream=Both", 'PodLogOptions "two" is invalid: stream: Unsupported value: "Both": supported values: '
                    '"Stdout", "Stderr", "All"'),
    ("stream=Stdout&tailLines=3", 'PodLogOptions "two" is invalid: : Forbidden: `tailLines` and specific `stream` '
                                  'are mutually exclusive for now'),
])
def test_options_are_validated_as_kube_apiserver_validates_them(http, fresh_namespace, query, message):
    response = http.get(f"/api/v1/namespaces/{fresh_namespace}/pods/two/log?container=a&{query}")
    assert response.status_code == 422  # before the pod is even looked up
    assert response.json()["message"] == message and response.json()["details"]["kind"] == "PodLogOptions"


def test_the_container_is_chosen_as_kube_apiserver_chooses_it(http, fresh_namespace):
    ns = fresh_namespace
    body = {"metadata": {"name": "two", "annotations": {"kubectl.kubernetes.io/default-container": "b"}},
            "spec": {"nodeSelector": {"nowhere": "true"}, "initContainers": [{"name": "init", "image": "busybox"}],
                     "containers": [{"name": "a", "image": "nginx"}, {"name": "b", "image": "nginx"}]}}
    assert http.post(f"/api/v1/namespaces/{ns}/pods", json=body).status_code == 201
    unnamed = http.get(f"/api/v1/namespaces/{ns}/pods/two/log")
    assert (unnamed.status_code, unnamed.json()["message"]) == (
        400, "a container name must be specified for pod two, choose one of: [init a b]")  # no annotation read
    wrong = http.get(f"/api/v1/namespaces/{ns}/pods/two/log?container=c")
    assert (wrong.status_code, wrong.json()["message"]) == (400, "container c is not valid for pod two")
    unscheduled = http.get(f"/api/v1/namespaces/{ns}/pods/two/log?container=init")
    assert (unscheduled.status_code, unscheduled.text) == (200, "")  # no node: nothing to read
    assert http.get(f"/api/v1/namespaces/{ns}/pods/nope/log").status_code == 404
