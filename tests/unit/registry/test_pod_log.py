"""Registry.pod_log in process: what kube-apiserver does around the node's answer (its Status for each kind of
refusal, before the first byte and while streaming), and the simulated node's refusals of exec and friends."""
import asyncio

import pytest

from sandbox.controllers.simulated_node import SimulatedNode
from sandbox.machinery.errors import StatusError
from sandbox.registry.kubelet_connection import LogOptions, NodeError
from tests.unit.registry.kinds import rt

RUNNING = {"running": {"startedAt": "2026-01-01T10:00:00Z"}}


class ScriptedNode:
    """Refuses at once (`refuse`), or yields `chunks` and then fails with `fail` (NodeError or None)."""

    def __init__(self, refuse=None, chunks=(), fail=None):
        self.refuse, self.chunks, self.fail, self.closed = refuse, chunks, fail, False

    def logs(self, pod, container, options):
        if self.refuse:
            raise self.refuse
        return self._stream()

    async def _stream(self):
        try:
            for chunk in self.chunks:
                yield chunk
            if self.fail:
                raise self.fail
        finally:
            self.closed = True


@pytest.fixture
def pod(registry):
    registry.create(rt("pods"), "default", {"metadata": {"name": "web"}, "spec": {
        "nodeName": "sandbox-worker", "containers": [{"name": "api", "image": "nginx"}]}})
    return registry


def read(registry, **kw):
    async def run():
        return b"".join([chunk async for chunk in registry.pod_log("default", "web", **kw)])
    return asyncio.run(run())


@pytest.mark.parametrize("error, code, reason, message", [
    (NodeError('container "api" in pod "web" is waiting to start: ContainerCreating'), 400, "BadRequest",
     'container "api" in pod "web" is waiting to start: ContainerCreating'),
    (NodeError("failed to get container status", 500), 500, "InternalError",
     "Internal error occurred: failed to get container status"),
    (NodeError('pod "web" does not exist', 404), 404, "NotFound",
     "the server could not find the requested resource ( pods/log web)"),
])
def test_the_nodes_refusals_become_the_apiservers_status(pod, error, code, reason, message):
    for node in (ScriptedNode(refuse=error), ScriptedNode(chunks=[b"partial "], fail=error)):
        pod.kubelet = node
        with pytest.raises(StatusError) as caught:
            read(pod)
        assert (caught.value.code, caught.value.reason, caught.value.message) == (code, reason, message)
    assert node.closed


def test_without_a_node_or_a_kubelet(registry):
    registry.create(rt("pods"), "default", {"metadata": {"name": "web"}, "spec": {
        "containers": [{"name": "api", "image": "nginx"}]}})
    assert read(registry) == b""  # not scheduled: nothing to read
    registry.bind("default", "web", "elsewhere")  # what the scheduler writes
    with pytest.raises(StatusError, match='nodes "elsewhere" not found'):
        read(registry)


def test_options_reach_the_node_and_are_validated_first(pod):
    seen = []

    class Recording:
        def logs(self, pod, container, options):
            seen.append((container, options))
            return ScriptedNode(chunks=[b"x"])._stream()
    pod.kubelet = Recording()
    assert read(pod, options=LogOptions(tail_lines=3, timestamps=True)) == b"x"
    assert seen == [("api", LogOptions(tail_lines=3, timestamps=True))]
    with pytest.raises(StatusError) as caught:
        pod.pod_log("default", "nope", options=LogOptions(limit_bytes=0))
    assert caught.value.code == 422  # before the pod is looked up


def test_the_simulated_node_refuses_what_needs_a_process():
    node = SimulatedNode(lambda namespace, name: None)
    pod = {"metadata": {"name": "web", "namespace": "default", "uid": "u"}}

    async def refusals():
        messages = []
        for call in (node.exec(pod, "api", ["sh"], stdin=False, tty=False), node.attach(pod, "api", stdin=True,
                                                                                          tty=True),
                     node.port_forward(pod, 80)):
            with pytest.raises(NodeError) as caught:
                await call
            messages.append(caught.value.message)
        return messages
    exec_message, attach_message, forward_message = asyncio.run(refusals())
    assert exec_message == attach_message == ('container "api" in pod "web" is simulated in the workshop sandbox and '
                                              "has no process (its image is not one the sandbox runs)")
    assert forward_message.startswith('pod "web" is simulated in the workshop sandbox: no process listens on port 80')


def test_a_simulated_follow_ends_when_the_container_stops():
    pod = {"metadata": {"name": "web", "namespace": "default", "uid": "u"},
           "spec": {"containers": [{"name": "api", "image": "redis:7.4"}]},
           "status": {"containerStatuses": [{"name": "api", "containerID": "containerd://1", "state": RUNNING}]}}
    current = {"pod": pod}
    node = SimulatedNode(lambda namespace, name: current["pod"], check_seconds=0.01)

    async def follow():
        stream = node.logs(pod, "api", LogOptions(follow=True, tail_lines=1))
        first = await stream.__anext__()
        pending = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.05)
        assert not pending.done()  # still open while the container runs
        current["pod"] = None  # the pod is gone
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(pending, 5)
        return first
    assert b"Ready to accept connections" in asyncio.run(follow())
