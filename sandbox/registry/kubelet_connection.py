"""What the API server asks of the node a pod runs on: its containers' logs, a command run inside one of them
(exec), the container's own streams (attach), and a TCP connection to one of the pod's ports (port-forward).

kube-apiserver reaches the kubelet over HTTPS for these (pkg/kubelet/server); in the sandbox the kubelet is an
object in the same process, set as `registry.kubelet` by the controller manager. The Registry checks the request
first (the pod exists, has a node, names a container it has: registry/pod_connections.py and the pods/log code),
then calls one of these methods; what the node says goes back to the client as kube-apiserver would pass it on.

    registry.kubelet.logs(pod, container, options)             -> async iterator of bytes (ends unless follow)
    registry.kubelet.exec(pod, container, command, stdin=, tty=) -> ContainerProcess
    registry.kubelet.attach(pod, container, stdin=, tty=)       -> ContainerProcess
    registry.kubelet.port_forward(pod, port)                    -> (asyncio.StreamReader, asyncio.StreamWriter)

Each raises NodeError with the kubelet's own words when it cannot do what is asked (the container is not
running, the pod is simulated and has no process, nothing listens on the port)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterator, Protocol


class NodeError(Exception):
    """The kubelet refused or failed: `message` is what it says; `code` the HTTP status the API server answers
    with (400 for a request the container cannot serve, 404 for something that is not there, 500 otherwise)."""

    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class LogOptions:
    """PodLogOptions as the API server hands them to the kubelet (already validated)."""
    follow: bool = False
    previous: bool = False
    since_seconds: int | None = None
    since_time: datetime | None = None  # timezone-aware
    timestamps: bool = False
    tail_lines: int | None = None
    limit_bytes: int | None = None
    stream: str = "All"  # All | Stdout | Stderr (the 1.32+ `stream` option; kubectl does not send it yet)


class ContainerProcess(Protocol):
    """A command running in a container (exec), or a container's main process (attach).

    With tty, `stderr` is None: the terminal carries both streams. `stdin` is None unless asked for."""
    stdin: asyncio.StreamWriter | None
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader | None

    def resize(self, width: int, height: int) -> None:
        """The terminal's new size (tty only; ignored otherwise)."""

    async def wait(self) -> int:
        """The exit code (for attach: the container's, once it stops)."""

    def terminate(self) -> None:
        """The client went away: stop the command (exec) or detach (attach)."""


class KubeletConnection(Protocol):
    def logs(self, pod: dict, container: str, options: LogOptions) -> AsyncIterator[bytes]:
        ...

    async def exec(self, pod: dict, container: str, command: list[str], *, stdin: bool,
                   tty: bool) -> ContainerProcess:
        ...

    async def attach(self, pod: dict, container: str, *, stdin: bool, tty: bool) -> ContainerProcess:
        ...

    async def port_forward(self, pod: dict, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        ...
