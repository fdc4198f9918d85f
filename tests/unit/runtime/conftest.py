"""Real processes through a real zygote (sandbox/runtime/zygote.py): one zygote per test module, on an event
loop the module's tests share; `forked(...)` runs a command through it and `fresh(...)` runs the same command as
a fresh interpreter, so tests can compare the two. Every wait has a generous deadline, never a fixed sleep."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from sandbox.runtime.zygote import Zygote

TIMEOUT = 60.0  # generous: 2 shared cores; a passing test never waits this long


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def run(loop):
    """run(coroutine) on the module's loop, with the deadline."""
    def run(coroutine, timeout: float = TIMEOUT):
        return loop.run_until_complete(asyncio.wait_for(coroutine, timeout))
    return run


@pytest.fixture(scope="module")
def zygote(run):
    zygote = Zygote()
    run(zygote.start(), timeout=120)
    yield zygote
    run(zygote.stop())


def base_env(**extra: str) -> dict[str, str]:
    """A container-like environment: only what is given (no PYTHON* from the test run)."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/"),
            "LANG": "C.UTF-8", **extra}


async def communicate(process, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    if stdin is not None:
        process.stdin.write(stdin)
        await process.stdin.drain()
        process.stdin.close()
    out, err = await asyncio.gather(process.stdout.read(),
                                    process.stderr.read() if process.stderr else asyncio.sleep(0, b""))
    return await process.wait(), out, err


async def forked(zygote: Zygote, args, env, cwd, stdin: bytes | None = None, merge_stderr: bool = False):
    """(returncode, stdout, stderr, process) of `python <args>` through the zygote."""
    process = await zygote.spawn(list(args), env=env, cwd=str(cwd), stdin=stdin is not None,
                                 merge_stderr=merge_stderr)
    return (*await communicate(process, stdin), process)


async def fresh(args, env, cwd, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    """The same as a fresh interpreter, started as the runtime starts one (its own session, exactly `env`)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, cwd=str(cwd), start_new_session=True,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    return await communicate(process, stdin)


async def wait_for(condition, what: str, timeout: float = TIMEOUT, interval: float = 0.02):
    """Poll condition() until truthy; fail naming `what` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := condition()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(interval)
    return value


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie has finished running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


def kill_quietly(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
