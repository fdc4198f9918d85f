"""What the two HTTP components share: JSON errors, health endpoints, and serving with structured logs."""
from __future__ import annotations

import asyncio
import logging
import signal
from typing import Awaitable, Callable

from aiohttp import web

from .logs import AccessLog, EventLog

MAX_BODY = 64 * 1024  # an order is a few hundred bytes; anything bigger is a mistake or abuse (413)

LOG_KEY = web.AppKey("log", EventLog)


def json_error(status: int, message: str, **extra) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


@web.middleware
async def json_errors(request: web.Request, handler):
    """Every error leaves as {"error": "..."}: aiohttp's own 404/405/413 included, and no traceback ever."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return json_error(error.status, _describe(error, request))
    except Exception:
        request.app[LOG_KEY].exception("http.error", method=request.method, path=request.path)
        return json_error(500, "internal error: see the component's log")


def _describe(error: web.HTTPException, request: web.Request) -> str:
    """aiohttp's default texts are "404: Not Found"; say which route or which methods instead."""
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        return f"{request.method} is not allowed on {request.path} (allowed: {allowed})"
    if isinstance(error, web.HTTPNotFound):
        return f"no such endpoint: {request.method} {request.path}"
    text = (error.text or "").strip()
    return text if text and not text.startswith(f"{error.status}:") else error.reason


def application(log: EventLog, ready: Callable[[], Awaitable[str | None]] | None = None) -> web.Application:
    """An app with JSON errors, /healthz (the process answers) and /readyz (ready() returned no problem)."""
    app = web.Application(middlewares=[json_errors], client_max_size=MAX_BODY)
    app[LOG_KEY] = log

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        problem = await ready() if ready else None
        if problem:
            return web.json_response({"status": "unavailable", "error": problem}, status=503)
        return web.json_response({"status": "ready"})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


def serve(app: web.Application, log: EventLog, *, host: str, port: int) -> int:
    """Serve until SIGTERM/SIGINT, then let requests in flight finish; returns the process exit code."""
    return asyncio.run(_serve(app, log, host, port))


async def _serve(app: web.Application, log: EventLog, host: str, port: int) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(app, access_log=logging.getLogger("aiohttp.access"), access_log_class=AccessLog,
                           shutdown_timeout=10)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:  # port taken, or below 1024 without the right to bind it
        log.error("http.bind_failed", host=host, port=port, error=str(error),
                  hint="set the port variable, or allow unprivileged low ports (see app/README.md)")
        await runner.cleanup()
        return 1
    log.info("http.listening", host=host, port=port)
    await stop.wait()
    log.info("http.stopping")
    await runner.cleanup()
    log.info("http.stopped")
    return 0
