"""IntOrString fields (k8s.io/apimachinery/pkg/util/intstr): a count, or a percentage of a total."""
from __future__ import annotations

import math


def scaled_value(value, total: int, round_up: bool) -> int:
    """GetScaledValueFromIntOrPercent: an int as it is, "25%" of `total` rounded up or down (maxSurge rounds up,
    maxUnavailable down, so that 25% of 10 replicas allows 3 extra pods and 2 missing ones)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%"):
        return int(text)
    percent = int(text[:-1])
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)
