"""The userspace service proxy, as kube-proxy's userspace mode was: one listener on 127.0.0.1 per Service port,
each accepted connection joined to the next endpoint of the port's rotation (round robin), trying the next one
when a dial fails, with kube-proxy's dial timeouts (250 ms, 500 ms, 1 s, 2 s; EndpointDialTimeouts). No
usable endpoint, or none that answers: the client's connection is reset (the network layer refuses a connect
before it gets here when the routing table already says the rotation is empty).

The bytes are relayed by two asyncio Protocols per connection, with flow control both ways (a side whose
write buffer fills pauses reading on the other side) and half-closes passed on: no task, no StreamReader loop
and no copy beyond the transports' own once a connection is joined."""
from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Callable

log = logging.getLogger(__name__)

DIAL_TIMEOUTS = (0.25, 0.5, 1.0, 2.0)
HIGH_WATER = 256 * 1024
BACKLOG = 1024
Resolver = Callable[[str, int], "tuple[str, int] | None"]  # endpoint (IP, port) -> its real address


class _Half(asyncio.Protocol):
    """One side of a joined connection: writes what it receives to its peer."""

    def __init__(self, connections: set):
        self.transport = None
        self.peer: _Half | None = None
        self.eof = False
        self._connections = connections

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.set_write_buffer_limits(HIGH_WATER)
        self._connections.add(self)

    def data_received(self, data: bytes) -> None:
        self.peer.transport.write(data)

    def eof_received(self) -> bool:
        self.eof = True
        peer = self.peer
        if peer is None or peer.eof:  # both directions are done
            self.transport.close()
            if peer is not None:
                peer.transport.close()
            return False
        if peer.transport.can_write_eof():
            peer.transport.write_eof()
        return True  # keep the other direction open

    def pause_writing(self) -> None:  # our buffer is full: stop reading what fills it
        if self.peer is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None:
            self.peer.transport.resume_reading()

    def connection_lost(self, exc) -> None:
        self._connections.discard(self)
        peer = self.peer
        if peer is not None and peer.transport is not None:
            peer.transport.abort() if exc is not None else peer.transport.close()


class _ClientHalf(_Half):
    """The accepted side: reads nothing until its endpoint is dialled."""

    def __init__(self, proxy: "ServiceProxy"):
        super().__init__(proxy.connections)
        self.proxy = proxy
        self.dialling: asyncio.Task | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        transport.pause_reading()
        self.dialling = asyncio.get_running_loop().create_task(self.proxy.join(self))

    def connection_lost(self, exc) -> None:
        if self.dialling is not None and not self.dialling.done():
            self.dialling.cancel()
        super().connection_lost(exc)


def reset(transport) -> None:
    """Close with a RST (SO_LINGER 0), as a refused connection looks to its client."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


class ServiceProxy:
    """The listener of one Service port. `endpoints` is its rotation; `resolve` finds an endpoint's real address
    (a pod's binding, or the API server for the `kubernetes` Service)."""

    def __init__(self, name: str, resolve: Resolver):
        self.name, self.resolve = name, resolve
        self._endpoints: tuple[tuple[str, int], ...] = ()
        self._next = 0
        self.connections: set[_Half] = set()
        self._sock: socket.socket | None = None
        self._server: asyncio.AbstractServer | None = None
        self._serving: asyncio.Task | None = None
        self.port = 0

    @property
    def endpoints(self) -> tuple[tuple[str, int], ...]:
        return self._endpoints

    @endpoints.setter
    def endpoints(self, endpoints) -> None:
        endpoints = tuple(endpoints)
        if endpoints != self._endpoints:  # as the userspace load balancer did: a new list starts over
            self._endpoints, self._next = endpoints, 0

    def next_endpoint(self) -> tuple[str, int] | None:
        if not self._endpoints:
            return None
        endpoint = self._endpoints[self._next % len(self._endpoints)]
        self._next = (self._next + 1) % len(self._endpoints)
        return endpoint

    def start(self) -> int:
        """Listen now (the kernel queues connections until the loop serves them) and return the real port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(BACKLOG)
        sock.setblocking(False)
        self._sock, self.port = sock, sock.getsockname()[1]
        loop = asyncio.get_running_loop()
        self._serving = loop.create_task(loop.create_server(lambda: _ClientHalf(self), sock=sock, backlog=BACKLOG))
        self._serving.add_done_callback(self._served)
        return self.port

    def _served(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is None:
            self._server = task.result()

    async def join(self, client: _ClientHalf) -> None:
        loop = asyncio.get_running_loop()
        for timeout in DIAL_TIMEOUTS:  # a refused dial fails at once: only a silent endpoint costs its timeout
            endpoint = self.next_endpoint()
            real = self.resolve(*endpoint) if endpoint is not None else None
            if real is None:
                continue
            try:
                async with asyncio.timeout(timeout):
                    _, upstream = await loop.create_connection(lambda: _Half(self.connections), *real)
            except (OSError, TimeoutError):
                log.debug("%s: dial %s (%s:%d) failed", self.name, endpoint, *real)
                continue
            if client.transport.is_closing():
                upstream.transport.close()
                return
            client.peer, upstream.peer = upstream, client
            client.transport.resume_reading()
            return
        reset(client.transport)

    def close(self, connections: bool = False) -> None:
        """Stop listening (joined connections go on, as kube-proxy left them), or end them too."""
        if self._serving is not None and not self._serving.done():
            self._serving.cancel()
        if self._server is not None:
            self._server.close()
        if self._sock is not None:
            self._sock.close()
        if connections:
            for half in list(self.connections):
                if half.transport is not None:
                    half.transport.abort()
