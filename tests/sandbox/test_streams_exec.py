"""exec and attach through the sandbox's real HTTPS app with real kubectl 1.37 (WebSocket v5, and SPDY/3.1 as it
falls back to) and the official Python client (WebSocket v5), the node being a test double that runs commands
as local processes (tests/sandbox/streams_harness.py)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

from tests.sandbox.kubectl_sessions import Terminal
from tests.sandbox.streams_harness import create_pod
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

PY = sys.executable
NOT_FOUND = ('error: Internal error occurred: Internal error occurred: error executing command in container: failed '
             'to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: '
             'unable to start container process: exec: "nosuch": executable file not found in \\$PATH: unknown\n')
# kubectl falls back to SPDY when the WebSocket upgrade fails; this forces it, to check the older path too
TRANSPORTS = {"websocket": {}, "spdy": {"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"}}


@pytest.fixture(scope="module")
def pod(server):
    create_pod(server, "shell")
    create_pod(server, "pending", node=None, phase="")
    create_pod(server, "echoer", [{"name": "echo", "image": "python:3.11", "stdin": True,
                                   "command": [PY, "-c", "import sys\nfor line in sys.stdin: print('echo:', line,"
                                                         " end='', flush=True)"]}])
    return "shell"


def kubectl(server, *args, transport="websocket", **kwargs):
    env = dict(os.environ, **TRANSPORTS[transport])
    return subprocess.run(["kubectl", "--kubeconfig", str(server.kubeconfig), *args], capture_output=True,
                          text=True, timeout=120, env=env, **kwargs)


@pytest.fixture
def core(server):
    with server.api_client() as api_client:
        yield client.CoreV1Api(api_client)


# kubectl ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_kubectl_exec_reports_exit_codes(server, pod, transport):
    ok = kubectl(server, "exec", pod, "--", "sh", "-c", "echo out; echo err >&2", transport=transport)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "out\n", "err\n")
    three = kubectl(server, "exec", pod, "--", "sh", "-c", "echo before; exit 3", transport=transport)
    assert (three.returncode, three.stdout, three.stderr) == (3, "before\n", "command terminated with exit code 3\n")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_kubectl_exec_pipes_stdin_until_its_end(server, pod, transport):
    text = "".join(f"line {i}\n" for i in range(20000))  # ~200 KB: several frames, then the close signal / FIN
    result = kubectl(server, "exec", "-i", pod, "--", PY, "-c",
                     "import sys; data = sys.stdin.read(); print(len(data), data.count('line'))", input=text,
                     transport=transport)
    assert (result.returncode, result.stdout) == (0, f"{len(text)} 20000\n"), result.stderr


def test_kubectl_exec_a_command_that_does_not_exist(server, pod):
    result = kubectl(server, "exec", pod, "--", "nosuch")
    assert result.returncode == 1 and re.fullmatch(NOT_FOUND, result.stderr), result.stderr
    spdy = kubectl(server, "exec", pod, "--", "nosuch", transport="spdy")  # no translator: one prefix less
    assert spdy.returncode == 1 and re.fullmatch(NOT_FOUND.replace("Internal error occurred: ", "", 1), spdy.stderr)


def test_kubectl_exec_into_a_container_the_pod_does_not_have(server, pod):
    # kubectl 1.37 checks the name against the pod it read before asking (the server's own refusal, which
    # older kubectl printed as "Error from server (BadRequest): ...", is checked through the Python client below)
    result = kubectl(server, "exec", pod, "-c", "nope", "--", "true")
    assert (result.returncode, result.stderr) == (1, f"error: container nope is not valid for pod {pod} out of: app\n")


def test_kubectl_exec_into_a_pod_without_a_node(server, pod):
    # kubectl 1.37 reads the Status and wraps it ("unable to upgrade connection: %w"), so it prints it as an error
    result = kubectl(server, "exec", "pending", "--", "true")
    assert result.stderr == "error: unable to upgrade connection: pod pending does not have a host assigned\n"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_kubectl_attach_to_the_containers_own_process(server, pod, transport):
    result = kubectl(server, "attach", "-i", "echoer", input="first\nsecond\n", transport=transport)
    assert result.returncode == 0, result.stderr
    assert "echo: first\necho: second\n" in result.stdout


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_kubectl_exec_it_runs_a_python_repl_in_a_terminal(server, pod, transport):
    terminal = Terminal(["kubectl", "--kubeconfig", str(server.kubeconfig), "exec", "-i", "-t", pod, "--",
                         PY, "-q"], columns=101, rows=31, env=TRANSPORTS[transport])
    try:
        terminal.expect(b">>> ")
        terminal.send(b"6 * 7\r")
        terminal.expect(b"\r\n42\r\n")
        # kubectl sends its terminal's size at once, and again on SIGWINCH; the command sees it on its terminal.
        # Each size travels in a message of its own, so ask until it has arrived.
        terminal.send(b"import os\r")
        terminal.wait_for_size(b"101 31")
        terminal.resize(133, 41)
        terminal.wait_for_size(b"133 41")
        # Short sleeps forever: a SIGINT landing just before a long sleep's system call would wait for its end
        terminal.send(b"import time; print('sl' + 'eeping'); [time.sleep(0.05) for _ in iter(int, 1)]\r")
        terminal.expect(b"\r\nsleeping\r\n")  # running, so the terminal is back in the mode where ^C is a signal
        terminal.send(b"\x03")  # ^C reaches the command through its terminal
        terminal.expect(b"KeyboardInterrupt")
        terminal.expect(b">>> ")
        terminal.send(b"exit(0)\r")  # (^D would exit 130 after a KeyboardInterrupt: CPython's own rule)
        assert terminal.process.wait(60) == 0, "kubectl ends with the command's exit code"
    finally:
        terminal.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_client_that_goes_away_stops_the_command(server, pod, transport):
    before = len(server.node.processes)
    kubectl_exec = subprocess.Popen(["kubectl", "--kubeconfig", str(server.kubeconfig), "exec", pod, "--",
                                     "sh", "-c", "echo started; exec sleep 600"], stdout=subprocess.PIPE,
                                    env=dict(os.environ, **TRANSPORTS[transport]))
    assert kubectl_exec.stdout.readline() == b"started\n"
    command = server.node.processes[before]
    kubectl_exec.kill()
    kubectl_exec.wait(30)
    wait_until(lambda: not os.path.exists(f"/proc/{command.pid}"), timeout=60, what="the command to stop")


# the Python client ------------------------------------------------------------------------------------------------
def test_client_exec_output_and_return_codes(core, pod):
    output = stream(core.connect_get_namespaced_pod_exec, pod, "default", command=["sh", "-c", "echo hi; echo e >&2"],
                    stderr=True, stdin=False, stdout=True, tty=False)
    assert output == "hi\ne\n"
    for code in (0, 3):
        resp = stream(core.connect_get_namespaced_pod_exec, pod, "default", command=["sh", "-c", f"exit {code}"],
                      stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
        resp.run_forever(timeout=60)
        assert resp.returncode == code


def test_client_exec_with_stdin_closed_by_the_v5_signal(core, pod):
    resp = stream(core.connect_get_namespaced_pod_exec, pod, "default", stderr=True, stdin=True, stdout=True,
                  tty=False, command=[PY, "-c", "import sys; data = sys.stdin.read(); print(len(data), data.upper())"],
                  _preload_content=False)
    assert resp.subprotocol == "v5.channel.k8s.io"
    resp.write_stdin("from the client\n")
    resp.close_channel(0)
    resp.run_forever(timeout=60)
    assert resp.read_stdout() == "16 FROM THE CLIENT\n\n" and resp.returncode == 0


def test_client_exec_tty_gets_the_size_sent_on_the_resize_channel(core, pod):
    resp = stream(core.connect_get_namespaced_pod_exec, pod, "default", stderr=False, stdin=True, stdout=True,
                  tty=True, command=[PY, "-c", "import os; input(); print('SIZE', *os.get_terminal_size())"],
                  _preload_content=False)
    resp.write_channel(4, json.dumps({"Width": 120, "Height": 50}))  # handled before the stdin that follows it
    resp.write_stdin("\r")
    resp.run_forever(timeout=60)
    assert "SIZE 120 50" in resp.read_stdout() and resp.returncode == 0


def test_client_exec_a_command_that_does_not_exist(core, pod):
    resp = stream(core.connect_get_namespaced_pod_exec, pod, "default", command=["nosuch"], stderr=True, stdin=False,
                  stdout=True, tty=False, _preload_content=False)
    resp.run_forever(timeout=60)
    status = json.loads(resp.read_channel(3))
    assert status["reason"] == "InternalError" and status["code"] == 500
    assert re.fullmatch(NOT_FOUND.replace("error: ", "", 1).rstrip("\n"), status["message"])


@pytest.mark.parametrize("container, pod_name, message", [
    ("nope", "shell", "container nope is not valid for pod shell"),
    (None, "pending", "pod pending does not have a host assigned"),
    (None, "ghost", 'pods \\"ghost\\" not found'),  # the JSON body, escaped quotes and all
])
def test_client_exec_refusals_are_the_api_servers_status(core, pod, container, pod_name, message):
    kwargs = {"container": container} if container else {}
    with pytest.raises(ApiException) as caught:
        stream(core.connect_get_namespaced_pod_exec, pod_name, "default", command=["true"], stderr=True,
               stdin=False, stdout=True, tty=False, **kwargs)
    assert message in str(caught.value)
