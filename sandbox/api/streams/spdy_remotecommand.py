"""exec and attach over SPDY/3.1, the protocol kubectl falls back to when its WebSocket upgrade fails (and the
only one of older clients): POST with `Upgrade: SPDY/3.1` and `X-Stream-Protocol-Version` (v4.channel.k8s.io,
v3, v2, channel.k8s.io, the kubelet picks the first it knows), then one stream per standard stream, named by its
`streamtype` header: error, stdin, stdout, stderr, and resize with a TTY (v3 and later).

The kubelet waits for every stream it expects, runs the command, closes stdout and stderr, writes the Status on
the error stream (JSON for v4, the failure's text before), and closes the connection."""
from __future__ import annotations

import asyncio

from aiohttp import web

from sandbox.api.streams import channels
from sandbox.api.streams.remotecommand import CommandSession, node_failure
from sandbox.api.streams.spdy_session import SpdySession, SpdyStream, StreamClosed
from sandbox.api.streams.transports import UpgradedConnection
from sandbox.api.streams.ws_remotecommand import REASONS
from sandbox.machinery.errors import StatusError
from sandbox.registry.kubelet_connection import NodeError
from sandbox.registry.pod_connections import StreamOptions

V4, V3, V2, V1 = "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"
SUPPORTED = (V4, V3, V2, V1)
STREAM_CREATION_TIMEOUT = 30.0
STREAM_TYPES = ("error", "stdin", "stdout", "stderr", "resize")


def expected_streams(options: StreamOptions, protocol: str) -> set[str]:
    expected = {"error"}
    if options.stdin:
        expected.add("stdin")
    if options.stdout:
        expected.add("stdout")
    if options.stderr and not options.tty:
        expected.add("stderr")
    if options.tty and protocol in (V4, V3):
        expected.add("resize")
    return expected


class _Streams:
    def __init__(self, expected: set[str]):
        self.expected = expected
        self.by_type: dict[str, SpdyStream] = {}
        self.complete = asyncio.Event()

    def accept(self, stream: SpdyStream) -> str | None:
        kind = stream.header("streamtype")
        if kind not in STREAM_TYPES:
            return f"unexpected stream type: {kind!r}"
        return None

    def on_stream(self, stream: SpdyStream) -> None:
        kind = stream.header("streamtype")
        if kind in ("stdout", "stderr", "error"):
            stream.discard_input()
        self.by_type.setdefault(kind, stream)
        if self.expected <= self.by_type.keys():
            self.complete.set()


async def serve(request: web.Request, protocol: str, options: StreamOptions, start, *, attach: bool):
    """`protocol` is the negotiated X-Stream-Protocol-Version; `start()` asks the node for the process."""
    process, failure = None, None
    try:
        process = await start()
    except NodeError as e:
        if e.code < 500:
            raise StatusError(e.code, REASONS.get(e.code, "InternalError"), e.message) from None
        failure = node_failure(e, attach=attach, translated=False)
    try:
        connection = await UpgradedConnection.switch(request, {"Upgrade": "SPDY/3.1",
                                                               "X-Stream-Protocol-Version": protocol})
    except BaseException:
        if process is not None:
            process.terminate()
        raise
    streams = _Streams(expected_streams(options, protocol))
    session = SpdySession(connection, streams.accept, streams.on_stream)
    serving = asyncio.create_task(session.serve())
    try:
        if not await _streams_created(streams, serving):
            if process is not None:
                process.terminate()
            return connection.response
        if failure is not None:
            await _finish(streams, protocol, failure)
            return connection.response
        await _run(process, options, streams, protocol, serving, attach)
    except StreamClosed:
        if process is not None:
            process.terminate()
    finally:
        await session.close()
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
    return connection.response


async def _streams_created(streams: _Streams, serving: asyncio.Task) -> bool:
    waiter = asyncio.create_task(streams.complete.wait())
    await asyncio.wait({waiter, serving}, timeout=STREAM_CREATION_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    return streams.complete.is_set()


async def _run(process, options, streams: _Streams, protocol: str, serving: asyncio.Task, attach: bool) -> None:
    session = CommandSession(process, options, attach=attach)
    inputs = [asyncio.create_task(_copy_stdin(streams.by_type["stdin"], session))] if "stdin" in streams.by_type \
        else []
    if "resize" in streams.by_type:
        inputs.append(asyncio.create_task(_read_resizes(streams.by_type["resize"], session)))
    serving.add_done_callback(lambda _: session.client_gone())
    try:
        status = await session.run(_writer(streams, "stdout"), _writer(streams, "stderr"))
        if status is not None:
            await _finish(streams, protocol, status)
    finally:
        for task in inputs:
            task.cancel()
        await asyncio.gather(*inputs, return_exceptions=True)


def _writer(streams: _Streams, kind: str):
    async def write(data: bytes) -> None:
        stream = streams.by_type.get(kind)
        if stream is None:
            return
        try:
            await stream.write(data)
        except StreamClosed as e:
            raise ConnectionResetError(str(e)) from None
    return write


async def _finish(streams: _Streams, protocol: str, status: dict) -> None:
    for kind in ("stdout", "stderr"):
        if kind in streams.by_type:
            await streams.by_type[kind].close()
    error = streams.by_type["error"]
    message = channels.PROTOCOLS[channels.V4 if protocol == V4 else channels.V1].status_message(status)
    if message:
        await error.write(message)
    await error.close()


async def _copy_stdin(stream: SpdyStream, session: CommandSession) -> None:
    while data := await stream.read():
        await session.write_stdin(data)
    session.close_stdin()


async def _read_resizes(stream: SpdyStream, session: CommandSession) -> None:
    decoder = channels.ResizeDecoder()
    while data := await stream.read():
        for width, height in decoder.feed(data):
            session.resize(width, height)
