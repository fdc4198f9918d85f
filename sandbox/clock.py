"""Time for the simulation. Timestamps written into objects are real wall-clock time (kubectl computes
AGE from its own clock); durations the controllers wait or measure run `time_scale` times faster."""
from __future__ import annotations

import asyncio
import functools
import time
from datetime import datetime, timezone


class Clock:
    def __init__(self, time_scale: float = 1.0):
        if time_scale <= 0:
            raise ValueError("time scale must be positive")
        self.time_scale = time_scale
        self._start = time.monotonic()

    def now(self) -> float:
        """Simulated seconds since start: what controllers compare against their delays and windows."""
        return (time.monotonic() - self._start) * self.time_scale

    async def sleep(self, simulated_seconds: float) -> None:
        await asyncio.sleep(max(0.0, simulated_seconds) / self.time_scale)

    def real_seconds(self, simulated_seconds: float) -> float:
        return max(0.0, simulated_seconds) / self.time_scale

    @staticmethod
    def timestamp() -> str:
        """RFC 3339 in whole seconds, as metadata.creationTimestamp is serialised (formatted once per second:
        every write asks for it, and strftime is not cheap)."""
        return _rfc3339(int(time.time()))

    @staticmethod
    def micro_timestamp() -> str:
        """RFC 3339 with microseconds, as MicroTime fields (events.eventTime, leases) are serialised."""
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@functools.lru_cache(maxsize=1)
def _rfc3339(second: int) -> str:
    return datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
