"""Waiting on a condition in tests: poll until it holds, with a generous deadline, never a fixed sleep."""
from __future__ import annotations

import asyncio
import time


class _Deadline:
    """The shared part of both loops: when to give up, and what to say then."""

    def __init__(self, timeout: float, what: str, debug=None):
        self.timeout, self.what, self.debug = timeout, what, debug
        self.end = time.monotonic() + timeout

    def holds(self, value) -> bool:
        """True once `value` is truthy; raises AssertionError naming `what` when the time is up."""
        if value:
            return True
        if time.monotonic() > self.end:
            detail = f":\n{self.debug()}" if self.debug else ""
            raise AssertionError(f"timed out after {self.timeout:g}s waiting for {self.what}{detail}")
        return False


def wait_until(condition, *, timeout: float = 60.0, interval: float = 0.05, what: str = "condition", debug=None):
    """Poll condition() until it returns something truthy and return that; after `timeout` seconds raise an
    AssertionError naming `what`, with debug()'s text when given (the state that was not reached)."""
    deadline = _Deadline(timeout, what, debug)
    while not deadline.holds(value := condition()):
        time.sleep(interval)
    return value


async def wait_until_async(condition, *, timeout: float = 60.0, interval: float = 0.01, what: str = "condition"):
    """wait_until for tests that run the sandbox's controllers on their own event loop: yields to it while polling."""
    deadline = _Deadline(timeout, what)
    while not deadline.holds(value := condition()):
        await asyncio.sleep(interval)
    return value
