"""Streaming watch responses: one JSON event per line over chunked HTTP (what client-go and the Python client's
Watch read), bookmarks when asked for, and the stream ends at timeoutSeconds as the apiserver ends it."""
from __future__ import annotations

import json
import random
import time

from aiohttp import web

from sandbox.registry.watches import BOOKMARK, Watch
from sandbox.storage.store import dumps

# The apiserver ends a watch without timeoutSeconds after a random time between its minRequestTimeout
# (30 minutes) and twice that, so that clients spread their re-watches.
MIN_REQUEST_TIMEOUT = 1800.0


def watch_timeout(timeout_seconds: int | None) -> float:
    if timeout_seconds and timeout_seconds > 0:
        return float(timeout_seconds)
    return MIN_REQUEST_TIMEOUT * (1 + random.random())


async def stream(request: web.Request, watch: Watch, *, timeout: float, bookmark_interval: float,
                 table=None) -> web.StreamResponse:
    """Send events until the client goes away, the watch closes or `timeout` seconds pass. `table`, when given,
    turns each object into a meta.k8s.io Table (kubectl get --watch)."""
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                       "Cache-Control": "no-cache, private"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    deadline = time.monotonic() + timeout
    next_bookmark = time.monotonic() + bookmark_interval
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            wait = min(deadline, next_bookmark) - now if watch.allow_bookmarks else deadline - now
            item = await watch.next_raw(max(wait, 0.0))
            if item is None:
                if watch.closed:
                    break
                if watch.allow_bookmarks and time.monotonic() >= next_bookmark:
                    await response.write(_line(*watch.bookmark(), table=None))
                    next_bookmark = time.monotonic() + bookmark_interval
                continue
            await response.write(_line(*item, table=table))
        if watch.allow_bookmarks and not watch.closed:
            await response.write(_line(*watch.bookmark(), table=None))
        await response.write_eof()
    except ConnectionResetError:  # the client went away: nothing left to tell it
        pass
    finally:
        watch.close()
    return response


async def error_stream(request: web.Request, status: dict) -> web.StreamResponse:
    """A watch that fails at once: one ERROR event with the Status, then the end of the stream."""
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                       "Cache-Control": "no-cache, private"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(_line("ERROR", dumps(status), table=None))
    await response.write_eof()
    return response


def _line(event_type: str, raw: str, *, table) -> bytes:
    if table is not None and event_type != BOOKMARK:
        return (dumps({"type": event_type, "object": table(json.loads(raw))}) + "\n").encode()
    return ('{"type":"' + event_type + '","object":' + raw + "}\n").encode()
