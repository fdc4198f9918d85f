"""A process that starts containers (the sandbox) puts SIGINT and SIGQUIT back from ignored before it starts any:
a shell starts its background jobs with both ignored, an ignored signal stays ignored across exec, and ^C in
`kubectl exec -it` would do nothing. Here the test process plays a sandbox started as a background job."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from contextlib import contextmanager

import pytest

from sandbox.runtime import exec_process, signal_dispositions
from sandbox.runtime.processes import Processes

ENV = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
# What a fresh interpreter has when nothing was ignored before it: Python's SIGINT handler, SIGQUIT at its default.
SHOW = ("import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, "
        "signal.getsignal(signal.SIGQUIT) == signal.SIG_DFL)")
DEFAULTS, IGNORED = "True True", "False False"


@contextmanager
def started_as_a_background_job():
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


@pytest.mark.parametrize("shown", [lambda tmp: shown_by_exec(tmp, False), lambda tmp: shown_by_exec(tmp, True),
                                   shown_by_container], ids=["exec with pipes", "exec with a terminal", "container"])
def test_after_restore_defaults_what_the_sandbox_starts_gets_the_default_dispositions(tmp_path, shown):
    with started_as_a_background_job():
        assert asyncio.run(asyncio.wait_for(shown(tmp_path), 60)) == IGNORED  # what it would inherit
        signal_dispositions.restore_defaults()
        assert asyncio.run(asyncio.wait_for(shown(tmp_path), 60)) == DEFAULTS
