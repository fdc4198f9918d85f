"""The conversation between the sandbox and its zygote (sandbox/runtime/zygote.py is the sandbox's side,
zygote_server.py the zygote's): one unix stream socket pair, frames of a 4-byte length and a JSON object, and
the child's stdin/stdout/stderr passed alongside a spawn request as SCM_RIGHTS ancillary data.

    sandbox -> zygote   {"spawn": 7, "args": ["-m", "app.api"], "env": {...}, "cwd": "/srv", "stdio": [0, 1, 1],
                         "fds": 2}                         + 2 descriptors (stdio: an index into them, -1: /dev/null)
                        {"stop": true}                     kill every child, report them, exit
    zygote -> sandbox   {"ready": pid, "preloaded": 420, "seconds": 0.41, "errors": [], "environment": [...]}
                        {"refused": "why"}                 the zygote cannot serve (it has threads)
                        {"spawned": 7, "pid": 4242, "exec": null}     (or why the real interpreter runs it)
                        {"failed": 7, "errno": 2, "filename": "/srv", "stage": "chdir"}
                        {"exited": 4242, "returncode": -15, "cpu": 0.31}   (Popen's returncode; CPU seconds)

Why descriptors and not paths (named pipes) or inheritance: the sandbox makes the pipes, keeps its ends for its
asyncio streams, and the zygote, a process that already runs, needs the other ends; SCM_RIGHTS is the one way
to hand an open descriptor to a running process, and it works on Linux and macOS alike. Why a stream socket:
macOS has no SOCK_SEQPACKET socket pairs. On a stream the descriptors arrive with the first byte of the data
they were sent with, never after it, and frames are read in order: the reader queues descriptors as they come
and each frame takes its `fds` count from the front of the queue.
"""
from __future__ import annotations

import collections
import json
import os
import struct

HEADER = struct.Struct("!I")
MAX_FRAME = 16 * 1024 * 1024  # an environment of a few kilobytes; anything near this is a bug
MAX_FDS_PER_READ = 64


class ProtocolError(Exception):
    """The other side sent something that is not a frame of this protocol."""


def encode(message: dict) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    return HEADER.pack(len(body)) + body


class FrameReader:
    """Bytes (and descriptors) in, (message, descriptors) out, in order."""

    def __init__(self):
        self._buffer = bytearray()
        self._fds: collections.deque[int] = collections.deque()

    def feed(self, data: bytes, fds=()) -> None:
        self._buffer += data
        self._fds.extend(fds)

    def messages(self):
        """Every complete frame received so far, as (message, [descriptors it carries])."""
        while len(self._buffer) >= HEADER.size:
            (length,) = HEADER.unpack_from(self._buffer)
            if length > MAX_FRAME:
                raise ProtocolError(f"a frame of {length} bytes")
            if len(self._buffer) < HEADER.size + length:
                return
            body = bytes(self._buffer[HEADER.size:HEADER.size + length])
            del self._buffer[:HEADER.size + length]
            try:
                message = json.loads(body)
            except ValueError as error:
                raise ProtocolError(f"a frame that is not JSON: {error}") from None
            if not isinstance(message, dict):
                raise ProtocolError("a frame that is not a JSON object")
            count = message.get("fds", 0)
            if not isinstance(count, int) or count < 0 or count > len(self._fds):
                raise ProtocolError(f"a frame announcing {count!r} descriptors, {len(self._fds)} received")
            yield message, [self._fds.popleft() for _ in range(count)]

    def close(self) -> None:
        """Close descriptors received for frames that never completed."""
        while self._fds:
            os.close(self._fds.popleft())
