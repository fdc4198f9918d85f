"""What the load generator counts: requests sent, answered well, failed (by kind), and their latencies.

Pure data, no I/O. Latencies go into a histogram of fixed, geometrically growing buckets (each 2% wider than the
last, from 50 µs to 5 minutes), so a run of any length keeps a few kilobytes and a percentile is read off the
buckets to within 2%: for example 12.3 ms is counted in the bucket (12.2 ms, 12.4 ms] and reported as 12.4 ms.
"""
from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass, field

SMALLEST = 50e-6  # seconds; anything faster lands in the first bucket
LARGEST = 300.0  # seconds; anything slower lands in the last bucket (a request never waits this long)
GROWTH = 1.02  # each bucket's upper bound is 2% above the previous one: the precision of a percentile
BOUNDS = tuple(SMALLEST * GROWTH ** k for k in range(math.ceil(math.log(LARGEST / SMALLEST, GROWTH)) + 1))
PERCENTILES = (50, 90, 99)


class LatencyHistogram:
    """Latencies in seconds, counted per bucket (upper bounds in BOUNDS)."""

    def __init__(self):
        self.counts = [0] * len(BOUNDS)
        self.total = 0
        self.slowest = 0.0

    def record(self, seconds: float) -> None:
        index = min(bisect.bisect_left(BOUNDS, seconds), len(BOUNDS) - 1)
        self.counts[index] += 1
        self.total += 1
        self.slowest = max(self.slowest, seconds)

    def add(self, other: "LatencyHistogram") -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts)]
        self.total += other.total
        self.slowest = max(self.slowest, other.slowest)

    def percentile(self, percent: float) -> float | None:
        """The upper bound of the bucket holding the given percentile (None with no latency recorded): the
        smallest latency that `percent`% of the recorded ones do not exceed, rounded up to its bucket."""
        if not self.total:
            return None
        rank = max(1, math.ceil(self.total * percent / 100))  # nearest-rank definition
        seen = 0
        for index, count in enumerate(self.counts):
            seen += count
            if seen >= rank:
                return min(BOUNDS[index], self.slowest)
        return self.slowest

    def summary_ms(self) -> dict[str, float | None]:
        """{"p50": ms, "p90": ms, "p99": ms, "max": ms}, rounded to 0.1 ms; None for each when empty."""
        shown = {f"p{p}": self.percentile(p) for p in PERCENTILES}
        shown["max"] = self.slowest if self.total else None
        return {name: None if value is None else round(value * 1000, 1) for name, value in shown.items()}


@dataclass
class Tally:
    """Counts over one stretch of time: sent, answered with 2xx, failed by kind ("http_503", "timeout"...)."""
    sent: int = 0
    ok: int = 0
    errors: Counter = field(default_factory=Counter)
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    def finished(self, error_kind: str | None, seconds: float | None) -> None:
        """One request done: error_kind None means a 2xx answer; seconds, measured from the request's scheduled
        time, is None for a failure without an HTTP answer (refused, timed out), which would skew the latency:
        a refused connection "answers" in 0.1 ms."""
        if error_kind is None:
            self.ok += 1
        else:
            self.errors[error_kind] += 1
        if seconds is not None:
            self.latency.record(seconds)

    @property
    def done(self) -> int:
        return self.ok + sum(self.errors.values())

    def add(self, other: "Tally") -> None:
        self.sent += other.sent
        self.ok += other.ok
        self.errors.update(other.errors)
        self.latency.add(other.latency)

    def fields(self, seconds: float) -> dict:
        """The log fields for this stretch of `seconds`: counts, the rate achieved, latency percentiles."""
        return {"sent": self.sent, "ok": self.ok, "errors": dict(sorted(self.errors.items())),
                "sentPerSecond": round(self.sent / seconds, 1) if seconds > 0 else 0.0,
                "latencyMs": self.latency.summary_ms()}
