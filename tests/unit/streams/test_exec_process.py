"""A command run in a container as a local process (sandbox/runtime/exec_process.py): pipes and exit codes, a
pseudo-terminal that is the command's controlling terminal (size, ^C), the process group stopped together, and
the runtime's words for a command that cannot start."""
import asyncio
import os
import re
import sys

import pytest

from sandbox.registry.kubelet_connection import NodeError
from sandbox.runtime import exec_process

ENV = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
EXEC_ID = r'failed to exec in container: failed to start exec "[0-9a-f]{64}": '


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 60))


async def read_until(reader: asyncio.StreamReader, text: bytes) -> bytes:
    seen = b""
    while text not in seen:
        chunk = await reader.read(4096)
        if not chunk:
            raise AssertionError(f"EOF before {text!r}; got {seen!r}")
        seen += chunk
    return seen


def test_pipes_carry_stdin_stdout_stderr_and_the_exit_code(tmp_path):
    async def main():
        process = await exec_process.start(
            [sys.executable, "-c", "import sys; data = sys.stdin.read(); print(data.upper());"
                                   "print('to stderr', file=sys.stderr); sys.exit(3)"],
            ENV, str(tmp_path), stdin=True, tty=False)
        process.stdin.write(b"piped")
        await process.stdin.drain()
        process.stdin.close()
        return await process.stdout.read(), await process.stderr.read(), await process.wait()
    assert run(main()) == (b"PIPED\n", b"to stderr\n", 3)


def test_without_stdin_the_command_reads_eof(tmp_path):
    async def main():
        process = await exec_process.start([sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"],
                                           ENV, str(tmp_path), stdin=False, tty=False)
        assert process.stdin is None
        return await process.stdout.read(), await process.wait()
    assert run(main()) == (b"''\n", 0)


def test_the_program_is_found_on_the_containers_path_not_the_sandboxs(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "only-here"
    tool.write_text("#!/bin/sh\necho found\n")
    tool.chmod(0o755)

    async def main():
        process = await exec_process.start(["only-here"], {"PATH": str(bin_dir)}, str(tmp_path),
                                           stdin=False, tty=False)
        return await process.stdout.read()
    assert run(main()) == b"found\n"
    with pytest.raises(NodeError, match="executable file not found"):
        run(exec_process.start(["only-here"], ENV, str(tmp_path), stdin=False, tty=False))


@pytest.mark.parametrize("argv, why", [
    (["nosuch"], 'exec failed: unable to start container process: exec: "nosuch": executable file not found in '
                 r'\$PATH: unknown$'),
    (["/bin/nosuch"], 'exec: "/bin/nosuch": stat /bin/nosuch: no such file or directory: unknown$'),
    (["DATA"], 'exec: "DATA": permission denied: unknown$'),  # a file without execute bits
    ([], "OCI runtime exec failed: args must not be empty: unknown$"),
])
def test_a_command_that_cannot_start_is_a_node_error_in_the_runtimes_words(tmp_path, argv, why):
    data = tmp_path / "data.txt"
    data.write_text("just data")
    argv, why = [str(data) if a == "DATA" else a for a in argv], why.replace("DATA", str(data))
    with pytest.raises(NodeError) as caught:
        run(exec_process.start(argv, ENV, str(tmp_path), stdin=False, tty=False))
    assert caught.value.code == 500
    assert re.match(EXEC_ID + "OCI runtime exec failed: ", caught.value.message), caught.value.message
    assert re.search(why, caught.value.message), caught.value.message


def test_a_missing_working_directory(tmp_path):
    with pytest.raises(NodeError, match=r'chdir to cwd \("/no/such/dir"\) set in config.json failed: no such file'):
        run(exec_process.start(["true"], ENV, "/no/such/dir", stdin=False, tty=False))


def test_a_tty_is_the_commands_terminal_and_resizes(tmp_path):
    script = ("import os, signal, sys\n"
              "changes = []\n"
              "signal.signal(signal.SIGWINCH, lambda *a: changes.append(1))\n"
              "print('TTY', os.isatty(0), os.isatty(1), tuple(os.get_terminal_size()), os.environ['TERM'])\n"
              "sys.stdin.readline()\n"
              "print('SIZE', tuple(os.get_terminal_size()), 'SIGWINCH', len(changes))\n")

    async def main():
        process = await exec_process.start([sys.executable, "-c", script], ENV, str(tmp_path), stdin=True, tty=True)
        assert process.stderr is None, "the terminal carries stderr"
        seen = await read_until(process.stdout, b"xterm")
        assert b"TTY True True (80, 24) xterm" in seen
        process.resize(132, 43)
        process.stdin.write(b"\r")
        await process.stdin.drain()
        await read_until(process.stdout, b"SIZE (132, 43) SIGWINCH 1")
        return await process.wait()
    assert run(main()) == 0


def test_ctrl_c_on_the_terminal_interrupts_the_command(tmp_path):
    async def main():
        process = await exec_process.start(
            # short sleeps: a SIGINT landing just before one long sleep's system call would wait for its end
            [sys.executable, "-c", "import time\nprint('ready', flush=True)\nwhile True: time.sleep(0.05)"], ENV,
            str(tmp_path),
            stdin=True, tty=True)
        await read_until(process.stdout, b"ready")
        process.stdin.write(b"\x03")
        await process.stdin.drain()
        output = await process.stdout.read()
        return output, await process.wait()
    output, code = run(main())
    assert b"KeyboardInterrupt" in output and code == 130, "Python re-raises SIGINT: 128 + 2"


@pytest.mark.parametrize("tty", [False, True])
def test_terminate_stops_the_whole_process_group(tmp_path, tty):
    async def main():
        process = await exec_process.start(
            ["sh", "-c", "trap '' TERM; sleep 60 & echo child $!; wait"], ENV, str(tmp_path), stdin=False, tty=tty)
        seen = await read_until(process.stdout, b"\n")
        child = int(re.search(rb"child (\d+)", seen).group(1))
        process.terminate()
        code = await process.wait()
        for _ in range(600):  # the group's SIGKILL follows the ignored SIGTERM
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                return code
            await asyncio.sleep(0.05)
        raise AssertionError(f"the background child {child} outlived terminate()")
    assert run(main()) == 137, "SIGTERM ignored, then SIGKILL: 128 + 9"


def test_exit_codes_of_signals_read_as_a_containers_do():
    assert exec_process.exit_code(-15) == 143 and exec_process.exit_code(2) == 2
