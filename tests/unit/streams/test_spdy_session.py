"""The SPDY/3.1 server session (sandbox/api/streams/spdy_session.py) driven frame by frame by a client made of the
same framing code, over an in-memory transport: stream acceptance and refusal, data and half-close, resets,
PING, GOAWAY, and flow control (lenient for spdystream, strict once the peer does it)."""
import asyncio

import pytest

from sandbox.api.streams import spdy_frames as f
from sandbox.api.streams.spdy_session import CHUNK, INBOUND_LIMIT, SpdySession, StreamClosed
from tests.waiting import wait_until_async


class MemoryTransport:
    def __init__(self):
        self.inbound: asyncio.Queue[bytes] = asyncio.Queue()
        self.outbound = bytearray()
        self.closed = False

    async def read(self) -> bytes:
        return await self.inbound.get()

    async def write(self, data: bytes) -> None:
        if self.closed:
            raise ConnectionResetError("closed")
        self.outbound += data

    async def close(self) -> None:
        self.closed = True


class Client:
    """The client end: encodes frames into the session's transport and decodes what the session wrote."""

    def __init__(self, accept=lambda stream: None):
        self.transport = MemoryTransport()
        self.streams = []
        self.session = SpdySession(self.transport, accept, self.streams.append)
        self._compressor, self._reader = f.HeaderCompressor(), f.FrameReader()
        self.received = []

    def send(self, *frames) -> None:
        self.transport.inbound.put_nowait(b"".join(f.encode(frame, self._compressor) for frame in frames))

    def frames(self) -> list:
        self.received += self._reader.feed(bytes(self.transport.outbound))
        self.transport.outbound.clear()
        return self.received

    async def wait_for(self, predicate, what: str):
        return await wait_until_async(lambda: next((fr for fr in self.frames() if predicate(fr)), None),
                                      timeout=10, what=what)


def syn(stream_id, fin=False, **headers):
    return f.SynStream(stream_id, {k: [v] for k, v in headers.items()}, f.FLAG_FIN if fin else 0)


def with_client(test):
    """Run an async test on its own loop against a serving session (this suite has no asyncio plugin)."""
    async def main():
        client = Client(accept=lambda stream: None if stream.header("port") != "0" else 'port "0" must be > 0')
        task = asyncio.create_task(client.session.serve())
        try:
            await test(client)
        finally:
            client.transport.inbound.put_nowait(b"")
            await asyncio.wait_for(task, 10)

    def run():
        asyncio.run(main())
    run.__name__, run.__doc__ = test.__name__, test.__doc__
    return run


@with_client
async def test_a_stream_is_replied_to_and_handed_over(client):
    client.send(syn(1, streamtype="data", port="80", requestid="0"))
    reply = await client.wait_for(lambda fr: isinstance(fr, f.SynReply), "SYN_REPLY")
    assert reply.stream_id == 1
    await wait_until_async(lambda: client.streams, timeout=10, what="the stream handed over")
    assert client.streams[0].header("streamtype") == "data" and client.streams[0].header("PORT") == "80"


@with_client
async def test_refused_and_out_of_order_streams_are_reset(client):
    client.send(syn(1, port="0"))
    assert (await client.wait_for(lambda fr: isinstance(fr, f.RstStream), "RST")).status == f.CANCEL
    client.send(syn(2, port="80"))  # even: a server's id
    await client.wait_for(lambda fr: isinstance(fr, f.RstStream) and fr.stream_id == 2, "RST for stream 2")
    client.send(syn(5, port="80"), syn(3, port="80"))  # ids only grow
    rst = await client.wait_for(lambda fr: isinstance(fr, f.RstStream) and fr.stream_id == 3, "RST for stream 3")
    assert rst.status == f.PROTOCOL_ERROR and [s.id for s in client.streams] == [5]


@with_client
async def test_data_both_ways_and_half_close(client):
    client.send(syn(1, port="80"), f.DataFrame(1, b"hello "), f.DataFrame(1, b"world", f.FLAG_FIN))
    await wait_until_async(lambda: client.streams, timeout=10, what="the stream")
    stream = client.streams[0]
    assert await stream.read() + await stream.read() == b"hello world"
    assert await stream.read() == b""
    await stream.write(b"x" * (CHUNK + 10))
    await stream.close()
    data = [fr for fr in client.frames() if isinstance(fr, f.DataFrame)]
    assert [len(fr.data) for fr in data] == [CHUNK, 10, 0] and data[-1].flags == f.FLAG_FIN
    assert 1 not in client.session.streams, "closed both ways: forgotten"


@with_client
async def test_a_reset_from_the_client_ends_reads_and_writes(client):
    client.send(syn(1, port="80"), f.DataFrame(1, b"unread"), f.RstStream(1, f.CANCEL))
    await wait_until_async(lambda: client.streams and client.streams[0].reset_by_peer, timeout=10, what="reset")
    assert await client.streams[0].read() == b""
    with pytest.raises(StreamClosed):
        await client.streams[0].write(b"late")


@with_client
async def test_client_pings_are_answered_and_server_pings_are_not(client):
    client.send(f.Ping(1), f.Ping(2), f.Ping(3))
    await client.wait_for(lambda fr: isinstance(fr, f.Ping) and fr.ping_id == 3, "the second answer")
    assert [fr.ping_id for fr in client.frames() if isinstance(fr, f.Ping)] == [1, 3]


@with_client
async def test_after_goaway_new_streams_are_refused(client):
    client.send(f.GoAway(0), syn(1, port="80"))
    rst = await client.wait_for(lambda fr: isinstance(fr, f.RstStream), "RST")
    assert rst.status == f.REFUSED_STREAM


@with_client
async def test_the_end_of_the_connection_ends_every_stream(client):
    client.send(syn(1, port="80"))
    await wait_until_async(lambda: client.streams, timeout=10, what="the stream")
    client.transport.inbound.put_nowait(b"")
    assert await asyncio.wait_for(client.streams[0].read(), 10) == b""
    await wait_until_async(lambda: client.session.ended, timeout=10, what="the session's end")


@with_client
async def test_without_window_updates_writes_never_wait(client):
    """client-go's spdystream never sends WINDOW_UPDATE: waiting for one would stop every stream at 64 KiB."""
    client.send(syn(1, port="80"))
    await wait_until_async(lambda: client.streams, timeout=10, what="the stream")
    await asyncio.wait_for(client.streams[0].write(b"y" * (4 * f.DEFAULT_WINDOW)), 10)
    sent = sum(len(fr.data) for fr in client.frames() if isinstance(fr, f.DataFrame))
    assert sent == 4 * f.DEFAULT_WINDOW


@with_client
async def test_a_peer_that_does_flow_control_gets_it(client):
    client.send(syn(1, port="80"), f.WindowUpdate(1, 0))  # a zero update: the peer speaks flow control
    await wait_until_async(lambda: client.session.flow_control and client.streams, timeout=10, what="flow control")
    writing = asyncio.create_task(client.streams[0].write(b"z" * (f.DEFAULT_WINDOW + 1000)))
    await wait_until_async(lambda: sum(len(fr.data) for fr in client.frames() if isinstance(fr, f.DataFrame))
                           == f.DEFAULT_WINDOW, timeout=10, what="a full window sent")
    assert not writing.done(), "the window is spent: the rest waits"
    client.send(f.WindowUpdate(1, 4096), f.WindowUpdate(0, 4096))
    await asyncio.wait_for(writing, 10)
    assert sum(len(fr.data) for fr in client.frames() if isinstance(fr, f.DataFrame)) == f.DEFAULT_WINDOW + 1000


@with_client
async def test_consumed_data_reopens_the_clients_window(client):
    client.send(syn(1, port="80"), *[f.DataFrame(1, b"d" * 16384) for _ in range(3)])
    await wait_until_async(lambda: client.streams, timeout=10, what="the stream")
    for _ in range(3):
        await client.streams[0].read()
    updates = await client.wait_for(lambda fr: isinstance(fr, f.WindowUpdate) and fr.stream_id == 1, "update")
    assert updates.delta == 32768
    assert any(isinstance(fr, f.WindowUpdate) and fr.stream_id == 0 for fr in client.frames())


@with_client
async def test_a_consumer_that_falls_behind_pauses_the_connection(client):
    chunk = b"p" * 65536
    client.send(syn(1, port="80"), *[f.DataFrame(1, chunk) for _ in range(INBOUND_LIMIT // len(chunk) + 2)],
                f.Ping(7))
    # The session delivers a frame and, in the same step, waits for the consumer if the stream is over its limit:
    # once the buffer is over, the ping behind it cannot have been read.
    await wait_until_async(lambda: client.streams and client.streams[0]._buffered > INBOUND_LIMIT, timeout=10,
                           what="the stream's buffer over its limit")
    assert not any(isinstance(fr, f.Ping) for fr in client.frames()), "the ping waits behind the unread data"
    for _ in range(3):
        await client.streams[0].read()
    await client.wait_for(lambda fr: isinstance(fr, f.Ping), "the ping answered once data was taken")
