"""port-forward over the WebSocket channel protocol, as the Python client's `kubernetes.stream.portforward`
speaks it to the kubelet (v4.channel.k8s.io; the API server passes it through):

- the query names the ports (`?ports=8080,9090`); each gets two channels, data (2i) and error (2i+1);
- the first message on each channel is the port, 2 bytes little-endian, so the client can check the pairing;
- one WebSocket is one connection per port, made at once; the error channel carries the kubelet's text
  (`error forwarding port 8080 to pod ..., uid : ...`), after which the client closes that port's socket;
- the WebSocket closes once every port's connection has ended, or when the client closes it."""
from __future__ import annotations

import asyncio
import struct

from aiohttp import WSMsgType, web

from sandbox.api.streams import channels, portforward
from sandbox.registry.pod_connections import Connection


class _PortChannel:
    """The client side of one port's connection (portforward.ClientSide)."""

    def __init__(self, ws: web.WebSocketResponse, protocol: channels.ChannelProtocol, lock: asyncio.Lock,
                 index: int):
        self._ws, self._protocol, self._lock = ws, protocol, lock
        self.data_channel, self.error_channel = 2 * index, 2 * index + 1
        self.inbound: asyncio.Queue[bytes] = asyncio.Queue()

    async def read(self) -> bytes:
        data = await self.inbound.get()
        if not data:  # a WebSocket has no half-close: the end of its input is the client leaving
            raise ConnectionResetError("the client closed the connection")
        return data

    async def write(self, data: bytes) -> None:
        await self.send(self.data_channel, data)

    async def send(self, channel: int, data: bytes) -> None:
        message = self._protocol.frame(channel, data)
        async with self._lock:
            if self._ws.closed:
                raise ConnectionResetError("the client closed the connection")
            try:
                if isinstance(message, str):
                    await self._ws.send_str(message)
                else:
                    await self._ws.send_bytes(message)
            except (ConnectionError, RuntimeError) as e:
                raise ConnectionResetError(str(e)) from None


async def serve(request: web.Request, protocol: channels.ChannelProtocol, connection: Connection,
                ports: tuple[int, ...]) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=(protocol.name,) if protocol.name else (), max_msg_size=channels.MAX_MESSAGE)
    await ws.prepare(request)
    lock = asyncio.Lock()
    pairs = [_PortChannel(ws, protocol, lock, i) for i in range(len(ports))]
    try:
        for pair, port in zip(pairs, ports):
            await pair.send(pair.data_channel, struct.pack("<H", port))
            await pair.send(pair.error_channel, struct.pack("<H", port))
    except ConnectionResetError:
        return ws
    forwards = asyncio.gather(*(_forward(connection, pair, port) for pair, port in zip(pairs, ports)))
    reader = asyncio.create_task(_read_client(ws, protocol, pairs))
    try:
        await asyncio.wait({forwards, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not forwards.done():  # the client went away: drop every connection
            forwards.cancel()
        await asyncio.gather(forwards, return_exceptions=True)
        if not ws.closed:
            await ws.close()
        await asyncio.gather(reader, return_exceptions=True)
    return ws


async def _forward(connection: Connection, pair: _PortChannel, port: int) -> None:
    error = await portforward.forward(connection.kubelet, connection.pod, port, pair)
    if error is not None:
        try:
            await pair.send(pair.error_channel, error.encode())
        except ConnectionResetError:
            pass


async def _read_client(ws: web.WebSocketResponse, protocol: channels.ChannelProtocol,
                       pairs: list[_PortChannel]) -> None:
    try:
        while True:
            message = await ws.receive()
            if message.type in (WSMsgType.PING, WSMsgType.PONG):
                continue
            if message.type not in (WSMsgType.BINARY, WSMsgType.TEXT):
                return
            try:
                unframed = protocol.unframe(message.data)
            except ValueError:
                continue
            if unframed is None:
                continue
            channel, data = unframed
            if channel % 2 == 0 and channel // 2 < len(pairs) and data:  # error channels are write-only
                pairs[channel // 2].inbound.put_nowait(data)
    finally:
        for pair in pairs:
            pair.inbound.put_nowait(b"")
