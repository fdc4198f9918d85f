"""pods/log end to end for content only the process runtime writes: real kubectl and the official client against
the real app, whose node is a double reading real CRI log files (sandbox/runtime/container_logs.py) the way the
process kubelet will: every option, --previous, -f streaming until the process exits, several containers, the
kubelet's refusals."""
import re
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest

from sandbox.runtime.container_logs import ContainerLogs
from sandbox.runtime.log_status import log_target
from tests.sandbox.in_process import InProcessServer
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox
HOUR_NS = 3600 * 1_000_000_000


class FileNode:
    """A KubeletConnection whose logs are the files a process kubelet keeps."""

    def __init__(self, files: ContainerLogs):
        self.files = files

    def logs(self, pod, container, options):
        return self.files.read(log_target(pod, container, previous=options.previous).container_id, options)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    return FileNode(ContainerLogs(tmp_path_factory.mktemp("logs")))


@pytest.fixture(scope="module")
def server(tmp_path_factory, node):
    server = InProcessServer(tmp_path_factory.mktemp("apiserver"), node).start()
    yield server
    server.stop()


def running(name, container_id, **extra):
    return {"name": name, "image": "containo-orders:dev", "imageID": "", "ready": True, "started": True,
            "restartCount": extra.pop("restarts", 0), "containerID": container_id,
            "state": {"running": {"startedAt": "2026-01-01T10:00:00Z"}}, **extra}


def make_pod(server, name, *statuses):
    spec = {"nodeName": "sandbox-worker", "containers": [{"name": s["name"], "image": "containo-orders:dev"}
                                                         for s in statuses]}
    server.put_pod({"metadata": {"name": name}, "spec": spec}, {"phase": "Running", "containerStatuses": list(statuses)})
    return {"metadata": {"name": name, "namespace": "default", "uid": name}}


def open_log(server, node, pod, container, restart, container_id):
    return server.on_loop(node.files.open, pod, container, restart, container_id)


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_kubectl_applies_every_option_to_a_log_file(server, node):
    pod = make_pod(server, "web", running("api", "containerd://web-0"))
    log = open_log(server, node, pod, "api", 0, "containerd://web-0")
    log.now_ns = lambda: time.time_ns() - 2 * HOUR_NS  # a line from two hours ago
    server.on_loop(log.write, "stdout", b"old line\n")
    log.now_ns = time.time_ns
    server.on_loop(log.write, "stdout", b"one\ntw")
    server.on_loop(log.write, "stdout", b"o\n")
    server.on_loop(log.write, "stderr", b"warn\n")
    k = server.kubectl
    assert ok(k("logs", "web")) == "old line\none\ntwo\nwarn\n"
    assert ok(k("logs", "web", "-c", "api", "--tail=2")) == "two\nwarn\n"
    assert ok(k("logs", "web", "--since=1h")) == "one\ntwo\nwarn\n"
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ok(k("logs", "web", f"--since-time={future}")) == ""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z warn\n", ok(k("logs", "web", "--timestamps",
                                                                                 "--tail=1")))
    assert ok(k("logs", "web", "--limit-bytes=5")) == "old l"


def test_previous_reads_the_instance_before(server, node):
    died = {"exitCode": 1, "reason": "Error", "containerID": "containerd://crash-0",
            "startedAt": "2026-01-01T09:00:00Z", "finishedAt": "2026-01-01T09:59:00Z"}
    pod = make_pod(server, "crash", running("api", "containerd://crash-1", restarts=1, lastState={"terminated": died}))
    for restart in (0, 1):
        log = open_log(server, node, pod, "api", restart, f"containerd://crash-{restart}")
        server.on_loop(log.write, "stdout", f"instance {restart}\n".encode())
    assert ok(server.kubectl("logs", "crash", "--previous")) == "instance 0\n"
    assert ok(server.kubectl("logs", "crash")) == "instance 1\n"
    make_pod(server, "fresh", running("api", "containerd://fresh-0"))
    refused = server.kubectl("logs", "fresh", "--previous")
    assert refused.returncode == 1
    assert refused.stderr.strip() == ('Error from server (BadRequest): previous terminated container "api" in pod '
                                      '"fresh" not found')


def test_follow_streams_until_the_process_exits(server, node):
    pod = make_pod(server, "tail", running("api", "containerd://tail-0"))
    log = open_log(server, node, pod, "api", 0, "containerd://tail-0")
    server.on_loop(log.write, "stdout", b"first\n")
    follower = subprocess.Popen(["kubectl", "--kubeconfig", str(server.kubeconfig), "logs", "-f", "tail"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert follower.stdout.readline() == "first\n"
        server.on_loop(log.write, "stdout", b"second\n")
        assert follower.stdout.readline() == "second\n"  # arrives while kubectl keeps the stream open
        assert follower.poll() is None
        server.on_loop(log.write, "stderr", b"bye")
        server.on_loop(log.close)  # the process exits: the rest, then the end of the stream
        assert follower.wait(30) == 0
        assert follower.stdout.read() == "bye"
    finally:
        follower.kill()


def test_a_follower_that_leaves_lets_go_of_the_log(server, node):
    pod = make_pod(server, "quiet", running("api", "containerd://quiet-0"))
    log = open_log(server, node, pod, "api", 0, "containerd://quiet-0")
    follower = subprocess.Popen(["kubectl", "--kubeconfig", str(server.kubeconfig), "logs", "-f", "quiet"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: server.on_loop(lambda: log.followers) == 1, what="kubectl following the quiet log")
    follower.kill()  # the client goes away while nothing is written
    follower.wait(30)
    wait_until(lambda: server.on_loop(lambda: log.followers) == 0, timeout=30, what="the server to stop reading")


def test_all_containers_with_their_prefix(server, node):
    pod = make_pod(server, "duo", running("api", "containerd://duo-api"), running("validator", "containerd://duo-v"))
    for container, cid in (("api", "containerd://duo-api"), ("validator", "containerd://duo-v")):
        log = open_log(server, node, pod, container, 0, cid)
        server.on_loop(log.write, "stdout", f"hello from {container}\n".encode())
    out = ok(server.kubectl("logs", "duo", "--all-containers", "--prefix"))
    assert sorted(out.splitlines()) == ["[pod/duo/api] hello from api", "[pod/duo/validator] hello from validator"]
    defaulted = server.kubectl("logs", "duo")  # kubectl picks the first container itself, and says so
    assert (defaulted.stdout, defaulted.stderr) == ("hello from api\n", 'Defaulted container "api" out of: api, '
                                                                         'validator\n')


def test_the_kubelets_refusals_reach_kubectl_as_the_apiserver_passes_them(server, node):
    waiting = {"name": "api", "image": "x", "imageID": "", "ready": False, "started": False, "restartCount": 0,
               "state": {"waiting": {"reason": "CreateContainerConfigError",
                                     "message": 'configmap "settings" not found'}}}
    make_pod(server, "config", waiting)
    refused = server.kubectl("logs", "config")
    assert refused.stderr.strip() == ('Error from server (BadRequest): container "api" in pod "config" is waiting '
                                      'to start: CreateContainerConfigError')
    make_pod(server, "lost", running("api", "containerd://never-written"))
    broken = server.kubectl("logs", "lost")
    assert broken.stderr.strip().startswith('Error from server (InternalError): Internal error occurred: failed to '
                                            'get container status "containerd://never-written"')


def test_the_python_client_reads_streams_and_follows(server, node):
    from kubernetes import client
    pod = make_pod(server, "client", running("api", "containerd://client-0"))
    log = open_log(server, node, pod, "api", 0, "containerd://client-0")
    server.on_loop(log.write, "stdout", b"out\n")
    server.on_loop(log.write, "stderr", b"err\n")
    with server.api_client() as api:
        core = client.CoreV1Api(api)
        assert core.read_namespaced_pod_log("client", "default") == "out\nerr\n"
        assert core.read_namespaced_pod_log("client", "default", stream="Stderr") == "err\n"
        assert core.read_namespaced_pod_log("client", "default", tail_lines=1, timestamps=True).endswith(" err\n")
        response = core.read_namespaced_pod_log("client", "default", follow=True, _preload_content=False)
        chunks = response.stream(amt=None)
        seen = next(chunks)
        server.on_loop(log.write, "stdout", b"later\n")
        while b"later" not in seen:
            seen += next(chunks)
        server.on_loop(log.close)
        rest = b"".join(chunks)  # ends once the process has exited
        assert seen + rest == b"out\nerr\nlater\n"
        response.release_conn()
    wait_until(lambda: server.on_loop(lambda: log.closed), what="the writer closed")
