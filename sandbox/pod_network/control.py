"""The pod network's control socket: a unix socket served in the sandbox's loop, on which the network layer of
a pod process registers a bind before bind() returns, and unregisters it when the socket closes. One JSON line
each way per connection, answered at once:

    {"op": "bind", "ip": "10.244.1.5", "port": 80, "reach": "lp", "real": 40123, "family": 4,
     "uid": "<pod uid>", "owner": "<container>", "pid": 4242}       -> {"ok": true} | {"errno": 98}
    {"op": "unbind", "ip": "10.244.1.5", "port": 80, "real": 40123, "uid": "<pod uid>"}  -> {"ok": true}

A unix socket's path must fit in about 100 bytes (sun_path): PodNetwork keeps it in a short directory."""
from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
from typing import Callable

log = logging.getLogger(__name__)
MAX_REQUEST = 64 * 1024


class _Request(asyncio.Protocol):
    def __init__(self, handle: Callable[[dict], dict]):
        self.handle = handle
        self.buffer = b""
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if b"\n" not in self.buffer:
            if len(self.buffer) > MAX_REQUEST:
                self.transport.close()
            return
        line = self.buffer.partition(b"\n")[0]
        try:
            reply = self.handle(json.loads(line))
        except (ValueError, KeyError, TypeError) as e:
            reply = {"errno": errno.EINVAL, "error": f"bad request: {e}"}
        except Exception:  # never let a pod's request take the sandbox down
            log.exception("pod network control request failed: %r", line[:200])
            reply = {"errno": errno.EIO, "error": "internal error"}
        self.transport.write(json.dumps(reply).encode() + b"\n")
        self.transport.close()


class ControlServer:
    def __init__(self, path: str, handle: Callable[[dict], dict]):
        self.path, self.handle = path, handle
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        if os.path.exists(self.path):
            os.unlink(self.path)  # left by a sandbox that was killed
        self._server = await asyncio.get_running_loop().create_unix_server(lambda: _Request(self.handle), self.path)
        os.chmod(self.path, 0o600)  # other users of a shared machine must not register ports

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
