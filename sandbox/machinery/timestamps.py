"""Timestamps as the API writes them (metav1.Time: RFC 3339 in whole seconds, UTC, `Z`; metav1.MicroTime: with
microseconds) and reads them back. epoch() is the parser objects are read with: an unset or malformed timestamp
reads as None, never as an exception, because a controller that meets a hand-edited status must not stop
reconciling. epoch_ns() reads the nanosecond times of container logs and of a log request's sinceTime, where a
malformed time is an error to report."""
from __future__ import annotations

import calendar
import functools
import re
from datetime import datetime, timezone

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$")


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


def epoch_ns(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 time with any fraction; raises ValueError."""
    match = _RFC3339.match(text.strip())
    if not match:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    seconds = calendar.timegm((int(year), int(month), int(day), int(hour), int(minute), int(second)))
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds * 1_000_000_000 + int((fraction or "").ljust(9, "0"))
