"""The sandbox's real HTTPS app for exec, attach and port-forward tests, with a test double of the node.

`StreamServer` runs sandbox.api.server.make_app over a real Registry and Store on 127.0.0.1:0, with the
sandbox's TLS files and a kubeconfig, in a thread with its own event loop (kubectl and the official client run
in the test's thread and block). No controllers run: tests create pods already bound to a node and write their
phase through the status subresource.

`FakeNode` stands in for the kubelet (registry.kubelet): exec runs the command as a local process through
sandbox/runtime/exec_process.py; attach runs the container's own command the same way; port-forward connects to
the TCP servers the test starts (`node.ports[pod_port] = local_port`), and refuses with containerd's words when
nothing listens."""
from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from pathlib import Path

from aiohttp import web

from sandbox import kubeconfig, tls
from sandbox.api.server import make_app
from sandbox.clock import Clock
from sandbox.registry.bootstrap import bootstrap
from sandbox.registry.kubelet_connection import NodeError
from sandbox.registry.rest import Registry
from sandbox.runtime import exec_process
from sandbox.storage.store import Store

NODE = "sandbox-worker"
START_TIMEOUT = 60.0


def refused(port: int) -> NodeError:
    """containerd's words when nothing listens on the pod's port."""
    return NodeError(f'failed to execute portforward in network namespace "/var/run/netns/cni-test": failed to '
                     f'connect to localhost:{port} inside namespace "test", IPv4: dial tcp4 127.0.0.1:{port}: '
                     f'connect: connection refused IPv6 dial tcp6 [::1]:{port}: connect: connection refused ', 500)


class FakeNode:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.ports: dict[int, int] = {}
        self.exec_calls: list[tuple[str, str, list[str], bool, bool]] = []
        self.processes: list[exec_process.ExecProcess] = []

    def env(self, pod: dict, container: str) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(self.workdir), "LANG": "C.UTF-8",
                "HOSTNAME": pod["metadata"]["name"], "CONTAINER_NAME": container, "PYTHONUNBUFFERED": "1"}

    def logs(self, pod, container, options):
        raise NodeError("logs are not part of these tests")

    async def exec(self, pod: dict, container: str, command: list[str], *, stdin: bool, tty: bool):
        self.exec_calls.append((pod["metadata"]["name"], container, command, stdin, tty))
        process = await exec_process.start(command, self.env(pod, container), str(self.workdir), stdin=stdin, tty=tty)
        self.processes.append(process)
        return process

    async def attach(self, pod: dict, container: str, *, stdin: bool, tty: bool):
        spec = next(c for c in pod["spec"]["containers"] if c["name"] == container)
        command = [*(spec.get("command") or []), *(spec.get("args") or [])]
        return await exec_process.start(command, self.env(pod, container), str(self.workdir), stdin=stdin, tty=tty)

    async def port_forward(self, pod: dict, port: int):
        target = self.ports.get(port)
        if target is None:
            raise refused(port)
        try:
            return await asyncio.open_connection("127.0.0.1", target)
        except ConnectionRefusedError:
            raise refused(port) from None


class StreamServer:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.kubeconfig = workdir / "kubeconfig"
        self.node = FakeNode(workdir)
        self.loop = asyncio.new_event_loop()
        self.registry: Registry | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="stream-server", daemon=True)

    def start(self) -> "StreamServer":
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT) or self._error:
            raise RuntimeError(f"the stream server did not start: {self._error!r}")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as e:  # reported to start()
            self._error = e
            self._ready.set()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        files = tls.generate()
        self.registry = Registry(Store(), Clock())
        bootstrap(self.registry)
        self.registry.kubelet = self.node
        token = "stream-test-token"
        runner = web.AppRunner(make_app(self.registry, token), handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=files.server_context())
        await site.start()
        self.url = f"https://127.0.0.1:{runner.addresses[0][1]}"
        kubeconfig.write(self.kubeconfig, self.url, files.ca_pem, token)
        self._ready.set()
        await self._stop.wait()
        for process in self.node.processes:
            process.terminate()
        await runner.cleanup()

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def run(self, coroutine, timeout: float = 60.0):
        """Run a coroutine on the server's loop (to start TCP servers the node forwards to) and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    # clients ------------------------------------------------------------------------------------------------------
    def kubectl(self, *args: str, input: str | bytes | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess:
        text = not isinstance(input, bytes)
        return subprocess.run(["kubectl", "--kubeconfig", str(self.kubeconfig), *args], input=input,
                              capture_output=True, text=text, timeout=timeout)

    def kubectl_popen(self, *args: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(["kubectl", "--kubeconfig", str(self.kubeconfig), *args], **kwargs)

    def api_client(self):
        from kubernetes import config
        return config.new_client_from_config(config_file=str(self.kubeconfig), context="workshop-sandbox")


# helpers shared by the test modules (their `server` fixture is in conftest.py) ------------------------------------------------------------------
def create_pod(server: StreamServer, name: str, containers=None, *, labels=None, node: str | None = NODE,
               phase: str = "Running") -> dict:
    """A pod bound to `node` with `phase` written through the status subresource (no controllers run here)."""
    from kubernetes import client
    containers = containers or [{"name": "app", "image": "python:3.11", "command": ["sleep", "3600"],
                                 "ports": [{"name": "http", "containerPort": 80}]}]
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": containers, **({"nodeName": node} if node else {})}}
    with server.api_client() as api_client:
        core = client.CoreV1Api(api_client)
        core.create_namespaced_pod("default", body)
        if phase:
            core.patch_namespaced_pod_status(name, "default", {"status": {"phase": phase}})
        return core.read_namespaced_pod(name, "default").to_dict()


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send back everything, then close once the client has sent its last byte."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def _start_echo_server() -> int:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    return server.sockets[0].getsockname()[1]


def echo_server(server: StreamServer) -> int:
    """A TCP echo server on the stream server's loop: its local port."""
    return server.run(_start_echo_server())
