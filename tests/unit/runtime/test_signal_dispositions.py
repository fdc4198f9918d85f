"""A container's process and a command run in it start with SIGINT and SIGQUIT at their defaults, even when the
sandbox runs as a shell's background job (which ignores both, and an ignored signal stays ignored across exec):
otherwise ^C in `kubectl exec -it` does nothing. Here the test process plays that sandbox."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from contextlib import contextmanager

import pytest

from sandbox.runtime import exec_process
from sandbox.runtime.processes import Processes

ENV = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
# What a fresh interpreter has when nothing was ignored before it: Python's SIGINT handler, SIGQUIT at its default.
SHOW = ("import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, "
        "signal.getsignal(signal.SIGQUIT) == signal.SIG_DFL)")
DEFAULTS = "True True"


@contextmanager
def ignored_like_a_background_job():
    before = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGQUIT)}
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


async def shown_by_exec(tmp_path, tty: bool) -> str:
    process = await exec_process.start([sys.executable, "-c", SHOW], ENV, str(tmp_path), stdin=False, tty=tty)
    output = await process.stdout.read()
    await process.wait()
    return output.decode().strip()


async def shown_by_container(tmp_path) -> str:
    processes = Processes(zygote=False)
    seen: list[bytes] = []
    process = await processes.spawn([sys.executable, "-c", SHOW], ENV, str(tmp_path),
                                    output=lambda stream, data: seen.append(data))
    await process.wait()
    await processes.stop(1.0)
    return b"".join(seen).decode().strip()


@pytest.mark.parametrize("tty", [False, True], ids=["pipes", "terminal"])
def test_a_command_run_in_a_container_gets_the_default_dispositions(tmp_path, tty):
    with ignored_like_a_background_job():
        assert asyncio.run(asyncio.wait_for(shown_by_exec(tmp_path, tty), 60)) == DEFAULTS


def test_a_containers_process_gets_the_default_dispositions(tmp_path):
    with ignored_like_a_background_job():
        assert asyncio.run(asyncio.wait_for(shown_by_container(tmp_path), 60)) == DEFAULTS
