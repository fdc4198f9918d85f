"""GET .../pods/<name>/log: PodLogOptions decoded from the query as kube-apiserver decodes them, the
Registry's checks (registry.pod_log), then the node's bytes streamed as they come, chunked and flushed, as
kube-apiserver's LocationStreamer passes the kubelet's response on.

What the node refuses before it sends anything becomes a Status (e.g. 400 `container "api" in pod "web-1" is
waiting to start: ContainerCreating`). A follower whose first bytes are slow to come gets the response's
headers first (kubectl then waits on the body, as against a real cluster); the stream ends when the node's
iterator ends or the client goes away, whichever is first."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import AsyncIterator

from aiohttp import web

from sandbox.machinery import errors
from sandbox.machinery.errors import StatusError
from sandbox.api.requests import query_int
from sandbox.registry.kubelet_connection import LogOptions
from sandbox.registry.rest import Registry
from sandbox.machinery.timestamps import epoch_ns

log = logging.getLogger(__name__)

HEADERS_AFTER_SECONDS = 0.25  # wait this long for the node's first bytes (or its refusal) before the headers
CLIENT_CHECK_SECONDS = 1.0  # a quiet follow looks this often whether the client is still there
_BOOLS = ("follow", "previous", "timestamps")
_INTS = ("sinceSeconds", "tailLines", "limitBytes")


def decode_query(query) -> tuple[str | None, LogOptions]:
    """(container, options) from the query string; a value of the wrong type is 400 BadRequest."""
    flags = {key: _go_bool(query.get(key)) for key in _BOOLS}
    numbers = {key: query_int(key, query.get(key)) for key in _INTS}
    since_time = query.get("sinceTime")
    options = LogOptions(follow=flags["follow"], previous=flags["previous"], timestamps=flags["timestamps"],
                         since_seconds=numbers["sinceSeconds"], tail_lines=numbers["tailLines"],
                         limit_bytes=numbers["limitBytes"],
                         since_time=_time(since_time) if since_time not in (None, "") else None,
                         stream=query.get("stream") or "All")
    return query.get("container") or None, options


def _go_bool(value: str | None) -> bool:
    """As a query parameter converts to a Go bool: present is true unless it says 0 or false."""
    return value is not None and value != "0" and value.lower() != "false"


def _time(value: str) -> datetime:
    try:
        seconds, nanos = divmod(epoch_ns(value), 1_000_000_000)
    except ValueError:
        raise errors.bad_request(f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": cannot parse "{value}" '
                                 f'as "2006"') from None
    return datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=nanos // 1000)


async def serve(request: web.Request, registry: Registry, namespace: str, name: str) -> web.StreamResponse:
    container, options = decode_query(request.query)
    stream = registry.pod_log(namespace, name, container, options)  # StatusError: the middleware answers
    chunks = stream.__aiter__()
    first = asyncio.ensure_future(chunks.__anext__())
    try:
        await asyncio.wait({first}, timeout=HEADERS_AFTER_SECONDS)
        if first.done() and first.exception() is not None and not isinstance(first.exception(),
                                                                             StopAsyncIteration):
            raise first.exception()  # refused before the first byte: a Status (the middleware)
        response = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await _copy(request, response, chunks, first)
        return response
    finally:
        await _cancel(first)
        await _close(chunks)


async def _copy(request: web.Request, response: web.StreamResponse, chunks: AsyncIterator[bytes],
                step: asyncio.Future) -> None:
    """Write each chunk as it comes, until the stream ends, fails, or the client leaves."""
    try:
        while True:
            while not step.done():
                await asyncio.wait({step}, timeout=CLIENT_CHECK_SECONDS)
                if not step.done() and _client_gone(request):
                    return
            try:
                chunk = step.result()
            except StopAsyncIteration:
                break
            except StatusError as e:  # the node gave up mid-stream: the response is already under way
                log.info("log stream of %s ended: %s", request.path, e.message)
                break
            if chunk:
                await response.write(chunk)
            step = asyncio.ensure_future(chunks.__anext__())
        await response.write_eof()
    except (ConnectionResetError, ConnectionError):  # the client went away while we wrote
        pass
    finally:
        await _cancel(step)


async def _cancel(step: asyncio.Future) -> None:
    """Stop a pending read and let it finish (a generator cannot be closed while a step of it runs)."""
    if not step.done():
        step.cancel()
        await asyncio.gather(step, return_exceptions=True)


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def _close(chunks: AsyncIterator[bytes]) -> None:
    close = getattr(chunks, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:  # closing a stream the client left must not fail the request
            log.debug("closing a log stream failed", exc_info=True)
