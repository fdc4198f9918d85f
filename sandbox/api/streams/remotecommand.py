"""One exec or attach, whatever carries it (WebSocket channels or SPDY streams): the client's stdin, terminal
size and departure go to the ContainerProcess; its stdout and stderr go to the client; the end is a Status.

    session = CommandSession(process, options, attach=False)
    (the wire protocol calls session.write_stdin(data), .close_stdin(), .resize(w, h), .client_gone())
    status = await session.run(send_stdout, send_stderr)   # None when the client went away first

The Status is what the kubelet and kube-apiserver write on the error stream: Success; for exec, NonZeroExitCode
with the ExitCode cause; for attach always Success (the kubelet reports no exit code for attach). A node that
cannot serve the request (NodeError) becomes an InternalError worded by `node_failure`."""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from sandbox.api.streams import channels
from sandbox.registry.kubelet_connection import ContainerProcess, NodeError
from sandbox.registry.pod_connections import StreamOptions

READ_SIZE = 32 * 1024  # what the kubelet's io.Copy reads at a time
OUTPUT_GRACE = 2.0  # seconds without output after the command exited before its output counts as ended

Send = Callable[[bytes], Awaitable[None]]  # raises ConnectionError once the client is gone


def node_failure(error: NodeError, *, attach: bool, translated: bool) -> dict:
    """The error-stream Status for a node that could not run the command.

    A NodeError with code 500 means the kubelet got as far as starting it (the runtime's message): the kubelet
    wraps it ("error executing command in container: ...") in an InternalError. A 4xx is the kubelet refusing
    the request itself, which kube-apiserver's stream translator (v5) sees as a failed SPDY upgrade. The
    translator wraps whatever it got in one more InternalError, hence kubectl's doubled prefix on a real
    cluster: `Internal error occurred: Internal error occurred: error executing command in container: ...`."""
    if error.code >= 500:
        what = "error attaching to container" if attach else "error executing command in container"
        status = channels.internal_error(f"{what}: {error.message}")
        return channels.internal_error(status["message"]) if translated else status
    return channels.internal_error(f"unable to upgrade connection: {error.message}")


class CommandSession:
    def __init__(self, process: ContainerProcess, options: StreamOptions, *, attach: bool):
        self.process, self.options, self.attach = process, options, attach
        self._gone = asyncio.Event()
        self._stdin_open = process.stdin is not None
        self._last_output = 0.0  # loop time of the last chunk read from the command
        self._sending = 0  # pumps waiting for the client to take a chunk

    # from the client ------------------------------------------------------------------------------------------
    async def write_stdin(self, data: bytes) -> None:
        if not self._stdin_open or not data:
            return
        try:
            self.process.stdin.write(data)
            await self.process.stdin.drain()
        except (ConnectionError, RuntimeError):  # the command closed its stdin or has exited
            self._stdin_open = False

    def close_stdin(self) -> None:
        """The client sent its last stdin byte (v5 close signal, SPDY FIN): EOF for the command."""
        if self._stdin_open:
            self._stdin_open = False
            try:
                self.process.stdin.close()
            except (ConnectionError, RuntimeError):
                pass

    def resize(self, width: int, height: int) -> None:
        if self.options.tty:
            self.process.resize(width, height)

    def client_gone(self) -> None:
        self._gone.set()

    # to the client --------------------------------------------------------------------------------------------
    async def run(self, send_stdout: Send, send_stderr: Send) -> dict | None:
        """Pump output until the command has exited and its output is drained; the Status to report, or None
        when the client went away first (the command is then terminated, or for attach, detached from)."""
        pumps = [asyncio.create_task(self._pump(self.process.stdout, send_stdout if self.options.stdout else None))]
        if self.process.stderr is not None:
            wanted = self.options.stderr and not self.options.tty
            pumps.append(asyncio.create_task(self._pump(self.process.stderr, send_stderr if wanted else None)))
        exited = asyncio.create_task(self.process.wait())
        gone = asyncio.create_task(self._gone.wait())
        try:
            await asyncio.wait({exited, gone}, return_when=asyncio.FIRST_COMPLETED)
            if not exited.done():
                return None
            await self._drain(pumps)
            if self._gone.is_set():
                return None
            code = exited.result()
            return channels.success() if self.attach or code == 0 else channels.exit_code_status(code)
        finally:
            if not exited.done():  # the client left first, or the server is stopping
                self.process.terminate()
            for task in (*pumps, exited, gone):
                if not task.done():
                    task.cancel()

    async def _drain(self, pumps: list[asyncio.Task]) -> None:
        """After the exit: the output to its end, however slowly the client takes it. Only a command whose
        output stays open without a byte for OUTPUT_GRACE (a background child holding its stdout, as `sleep 60 &`
        does) ends sooner; the rest of that output is not the command's."""
        loop = asyncio.get_running_loop()
        while True:
            _, pending = await asyncio.wait(pumps, timeout=OUTPUT_GRACE)
            if not pending or self._gone.is_set():
                return
            if not self._sending and loop.time() - self._last_output >= OUTPUT_GRACE:
                return

    async def _pump(self, reader: asyncio.StreamReader, send: Send | None) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                chunk = await reader.read(READ_SIZE)
                if not chunk:
                    return
                self._last_output = loop.time()
                if send is not None:  # output nobody asked for is read and dropped, never left to block
                    self._sending += 1
                    try:
                        await send(chunk)
                    finally:
                        self._sending -= 1
        except ConnectionError:
            self._gone.set()
