"""The zygote process (`python -m sandbox.runtime.zygote --control-fd N`, started by sandbox/runtime/zygote.py):
it imports once what the sandbox's Python containers import, then forks a child for each container or exec that
runs Python, so those pages are shared instead of loaded again by every process.

Why it saves memory, and what keeps it saving (benchmarks/zygote_benchmark.py, 2 shared cores; the figures
in benchmarks/README.md). A fresh `python -m app.api` holds about 30 MiB of private memory: the interpreter's
heap after importing aiohttp, redis, yarl, multidict and the app. A forked child shares every page of the
zygote until it writes to one (copy-on-write): 16 app.api processes take 184 MiB of PSS with the zygote
(9.3 MiB private each) instead of 486 MiB. Two things write to pages a child never meant to change:
  - the garbage collector: a collection walks every tracked object and writes its gc_refs field, so a
    child's first full collection would copy nearly the whole preloaded heap (measured: +13.1 MiB private for
    one gc.collect() in a child of a zygote without gc.freeze(), +0.3 MiB with it). gc.freeze() moves
    everything the zygote holds into a permanent generation that collections skip (CPython's documented
    recipe: gc.disable() early in the parent, gc.freeze() before fork, gc.enable() in the child). The zygote
    keeps collection off for its whole life: it makes little garbage, and a collection would leave holes that
    later objects fill.
  - reference counts: using an object (calling a function, reading a module global) writes its refcount, so
    the pages holding what a child uses are copied; Python 3.11 has no immortal objects. A child that only
    imported app.api already holds 4.5 MiB private; a running app.api adds its own loop, server and requests.
CPU: `python -c "import redis"` (an exec probe's shape) costs 150 to 185 ms of CPU fresh and about 30 ms
forked; most of what is left is the interpreter's own shutdown (clearing 420 modules), kept because a program's
finalizers and atexit handlers must run as they would.
It must stay single-threaded (a fork copies only the calling thread; a lock another thread held stays locked in
the child forever), so it checks it has one thread after preloading, and never starts an event loop: asyncio's
loop, selectors and thread pools are made by each child for itself.

The loop: poll() on the control socket (spawn and stop requests, with the child's descriptors: see
zygote_protocol.py) and on a pipe that SIGCHLD wakes (signal.set_wakeup_fd); each SIGCHLD reaps with wait4
and reports the exit status with the child's CPU time. When the control socket closes (the sandbox is gone,
however it went) or a stop request comes, it kills every child's process group and exits; on Linux the
children also die with it (their parent-death signal).
"""
from __future__ import annotations

import gc
import importlib
import json
import os
import pkgutil
import select
import signal
import socket
import sys
import time

from sandbox.runtime import zygote_child
from sandbox.runtime.interpreter_startup import InterpreterLayout
from sandbox.runtime.preloaded_modules import PreloadedModules, recording_environment_reads
from sandbox.runtime.zygote_child import Child, SpawnRequest
from sandbox.runtime.zygote_protocol import MAX_FDS_PER_READ, FrameReader, ProtocolError, encode

# What the sandbox's Python containers import: the orders app's stack and what an exec probe imports. Measured:
# after these, app.api, app.validator and app.worker import no further module through start-up, their first
# requests and a Redis connection attempt, so nothing of theirs is imported (and kept private) per child.
PRELOAD = ("asyncio", "json", "logging", "aiohttp", "aiohttp.web", "redis", "redis.asyncio", "yarl", "multidict")
OPTIONAL_PRELOAD = ("sandbox.pod_network.layer",)  # the pod network layer, where the sandbox has it
APP_PACKAGE = "app"  # every module of it (app.api, app.validator, app.worker, app.load, ...)
SPAWN_SETUP_TIMEOUT = 60.0  # a child reports how it started within milliseconds; this is for a hung file system


def preload(names=PRELOAD, optional=OPTIONAL_PRELOAD, package=APP_PACKAGE) -> list[str]:
    """Import what the children will need; returns what failed (a zygote without aiohttp still forks)."""
    errors = []

    def load(name: str, required: bool) -> None:
        try:
            importlib.import_module(name)
        except ImportError as error:
            if required or not (error.name and name.startswith(error.name)):
                errors.append(f"{name}: {type(error).__name__}: {error}")
        except Exception as error:  # a broken module must not stop the zygote
            errors.append(f"{name}: {type(error).__name__}: {error}")

    for name in names:
        load(name, True)
    for name in optional:
        load(name, False)
    try:
        app = importlib.import_module(package)
    except ImportError:
        return errors
    for module in pkgutil.iter_modules(app.__path__):
        if module.name != "__main__":
            load(f"{package}.{module.name}", True)
    return errors


def thread_count() -> int:
    try:
        return len(os.listdir(f"/proc/{os.getpid()}/task"))
    except OSError:
        import threading
        return threading.active_count()


class ZygoteServer:
    def __init__(self, control: socket.socket, *, layout: InterpreterLayout, checked: PreloadedModules,
                 freeze: bool):
        self.control, self.layout, self.checked, self.freeze = control, layout, checked, freeze
        self.pid = os.getpid()
        self.children: set[int] = set()
        self.reader = FrameReader()
        self.wakeup_read, self.wakeup_write = os.pipe()
        for fd in (self.wakeup_read, self.wakeup_write):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self.wakeup_write)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # the wakeup pipe does the work
        own = (sys.modules["__main__"], zygote_child, sys.modules[__name__],
               sys.modules["sandbox.runtime.interpreter_startup"])
        self.own_files = frozenset(getattr(m, "__file__", "") for m in own)

    def send(self, message: dict) -> None:
        self.control.sendall(encode(message))

    def serve(self) -> Child | None:
        """Serve until told to stop or the sandbox goes away (None), or, in a forked child, its Child."""
        poller = select.poll()
        poller.register(self.control, select.POLLIN)
        poller.register(self.wakeup_read, select.POLLIN)
        while True:
            for fd, _ in poller.poll():
                if fd == self.wakeup_read:
                    self._drain_wakeup()
                    self._reap()
                    continue
                try:
                    data, fds, flags, _ = socket.recv_fds(self.control, 65536, MAX_FDS_PER_READ)
                except OSError:
                    data, fds, flags = b"", [], 0
                if flags & getattr(socket, "MSG_CTRUNC", 0):
                    for received in fds:
                        os.close(received)
                    data = b""  # descriptors were lost: the conversation cannot go on
                if not data:
                    self._stop(report=False)
                    return None
                self.reader.feed(data, fds)
                try:
                    for message, message_fds in self.reader.messages():
                        if message.get("stop"):
                            self._stop(report=True)
                            return None
                        child = self._spawn(message, message_fds)
                        if child is not None:
                            return child
                except ProtocolError as error:
                    print(f"zygote: {error}", file=sys.stderr)
                    self._stop(report=False)
                    return None
                except OSError:  # the sandbox went away while we answered
                    self._stop(report=False)
                    return None

    # spawning ---------------------------------------------------------------------------------------------------
    def _spawn(self, message: dict, fds: list[int]) -> Child | None:
        request_id = message.get("spawn")
        try:
            request = SpawnRequest(list(message["args"]), dict(message["env"]), str(message["cwd"]),
                                   [fds[i] if i >= 0 else -1 for i in message["stdio"]])
            if len(request.stdio) != 3 or not all(isinstance(a, str) and "\0" not in a for a in request.args):
                raise ValueError("stdio must name 3 descriptors, args must be strings without NUL")
            if not all(isinstance(k, str) and isinstance(v, str) and k and "=" not in k and "\0" not in k + v
                       for k, v in request.env.items()):
                raise ValueError("environment names and values must be strings (names without '=', no NUL)")
        except (KeyError, TypeError, ValueError, IndexError) as error:
            for fd in fds:
                os.close(fd)
            self.send({"failed": request_id, "errno": 22, "message": f"bad spawn request: {error}",
                       "filename": None, "stage": "request"})
            return None
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()  # or the child would inherit (and later write) the zygote's buffered text
        if self.freeze:
            gc.freeze()  # what the zygote allocated since the last fork
        try:
            error_read, error_write = os.pipe()  # close-on-exec: an exec that works closes it
            try:
                pid = os.fork()
            except OSError:
                os.close(error_read)
                os.close(error_write)
                raise
        except OSError as error:  # out of processes or descriptors: this spawn fails, the zygote goes on
            for fd in fds:
                os.close(fd)
            self.send({"failed": request_id, "errno": error.errno or 0, "message": error.strerror or str(error),
                       "filename": None, "stage": "fork"})
            return None
        if pid == 0:
            os.close(error_read)
            return Child(request, zygote_pid=self.pid, error_fd=error_write, layout=self.layout,
                         preloaded=self.checked, own_files=self.own_files,
                         close_zygote_resources=self._close_in_child)
        os.close(error_write)
        for fd in fds:
            os.close(fd)
        failure, fallback = self._read_setup_report(error_read, pid)
        if failure is None:
            self.children.add(pid)
            self.send({"spawned": request_id, "pid": pid, "exec": fallback})
        else:
            os.waitpid(pid, 0)
            self.send({"failed": request_id, **failure})
        return None

    def _read_setup_report(self, fd: int, pid: int) -> tuple[dict | None, str | None]:
        """(failure, None) if the child could not start; else (None, why it exec'd the real interpreter, or
        None when it runs forked). Read until the child closes its end: itself, or its exec."""
        chunks, deadline = [], time.monotonic() + SPAWN_SETUP_TIMEOUT
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        try:
            while True:
                if not poller.poll(max(0, int((deadline - time.monotonic()) * 1000))):
                    os.kill(pid, signal.SIGKILL)
                    return {"errno": 110, "message": "the child did not start in time", "filename": None,
                            "stage": "setup"}, None
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(fd)
        fallback = None
        for line in b"".join(chunks).splitlines():
            try:
                report = json.loads(line)
            except ValueError:
                report = {"errno": 5, "message": "the child's report was garbled", "filename": None,
                          "stage": "setup"}
            if "stage" in report:
                return report, None
            fallback = report.get("exec")
        return None, fallback

    def _close_in_child(self) -> None:
        """In a forked child: let go of the zygote's control socket and wakeup pipe (through their owners, so
        nothing later closes a descriptor number the program has reused)."""
        self.control.close()
        os.close(self.wakeup_read)
        os.close(self.wakeup_write)

    # children's ends ----------------------------------------------------------------------------------------------
    def _drain_wakeup(self) -> None:
        try:
            while os.read(self.wakeup_read, 4096):
                pass
        except BlockingIOError:
            pass

    def _reap(self, block_for: set[int] | None = None) -> None:
        while True:
            try:
                pid, status, usage = os.wait4(-1, 0 if block_for else os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.children:
                self.children.discard(pid)
                self._report_exit(pid, status, usage)
            if block_for is not None:
                block_for.discard(pid)
                if not block_for:
                    return

    def _report_exit(self, pid: int, status: int, usage) -> None:
        try:
            self.send({"exited": pid, "returncode": os.waitstatus_to_exitcode(status),
                       "cpu": round(usage.ru_utime + usage.ru_stime, 6)})
        except OSError:
            pass  # the sandbox is gone; the loop notices

    def _stop(self, *, report: bool) -> None:
        """Kill every child's process group; with `report`, wait for them and report their ends."""
        remaining = set(self.children)
        for pid in remaining:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if report and remaining:
            self._reap(block_for=remaining)


def _options(argv: list[str]) -> dict:
    options = {"control_fd": None, "preload": True, "freeze": True}
    for i, arg in enumerate(argv):
        if arg == "--control-fd":
            options["control_fd"] = int(argv[i + 1])
        elif arg == "--no-preload":
            options["preload"] = False
        elif arg == "--no-freeze":
            options["freeze"] = False
    if options["control_fd"] is None:
        raise SystemExit("usage: python -m sandbox.runtime.zygote --control-fd N [--no-preload] [--no-freeze]")
    return options


def main(argv: list[str] | None = None) -> int:
    """The zygote's life: 0 when it stops; in a forked child, the container process's exit status."""
    options = _options(sys.argv[1:] if argv is None else argv)
    gc.disable()  # before preloading: no collection leaves holes between the objects children will share
    started = time.monotonic()
    control = socket.socket(fileno=options["control_fd"])
    control.setblocking(True)
    with recording_environment_reads() as environment_reads:
        errors = preload() if options["preload"] else []
    layout = InterpreterLayout.of_this_process(os.environ.get("PYTHONPATH", ""))
    zygote_child.load_prctl()
    checked = PreloadedModules.of_this_process(layout.base_path, environment_reads)
    server = ZygoteServer(control, layout=layout, checked=checked, freeze=options["freeze"])
    threads = thread_count()
    if threads > 1:
        server.send({"refused": f"{threads} threads after preloading: forking would be unsafe"})
        return 1
    if options["freeze"]:
        gc.freeze()
    else:
        gc.enable()  # the naive fork server, for measurements only (benchmarks/zygote_benchmark.py)
    server.send({"ready": os.getpid(), "preloaded": len(sys.modules),
                 "seconds": round(time.monotonic() - started, 3), "errors": errors,
                 "environment": [name for name, _ in checked.environment]})
    child = server.serve()
    if child is None:
        return 0
    return child.run()
