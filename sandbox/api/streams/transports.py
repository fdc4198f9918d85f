"""Byte transports a SPDY session runs over (spdy_session.ByteTransport):

- `WebSocketBytes`: a WebSocket whose binary messages carry a byte stream, as kubectl 1.37 tunnels SPDY for
  port-forward (subprotocol `SPDY/3.1+portforward.k8s.io`): message boundaries mean nothing.
- `UpgradedConnection`: a plain HTTP/1.1 connection after `101 Switching Protocols` to `SPDY/3.1`, the older
  upgrade client-go falls back to. aiohttp only switches protocols for WebSocket, so this takes the connection
  over the same way aiohttp's own WebSocketResponse does: a 101 response without a body framing, and a parser
  of our own for the bytes that follow (`protocol.set_parser`)."""
from __future__ import annotations

import asyncio

from aiohttp import WSMsgType, web

PAUSE_AT = 1024 * 1024  # buffered bytes before the connection stops reading from the socket


class WebSocketBytes:
    def __init__(self, ws: web.WebSocketResponse):
        self._ws = ws

    async def read(self) -> bytes:
        while True:
            message = await self._ws.receive()
            if message.type == WSMsgType.BINARY:
                if message.data:
                    return message.data
            elif message.type == WSMsgType.TEXT:
                if message.data:
                    return message.data.encode("utf-8")
            elif message.type in (WSMsgType.PING, WSMsgType.PONG):
                continue
            else:  # CLOSE, CLOSING, CLOSED, ERROR
                return b""

    async def write(self, data: bytes) -> None:
        if self._ws.closed:
            raise ConnectionResetError("websocket closed")
        await self._ws.send_bytes(data)

    async def close(self) -> None:
        await self._ws.close()


class SwitchingProtocols(web.StreamResponse):
    """`101 Switching Protocols` whose body is the new protocol's bytes, written as they come (no length, no
    chunking: the framing aiohttp leaves off for its WebSocket responses)."""
    _length_check = False

    def __init__(self, headers: dict[str, str]):
        super().__init__(status=101, reason="Switching Protocols", headers=headers)
        self.force_close()  # the connection ends with the session, never serving another request


class _RawFeed:
    """What aiohttp's connection feeds received bytes to once it is ours (the payload parser interface)."""

    def __init__(self, connection: "UpgradedConnection"):
        self._connection = connection

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self._connection._received(bytes(data))
        return False, b""

    def feed_eof(self) -> None:
        self._connection._received(b"")


class UpgradedConnection:
    """The raw connection under a request once the handler has switched protocols."""

    def __init__(self, request: web.Request, response: SwitchingProtocols):
        self._request, self.response = request, response
        self._buffer = bytearray()
        self._eof = False
        self._ready = asyncio.Event()
        self._paused = False

    @classmethod
    async def switch(cls, request: web.Request, headers: dict[str, str]) -> "UpgradedConnection":
        response = SwitchingProtocols({"Connection": "Upgrade", **headers})
        connection = cls(request, response)
        # Take the bytes over before the client can see the 101 (it sends nothing until then).
        request.protocol.set_parser(_RawFeed(connection))
        request.protocol.keep_alive(False)
        await response.prepare(request)
        return connection

    def _received(self, data: bytes) -> None:
        if data:
            self._buffer += data
            if len(self._buffer) > PAUSE_AT and not self._paused and self._request.transport is not None:
                self._paused = True
                self._request.transport.pause_reading()
        else:
            self._eof = True
        self._ready.set()

    async def read(self) -> bytes:
        while not self._buffer:
            if self._eof:
                return b""
            self._ready.clear()
            await self._ready.wait()
        data = bytes(self._buffer)
        self._buffer.clear()
        if self._paused and self._request.transport is not None:
            self._paused = False
            self._request.transport.resume_reading()
        return data

    async def write(self, data: bytes) -> None:
        if self._request.transport is None or self._request.transport.is_closing():
            raise ConnectionResetError("connection closed")
        await self.response.write(data)

    async def close(self) -> None:
        if self._request.transport is not None:
            self._request.transport.close()
