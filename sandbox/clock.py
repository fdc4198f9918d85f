"""Time for the simulation. Timestamps written into objects are real wall-clock time (kubectl computes
AGE from its own clock); durations the controllers wait or measure run `time_scale` times faster."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone


_last_second: list = [None, ""]  # [whole second, its timestamp], shared by every Clock (it is wall-clock time)


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
        second = int(time.time())
        if second != _last_second[0]:
            _last_second[:] = [second, datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")]
        return _last_second[1]

    @staticmethod
    def micro_timestamp() -> str:
        """RFC 3339 with microseconds, as MicroTime fields (events.eventTime, leases) are serialised."""
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
