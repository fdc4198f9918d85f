"""A process the zygote has just forked (sandbox/runtime/zygote_server.py), becoming a container's Python
process. In order:

 1. its own process: a session and process group of its own (setsid, so the runtime signals the whole group);
    on Linux SIGKILL when the zygote dies (prctl PR_SET_PDEATHSIG), then a check that the zygote has not died
    already; the zygote's signal handlers put back to the interpreter's defaults
 2. the container's descriptors as 0, 1, 2 (a terminal becomes the controlling one), every other descriptor
    closed; the working directory; the environment
 3. the decision: a command line or environment the fork cannot reproduce (sandbox/runtime/python_command.py),
    encodings that would differ, a preloaded module a fresh interpreter would find elsewhere, or a script that
    is not a plain readable file: exec the real interpreter, so behaviour never differs from a fresh `python`
 4. the interpreter's start-up redone (sandbox/runtime/interpreter_startup.py), then the module, code or script
    run in a new __main__ as the interpreter runs them

Until step 4 starts, a failure is the spawn's failure: the child writes it (a JSON line: stage, errno, file
name) on a close-on-exec pipe that the zygote reads until end of file, and exits. End of file without a failure
means the child runs, forked or (after a line saying why) as the real interpreter, exec'd. After that the
program's own exit status is the answer, with the interpreter's semantics: run() returns 0, or 1 after an
uncaught exception's traceback (this module's frames cut off, as if the program had been the interpreter's
first frame), and lets SystemExit through to the interpreter, which prints its message and exits with its code
after the usual shutdown (threads joined, atexit handlers, streams flushed). An uncaught KeyboardInterrupt is
printed, then let through too: the interpreter shuts down and ends the process by SIGINT, as it does for any
program.

What still differs from a fresh interpreter (tests/unit/runtime/test_zygote_fresh_interpreter.py compares the
rest): sys.flags are the zygote's (-u, -B, -s, -P take effect without showing there); the hash seed is the
zygote's, the same in every child; sys.modules holds the preloaded modules, with what importing them did to
shared state (aiohttp's warnings filter for its own NotAppKeyWarning, mimetypes read); the site-packages .pth
files ran once, in the zygote; the program runs a few frames deeper (inspect.stack() shows the zygote's).
"""
from __future__ import annotations

import builtins
import gc
import importlib.machinery
import json
import os
import runpy
import signal
import sys
import types
from dataclasses import dataclass

from sandbox.runtime import interpreter_startup as startup
from sandbox.runtime.interpreter_startup import InterpreterLayout
from sandbox.runtime.preloaded_modules import PreloadedModules, forget
from sandbox.runtime.python_command import PythonCommand, environment_problem, parse

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_prctl = None  # libc's prctl, looked up once in the zygote (ctypes), shared by every child


def load_prctl() -> None:
    """Called in the zygote before it serves: on Linux, libc's prctl for the children's parent-death signal."""
    global _prctl
    if sys.platform.startswith("linux"):
        import ctypes
        _prctl = ctypes.CDLL(None, use_errno=True).prctl


@dataclass
class SpawnRequest:
    """One spawn, as the zygote received it: stdio holds descriptors (-1: /dev/null)."""
    args: list[str]
    env: dict[str, str]
    cwd: str
    stdio: list[int]


class _Failed(Exception):
    def __init__(self, stage: str, error: OSError, filename: str | None = None):
        super().__init__(stage)
        self.stage, self.error, self.filename = stage, error, filename if filename is not None else error.filename


class Child:
    """What the forked process runs: `run()` returns its exit status (see the module docstring)."""

    def __init__(self, request: SpawnRequest, *, zygote_pid: int, error_fd: int, layout: InterpreterLayout,
                 preloaded: PreloadedModules, own_files: frozenset[str], close_zygote_resources):
        self.request, self.zygote_pid, self.error_fd = request, zygote_pid, error_fd
        self.layout, self.preloaded, self.own_files = layout, preloaded, own_files
        self.close_zygote_resources = close_zygote_resources

    def run(self) -> int:
        gc.enable()  # the zygote keeps collection off; the preloaded objects stay frozen (see zygote_server.py)
        try:
            self._become_own_process()
            self._install_descriptors()
            try:
                os.chdir(self.request.cwd)
            except OSError as error:
                raise _Failed("chdir", error, self.request.cwd) from None
            os.environ.clear()
            os.environ.update(self.request.env)
            command, reason = self._decide()
            if command is None:
                self._exec_interpreter(reason)
        except _Failed as failure:
            self._report(failure)
            os._exit(127)
        os.close(self.error_fd)  # started: the zygote tells the sandbox
        return self._run_program(command)

    # 1 and 2: the container's process ----------------------------------------------------------------------
    def _become_own_process(self) -> None:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.close_zygote_resources()
        os.setsid()
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != self.zygote_pid:  # the zygote died before the request took effect
                os._exit(1)

    def _install_descriptors(self) -> None:
        stdio = list(self.request.stdio)
        try:
            if -1 in stdio:
                devnull = os.open(os.devnull, os.O_RDWR)
                stdio = [devnull if fd < 0 else fd for fd in stdio]
            for target, fd in enumerate(stdio):
                os.dup2(fd, target)  # inheritable, as a process's standard descriptors are
        except OSError as error:
            raise _Failed("stdio", error) from None
        _close_descriptors_from(3, keep=self.error_fd)
        if os.isatty(0):  # a pseudo-terminal (exec -t): the session's controlling terminal, as runc makes it
            import fcntl
            import termios
            try:
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            except OSError:
                pass

    # 3: fork or exec ----------------------------------------------------------------------------------------
    def _decide(self) -> tuple[PythonCommand | None, str]:
        """The command when this process can run it as a fresh interpreter would; else (None, why not). On
        success the interpreter's locale, sys.path and preloaded modules are already set for it."""
        env = self.request.env
        command = parse(self.request.args)
        if command is None:
            return None, "its command line needs the real interpreter"
        problem = environment_problem(env) or self.preloaded.environment_difference(env)
        if problem:
            return None, problem
        utf8_mode = startup.set_locale(env)
        problem = startup.encoding_problem(utf8_mode)
        if problem:
            return None, problem
        if command.kind == "script":
            target = command.target
            if not os.path.isfile(target) or not os.access(target, os.R_OK):
                return None, "the script is not a readable file"  # the interpreter words the error (exit 2)
        user_site = startup.user_site_enabled(self.layout, command, env)
        startup.set_module_search_path(self.layout, env, user_site)
        first = startup.path0(command, env)
        changed = self.preloaded.changed_file()
        if changed:
            return None, f"{changed} changed since the zygote preloaded it"
        searched = list(sys.path) if first is None else [first, *sys.path]
        saved, sys.path[:] = list(sys.path), searched
        missing, moved = self.preloaded.check(self.layout.base_path)
        sys.path[:] = saved
        if moved:
            return None, f"{moved[0]} would be imported from elsewhere"
        forget(missing)
        self.command, self.utf8_mode, self.user_site, self.path0 = command, utf8_mode, user_site, first
        return command, ""

    def _exec_interpreter(self, reason: str) -> None:
        self._write_line({"exec": reason})
        for signum in (signal.SIGPIPE, signal.SIGXFSZ):  # as subprocess does; the new interpreter ignores them again
            signal.signal(signum, signal.SIG_DFL)
        try:
            os.execve(sys.executable, [sys.executable, *self.request.args], self.request.env)
        except OSError as error:
            raise _Failed("exec", error, sys.executable) from None

    def _report(self, failure: _Failed) -> None:
        self._write_line({"stage": failure.stage, "errno": failure.error.errno or 0,
                          "message": failure.error.strerror or str(failure.error), "filename": failure.filename})

    def _write_line(self, report: dict) -> None:
        try:
            os.write(self.error_fd, json.dumps(report).encode() + b"\n")
        except OSError:
            pass

    # 4: the program -----------------------------------------------------------------------------------------
    def _run_program(self, command: PythonCommand) -> int:
        env = self.request.env
        startup.install_std_streams(startup.stream_encoding(env, self.utf8_mode),
                                    command.unbuffered or bool(env.get("PYTHONUNBUFFERED")))
        main = _fresh_main_module()
        startup.apply_settings(self.layout, command, env)
        startup.run_site_customizations(self.user_site)
        if self.path0 is not None:
            sys.path.insert(0, self.path0)
        sys.argv = [command.argv0, *command.args]
        sys.orig_argv = [sys.executable, *self.request.args]
        try:
            if command.kind == "module":
                _forget_preloaded_main(command.target)
                runpy._run_module_as_main(command.target, alter_argv=True)  # what `python -m` itself calls
            elif command.kind == "code":
                exec(compile(command.target, "<string>", "exec", dont_inherit=True), main.__dict__)
            else:
                _run_script(command.target, main)
        except SystemExit:
            raise
        except BaseException as error:  # KeyboardInterrupt too: the interpreter reports it the same way
            self._report_uncaught(error)
            if isinstance(error, KeyboardInterrupt):
                # Out to the interpreter, which shuts down, then kills itself with SIGINT (returncode -2,
                # exit code 130) as it does for an uncaught KeyboardInterrupt; it has been printed already.
                sys.excepthook = _already_reported
                raise
            return 1
        return 0

    def _report_uncaught(self, error: BaseException) -> None:
        """Print as the interpreter's PyErr_Print would, without this module's frames."""
        tb = error.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename in self.own_files:
            tb = tb.tb_next
        error.__traceback__ = tb
        sys.last_type, sys.last_value, sys.last_traceback = type(error), error, tb
        try:
            sys.excepthook(type(error), error, tb)
        except BaseException as hook_error:  # whatever the hook raises is reported alike
            print("Error in sys.excepthook:", file=sys.stderr)
            sys.__excepthook__(type(hook_error), hook_error, hook_error.__traceback__)
            print("\nOriginal exception was:", file=sys.stderr)
            sys.__excepthook__(type(error), error, tb)


def _close_descriptors_from(lowest: int, keep: int) -> None:
    """Close every descriptor from `lowest` on but `keep`, as a runtime leaves a container only 0, 1 and 2: the
    open ones as the kernel lists them (a limit of a million descriptors is common, and closing each number in
    turn would take a while where close_range(2) is missing)."""
    try:
        open_fds = [int(name) for name in os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd")]
    except OSError:
        os.closerange(lowest, keep)
        os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
        return
    for fd in open_fds:
        if fd >= lowest and fd != keep:
            try:
                os.close(fd)
            except OSError:  # the listing's own descriptor, already closed
                pass


def _fresh_main_module() -> types.ModuleType:
    """A __main__ as the interpreter makes it (the zygote's own __main__ is the zygote)."""
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    main.__loader__ = importlib.machinery.BuiltinImporter
    main.__annotations__ = {}
    sys.modules["__main__"] = main
    return main


def _forget_preloaded_main(name: str) -> None:
    """`python -m app.api` runs app/api.py as __main__ and never imports `app.api`; a preloaded one would make
    runpy warn ("found in sys.modules ... prior to execution") and be the module a later import returns."""
    existing = sys.modules.get(name)
    if existing is not None and not hasattr(existing, "__path__"):
        del sys.modules[name]


def _run_script(path: str, main: types.ModuleType) -> None:
    """`python path`: the file compiled under its absolute name (Python 3.9+; the working directory joined to
    it, not normalized: "/srv/../x.py" stays so), __file__ set, no __cached__."""
    filename = path if os.path.isabs(path) else os.path.join(os.getcwd(), path)
    main.__file__, main.__cached__ = filename, None
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", filename)
    with open(filename, "rb") as source_file:
        source = source_file.read()
    exec(compile(source, filename, "exec", dont_inherit=True), main.__dict__)


def _already_reported(exc_type, value, traceback) -> None:
    """sys.excepthook once an uncaught KeyboardInterrupt has been printed without the zygote's frames."""
