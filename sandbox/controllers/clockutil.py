"""Between the Clock's simulated seconds and the wall-clock timestamps written into objects."""
from __future__ import annotations

import time

from sandbox.clock import Clock
from sandbox.machinery import timestamps


def wall_at(clock: Clock, simulated: float) -> float:
    """The Unix time at which the simulated moment `simulated` (a Clock.now() value) happens or happened."""
    return time.time() - (clock.now() - simulated) / clock.time_scale


def stamp_at(clock: Clock, simulated: float) -> str:
    """RFC 3339 in whole seconds, as metav1.Time serializes."""
    return timestamps.rfc3339(int(wall_at(clock, simulated)))


def simulated_since(clock: Clock, wall: float) -> float:
    """Simulated seconds elapsed since the Unix time `wall`."""
    return (time.time() - wall) * clock.time_scale
