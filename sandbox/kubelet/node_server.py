"""The kubelet's server as the API server reaches it (registry.kubelet, the KubeletConnection of
sandbox/registry/kubelet_connection.py) when containers run as processes: logs from the containers' log files,
commands run inside a running container (exec, with the container's environment, working directory and pod
network), the main process's streams (attach), and TCP connections to the pod's ports (port-forward, through the
pod network).

Pods and containers that run no process (simulated ones) are answered by the simulated node, as before."""
from __future__ import annotations

import asyncio
from typing import AsyncIterator

from sandbox.kubelet.attach import attach_to
from sandbox.registry.kubelet_connection import ContainerProcess, LogOptions, NodeError
from sandbox.runtime import exec_process, log_status


class ProcessNodeConnection:
    runs_processes = True  # GET /simulation/v1/runtime says "process": helpers send real traffic

    def __init__(self, runtime, simulated):
        self.runtime, self.simulated = runtime, simulated

    def _runner(self, pod: dict, container: str):
        worker = self.runtime.workers.get(pod["metadata"].get("uid"))
        if worker is None:
            return None
        runner = worker.runners.get(container)
        if runner is None or runner.record.simulated:
            return None
        return runner

    # logs -------------------------------------------------------------------------------------------------------
    def logs(self, pod: dict, container: str, options: LogOptions) -> AsyncIterator[bytes]:
        runner = self._runner(pod, container)
        if runner is None:
            return self.simulated.logs(pod, container, options)
        target = log_status.log_target(pod, container, previous=options.previous)  # the kubelet's refusals
        return self.runtime.logs.read(target.container_id, options)

    # exec and attach --------------------------------------------------------------------------------------------
    async def exec(self, pod: dict, container: str, command: list[str], *, stdin: bool,
                   tty: bool) -> ContainerProcess:
        runner = self._runner(pod, container)
        if runner is None:
            return await self.simulated.exec(pod, container, command, stdin=stdin, tty=tty)
        if not runner.record.running or runner.launch is None:
            raise NodeError(f'container not found ("{container}")')
        argv = runner.worker.exec_argv(runner, command)
        launch = runner.launch
        process = await exec_process.start(argv, launch.env, launch.cwd, stdin=stdin, tty=tty)
        self.runtime.processes.track(process.pid, process.wait())  # the reaper knows it too
        return process

    async def attach(self, pod: dict, container: str, *, stdin: bool, tty: bool) -> ContainerProcess:
        runner = self._runner(pod, container)
        if runner is None:
            return await self.simulated.attach(pod, container, stdin=stdin, tty=tty)
        if not runner.record.running or runner.process is None:
            raise NodeError(f'container not found ("{container}")')
        return attach_to(runner.process, stdin=stdin and bool(runner.record.spec.get("stdin")))

    # port-forward -----------------------------------------------------------------------------------------------
    async def port_forward(self, pod: dict, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        network = self.runtime.network
        worker = self.runtime.workers.get(pod["metadata"].get("uid"))
        if network is None or worker is None or all(r.simulated for r in worker.records):
            return await self.simulated.port_forward(pod, port)
        try:
            return await network.open_connection(worker.pod_ip, port, timeout=5.0)
        except OSError as e:
            # the kubelet's words when nothing listens in the pod on that port
            raise NodeError(f"error forwarding port {port} to pod {pod['metadata']['uid']}, uid : failed to "
                            f"execute portforward in network namespace: failed to connect to localhost:{port} "
                            f"inside namespace: {e.strerror or e}", 500) from None


