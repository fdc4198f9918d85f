"""exec and attach over the WebSocket channel protocols (channels.py): what kubectl 1.37 uses (v5.channel.k8s.io)
and the Python client's `kubernetes.stream.stream` (v5, else v4).

The sequence is the one kube-apiserver's stream translator follows for v5 (the kubelet's for the others): switch
to WebSocket; an empty message on the lowest output channel asked for, which tells the client the streams are
up; output as it comes; the Status on the error channel; a normal close (1000), after which the client, which
waits for the close to see the end of stdout, returns the Status."""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from aiohttp import WSMsgType, web

from sandbox.api.streams import channels
from sandbox.api.streams.remotecommand import CommandSession, node_failure
from sandbox.machinery.errors import StatusError
from sandbox.registry.kubelet_connection import ContainerProcess, NodeError
from sandbox.registry.pod_connections import StreamOptions

REASONS = {400: "BadRequest", 404: "NotFound", 409: "Conflict"}


class _Sender:
    """Writes channel messages in order (stdout and stderr pumps write concurrently)."""

    def __init__(self, ws: web.WebSocketResponse, protocol: channels.ChannelProtocol):
        self.ws, self.protocol = ws, protocol
        self._lock = asyncio.Lock()

    async def send(self, channel: int, data: bytes) -> None:
        message = self.protocol.frame(channel, data)
        async with self._lock:
            if self.ws.closed:
                raise ConnectionResetError("the client closed the connection")
            try:
                if isinstance(message, str):
                    await self.ws.send_str(message)
                else:
                    await self.ws.send_bytes(message)
            except (ConnectionError, RuntimeError) as e:
                raise ConnectionResetError(str(e)) from None

    async def stdout(self, data: bytes) -> None:
        await self.send(channels.STDOUT, data)

    async def stderr(self, data: bytes) -> None:
        await self.send(channels.STDERR, data)

    async def status(self, status: dict) -> None:
        message = self.protocol.status_message(status)
        if message is not None:
            await self.send(channels.ERROR, message)


async def serve(request: web.Request, protocol: channels.ChannelProtocol, options: StreamOptions,
                start: Callable[[], Awaitable[ContainerProcess]], *, attach: bool) -> web.WebSocketResponse:
    """`start()` asks the node for the process (kubelet.exec or kubelet.attach)."""
    translated = protocol.close_signal  # v5 is kube-apiserver's translator; older ones reach the kubelet as is
    process, failure = None, None
    try:
        process = await start()
    except NodeError as e:
        if not translated and e.code < 500:  # the kubelet refuses before switching protocols
            raise StatusError(e.code, REASONS.get(e.code, "InternalError"), e.message) from None
        failure = node_failure(e, attach=attach, translated=translated)
    ws = web.WebSocketResponse(protocols=(protocol.name,) if protocol.name else (), max_msg_size=channels.MAX_MESSAGE)
    try:
        await ws.prepare(request)
    except BaseException:
        if process is not None:
            process.terminate()
        raise
    sender = _Sender(ws, protocol)
    try:
        await sender.send(channels.STDOUT if options.stdout else
                          channels.STDERR if options.stderr and not options.tty else channels.ERROR, b"")
        if failure is not None:
            await sender.status(failure)
            return ws
        session = CommandSession(process, options, attach=attach)
        reader = asyncio.create_task(_read_client(ws, protocol, session, options))
        try:
            status = await session.run(sender.stdout, sender.stderr)
            if status is not None:
                await sender.status(status)
        finally:
            if not reader.done():
                await ws.close()
            await asyncio.gather(reader, return_exceptions=True)
    except ConnectionResetError:
        if process is not None:
            process.terminate()
    finally:
        if not ws.closed:
            await ws.close()
    return ws


async def _read_client(ws: web.WebSocketResponse, protocol: channels.ChannelProtocol, session: CommandSession,
                       options: StreamOptions) -> None:
    """Stdin, close signals and terminal sizes from the client, until it closes (or the server does)."""
    resizes = channels.ResizeDecoder()
    try:
        while True:
            message = await ws.receive()
            if message.type not in (WSMsgType.BINARY, WSMsgType.TEXT):
                if message.type in (WSMsgType.PING, WSMsgType.PONG):
                    continue
                return  # CLOSE, CLOSING, CLOSED, ERROR
            try:
                unframed = protocol.unframe(message.data)
            except ValueError:
                continue  # the kubelet logs a frame it cannot decode and reads on
            if unframed is None:
                continue
            channel, data = unframed
            if channel == channels.CLOSE_SIGNAL:
                if len(data) != 1:
                    return  # a malformed close signal ends the connection, as in wsstream
                if data[0] == channels.STDIN:
                    session.close_stdin()
            elif channel == channels.STDIN and options.stdin:
                await session.write_stdin(data)
            elif channel == channels.RESIZE:
                for width, height in resizes.feed(data):
                    session.resize(width, height)
    finally:
        session.client_gone()
