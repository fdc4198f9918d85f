"""Time for the simulation. Timestamps written into objects are real wall-clock time (kubectl computes
AGE from its own clock); durations the controllers wait or measure run `time_scale` times faster."""
from __future__ import annotations

import asyncio
import time

from sandbox.machinery import timestamps


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
        """Now as metadata.creationTimestamp is serialised: RFC 3339 in whole seconds (metav1.Time)."""
        return timestamps.rfc3339(int(time.time()))

    @staticmethod
    def micro_timestamp() -> str:
        """Now with microseconds, as MicroTime fields (events.eventTime, leases) are serialised."""
        return timestamps.rfc3339_micro(time.time())
