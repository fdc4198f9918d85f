"""Structured logs: one JSON object per line on stdout (time, level, component, event, fields).

Our own code logs events (``log.info("order.queued", confirmationId=...)``); records from libraries (aiohttp,
asyncio) come out in the same shape with event "log" and their message in fields, so `kubectl logs` shows one
format a log pipeline can parse.
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from aiohttp.abc import AbstractAccessLogger

QUIET_PATHS = frozenset({"/healthz", "/readyz"})  # probes hit these every few seconds: debug level only


class JsonFormatter(logging.Formatter):
    def __init__(self, component: str):
        super().__init__()
        self.component = component

    def format(self, record: logging.LogRecord) -> str:
        fields = dict(getattr(record, "fields", None) or {})
        event = getattr(record, "event", None)
        if event is None:  # a library's record: keep its words
            event = "log"
            fields = {"logger": record.name, "message": record.getMessage(), **fields}
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        entry = {
            "time": timestamp(record.created),
            "level": record.levelname.lower(),
            "component": self.component,
            "event": event,
            "fields": fields,
        }
        return json.dumps(entry, default=str, ensure_ascii=False)


def timestamp(seconds: float) -> str:
    """RFC 3339 UTC with milliseconds, as Kubernetes prints times."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class EventLog:
    """A thin wrapper: the message is the event name, keyword arguments are the fields."""

    def __init__(self, logger: logging.Logger):
        self.logger = logger

    def _emit(self, level: int, event: str, fields: dict, exc_info=None) -> None:
        if self.logger.isEnabledFor(level):
            self.logger.log(level, event, extra={"event": event, "fields": fields}, exc_info=exc_info)

    def debug(self, event: str, **fields) -> None:
        self._emit(logging.DEBUG, event, fields)

    def info(self, event: str, **fields) -> None:
        self._emit(logging.INFO, event, fields)

    def warning(self, event: str, **fields) -> None:
        self._emit(logging.WARNING, event, fields)

    def error(self, event: str, **fields) -> None:
        self._emit(logging.ERROR, event, fields)

    def exception(self, event: str, **fields) -> None:
        self._emit(logging.ERROR, event, fields, exc_info=True)


def setup(component: str, level: str = "info", stream=None) -> EventLog:
    """Route every logger of the process to one JSON handler; returns the component's event log."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter(component))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    return EventLog(logging.getLogger(f"app.{component}"))


class AccessLog(AbstractAccessLogger):
    """aiohttp access log as events: one "http.request" per response."""

    def log(self, request, response, time_taken: float) -> None:
        level = logging.DEBUG if request.path in QUIET_PATHS and response.status < 400 else logging.INFO
        if not self.logger.isEnabledFor(level):
            return
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status,
            "durationMs": round(time_taken * 1000, 1),
            "remote": request.remote,
        }
        self.logger.log(level, "http.request", extra={"event": "http.request", "fields": fields})
