"""The node connection (registry.kubelet, see registry/kubelet_connection.py) for containers that run no
process: their logs are the simulated records of sandbox/simulation/logs.py, served as a kubelet serves a log
file (every PodLogOptions field applies; with follow the stream stays open while the container runs, as it
would for a program that prints nothing more), and exec, attach and port-forward are refused with NodeError,
since there is nothing to run a command in or connect to. The process runtime's kubelet falls back to this for
the containers it does not run."""
from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator, Callable

from sandbox.registry.kubelet_connection import ContainerProcess, LogOptions, NodeError
from sandbox.runtime.log_format import LogRecord, LogRenderer, tail
from sandbox.runtime.log_status import LogTarget, container_status, log_target
from sandbox.simulation.logs import simulated_entries

FOLLOW_CHECK_SECONDS = 1.0  # how often a follower looks whether the container still runs (wall-clock)


class SimulatedNode:
    """`get_pod(namespace, name)` gives the pod as stored now (None once it is gone): a follower ends when the
    instance it reads stops running."""
    runs_processes = False  # GET /simulation/v1/runtime says "simulated": helpers use the workload model

    def __init__(self, get_pod: Callable[[str, str], dict | None], *, check_seconds: float = FOLLOW_CHECK_SECONDS,
                 now_ns: Callable[[], int] = time.time_ns):
        self.get_pod, self.check_seconds, self.now_ns = get_pod, check_seconds, now_ns

    def logs(self, pod: dict, container: str, options: LogOptions) -> AsyncIterator[bytes]:
        target = log_target(pod, container, previous=options.previous)  # raises NodeError before any byte
        records = simulated_entries(pod, container, target.state)
        return self._stream(pod, container, target, records, options)

    async def _stream(self, pod: dict, container: str, target: LogTarget, records: list[LogRecord],
                      options: LogOptions) -> AsyncIterator[bytes]:
        renderer = LogRenderer(options, self.now_ns())
        chunk = b"".join(renderer.render(r) for r in tail(records, options.tail_lines))
        if chunk:
            yield chunk
        if not options.follow or renderer.done:
            return
        while self._still_running(pod, container, target):  # nothing more will be written: wait for the end
            await asyncio.sleep(self.check_seconds)

    def _still_running(self, pod: dict, container: str, target: LogTarget) -> bool:
        meta = pod["metadata"]
        now = self.get_pod(meta.get("namespace") or "", meta["name"])
        if now is None or now["metadata"].get("uid") != meta.get("uid"):
            return False
        status = container_status(now, container) or {}
        return "running" in (status.get("state") or {}) and status.get("containerID") == target.container_id

    async def exec(self, pod: dict, container: str, command: list[str], *, stdin: bool,
                   tty: bool) -> ContainerProcess:
        raise NodeError(_no_process(pod, container))

    async def attach(self, pod: dict, container: str, *, stdin: bool, tty: bool) -> ContainerProcess:
        raise NodeError(_no_process(pod, container))

    async def port_forward(self, pod: dict, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        raise NodeError(f'pod "{pod["metadata"]["name"]}" is simulated in the workshop sandbox: no process '
                        f"listens on port {port} (its images are not ones the sandbox runs)")


def _no_process(pod: dict, container: str) -> str:
    return (f'container "{container}" in pod "{pod["metadata"]["name"]}" is simulated in the workshop sandbox and '
            f"has no process (its image is not one the sandbox runs)")
