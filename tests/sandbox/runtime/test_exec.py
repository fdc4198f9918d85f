"""exec into containers that really run, with real kubectl 1.37 and the official Python client: exit codes, stdin,
a Python REPL in the app's container from a terminal (as a learner runs it in a JupyterLab terminal), redis-cli
inside the Redis container reaching its own server, and a program the image does not have."""
from __future__ import annotations

import json
import re

import pytest
from kubernetes import client
from kubernetes.stream import stream

from tests.sandbox.kubectl_sessions import Terminal
from tests.sandbox.runtime.conftest import APP_NAMESPACE, apply_documents, rendered, template_as_pod, wait_ready

pytestmark = pytest.mark.sandbox

API, REDIS = "api", "redis"
NOT_FOUND = re.compile(r'error: Internal error occurred: Internal error occurred: error executing command in '
                       r'container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime '
                       r'exec failed: exec failed: unable to start container process: exec: "curl": executable file '
                       r'not found in \$PATH: unknown\n\Z')


@pytest.fixture(scope="module")
def sandbox(runtime_sandbox):
    """The API pod (orders-api and the orders-validator sidecar) and a Redis pod, both ready."""
    assert runtime_sandbox.kubectl("create", "namespace", APP_NAMESPACE).returncode == 0
    apply_documents(runtime_sandbox, APP_NAMESPACE, [
        template_as_pod("03-sidecar", "containo-orders-frontend", API),
        template_as_pod("04-cache", "containo-orders-cache", REDIS)])
    wait_ready(runtime_sandbox, APP_NAMESPACE, "service in (api, cache)", count=2)
    return runtime_sandbox


@pytest.fixture
def core(sandbox):
    with sandbox.api_client() as api_client:
        yield client.CoreV1Api(api_client)


def kubectl_exec(sandbox, *args: str, input: str | None = None):
    return sandbox.kubectl("-n", APP_NAMESPACE, "exec", *args, input=input)


def client_exec(core, pod: str, container: str, command: list[str], **kwargs):
    options = {"stderr": True, "stdin": False, "stdout": True, "tty": False, **kwargs}
    return stream(core.connect_get_namespaced_pod_exec, pod, APP_NAMESPACE, container=container, command=command,
                  _preload_content=False, **options)


def test_exit_codes_come_back_to_kubectl_and_to_the_client(sandbox, core):
    failed = kubectl_exec(sandbox, API, "-c", "orders-api", "--", "sh", "-c", "echo about to fail; exit 3")
    assert (failed.returncode, failed.stdout) == (3, "about to fail\n")
    assert failed.stderr == "command terminated with exit code 3\n"
    assert kubectl_exec(sandbox, API, "-c", "orders-api", "--", "true").returncode == 0
    killed = kubectl_exec(sandbox, API, "-c", "orders-api", "--", "sh", "-c", "kill -9 $$")
    assert (killed.returncode, killed.stderr) == (137, "command terminated with exit code 137\n")  # 128 + SIGKILL
    for code in (0, 3):
        resp = client_exec(core, API, "orders-api", ["sh", "-c", f"exit {code}"])
        resp.run_forever(timeout=60)
        assert resp.returncode == code


def test_stdin_is_piped_to_the_command(sandbox, core):
    upper = ["python", "-c", "import sys; data = sys.stdin.read(); print(len(data), data.upper(), end='')"]
    piped = kubectl_exec(sandbox, "-i", API, "-c", "orders-api", "--", *upper, input="first\nsecond\n")
    assert (piped.returncode, piped.stdout) == (0, "13 FIRST\nSECOND\n"), piped.stderr
    resp = client_exec(core, API, "orders-api", upper, stdin=True)
    assert resp.subprotocol == "v5.channel.k8s.io"  # the one that can say "stdin is closed"
    resp.write_stdin("from the client\n")
    resp.close_channel(0)
    resp.run_forever(timeout=60)
    assert (resp.read_stdout(), resp.returncode) == ("16 FROM THE CLIENT\n", 0)


def test_a_python_repl_in_the_apps_container_from_a_terminal(sandbox):
    """kubectl exec -it, as from a JupyterLab terminal: the REPL has the container's environment and the pod's
    network (the validator sidecar on localhost:81), and ^C and exit() behave as in a terminal."""
    terminal = Terminal(["kubectl", "--kubeconfig", str(sandbox.kubeconfig), "-n", APP_NAMESPACE, "exec", "-it",
                         API, "-c", "orders-api", "--", "python"], columns=100, rows=30, env={})
    try:
        terminal.expect(b">>> ")
        terminal.send(b"6 * 7\r")
        terminal.expect(b"\r\n42\r\n>>> ")
        terminal.send(b"import os, socket, urllib.request; print(socket.gethostname(), os.environ['ORDERS_PORT'])\r")
        terminal.expect(rb"\r\napi 80\r\n>>> ")
        terminal.send(b"urllib.request.urlopen('http://localhost:81/api/orders/validation?amount=42').read()\r")
        terminal.expect(rb"\r\nb'\{\"valid\": true\}'\r\n>>> ")
        terminal.send(b"import time; print('sl' + 'eeping'); [time.sleep(0.05) for _ in iter(int, 1)]\r")
        terminal.expect(b"\r\nsleeping\r\n")
        terminal.send(b"\x03")  # ^C reaches the command through its terminal
        terminal.expect(b"KeyboardInterrupt")
        terminal.expect(b">>> ")
        terminal.send(b"exit(4)\r")
        assert terminal.process.wait(60) == 4, "kubectl ends with the command's exit code"
    finally:
        terminal.close()


def test_redis_cli_in_the_redis_container_reaches_its_own_server(sandbox, core):
    assert kubectl_exec(sandbox, REDIS, "--", "redis-cli", "ping").stdout == "PONG\n"
    assert kubectl_exec(sandbox, REDIS, "--", "redis-cli", "rpush", "orders", "a", "b").stdout == "2\n"
    assert kubectl_exec(sandbox, REDIS, "--", "redis-cli", "-h", "localhost", "-p", "6379", "llen",
                        "orders").stdout == "2\n"
    resp = client_exec(core, REDIS, "redis", ["sh", "-c", 'test "$(redis-cli lpop orders)" = a'])
    resp.run_forever(timeout=60)
    assert resp.returncode == 0
    # the readiness probe is the same command: it passed, or the pod would not be Ready
    assert sandbox.kubectl("-n", APP_NAMESPACE, "get", "pod", REDIS, "-o",
                           "jsonpath={.status.containerStatuses[0].ready}").stdout == "true"


def test_a_program_the_image_does_not_have(sandbox, core):
    missing = kubectl_exec(sandbox, API, "-c", "orders-api", "--", "curl", "-s", "localhost")
    assert missing.returncode == 1 and NOT_FOUND.match(missing.stderr), missing.stderr
    resp = client_exec(core, API, "orders-api", ["curl", "-s", "localhost"])
    resp.run_forever(timeout=60)
    status = json.loads(resp.read_channel(3))
    assert (status["reason"], status["code"]) == ("InternalError", 500)
    assert status["message"].endswith('exec: "curl": executable file not found in $PATH: unknown')
    # each image has its own programs: redis-cli is in the Redis container, not in the app's
    no_cli = kubectl_exec(sandbox, API, "-c", "orders-api", "--", "redis-cli", "ping")
    assert no_cli.returncode == 1 and 'exec: "redis-cli": executable file not found' in no_cli.stderr


def test_redis_started_with_a_password_from_a_secret_and_redis_cli_sending_it(sandbox):
    """Chapter 07's Redis: the Secret's key in REDIS_PASSWORD, `--requirepass $(REDIS_PASSWORD)` expanded by the
    kubelet into the arguments the launcher passes to the server, and REDISCLI_AUTH for the readiness probe and
    `kubectl exec ... redis-cli`."""
    [secret] = [d for d in rendered("07-config") if d["kind"] == "Secret"]
    locked = template_as_pod("07-config", "containo-orders-cache", "redis-locked")
    locked["metadata"]["labels"] = {"test": "requirepass"}  # not one of the app's pods
    apply_documents(sandbox, APP_NAMESPACE, [secret, locked])
    wait_ready(sandbox, APP_NAMESPACE, "test=requirepass")  # its readiness probe: redis-cli ping, with the password
    assert kubectl_exec(sandbox, "redis-locked", "--", "redis-cli", "ping").stdout == "PONG\n"
    without = kubectl_exec(sandbox, "redis-locked", "--", "sh", "-c", "REDISCLI_AUTH= redis-cli ping")
    assert without.stdout.strip() == "NOAUTH Authentication required."
    config = kubectl_exec(sandbox, "redis-locked", "--", "redis-cli", "config", "get", "requirepass")
    assert config.stdout == "requirepass\ncontaino-workshop-pw\n"
