"""port-forward over SPDY/3.1 (portforward.k8s.io), as kubectl speaks it, tunnelled in a WebSocket or over an
upgraded connection: one session carries every connection kubectl accepts on its local port.

For each local connection kubectl opens two streams with the same `requestid` header: first `streamtype: error`
(which it half-closes at once and reads to the end), then `streamtype: data`, both with `port`. The kubelet
checks each stream's headers when it arrives (and resets a stream it refuses), pairs them by request id, and
once both are there connects to the port and copies. When the pod's side ends it closes both streams; a
failure is written on the error stream first. kubectl 1.37 stops the whole port-forward on any error message
(`error: lost connection to pod`), as it does on a real cluster."""
from __future__ import annotations

import asyncio
import logging

from sandbox.api.streams import portforward
from sandbox.api.streams.spdy_session import SpdySession, SpdyStream, StreamClosed
from sandbox.registry.pod_connections import Connection

log = logging.getLogger(__name__)

PROTOCOL = "portforward.k8s.io"
STREAM_CREATION_TIMEOUT = 30.0  # the kubelet's default for the second stream of a pair to arrive


def check_stream_headers(stream: SpdyStream) -> str | None:
    """The kubelet's httpStreamReceived: why a stream is refused, or None."""
    port = stream.header("port")
    if not port:
        return '"port" header is required'
    if not port.isascii() or not port.isdigit() or int(port) > 0xFFFF:
        return f'unable to parse "{port}" as a port: strconv.ParseUint: parsing "{port}": invalid syntax'
    if int(port) < 1:
        return f'port "{port}" must be > 0'
    stream_type = stream.header("streamtype")
    if not stream_type:
        return '"streamType" header is required'
    if stream_type not in ("error", "data"):
        return f'invalid stream type "{stream_type}"'
    return None


class _DataStream:
    """A SPDY data stream as the client side of a forwarded connection (portforward.ClientSide)."""

    def __init__(self, stream: SpdyStream):
        self.stream = stream

    async def read(self) -> bytes:
        data = await self.stream.read()
        if not data and (self.stream.reset_by_peer or self.stream.session.ended):
            raise ConnectionResetError(f"stream {self.stream.id} was reset")
        return data

    async def write(self, data: bytes) -> None:
        try:
            await self.stream.write(data)
        except StreamClosed as e:
            raise ConnectionResetError(str(e)) from None


class _Pair:
    def __init__(self, request_id: str):
        self.request_id = request_id
        self.error: SpdyStream | None = None
        self.data: SpdyStream | None = None
        self.timeout: asyncio.TimerHandle | None = None


class PortForwardStreams:
    """Pairs a session's streams and runs one forward per pair."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.pairs: dict[str, _Pair] = {}
        self.tasks: set[asyncio.Task] = set()

    def accept(self, stream: SpdyStream) -> str | None:
        return check_stream_headers(stream)

    async def on_stream(self, stream: SpdyStream) -> None:
        request_id = stream.header("requestid") or self._legacy_request_id(stream)
        pair = self.pairs.get(request_id)
        if pair is None:
            pair = self.pairs[request_id] = _Pair(request_id)
            pair.timeout = asyncio.get_running_loop().call_later(
                STREAM_CREATION_TIMEOUT, self._timed_out, pair)
        kind = stream.header("streamtype")
        if kind == "error":
            stream.discard_input()  # the client never writes on it
        if getattr(pair, kind) is not None:
            await self._print_error(pair, f"error processing stream for request {request_id}: "
                                          f"{kind} stream already assigned")
            await stream.reset()
            return
        setattr(pair, kind, stream)
        if pair.error is not None and pair.data is not None:
            pair.timeout.cancel()
            del self.pairs[request_id]
            self._start(self._forward(pair))

    @staticmethod
    def _legacy_request_id(stream: SpdyStream) -> str:
        """Clients older than request ids: the kubelet pairs consecutive streams (error n, data n + 2)."""
        return str(stream.id if stream.header("streamtype") == "error" else stream.id - 2)

    def _timed_out(self, pair: _Pair) -> None:
        if self.pairs.get(pair.request_id) is pair:
            del self.pairs[pair.request_id]
            self._start(self._give_up(pair))

    async def _give_up(self, pair: _Pair) -> None:
        await self._print_error(pair, f"(conn={id(self):#x}, request={pair.request_id}) timed out waiting for streams")
        for stream in (pair.error, pair.data):
            if stream is not None:
                await stream.reset()

    def _start(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _forward(self, pair: _Pair) -> None:
        port = int(pair.data.header("port"))
        try:
            error = await portforward.forward(self.connection.kubelet, self.connection.pod, port,
                                              _DataStream(pair.data))
            if error is not None:
                await self._print_error(pair, error)
            await pair.data.close()
            await pair.error.close()
        except StreamClosed:
            pass  # the session has ended

    @staticmethod
    async def _print_error(pair: _Pair, message: str) -> None:
        if pair.error is None:
            return
        log.info("port-forward: %s", message)
        try:
            await pair.error.write(message.encode())
        except StreamClosed:
            pass

    async def stop(self) -> None:
        """The session ended: stop every forward still running."""
        for pair in self.pairs.values():
            if pair.timeout is not None:
                pair.timeout.cancel()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def serve_session(transport, connection: Connection) -> None:
    """Run a port-forward session until the client leaves, then close it."""
    handler = PortForwardStreams(connection)
    session = SpdySession(transport, handler.accept, handler.on_stream)
    try:
        await session.serve()
    finally:
        await handler.stop()
        await session.close()
