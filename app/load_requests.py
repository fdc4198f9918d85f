"""The load generator's requests: what one request is (an order POSTed, or a GET), how it is sent, and the kind of
failure each exception means.

Why orders by default: `POST /api/orders` is what a client of this API does, and it is the request that makes
the pod work the way real traffic does: the API parses and checks the JSON body, asks the validator sidecar over
localhost (so both containers use CPU, and the HPA's utilization is over both containers' requests), pushes onto
the queue Redis, and writes its access and order.queued log lines. `GET /` answers a constant document from
`orders-api` alone. The price of realism: every accepted order is queued and then processed by the worker.

Sockets only through aiohttp's connector and the threaded resolver (socket.getaddrinfo): in the sandbox a pod is a
local process that reaches Service names and cluster IPs through a network layer hooking exactly those calls.
"""
from __future__ import annotations

import asyncio
import errno
from dataclasses import dataclass

import aiohttp

from .config import LoadConfig

ORDERS_PATH = "/api/orders"


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    body: bytes | None = None  # encoded once (LOAD_ORDER): the generator's CPU goes into sending, not json.dumps

    @classmethod
    def for_config(cls, cfg: LoadConfig) -> "Request":
        if cfg.mode == "orders":
            return cls("POST", cfg.target_url + ORDERS_PATH, cfg.order)
        return cls("GET", cfg.target_url + cfg.path)

    async def send(self, session: aiohttp.ClientSession) -> tuple[str | None, bool]:
        """(error kind or None for a 2xx answer, whether an HTTP answer arrived)."""
        headers = {"Content-Type": "application/json"} if self.body is not None else None
        try:
            async with session.request(self.method, self.url, data=self.body, headers=headers) as response:
                await response.read()
                return (None if 200 <= response.status < 300 else f"http_{response.status}"), True
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            return failure_kind(error), False


def failure_kind(error: BaseException) -> str:
    """A short, stable name for a failure without an HTTP answer, for the `errors` counts.

    timeout             no answer within LOAD_TIMEOUT_SECONDS (connecting included)
    dns                 the host name does not resolve (a Service that does not exist, a typo)
    connection_refused  nothing listens there (no ready endpoint behind a port, the process is down)
    connect_failed      connecting failed otherwise (unreachable network, reset during the handshake)
    disconnected        the server closed the connection before answering (a pod stopping mid-request)
    connection_error    any other transport error (reset, broken pipe, a malformed answer)
    """
    if isinstance(error, asyncio.TimeoutError):  # aiohttp's ServerTimeoutError and ConnectionTimeoutError too
        return "timeout"
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return "dns"
    if isinstance(error, aiohttp.ClientConnectorError):
        refused = isinstance(error.os_error, ConnectionRefusedError) or error.os_error.errno == errno.ECONNREFUSED
        return "connection_refused" if refused else "connect_failed"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "disconnected"
    return "connection_error"
