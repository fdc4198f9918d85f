"""The server side of a SPDY/3.1 session over a byte transport (an upgraded HTTP connection, or a WebSocket that
tunnels SPDY): the streams the client opens, their data both ways, half-close (FIN), reset, PING, GOAWAY and
flow control.

    session = SpdySession(transport, accept=check_headers, on_stream=start_task)
    await session.serve()          # until the client goes away; then every stream reads EOF
    stream.headers / await stream.read() / await stream.write(data) / await stream.close() / await stream.reset()

Each SYN_STREAM is put to `accept(stream)`: an error string rejects it (RST_STREAM CANCEL, as the kubelet resets
a stream whose headers it refuses); otherwise the session replies (SYN_REPLY) and hands it to `on_stream`.

Flow control, and why it is lenient: SPDY/3.1 gives every stream and the session a 64 KiB send window that the
receiver reopens with WINDOW_UPDATE. client-go's SPDY library (moby/spdystream) never sends WINDOW_UPDATE and
ignores the ones it receives, so a sender that waited for windows would stop after 64 KiB. The session therefore
counts windows both ways, sends WINDOW_UPDATE as the consumer takes data (for peers that honour them), and makes
its own writes wait for the window only once the peer has shown it speaks flow control (a WINDOW_UPDATE or an
INITIAL_WINDOW_SIZE setting). Against spdystream, back-pressure is TCP's: a stream whose consumer falls behind
(more than INBOUND_LIMIT buffered) pauses reading from the connection, as spdystream's own unbuffered channels do."""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Awaitable, Callable, Protocol

from sandbox.api.streams import spdy_frames as f

log = logging.getLogger(__name__)

CHUNK = 32 * 1024  # bytes per DATA frame written (the size client-go's io.Copy uses)
INBOUND_LIMIT = 256 * 1024  # buffered bytes per stream before the session stops reading the connection


class ByteTransport(Protocol):
    async def read(self) -> bytes:
        """The next bytes from the client; b"" once it has gone."""

    async def write(self, data: bytes) -> None:
        ...

    async def close(self) -> None:
        ...


class StreamClosed(Exception):
    """Writing to a stream the client reset, or after this side closed it, or on a session that has ended."""


class SpdyStream:
    """One client-initiated stream: headers, an inbound byte queue that ends at FIN, and a writer."""

    def __init__(self, session: "SpdySession", stream_id: int, headers: dict, remote_closed: bool):
        self.session, self.id, self.headers = session, stream_id, headers
        self._inbound: deque[bytes] = deque()
        self._buffered = 0
        self._readable = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self.remote_closed = remote_closed  # the client sent FIN: no more data from it
        self.local_closed = False  # this side sent FIN
        self.reset_by_peer = False
        self.discarding = False
        self.send_window = session.initial_send_window
        self._unacknowledged = 0  # bytes consumed since the last WINDOW_UPDATE for this stream
        if remote_closed:
            self._readable.set()

    def header(self, name: str) -> str:
        """The first value of a header ("" when absent)."""
        values = self.headers.get(name.lower()) or [""]
        return values[0]

    # inbound --------------------------------------------------------------------------------------------------
    def _deliver(self, data: bytes, fin: bool) -> None:
        if data and not self.discarding and not self.reset_by_peer:
            self._inbound.append(data)
            self._buffered += len(data)
            if self._buffered > INBOUND_LIMIT:
                self._drained.clear()
        if fin:
            self.remote_closed = True
        self._readable.set()

    async def read(self) -> bytes:
        """The next chunk the client sent; b"" after its FIN (or a reset, or the end of the session)."""
        while not self._inbound:
            if self.remote_closed or self.reset_by_peer or self.session.ended:
                return b""
            self._readable.clear()
            await self._readable.wait()
        data = self._inbound.popleft()
        self._buffered -= len(data)
        if self._buffered <= INBOUND_LIMIT:
            self._drained.set()
        await self.session._consumed(self, len(data))
        return data

    def discard_input(self) -> None:
        """This side never reads the stream (the port-forward error stream): drop what arrives on it."""
        self.discarding = True
        self._inbound.clear()
        self._buffered = 0
        self._drained.set()

    # outbound -------------------------------------------------------------------------------------------------
    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.local_closed or self.reset_by_peer or self.session.ended:
                raise StreamClosed(f"stream {self.id} is closed")
            size = await self.session._window_for(self, min(len(view), CHUNK))
            await self.session._send(f.DataFrame(self.id, bytes(view[:size])))
            view = view[size:]

    async def close(self) -> None:
        """Half-close: FIN, this side sends nothing more (the client may still send)."""
        if self.local_closed or self.reset_by_peer or self.session.ended:
            return
        self.local_closed = True
        await self.session._send(f.DataFrame(self.id, b"", f.FLAG_FIN))
        self.session._forget_if_done(self)

    async def reset(self, status: int = f.CANCEL) -> None:
        if self.reset_by_peer or self.session.ended:
            return
        self.local_closed = self.remote_closed = True
        self.session._forget(self)
        await self.session._send(f.RstStream(self.id, status))

    def _peer_reset(self) -> None:
        self.reset_by_peer = True
        self._inbound.clear()
        self._buffered = 0
        self._drained.set()
        self._readable.set()


class SpdySession:
    def __init__(self, transport: ByteTransport, accept: Callable[[SpdyStream], str | None],
                 on_stream: Callable[[SpdyStream], Awaitable[None] | None]):
        self._transport = transport
        self._accept, self._on_stream = accept, on_stream
        self._reader = f.FrameReader()
        self._compressor = f.HeaderCompressor()
        self._write_lock = asyncio.Lock()
        self._window_changed = asyncio.Condition()
        self.streams: dict[int, SpdyStream] = {}
        self.next_client_stream = 1  # client stream ids are odd and only grow
        self.last_good_stream = 0
        self.initial_send_window = f.DEFAULT_WINDOW
        self.session_send_window = f.DEFAULT_WINDOW
        self.flow_control = False  # becomes True once the peer shows it does flow control
        self._session_unacknowledged = 0
        self.ended = False
        self.gone_away = False

    async def serve(self) -> None:
        """Read and dispatch frames until the client goes away or breaks the protocol."""
        try:
            while not self.ended:
                data = await self._transport.read()
                if not data:
                    break
                for frame in self._reader.feed(data):
                    await self._dispatch(frame)
        except f.SpdyProtocolError as e:
            log.info("SPDY session ended on a protocol error: %s", e)
            await self._send_quietly(f.GoAway(self.last_good_stream, f.GOAWAY_PROTOCOL_ERROR))
        finally:
            self._end()

    async def close(self) -> None:
        """GOAWAY, then the connection: what the kubelet does once a session's work is done."""
        if not self.ended:
            await self._send_quietly(f.GoAway(self.last_good_stream, f.GOAWAY_OK))
        self._end()
        await self._transport.close()

    def _end(self) -> None:
        if self.ended:
            return
        self.ended = True
        for stream in list(self.streams.values()):
            stream._readable.set()
            stream._drained.set()
        self.streams.clear()

    # frames from the client -----------------------------------------------------------------------------------
    async def _dispatch(self, frame) -> None:
        if isinstance(frame, f.DataFrame):
            await self._on_data(frame)
        elif isinstance(frame, f.SynStream):
            await self._on_syn_stream(frame)
        elif isinstance(frame, f.RstStream):
            stream = self.streams.pop(frame.stream_id, None)
            if stream is not None:
                stream._peer_reset()
        elif isinstance(frame, f.Ping):
            if frame.ping_id % 2 == 1:  # the client's ping (odd id): answer with the same frame
                await self._send(frame)
        elif isinstance(frame, f.WindowUpdate):
            await self._on_window_update(frame)
        elif isinstance(frame, f.Settings):
            if f.SETTINGS_INITIAL_WINDOW_SIZE in frame.values:
                await self._adjust_initial_window(frame.values[f.SETTINGS_INITIAL_WINDOW_SIZE])
        elif isinstance(frame, f.GoAway):
            self.gone_away = True  # no new streams from the client; the open ones finish
        # SYN_REPLY and HEADERS from a client change nothing here

    async def _on_syn_stream(self, frame: f.SynStream) -> None:
        if frame.stream_id % 2 == 0 or frame.stream_id < self.next_client_stream:
            await self._send(f.RstStream(frame.stream_id, f.PROTOCOL_ERROR))
            return
        self.next_client_stream = frame.stream_id + 2
        if self.gone_away:
            await self._send(f.RstStream(frame.stream_id, f.REFUSED_STREAM))
            return
        stream = SpdyStream(self, frame.stream_id, frame.headers, bool(frame.flags & f.FLAG_FIN))
        refusal = self._accept(stream)
        if refusal is not None:
            log.info("SPDY stream %d rejected: %s", frame.stream_id, refusal)
            await self._send(f.RstStream(frame.stream_id, f.CANCEL))
            return
        self.streams[stream.id] = stream
        self.last_good_stream = stream.id
        await self._send(f.SynReply(stream.id, {}))
        started = self._on_stream(stream)
        if asyncio.iscoroutine(started):
            await started

    async def _on_data(self, frame: f.DataFrame) -> None:
        stream = self.streams.get(frame.stream_id)
        if stream is None:
            return  # a stream already reset or finished: its late data is dropped, as spdystream does
        stream._deliver(frame.data, bool(frame.flags & f.FLAG_FIN))
        if stream.discarding and frame.data:
            await self._consumed(stream, len(frame.data))
        self._forget_if_done(stream)
        if not stream._drained.is_set():  # its consumer is behind: stop reading until it catches up
            await stream._drained.wait()

    async def _on_window_update(self, frame: f.WindowUpdate) -> None:
        self.flow_control = True
        async with self._window_changed:
            if frame.stream_id == 0:
                self.session_send_window += frame.delta
            elif frame.stream_id in self.streams:
                self.streams[frame.stream_id].send_window += frame.delta
            self._window_changed.notify_all()

    async def _adjust_initial_window(self, size: int) -> None:
        self.flow_control = True
        async with self._window_changed:
            for stream in self.streams.values():  # the spec applies the difference to open streams
                stream.send_window += size - self.initial_send_window
            self.initial_send_window = size
            self._window_changed.notify_all()

    # flow control ---------------------------------------------------------------------------------------------
    async def _window_for(self, stream: SpdyStream, wanted: int) -> int:
        """How much of `wanted` may be sent now (waiting for the window when the peer does flow control)."""
        if not self.flow_control:
            stream.send_window -= wanted
            self.session_send_window -= wanted
            return wanted
        async with self._window_changed:
            await self._window_changed.wait_for(
                lambda: self.ended or stream.reset_by_peer or min(stream.send_window, self.session_send_window) > 0)
            if self.ended or stream.reset_by_peer:
                raise StreamClosed(f"stream {stream.id} is closed")
            size = min(wanted, stream.send_window, self.session_send_window)
            stream.send_window -= size
            self.session_send_window -= size
            return size

    async def _consumed(self, stream: SpdyStream, size: int) -> None:
        """The consumer took `size` bytes: reopen the client's windows in half-window steps."""
        stream._unacknowledged += size
        self._session_unacknowledged += size
        updates = []
        if stream._unacknowledged >= f.DEFAULT_WINDOW // 2 and not stream.remote_closed:
            updates.append(f.WindowUpdate(stream.id, stream._unacknowledged))
            stream._unacknowledged = 0
        if self._session_unacknowledged >= f.DEFAULT_WINDOW // 2:
            updates.append(f.WindowUpdate(0, self._session_unacknowledged))
            self._session_unacknowledged = 0
        for update in updates:
            await self._send_quietly(update)

    # bookkeeping and writing ----------------------------------------------------------------------------------
    def _forget_if_done(self, stream: SpdyStream) -> None:
        if stream.local_closed and stream.remote_closed:
            self._forget(stream)

    def _forget(self, stream: SpdyStream) -> None:
        self.streams.pop(stream.id, None)

    async def _send(self, frame) -> None:
        if self.ended:
            raise StreamClosed("the session has ended")
        async with self._write_lock:  # header compression state must follow the order on the wire
            data = f.encode(frame, self._compressor)
            try:
                await self._transport.write(data)
            except (ConnectionError, RuntimeError) as e:
                self._end()
                raise StreamClosed(f"the connection is gone: {e}") from None

    async def _send_quietly(self, frame) -> None:
        try:
            await self._send(frame)
        except StreamClosed:
            pass
