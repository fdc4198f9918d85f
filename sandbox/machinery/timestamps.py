"""Timestamps as the API writes them (metav1.Time: RFC 3339 in whole seconds, UTC, `Z`; metav1.MicroTime: with
microseconds) and reads them back. The one parser every room uses: an unset or malformed timestamp reads as None,
never as an exception, because a controller that meets a hand-edited status must not stop reconciling."""
from __future__ import annotations

import functools
from datetime import datetime, timezone


def epoch(text: str | None) -> float | None:
    """Seconds since the epoch of an RFC 3339 timestamp (`2026-05-01T12:00:00Z`, fractions and offsets accepted;
    one without an offset is read as UTC); None when unset or malformed."""
    if not text or not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


@functools.lru_cache(maxsize=4)
def rfc3339(second: int) -> str:
    """metav1.Time of a Unix second: `2026-05-01T12:00:00Z` (cached: every write asks for the current second)."""
    return datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(seconds: float) -> str:
    """metav1.MicroTime (events.eventTime, leases): `2026-05-01T12:00:00.123456Z`."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
