"""Python container processes forked from a zygote instead of started fresh: the zygote (a long-lived
`python -m sandbox.runtime.zygote`, sandbox/runtime/zygote_server.py) has imported asyncio, aiohttp, redis, the
app's modules and the pod network layer once, and every child it forks shares those pages. This is the sandbox's
side, shaped like asyncio.subprocess so that the runtime treats a forked process and an exec'd one alike:

    zygote = Zygote()                        # imports nothing heavy into the sandbox itself
    await zygote.start()                     # starts the zygote; returns once it has preloaded
    zygote.can_run(["-m", "app.api"])        # True: forked; False: the zygote execs the real interpreter for it
    proc = await zygote.spawn(["-m", "app.api"], env=env, cwd="/srv", stdin=False, merge_stderr=False)
    proc.pid; proc.stdin; proc.stdout; proc.stderr                  # StreamWriter | None, StreamReaders
    await proc.wait() -> returncode          # negative: killed by that signal, as Popen says it
    await zygote.stop()                      # kills what still runs, then the zygote

A child is a session leader (its pid is its process group: signal the group), and on Linux dies with the zygote.
What a child does before it runs the program, and what differs from a fresh interpreter: zygote_child.py and
interpreter_startup.py. The wire: zygote_protocol.py.

Errors: spawn() raises OSError when the process cannot start (FileNotFoundError naming the working directory
when it does not exist, as subprocess does), and ZygoteUnavailable (a ConnectionError) when there is no zygote
to ask (never started, stopped, or dead): the caller can start the interpreter directly instead. If the zygote
dies, every process it forked is killed and reported as killed by SIGKILL.
"""
from __future__ import annotations

import asyncio
import collections
import functools
import itertools
import logging
import os
import signal
import site
import socket
import sys

from sandbox.runtime.python_command import runnable
from sandbox.runtime.zygote_protocol import FrameReader, ProtocolError, encode

__all__ = ["Zygote", "ZygoteProcess", "ZygoteUnavailable"]

log = logging.getLogger(__name__)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # holds the sandbox package
START_TIMEOUT = 120.0  # preloading takes about half a second; a shared, swapping machine may take much longer
STOP_TIMEOUT = 10.0
READ_LIMIT = 64 * 1024


class ZygoteUnavailable(ConnectionError):
    """There is no zygote to ask: never started, stopped, refused to serve, or dead."""


class ZygoteProcess:
    """One forked process, with asyncio.subprocess.Process's surface. `cpu_seconds`: its user + system CPU time,
    known once it has exited. `exec_reason`: None when the fork runs the program itself, else why the child
    exec'd the real interpreter instead (e.g. "-i: its command line needs the real interpreter")."""

    def __init__(self, pid: int, exec_reason: str | None = None):
        self.pid, self.exec_reason = pid, exec_reason
        self.stdin: asyncio.StreamWriter | None = None
        self.stdout: asyncio.StreamReader | None = None
        self.stderr: asyncio.StreamReader | None = None
        self.returncode: int | None = None
        self.cpu_seconds: float | None = None
        self._exit = asyncio.get_running_loop().create_future()

    def __repr__(self) -> str:
        return f"<ZygoteProcess {self.pid} returncode={self.returncode}>"

    async def wait(self) -> int:
        return await asyncio.shield(self._exit)

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _exited(self, returncode: int, cpu_seconds: float | None) -> None:
        if self.returncode is None:
            self.returncode, self.cpu_seconds = returncode, cpu_seconds
            self._exit.set_result(returncode)


class _PipeWriterProtocol(asyncio.streams.FlowControlMixin):
    """What a StreamWriter needs from a pipe's protocol: drain() and wait_closed()."""

    def __init__(self):
        super().__init__()
        self._closed = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc):
        super().connection_lost(exc)
        if not self._closed.done():
            self._closed.set_result(None)

    def _get_close_waiter(self, stream):
        return self._closed


class Zygote:
    """The sandbox's handle on its zygote. `preload` and `freeze` exist for measurements only (a zygote that
    preloads nothing, or never calls gc.freeze(): benchmarks/zygote_benchmark.py)."""

    def __init__(self, *, preload: bool = True, freeze: bool = True):
        self._flags = [*(() if preload else ("--no-preload",)), *(() if freeze else ("--no-freeze",))]
        self._process: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._connected = False
        self._tasks: list[asyncio.Task] = []
        self._ready: asyncio.Future | None = None
        self._pending: dict[int, asyncio.Future] = {}
        self._processes: dict[int, ZygoteProcess] = {}
        self._ids = itertools.count(1)
        self._send_lock: asyncio.Lock | None = None
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self.info: dict = {}  # the zygote's ready message: pid, modules preloaded, seconds, import errors

    @property
    def running(self) -> bool:
        return self._connected

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    # life -------------------------------------------------------------------------------------------------------
    async def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the zygote and wait until it has preloaded; ZygoteUnavailable if it cannot serve."""
        if self._connected:
            return
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "sandbox.runtime.zygote", "--control-fd", str(theirs.fileno()), *self._flags,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE, pass_fds=(theirs.fileno(),), start_new_session=True,
                env=_zygote_environment(), cwd="/")
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.setblocking(False)
        self._sock, self._connected = ours, True
        self._ready, self._send_lock = loop.create_future(), asyncio.Lock()
        self._tasks = [asyncio.create_task(self._read_control(), name="zygote-control"),
                       asyncio.create_task(self._read_stderr(self._process.stderr), name="zygote-stderr")]
        try:
            self.info = await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except (asyncio.TimeoutError, ZygoteUnavailable) as error:
            await self._kill_zygote()
            if isinstance(error, ZygoteUnavailable):
                raise
            raise ZygoteUnavailable(f"the zygote did not preload within {timeout:g} s{self._stderr_text()}") from None
        for problem in self.info.get("errors", []):
            log.warning("zygote could not preload %s", problem)

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Kill every process still running (each is reported killed by SIGKILL), then end the zygote."""
        if self._process is None:
            return
        if self._connected:
            try:
                await self._send({"stop": True})
            except ZygoteUnavailable:
                pass
        try:
            await asyncio.wait_for(self._process.wait(), timeout)
        except asyncio.TimeoutError:
            await self._kill_zygote()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._close()

    async def _kill_zygote(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._lost()
        self._close()

    def _close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock, self._process, self._tasks = None, None, []

    # spawning ---------------------------------------------------------------------------------------------------
    def can_run(self, python_args, env: dict[str, str] | None = None) -> bool:
        """Whether a forked child runs `python <python_args>` itself (with `env`, when given), rather than exec'ing
        the real interpreter; spawn() takes either."""
        return runnable(python_args, env) is not None

    async def spawn(self, python_args, *, env: dict[str, str], cwd: str, stdin: bool = False,
                    merge_stderr: bool = False, terminal: int | None = None) -> ZygoteProcess:
        """Start `python <python_args>` with exactly `env` in `cwd`; stdout and stderr are pipes (stderr into
        stdout's with `merge_stderr`), stdin a pipe with `stdin` else /dev/null. With `terminal` (a pseudo-
        terminal's slave descriptor, which the caller keeps and closes) the process has it as stdin, stdout,
        stderr and controlling terminal, and the process's stdin/stdout/stderr attributes are None."""
        if not self._connected:
            raise ZygoteUnavailable("the zygote is not running")
        loop = asyncio.get_running_loop()
        keep: list[int] = []  # our ends of the pipes
        give: list[int] = []  # the child's ends, sent to the zygote (which passes them on) and closed here
        stdio: list[int] = []
        request_id = next(self._ids)
        try:
            if terminal is not None:
                give.append(os.dup(terminal))
                stdio = [0, 0, 0]
            elif stdin:
                child_end, our_end = os.pipe()
                keep.append(our_end)
                give.append(child_end)
                stdio.append(0)
            else:
                stdio.append(-1)
            for _ in range(0 if terminal is not None else 1 if merge_stderr else 2):
                our_end, child_end = os.pipe()
                keep.append(our_end)
                give.append(child_end)
                stdio.append(len(give) - 1)
            if merge_stderr and terminal is None:
                stdio.append(stdio[1])
            reply = self._pending[request_id] = loop.create_future()
            # A frame is sent whole even if the caller is cancelled meanwhile (half a frame would garble every
            # later one), and the child's ends stay open until the kernel has taken its copies of them.
            sending = asyncio.ensure_future(self._send(
                {"spawn": request_id, "args": [str(a) for a in python_args], "env": dict(env), "cwd": str(cwd),
                 "stdio": stdio, "fds": len(give)}, give))
            sending.add_done_callback(functools.partial(_sent, tuple(give)))
            give = []
            await asyncio.shield(sending)
            process = await reply
        except BaseException as error:
            if not isinstance(error, asyncio.CancelledError):
                self._pending.pop(request_id, None)  # cancelled: kept, so that a late child is killed
            _close_all(keep)
            raise
        finally:
            _close_all(give)
        if terminal is not None:
            return process
        ends = iter(keep)
        if stdin:
            process.stdin = await _pipe_writer(loop, next(ends))
        process.stdout = await _pipe_reader(loop, next(ends))
        if not merge_stderr:
            process.stderr = await _pipe_reader(loop, next(ends))
        return process

    # the conversation -------------------------------------------------------------------------------------------
    async def _send(self, message: dict, fds=()) -> None:
        if not self._connected or self._sock is None:
            raise ZygoteUnavailable("the zygote is not running")
        loop, data = asyncio.get_running_loop(), encode(message)
        async with self._send_lock:
            try:
                while True:  # the descriptors travel with the first bytes of their frame
                    try:
                        sent = socket.send_fds(self._sock, [data], list(fds)) if fds else self._sock.send(data)
                        break
                    except (BlockingIOError, InterruptedError):
                        await _writable(loop, self._sock)
                if sent < len(data):
                    await loop.sock_sendall(self._sock, data[sent:])
            except OSError as error:
                raise ZygoteUnavailable(f"the zygote is gone: {error}") from None

    async def _read_control(self) -> None:
        loop, reader = asyncio.get_running_loop(), FrameReader()
        try:
            while True:
                data = await loop.sock_recv(self._sock, 65536)
                if not data:
                    return
                reader.feed(data)
                for message, _ in reader.messages():
                    self._handle(message)
        except (OSError, ProtocolError) as error:
            log.error("zygote connection failed: %s", error)
        finally:
            self._lost()

    def _handle(self, message: dict) -> None:
        if "exited" in message:
            process = self._processes.pop(message["exited"], None)
            if process is not None:
                process._exited(message["returncode"], message.get("cpu"))
        elif "spawned" in message:
            reply, pid = self._pending.pop(message["spawned"], None), message["pid"]
            process = self._processes[pid] = ZygoteProcess(pid, message.get("exec"))
            if reply is None or reply.done():  # the caller gave up waiting: nobody will ever stop it
                _kill_group(pid)
            else:
                reply.set_result(process)
        elif "failed" in message:
            reply = self._pending.pop(message["failed"], None)
            if reply is not None and not reply.done():
                reply.set_exception(OSError(message.get("errno") or 0, message.get("message") or "spawn failed",
                                            message.get("filename")))
        elif "ready" in message and not self._ready.done():
            self._ready.set_result(message)
        elif "refused" in message and not self._ready.done():
            self._ready.set_exception(ZygoteUnavailable(f"the zygote refused to serve: {message['refused']}"))

    def _lost(self) -> None:
        """The zygote is gone: nothing waits forever, nothing it forked keeps running."""
        self._connected = False
        why = f"the zygote exited{self._stderr_text()}"
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(ZygoteUnavailable(why))
        for reply in self._pending.values():
            if not reply.done():
                reply.set_exception(ZygoteUnavailable(why))
        self._pending.clear()
        for pid, process in list(self._processes.items()):
            _kill_group(pid)
            process._exited(-signal.SIGKILL, None)
        self._processes.clear()

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        """The zygote's own complaints (a child's output never comes here) go to the sandbox's log."""
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip()
            self._stderr_tail.append(text)
            log.warning("zygote: %s", text)

    def _stderr_text(self) -> str:
        return (":\n" + "\n".join(self._stderr_tail)) if self._stderr_tail else ""


def _zygote_environment() -> dict[str, str]:
    """The zygote's environment is a container's, not the sandbox's: what its preloaded modules read while
    importing (SSL_CERT_FILE, AIOHTTP_NO_EXTENSIONS...: preloaded_modules.py) is then what a container that
    does not set them would read, and only a child that sets one of them differently has to exec. No PYTHON*
    variable (the zygote starts as a default interpreter) but the path to the sandbox package, and the locale
    the catalogue's Python images declare (LANG=C.UTF-8): a child inherits the zygote's UTF-8 mode, so children
    in that locale fork and the few in another (no LANG: the C locale, in UTF-8 mode) exec."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LD_LIBRARY_PATH") if name in os.environ}
    env["LANG"] = "C.UTF-8"
    if ROOT not in site.getsitepackages() and ROOT != site.getusersitepackages():
        env["PYTHONPATH"] = ROOT  # a source checkout; an installed sandbox is in site-packages already
    return env


def _sent(fds, sending: asyncio.Future) -> None:
    """A spawn request has left (or failed to): close the child's ends; a failure is its caller's to report."""
    _close_all(fds)
    if not sending.cancelled():
        sending.exception()  # retrieved: a caller cancelled meanwhile will not hear of it


def _close_all(fds) -> None:
    for fd in fds:
        os.close(fd)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def _writable(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    ready = loop.create_future()
    loop.add_writer(sock.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_writer(sock.fileno())


async def _pipe_reader(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=READ_LIMIT, loop=loop)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), os.fdopen(fd, "rb", 0))
    return reader


async def _pipe_writer(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamWriter:
    transport, protocol = await loop.connect_write_pipe(_PipeWriterProtocol, os.fdopen(fd, "wb", 0))
    return asyncio.StreamWriter(transport, protocol, None, loop)


if __name__ == "__main__":
    from sandbox.runtime.zygote_server import main
    sys.exit(main())
