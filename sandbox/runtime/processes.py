"""Container processes: started in a process group of their own, their output pumped to whoever listens (the
container's log, `kubectl attach`), signalled as a group, and their exit reported the way a container runtime
reports it (a process killed by signal N exits with 128 + N: 137 for SIGKILL, 143 for SIGTERM).

`Processes` owns every process the runtime starts and the reaper (sandbox/runtime/reaper.py) that kills them if
the sandbox dies without stopping them: `await processes.start()`, `await processes.spawn(...)`, and
`await processes.stop()` when the sandbox stops (it kills whatever is left).

A Python program (spawn's `python_args`: what follows the interpreter on its command line) is forked from the
zygote (sandbox/runtime/zygote.py) once it is ready: the interpreter, aiohttp, redis and the app's modules are
then shared between containers instead of loaded into each (about 9 MiB of private memory per app process
instead of 30, and a start in hundredths of a second). Before it is ready, or without it, the interpreter is
started fresh."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from typing import Callable

from sandbox.runtime.zygote import Zygote, ZygoteUnavailable

log = logging.getLogger(__name__)

Output = Callable[[str, bytes], None]  # (stream "stdout" | "stderr", bytes) as they arrive
READ_SIZE = 64 * 1024


class StartFailure(Exception):
    """The process could not be started at all (no such program, not executable, no such directory): `reason`
    is what the operating system said, e.g. `no such file or directory`."""

    def __init__(self, program: str, reason: str):
        super().__init__(f"{program}: {reason}")
        self.program, self.reason = program, reason


def exit_code(returncode: int) -> int:
    """A container's exit code from Popen's returncode (negative: killed by that signal)."""
    return 128 - returncode if returncode < 0 else returncode


class ContainerProcess:
    """One started process (and its group). `listeners` get its output; `stdin` is a writer when asked for."""

    def __init__(self, process: asyncio.subprocess.Process, processes: "Processes"):
        self._process, self._processes = process, processes
        self.pid = process.pid
        self.started_at = time.time()
        self.finished_at: float | None = None
        self.stdin = process.stdin
        self._listeners: list[Output] = []
        self._pumps = [asyncio.create_task(self._pump(name, stream), name=f"output-{self.pid}-{name}")
                       for name, stream in (("stdout", process.stdout), ("stderr", process.stderr)) if stream]
        self._exit: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiter = asyncio.create_task(self._wait(), name=f"wait-{self.pid}")

    # output -------------------------------------------------------------------------------------------------
    def listen(self, listener: Output) -> Callable[[], None]:
        """Send every chunk of output from now on to `listener`; returns the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def _pump(self, name: str, stream: asyncio.StreamReader) -> None:
        while True:
            try:
                data = await stream.read(READ_SIZE)
            except (ConnectionError, OSError):
                return
            if not data:
                return
            for listener in list(self._listeners):
                try:
                    listener(name, data)
                except Exception:  # a broken listener (a client gone) must not stop the container's log
                    log.exception("output listener of process %s failed", self.pid)

    # exit ---------------------------------------------------------------------------------------------------
    async def _wait(self) -> None:
        code = exit_code(await self._process.wait())
        await asyncio.gather(*self._pumps, return_exceptions=True)  # the last lines reach the log first
        self.finished_at = time.time()
        self._processes.forget(self)
        if not self._exit.done():
            self._exit.set_result(code)

    async def wait(self) -> int:
        return await asyncio.shield(self._exit)

    @property
    def returncode(self) -> int | None:
        return self._exit.result() if self._exit.done() else None

    def signal(self, signum: int) -> None:
        """Signal the whole process group (a shell's children too), as a runtime signals a container's init."""
        if self._exit.done():
            return
        try:
            os.killpg(self.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    async def stop(self, grace_seconds: float) -> int:
        """SIGTERM, then SIGKILL after `grace_seconds` (real seconds); the exit code."""
        self.signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.wait(), timeout=max(0.0, grace_seconds))
        except asyncio.TimeoutError:
            self.signal(signal.SIGKILL)
            return await self.wait()


async def started(starting: asyncio.Future) -> ContainerProcess:
    """Await a spawn() running as a task of its own. A caller cancelled meanwhile does not abandon the process: the
    zygote forks it whatever happens to the caller, so it is killed as soon as it exists, instead of running on
    with nobody to stop it."""
    try:
        return await asyncio.shield(starting)
    except asyncio.CancelledError:
        starting.add_done_callback(_kill_if_started)
        raise


def _kill_if_started(starting: asyncio.Future) -> None:
    if not starting.cancelled() and starting.exception() is None:
        starting.result().signal(signal.SIGKILL)


class Processes:
    """Every process the runtime started, and the reaper that outlives a dead sandbox to kill them."""

    def __init__(self, *, zygote: bool = True):
        self._running: dict[int, ContainerProcess] = {}
        self._trackers: set[asyncio.Future] = set()
        self._reaper: asyncio.subprocess.Process | None = None
        self._zygote = Zygote() if zygote else None
        self._zygote_start: asyncio.Task | None = None

    async def start(self) -> None:
        """Start the reaper; the zygote starts in the background (the sandbox does not wait for its preload)."""
        if self._zygote is not None and self._zygote_start is None:
            self._zygote_start = asyncio.create_task(self._start_zygote(), name="zygote")
        if self._reaper is None:
            self._reaper = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "sandbox.runtime.reaper", stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, start_new_session=True,
                env=_reaper_environment())

    async def _start_zygote(self) -> None:
        try:
            await self._zygote.start()
            self._tell_reaper(f"+{self._zygote.pid}")
        except Exception as e:  # without it, Python containers start the interpreter fresh: slower, not wrong
            log.warning("the zygote did not start (%s): Python containers start a fresh interpreter", e)

    def _tell_reaper(self, line: str) -> None:
        if self._reaper is not None and self._reaper.stdin is not None and not self._reaper.stdin.is_closing():
            self._reaper.stdin.write(f"{line}\n".encode())

    async def spawn(self, argv: list[str], env: dict[str, str], cwd: str, *, stdin: bool = False,
                    output: Output | None = None, merge_output: bool = False,
                    python_args: list[str] | None = None) -> ContainerProcess:
        """Start `argv` (argv[0] a path) in a new session; raises StartFailure when it cannot start. With
        `python_args`, argv is the Python interpreter and the zygote may fork it instead."""
        if not os.path.isdir(cwd):
            raise StartFailure(argv[0], f'chdir to cwd ("{cwd}") set in config.json failed: no such file or directory')
        process = None
        if python_args is not None and self._zygote is not None and self._zygote.running:
            try:
                process = await self._zygote.spawn(python_args, env=env, cwd=cwd, stdin=stdin,
                                                   merge_stderr=merge_output)
            except ZygoteUnavailable:
                process = None  # it went away: start the interpreter fresh
            except OSError as e:
                raise StartFailure(argv[0], (e.strerror or str(e)).lower()) from None
        if process is None:
            process = await self._exec(argv, env, cwd, stdin, merge_output)
        handle = ContainerProcess(process, self)
        if output is not None:
            handle.listen(output)
        self._running[handle.pid] = handle
        self._tell_reaper(f"+{handle.pid}")
        return handle

    @staticmethod
    async def _exec(argv, env, cwd, stdin, merge_output) -> asyncio.subprocess.Process:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, env=env, cwd=cwd, start_new_session=True,
                stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT if merge_output else asyncio.subprocess.PIPE)
        except FileNotFoundError:
            raise StartFailure(argv[0], "no such file or directory") from None
        except PermissionError:
            raise StartFailure(argv[0], "permission denied") from None
        except OSError as e:
            raise StartFailure(argv[0], (e.strerror or str(e)).lower()) from None
        return process

    def track(self, pid: int, exited) -> None:
        """A process started elsewhere (an exec session) in its own group: the reaper kills it if the sandbox
        dies first; `exited` is an awaitable that completes when it has exited."""
        self._tell_reaper(f"+{pid}")

        async def untrack() -> None:
            try:
                await exited
            finally:
                self._tell_reaper(f"-{pid}")
        self._trackers.add(task := asyncio.ensure_future(untrack()))
        task.add_done_callback(self._trackers.discard)

    def forget(self, handle: ContainerProcess) -> None:
        if self._running.pop(handle.pid, None) is not None:
            self._tell_reaper(f"-{handle.pid}")

    @property
    def running(self) -> list[ContainerProcess]:
        return list(self._running.values())

    async def stop(self, grace_seconds: float = 2.0) -> None:
        """Stop every process still running (SIGTERM, then SIGKILL), then let the reaper go."""
        handles = self.running
        if handles:
            await asyncio.gather(*(h.stop(grace_seconds) for h in handles), return_exceptions=True)
        if self._zygote_start is not None:
            self._zygote_start.cancel()
            await asyncio.gather(self._zygote_start, return_exceptions=True)
            await self._zygote.stop()
        if self._reaper is not None:
            if self._reaper.stdin is not None:
                self._reaper.stdin.close()
            try:
                await asyncio.wait_for(self._reaper.wait(), timeout=5)
            except asyncio.TimeoutError:
                self._reaper.kill()
            self._reaper = None


def _reaper_environment() -> dict[str, str]:
    """The reaper imports sandbox.runtime.reaper: it needs the directory holding the sandbox package on its path."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env
