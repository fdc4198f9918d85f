"""Containers that really run: a pod's process starts, its output is its log, its exit code decides its phase or
its restart, a command that does not exist fails as runc says, and a failing liveness probe restarts it. Driven
with real kubectl against a sandbox started with --runtime process."""
from __future__ import annotations

import pytest

from tests.sandbox.runtime.conftest import apply, container_status, pod, python_pod, wait_for_pod

pytestmark = pytest.mark.sandbox


def test_a_running_container_prints_its_log_and_knows_its_pod(runtime_sandbox, namespace):
    code = ("import os, socket, time; print('hello from', socket.gethostname(), os.environ['GREETING'], flush=True);"
            " time.sleep(600)")
    apply(runtime_sandbox, namespace, python_pod("hello", code, extra="""      env:
        - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: GREETING, value: "hi $(POD)"}"""))
    wait_for_pod(runtime_sandbox, namespace, "hello", lambda p: p["status"].get("phase") == "Running"
                 and all(c.get("ready") for c in p["status"].get("containerStatuses") or []), "the pod to be ready")
    logs = wait_for_log(runtime_sandbox, namespace, "hello", "hello from")
    assert "hello from hello hi hello" in logs


def wait_for_log(sandbox, namespace, name, text, *args):
    from tests.waiting import wait_until
    return wait_until(lambda: out if text in (out := sandbox.kubectl("-n", namespace, "logs", name, *args).stdout)
                      else None, timeout=60, interval=0.2, what=f"{text!r} in the log of {name}")


def test_exit_codes_decide_the_phase_without_restarts(runtime_sandbox, namespace):
    apply(runtime_sandbox, namespace, python_pod("done", "print('done')", "Never"))
    apply(runtime_sandbox, namespace, python_pod("broken", "import sys; sys.exit(3)", "Never"))
    wait_for_pod(runtime_sandbox, namespace, "done", lambda p: p["status"].get("phase") == "Succeeded", "Succeeded")
    failed = wait_for_pod(runtime_sandbox, namespace, "broken", lambda p: p["status"].get("phase") == "Failed", "Failed")
    terminated = failed["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (3, "Error")
    table = runtime_sandbox.kubectl("-n", namespace, "get", "pods").stdout
    assert "Completed" in table and "Error" in table


def test_a_crashing_container_restarts_with_back_off_and_keeps_its_previous_log(runtime_sandbox, namespace):
    apply(runtime_sandbox, namespace, python_pod("crash", "print('about to fail', flush=True); raise SystemExit(2)"))
    crashing = wait_for_pod(runtime_sandbox, namespace, "crash", lambda p: any(
        (c.get("state") or {}).get("waiting", {}).get("reason") == "CrashLoopBackOff" and c.get("restartCount", 0) >= 1
        for c in p["status"].get("containerStatuses") or []), "CrashLoopBackOff")
    status = crashing["status"]["containerStatuses"][0]
    assert status["lastState"]["terminated"]["exitCode"] == 2
    assert "back-off" in status["state"]["waiting"]["message"]
    assert crashing["status"]["phase"] == "Running"
    previous = runtime_sandbox.kubectl("-n", namespace, "logs", "crash", "--previous")
    assert "about to fail" in previous.stdout, previous.stderr
    events = runtime_sandbox.kubectl("-n", namespace, "get", "events", "--field-selector", "involvedObject.name=crash")
    assert "BackOff" in events.stdout and "Back-off restarting failed container main" in events.stdout


def test_a_command_that_does_not_exist_is_a_start_error(runtime_sandbox, namespace):
    apply(runtime_sandbox, namespace, """
apiVersion: v1
kind: Pod
metadata: {name: nosuch}
spec:
  containers:
    - {name: main, image: python:3.11-slim, command: ["no-such-program"]}
""")
    failed = wait_for_pod(runtime_sandbox, namespace, "nosuch", lambda p: any(
        ((c.get("lastState") or {}).get("terminated") or (c.get("state") or {}).get("terminated") or {}).get(
            "reason") == "StartError" for c in p["status"].get("containerStatuses") or []), "StartError")
    status = failed["status"]["containerStatuses"][0]
    terminated = (status.get("lastState") or {}).get("terminated") or status["state"]["terminated"]
    assert terminated["exitCode"] == 128
    assert 'exec: "no-such-program": executable file not found in $PATH' in terminated["message"]


def test_a_failing_liveness_probe_restarts_the_container(runtime_sandbox, namespace):
    code = ("import http.server\n"
            "class H(http.server.BaseHTTPRequestHandler):\n"
            "    def do_GET(self):\n"
            "        self.send_response(500); self.end_headers()\n"
            "http.server.HTTPServer(('', 8080), H).serve_forever()\n")
    apply(runtime_sandbox, namespace, python_pod("sick", code, extra="""      livenessProbe:
        httpGet: {path: /healthz, port: 8080}
        periodSeconds: 2
        failureThreshold: 2"""))
    restarted = wait_for_pod(runtime_sandbox, namespace, "sick", lambda p: any(
        c.get("restartCount", 0) >= 1 for c in p["status"].get("containerStatuses") or []), "a restart")
    # the kubelet stops it as it stops any container: SIGTERM, which the server does not catch (128 + 15)
    last = restarted["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (143, "Error")
    events = runtime_sandbox.kubectl("-n", namespace, "get", "events", "--field-selector",
                                     "involvedObject.name=sick").stdout
    assert "Liveness probe failed: HTTP probe failed with statuscode: 500" in events
    assert "Container main failed liveness probe, will be restarted" in events


def test_readiness_follows_the_probe(runtime_sandbox, namespace):
    code = ("import http.server, os\n"
            "class H(http.server.BaseHTTPRequestHandler):\n"
            "    def do_GET(self):\n"
            "        self.send_response(200 if os.path.exists('ready') else 503); self.end_headers()\n"
            "http.server.HTTPServer(('', 8080), H).serve_forever()\n")
    apply(runtime_sandbox, namespace, python_pod("gate", code, extra="""      readinessProbe:
        httpGet: {path: /, port: 8080}
        periodSeconds: 1"""))
    wait_for_pod(runtime_sandbox, namespace, "gate", lambda p: p["status"].get("phase") == "Running", "Running")
    assert not container_status(runtime_sandbox, namespace, "gate", "main").get("ready")
    assert runtime_sandbox.kubectl("-n", namespace, "exec", "gate", "--", "touch", "ready").returncode == 0
    wait_for_pod(runtime_sandbox, namespace, "gate", lambda p: p["status"]["containerStatuses"][0].get("ready"),
                 "ready once the file exists")
    assert pod(runtime_sandbox, namespace, "gate")["status"]["conditions"]


def test_a_missing_config_map_holds_the_container_until_it_exists(runtime_sandbox, namespace):
    apply(runtime_sandbox, namespace, python_pod("configured", "import os, time; print('limit', os.environ['LIMIT'], "
                                                 "flush=True); time.sleep(600)", extra="""      envFrom:
        - configMapRef: {name: settings}"""))
    waiting = wait_for_pod(runtime_sandbox, namespace, "configured", lambda p: any(
        (c.get("state") or {}).get("waiting", {}).get("reason") == "CreateContainerConfigError"
        for c in p["status"].get("containerStatuses") or []), "CreateContainerConfigError")
    assert waiting["status"]["containerStatuses"][0]["state"]["waiting"]["message"] == 'configmap "settings" not found'
    assert runtime_sandbox.kubectl("-n", namespace, "create", "configmap", "settings",
                                   "--from-literal=LIMIT=100").returncode == 0
    assert "limit 100" in wait_for_log(runtime_sandbox, namespace, "configured", "limit")
