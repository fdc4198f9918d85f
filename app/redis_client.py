"""One way to open a Redis connection pool (redis-py's asyncio client) with the settings all components share.

Short timeouts make a dead Redis show up as a quick, clear error (the API answers 503) instead of a hung request;
two quick retries let the pool replace connections that a restarted Redis closed, so service resumes by itself.

A password (REDIS_PASSWORD, from a Kubernetes Secret) is sent to a Redis whose URL carries none; a URL with its
own password (`redis://:secret@host:6379/0`) keeps it. A Redis that refuses the client says why in its own words
(`NOAUTH ...`, `WRONGPASS ...`), and that is what the 503 and /readyz repeat.
"""
from __future__ import annotations

import os

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import AuthenticationError, RedisError

from .config import redact

__all__ = ["connect", "unavailable", "RedisError"]


class _Retry(Retry):
    """Retries a dropped connection, never a refused password: retrying cannot fix it, and the nested retries of
    connecting and of the command (3 x 3 attempts) would make a kubelet's 1 s readiness probe time out instead of
    reading the 503 that says NOAUTH."""

    async def call_with_retry(self, do, fail, is_retryable=None, with_failure_count=False):
        def retryable(error: Exception) -> bool:
            return not isinstance(error, AuthenticationError) and (is_retryable is None or is_retryable(error))
        return await super().call_with_retry(do, fail, retryable, with_failure_count)


def connect(url: str, *, timeout: float, read_timeout: float | None = None, name: str = "",
            password: str | None = None) -> Redis:
    """A client for url; read_timeout must exceed the longest blocking command (the worker's BLMOVE).
    `password` is used when the URL has none (redis-py lets the URL's own win)."""
    return Redis.from_url(
        url,
        password=password,
        # RESP2: a connection starts with AUTH when there is a password, with the first command otherwise, so a
        # Redis that wants one always answers `NOAUTH Authentication required.`; RESP3's HELLO would get another
        # NOAUTH sentence, or this one, depending on whether a health-check PING went first.
        protocol=2,
        decode_responses=True,
        socket_connect_timeout=timeout,
        socket_timeout=read_timeout or timeout,
        retry=_Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        health_check_interval=15,
        client_name=name or None,
    )


def unavailable(role: str, url: str, error: BaseException) -> str:
    """The sentence a client sees when Redis fails: which Redis, where, and what went wrong."""
    detail = str(error) or type(error).__name__
    code = getattr(error, "status_code", None)  # the reply's first word, which redis-py takes off: NOAUTH, WRONGPASS
    if code and not detail.startswith(code):
        detail = f"{code} {detail}"
    cause = _os_error(error)
    if cause is not None and cause.errno:  # asyncio words it "Connect call failed"; say "Connection refused"
        detail = f"{os.strerror(cause.errno)}: {detail}"
    return f"{role} Redis at {redact(url)} is unavailable: {detail}"


def _os_error(error: BaseException) -> OSError | None:
    seen = error.__cause__ or error.__context__
    while seen is not None and not isinstance(seen, OSError):
        seen = seen.__cause__ or seen.__context__
    return seen
