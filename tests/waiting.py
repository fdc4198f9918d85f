"""Waiting on a condition in tests: poll until it holds, with a generous deadline, never a fixed sleep."""
from __future__ import annotations

import asyncio
import time


def wait_until(condition, *, timeout: float = 60.0, interval: float = 0.05, what: str = "condition", debug=None):
    """Poll condition() until it returns something truthy and return that; after `timeout` seconds raise an
    AssertionError naming `what`, with debug()'s text when given (the state that was not reached)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f":\n{debug()}" if debug else ""
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}{detail}")
        time.sleep(interval)


async def wait_until_async(condition, *, timeout: float = 60.0, interval: float = 0.01, what: str = "condition"):
    """wait_until for tests that run the sandbox's controllers on their own event loop: yields to it while polling."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(interval)
