"""One way to open a Redis connection pool (redis-py's asyncio client) with the settings all components share.

Short timeouts make a dead Redis show up as a quick, clear error (the API answers 503) instead of a hung request;
two quick retries let the pool replace connections that a restarted Redis closed, so service resumes by itself.
"""
from __future__ import annotations

import os

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from .config import redact

__all__ = ["connect", "unavailable", "RedisError"]


def connect(url: str, *, timeout: float, read_timeout: float | None = None, name: str = "") -> Redis:
    """A client for url; read_timeout must exceed the longest blocking command (the worker's BLMOVE)."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=timeout,
        socket_timeout=read_timeout or timeout,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        health_check_interval=15,
        client_name=name or None,
    )


def unavailable(role: str, url: str, error: BaseException) -> str:
    """The sentence a client sees when Redis fails: which Redis, where, and what went wrong."""
    detail = str(error) or type(error).__name__
    cause = _os_error(error)
    if cause is not None and cause.errno:  # asyncio words it "Connect call failed"; say "Connection refused"
        detail = f"{os.strerror(cause.errno)}: {detail}"
    return f"{role} Redis at {redact(url)} is unavailable: {detail}"


def _os_error(error: BaseException) -> OSError | None:
    seen = error.__cause__ or error.__context__
    while seen is not None and not isinstance(seen, OSError):
        seen = seen.__cause__ or seen.__context__
    return seen
