"""A command run in a container as a local process, for `kubectl exec` (and for a container's main process when
`kubectl attach` needs one): started with pipes, or with a pseudo-terminal when a TTY is asked for, in a process
group of its own so that it and its children stop together.

    process = await start(argv, env, cwd, stdin=True, tty=False)   # a ContainerProcess (registry/kubelet_connection.py)
    process.stdin / .stdout / .stderr, process.resize(w, h), await process.wait(), process.terminate()

With a TTY, stdout carries the terminal (stdout and stderr both go there, as in a container) and `stderr` is
None; the pseudo-terminal is the process's controlling terminal, so ^C from `kubectl exec -it` interrupts it.

A command that cannot be started raises NodeError with the wording containerd and runc use, which is what
kubectl prints on a real cluster (after the kubelet's and the API server's own prefixes):

    failed to exec in container: failed to start exec "<64 hex>": OCI runtime exec failed: exec failed:
    unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown

The program is looked up in the container's PATH (the `env` given), as runc does with Go's exec.LookPath, not in
the sandbox's own."""
from __future__ import annotations

import asyncio
import errno
import fcntl
import os
import pty
import secrets
import signal
import stat
import struct
import termios

from sandbox.registry.kubelet_connection import NodeError

DEFAULT_SIZE = (80, 24)  # columns, rows until the client says otherwise (kubectl sends its size at once)
KILL_AFTER = 2.0  # seconds between SIGTERM and SIGKILL when the client goes away
READ_SIZE = 64 * 1024


def exit_code(returncode: int) -> int:
    """A container's exit code from a returncode: killed by signal N reads as 128 + N (137 for SIGKILL)."""
    return 128 - returncode if returncode < 0 else returncode


# starting ----------------------------------------------------------------------------------------------------------
async def start(argv: list[str], env: dict[str, str], cwd: str, *, stdin: bool, tty: bool) -> "ExecProcess":
    """Start `argv` with `env` in `cwd`; NodeError (500) when it cannot be started."""
    exec_id = secrets.token_hex(32)  # containerd names each exec with 32 random bytes
    if not argv:
        raise _start_failure(exec_id, "", oci_only="args must not be empty")
    if not os.path.isdir(cwd):
        raise _start_failure(exec_id, f'chdir to cwd ("{cwd}") set in config.json failed: no such file or directory')
    program = look_path(argv[0], env.get("PATH", os.defpath), cwd)
    if program is None:
        raise _start_failure(exec_id, f'exec: "{argv[0]}": executable file not found in $PATH')
    problem = _not_executable(program)
    if problem:
        raise _start_failure(exec_id, f'exec: "{argv[0]}": {problem}')
    try:
        if tty:
            return await _start_with_terminal(program, argv, env, cwd)
        return await _start_with_pipes(program, argv, env, cwd, stdin)
    except OSError as e:  # exec itself failed (e.g. not a binary the kernel can run)
        raise _start_failure(exec_id, f"exec {program}: {_go_error(e.errno)}") from None


def _start_failure(exec_id: str, why: str, oci_only: str | None = None) -> NodeError:
    runtime = f"OCI runtime exec failed: {oci_only}" if oci_only else \
        f"OCI runtime exec failed: exec failed: unable to start container process: {why}"
    # ": unknown": the shim's error crosses ttrpc as a status of code Unknown, and containerd's errdefs.FromGRPC
    # turns it back into an error wrapping ErrUnknown, whose text it appends (as the Failed event of a container
    # that cannot start shows too: commands.start_error_message)
    return NodeError(f'failed to exec in container: failed to start exec "{exec_id}": {runtime}: unknown', 500)


def look_path(name: str, path: str, cwd: str) -> str | None:
    """Go's exec.LookPath: a name with a slash is taken as it is (relative to `cwd`); otherwise the first
    directory of `path` holding an executable file of that name. None when nothing on the path fits."""
    if "/" in name:
        return os.path.join(cwd, name)
    for directory in path.split(":"):
        candidate = os.path.join(cwd, directory or ".", name)
        if _not_executable(candidate) is None:
            return candidate
    return None


def _not_executable(program: str) -> str | None:
    """Why Go's findExecutable refuses `program` (its words), or None when it is an executable file."""
    try:
        mode = os.stat(program).st_mode
    except OSError as e:
        return f"stat {program}: {_go_error(e.errno)}"
    if stat.S_ISDIR(mode) or not mode & 0o111:
        return "permission denied"
    return None


def _go_error(number: int | None) -> str:
    """An errno as Go's syscall package prints it: strerror, lower-cased ("no such file or directory")."""
    text = os.strerror(number) if number else "unknown error"
    return text[:1].lower() + text[1:]


async def _start_with_pipes(program, argv, env, cwd, stdin) -> "ExecProcess":
    process = await asyncio.create_subprocess_exec(
        argv[0], *argv[1:], executable=program, env=env, cwd=cwd, start_new_session=True,
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    return ExecProcess(process, process.stdin, process.stdout, process.stderr)


async def _start_with_terminal(program, argv, env, cwd) -> "ExecProcess":
    master, slave = pty.openpty()
    try:
        _set_size(master, *DEFAULT_SIZE)
        env = {"TERM": "xterm", **env}  # what a container started with a TTY sees unless told otherwise
        process = await asyncio.create_subprocess_exec(
            argv[0], *argv[1:], executable=program, env=env, cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
            preexec_fn=_take_terminal)
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)  # the child holds its own copies; ours would keep the terminal from ever hanging up
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin,
                                                        os.fdopen(os.dup(master), "wb", buffering=0))
    terminal = _Terminal(master, asyncio.StreamWriter(transport, protocol, None, loop), loop)
    return ExecProcess(process, terminal.writer, terminal.reader, None, terminal=terminal)


def _take_terminal() -> None:
    """In the child, before exec: a session of its own with the pseudo-terminal (fd 0) as controlling terminal,
    so the terminal's ^C and window changes reach its process group."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class _Terminal:
    """The pseudo-terminal's master side: its output as a StreamReader, its input as a StreamWriter. Linux
    answers EIO once the last process holding the terminal has gone: that is the end of the output, and the
    moment to close the master."""

    def __init__(self, master: int, writer: asyncio.StreamWriter, loop: asyncio.AbstractEventLoop):
        self.fd: int | None = master
        self.writer, self._loop = writer, loop
        self.reader = asyncio.StreamReader(limit=READ_SIZE)
        os.set_blocking(master, False)
        loop.add_reader(master, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError as e:
            if e.errno not in (errno.EIO, errno.EBADF):
                self.reader.set_exception(e)
                self.close()
                return
            data = b""
        if data:
            self.reader.feed_data(data)
        else:
            self.close()

    def close(self) -> None:
        if self.fd is None:
            return
        self._loop.remove_reader(self.fd)
        os.close(self.fd)
        self.fd = None
        self.writer.close()
        if not self.reader.at_eof():
            self.reader.feed_eof()


def _set_size(fd: int, width: int, height: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


# the running command -----------------------------------------------------------------------------------------------
class ExecProcess:
    """A started command: implements ContainerProcess (sandbox/registry/kubelet_connection.py)."""

    def __init__(self, process: asyncio.subprocess.Process, stdin: asyncio.StreamWriter | None,
                 stdout: asyncio.StreamReader, stderr: asyncio.StreamReader | None, terminal: _Terminal | None = None):
        self._process = process
        self.pid = process.pid
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self._terminal = terminal
        self._kill_timer: asyncio.TimerHandle | None = None

    def resize(self, width: int, height: int) -> None:
        """TIOCSWINSZ on the terminal: the kernel sends SIGWINCH to its foreground process group."""
        if self._terminal is None or self._terminal.fd is None or width <= 0 or height <= 0:
            return
        try:
            _set_size(self._terminal.fd, min(width, 0xFFFF), min(height, 0xFFFF))
        except OSError:
            pass  # the terminal is gone with the process

    async def wait(self) -> int:
        returncode = await self._process.wait()
        if self._kill_timer is not None:
            self._kill_timer.cancel()
        return exit_code(returncode)

    def terminate(self) -> None:
        """SIGTERM to the process group now, SIGKILL a little later if it is still there."""
        if self._process.returncode is not None and not self._group_alive():
            self._close_terminal()
            return
        self._signal_group(signal.SIGTERM)
        if self._kill_timer is None:
            self._kill_timer = asyncio.get_running_loop().call_later(KILL_AFTER, self._kill)

    def _kill(self) -> None:
        self._signal_group(signal.SIGKILL)
        self._close_terminal()

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)  # the group the command leads (start_new_session / setsid)
        except ProcessLookupError:
            pass

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def _close_terminal(self) -> None:
        if self._terminal is not None:
            self._terminal.close()
