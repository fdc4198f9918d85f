"""`kubectl attach`: a client joins a running container's main process, sees its output from now on and, when
the container was created with `stdin: true`, writes to its standard input. Detaching (the client goes away)
leaves the process running."""
from __future__ import annotations

import asyncio

from sandbox.runtime.processes import ContainerProcess as RunningProcess


class Attachment:
    """The ContainerProcess protocol over a container's main process."""

    def __init__(self, process: RunningProcess, stdin: bool):
        self._process = process
        self.stdin = process.stdin if stdin else None
        self.stdout = asyncio.StreamReader()
        self.stderr: asyncio.StreamReader | None = asyncio.StreamReader()
        self._stop_listening = process.listen(self._output)
        self._closer = asyncio.create_task(self._close_at_exit())

    def _output(self, stream: str, data: bytes) -> None:
        target = self.stderr if stream == "stderr" and self.stderr is not None else self.stdout
        target.feed_data(data)

    async def _close_at_exit(self) -> None:
        await self._process.wait()
        self._finish()

    def _finish(self) -> None:
        self._stop_listening()
        for reader in (self.stdout, self.stderr):
            if reader is not None and not reader.at_eof():
                reader.feed_eof()

    def resize(self, width: int, height: int) -> None:
        """The container has no terminal here (see sandbox/README.md): nothing to resize."""

    async def wait(self) -> int:
        return await self._process.wait()

    def terminate(self) -> None:
        """Detach: stop sending output to this client; the container keeps running."""
        self._closer.cancel()
        self._finish()


def attach_to(process: RunningProcess, *, stdin: bool) -> Attachment:
    return Attachment(process, stdin)
