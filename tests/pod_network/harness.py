"""Pods whose containers are real processes, on the rootless pod network, for the integration tests: an
in-process Registry and Store with the real ControllerManager (3 simulated nodes: the scheduler, the
EndpointSlice and service controllers run; the pods here are bound to a node no simulated kubelet runs, so
their IP and readiness are what the test writes through the status subresource, as the process kubelet will;
that Node exists, so the pod GC leaves its pods alone, and they tolerate the taints the node lifecycle controller
gives a node whose kubelet posts nothing),
a started PodNetwork, and Python processes launched with sys.executable and pod_environment(). Every process is
started in its own session and killed with its group at the end; every wait is on a condition."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import textwrap
from pathlib import Path

from sandbox.pod_network import PodNetwork
from tests.unit.controllers.harness import Cluster, rt

PROCESS_NODE = "process-node"  # no simulated kubelet runs it: the test is the kubelet
WAIT = 60.0  # generous: a shared 2-core machine can be slow to start Python


def http_pod(name: str, labels: dict, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"nodeName": PROCESS_NODE, "tolerations": [{"operator": "Exists"}], "containers": [
                {"name": "main", "image": "python:3.11", "ports": [{"name": "http", "containerPort": 80}]}], **spec}}


class Lab:
    def __init__(self, time_scale: float = 50.0):
        self.cluster = Cluster(time_scale=time_scale)
        self.registry = self.cluster.registry
        self.network = PodNetwork(self.registry, self.cluster.clock)
        self.processes: list[asyncio.subprocess.Process] = []
        self._dirs: list[tempfile.TemporaryDirectory] = []

    async def __aenter__(self) -> "Lab":
        await self.cluster.__aenter__()
        self.cluster.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": PROCESS_NODE}}, None)
        await self.network.start()
        return self

    async def __aexit__(self, *exc) -> None:
        for proc in self.processes:
            await self.kill(proc)
        await self.network.stop()
        await self.cluster.__aexit__(*exc)
        for directory in self._dirs:
            directory.cleanup()

    # the cluster ----------------------------------------------------------------------------------------------
    def pod(self, name: str, ip: str, labels: dict | None = None, namespace: str = "default", ready: bool = True,
            **spec) -> dict:
        """A pod with `ip`, Running and (not) Ready, as its kubelet would report it."""
        created = self.cluster.create("pods", http_pod(name, labels or {"app": name}, **spec), namespace)
        return self.set_status(created, ip, ready)

    def namespace(self, name: str) -> None:
        self.cluster.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, None)

    def set_status(self, pod: dict, ip: str, ready: bool) -> dict:
        meta = pod["metadata"]
        status = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": "172.18.0.3",
                  "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
        current = self.registry.get(rt("pods"), meta["namespace"], meta["name"])
        return self.registry.update(rt("pods"), meta["namespace"], meta["name"], {**current, "status": status},
                                    subresource="status")

    def set_ready(self, pod: dict, ready: bool) -> dict:
        return self.set_status(pod, pod["status"]["podIP"], ready)

    def service(self, name: str, selector: dict, ports: list[dict], namespace: str = "default", **spec) -> dict:
        body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                "spec": {"selector": selector, "ports": ports, **spec}}
        return self.cluster.create("services", body, namespace)

    async def wait_for(self, condition, what: str, timeout: float = WAIT):
        return await self.cluster.wait_for(condition, timeout, what)

    async def wait_rotation(self, namespace: str, service: str, port_name: str, size: int) -> None:
        def rotation():
            proxy = self.network.proxies.get((namespace, service, port_name))
            return proxy is not None and len(proxy.endpoints) == size
        await self.wait_for(rotation, f"{namespace}/{service} with {size} endpoints in its rotation")

    # processes ------------------------------------------------------------------------------------------------
    def environment(self, pod: dict, container: str = "main") -> dict:
        env = dict(os.environ, **self.network.pod_environment(pod, pod["status"]["podIP"], container))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [env["PYTHONPATH"], os.environ.get("PYTHONPATH")]))
        return env

    async def start(self, pod: dict, *argv: str, container: str = "main", cwd: str | None = None,
                    env: dict | None = None, log: str | None = None) -> asyncio.subprocess.Process:
        """A process of the pod's container; its output is piped, or goes to the file `log` (a server's, which
        nobody reads while it runs: a full pipe would stop it)."""
        output = open(log, "ab") if log else asyncio.subprocess.PIPE
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, cwd=cwd, env=env if env is not None else self.environment(pod, container),
                stdin=asyncio.subprocess.DEVNULL, stdout=output, stderr=output, start_new_session=True)
        finally:
            if log:
                output.close()
        self.processes.append(proc)
        return proc

    async def serve_http(self, pod: dict, port: int = 80, container: str = "main", bind: str | None = None,
                         whoami: str | None = None) -> asyncio.subprocess.Process:
        """`python -m http.server <port>` in the pod, serving /whoami (the pod's name, or `whoami`), once it
        answers."""
        directory = tempfile.TemporaryDirectory(prefix="pod-http-")
        self._dirs.append(directory)
        Path(directory.name, "whoami").write_text(whoami or pod["metadata"]["name"])
        argv = [sys.executable, "-m", "http.server", str(port)] + (["--bind", bind] if bind else [])
        log = str(Path(directory.name, "server.log"))
        proc = await self.start(pod, *argv, container=container, cwd=directory.name, log=log)
        await self.wait_listening(pod["status"]["podIP"], port, proc, loopback=bool(bind), log=log)
        return proc

    async def wait_listening(self, ip: str, port: int, proc=None, loopback: bool = False, log: str = "") -> None:
        async def answers() -> bool:
            real = self.network.real_address(ip, port, loopback=loopback)
            if real is None:
                return False
            try:
                _, writer = await asyncio.open_connection(*real)
            except OSError:
                return False
            writer.close()
            return True
        deadline = asyncio.get_running_loop().time() + WAIT
        while not await answers():
            if proc is not None and proc.returncode is not None:
                output = Path(log).read_text() if log else ""
                raise AssertionError(f"the server exited ({proc.returncode}): {output[-3000:]}")
            assert asyncio.get_running_loop().time() < deadline, f"nothing answers on {ip}:{port}"
            await asyncio.sleep(0.02)

    async def python(self, pod: dict, *code: str, container: str = "main", env: dict | None = None,
                     timeout: float = WAIT) -> dict:
        """Run the parts of `code` (each dedented) in the pod, like kubectl exec ... python; the program prints one
        JSON object, returned here."""
        program = "\n".join(textwrap.dedent(part) for part in code)
        proc = await self.start(pod, sys.executable, "-c", program, container=container, env=env)
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
        assert proc.returncode == 0, f"exit {proc.returncode}: {err.decode()[-3000:]}"
        return json.loads(out.decode().strip().splitlines()[-1])

    async def kill(self, proc: asyncio.subprocess.Process, sig: int = signal.SIGKILL) -> None:
        if proc.returncode is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        await asyncio.wait_for(proc.wait(), WAIT)
        if sig == signal.SIGKILL:
            try:  # anything the process started in its group
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


FETCH = """
import json, socket, urllib.request
def fetch(url):
    try:
        return urllib.request.urlopen(url, timeout=30).read().decode()
    except OSError as e:
        return f"{type(getattr(e, 'reason', e)).__name__}: {getattr(e, 'reason', e)}"
"""


async def two_web_pods(lab: Lab):
    """Pods web-0 and web-1 serving HTTP on port 80 behind Service web (port http); returns them and its IP."""
    web0 = lab.pod("web-0", "10.244.1.10", {"app": "web"})
    web1 = lab.pod("web-1", "10.244.2.10", {"app": "web"})
    service = lab.service("web", {"app": "web"}, [{"name": "http", "port": 80, "targetPort": "http"}])
    await asyncio.gather(lab.serve_http(web0), lab.serve_http(web1))
    await lab.wait_rotation("default", "web", "http", 2)
    return web0, web1, service["spec"]["clusterIP"]


def run(scenario):
    async def main():
        async with Lab() as lab:
            return await scenario(lab)
    return asyncio.run(main())
