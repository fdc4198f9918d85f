"""Processes forked by a real zygote behave as processes of a fresh interpreter: programs (-m, -c, a script),
streams, exit statuses, signals, the working directory and environment, several at once, a spawn that cannot
start, the app itself; and nothing they start outlives the zygote."""
from __future__ import annotations

import asyncio
import os
import pty
import signal
import socket
import sys
import textwrap

import pytest

from sandbox.runtime.zygote import Zygote, ZygoteUnavailable
from tests.unit.runtime.conftest import (
    TIMEOUT, base_env, communicate, forked, fresh, kill_quietly, running, wait_for)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("zygote")
    (directory / "greeting.py").write_text(textwrap.dedent("""\
        import os, sys
        print("module", __name__, sys.argv, sys.path[0] == os.getcwd())
        """))
    (directory / "tool.py").write_text("import sys\nprint('script', __file__, sys.argv)\n")
    return directory


def test_module_runs_as_main_with_its_file_as_argv0(zygote, run, workdir):
    code, out, err, process = run(forked(zygote, ["-m", "greeting", "a", "b"], base_env(), workdir))
    assert (code, err) == (0, b""), err
    assert out.decode() == f"module __main__ {[str(workdir / 'greeting.py'), 'a', 'b']} True\n"
    assert process.exec_reason is None  # forked, not exec'd


def test_code_runs_with_dash_c_as_argv0(zygote, run, workdir):
    code, out, err, _ = run(forked(zygote, ["-c", "import sys; print(sys.argv, repr(sys.path[0]))", "x"],
                                   base_env(), workdir))
    assert (code, out, err) == (0, b"['-c', 'x'] ''\n", b"")


def test_script_runs_under_its_absolute_name(zygote, run, workdir):
    code, out, err, _ = run(forked(zygote, ["tool.py", "x"], base_env(), workdir))
    assert (code, out, err) == (0, f"script {workdir / 'tool.py'} ['tool.py', 'x']\n".encode(), b"")


def test_stdout_and_stderr_are_separate_or_merged(zygote, run, workdir):
    program = ["-u", "-c", "import sys; print('out1'); print('err', file=sys.stderr); print('out2')"]
    code, out, err, _ = run(forked(zygote, program, base_env(), workdir))
    assert (code, out, err) == (0, b"out1\nout2\n", b"err\n")
    code, out, err, process = run(forked(zygote, program, base_env(), workdir, merge_stderr=True))
    assert (code, out, err, process.stderr) == (0, b"out1\nerr\nout2\n", b"", None)


def test_stdin_is_piped_and_ends_when_closed(zygote, run, workdir):
    code, out, _, _ = run(forked(zygote, ["-c", "import sys; print(sys.stdin.read().upper(), end='')"],
                                 base_env(), workdir, stdin=b"hello\nworld\n"))
    assert (code, out) == (0, b"HELLO\nWORLD\n")


def test_without_stdin_the_program_reads_dev_null(zygote, run, workdir):
    code, out, _, _ = run(forked(zygote, ["-c", "import sys; print(repr(sys.stdin.read()))"], base_env(), workdir))
    assert (code, out) == (0, b"''\n")


@pytest.mark.parametrize("program, expected", [
    ("pass", 0),
    ("import sys; sys.exit(3)", 3),
    ("raise SystemExit(256 + 7)", 7),
    ("import sys; sys.exit('message')", 1),
    ("import os; os._exit(9)", 9),
])
def test_exit_codes_are_the_interpreters(zygote, run, workdir, program, expected):
    code, _, err, _ = run(forked(zygote, ["-c", program], base_env(), workdir))
    assert code == expected
    assert run(fresh(["-c", program], base_env(), workdir))[::2] == (code, err)  # the message too, if any


def test_system_exit_message_goes_to_stderr(zygote, run, workdir):
    assert run(forked(zygote, ["-c", "raise SystemExit('no config')"], base_env(), workdir))[:3] == (
        1, b"", b"no config\n")


@pytest.mark.parametrize("args", [
    ["-c", "def f():\n    1 / 0\nf()"],
    ["-m", "broken"],
    ["broken.py"],
    ["-c", "def ("],  # a syntax error: no "Traceback" header, as the interpreter prints it
    ["-m", "no_such_module"],
])
def test_uncaught_exception_prints_the_same_traceback_and_exits_1(zygote, run, workdir, args):
    (workdir / "broken.py").write_text("import json\n\ndef load():\n    return json.loads('{')\n\nload()\n")
    code, out, err, _ = run(forked(zygote, args, base_env(), workdir))
    assert code == 1
    assert (code, out, err) == run(fresh(args, base_env(), workdir))


def test_keyboard_interrupt_ends_by_sigint_as_the_interpreter_does(zygote, run, workdir):
    args = ["-c", "import atexit; atexit.register(print, 'atexit ran'); raise KeyboardInterrupt"]
    result = run(forked(zygote, args, base_env(), workdir))[:3]
    assert result[0] == -signal.SIGINT  # the container's exit code: 130
    assert result == run(fresh(args, base_env(), workdir))


def test_a_signal_to_the_group_ends_the_process(zygote, run, workdir):
    async def scenario():
        process = await zygote.spawn(["-c", "import time; print('up', flush=True); time.sleep(600)"],
                                     env=base_env(), cwd=str(workdir))
        try:
            assert await process.stdout.readline() == b"up\n"
            assert os.getpgid(process.pid) == process.pid and os.getsid(process.pid) == process.pid
            os.killpg(process.pid, signal.SIGTERM)
            return await process.wait()
        finally:
            kill_quietly(process.pid)
    assert run(scenario()) == -signal.SIGTERM


def test_environment_and_working_directory_are_exactly_the_given_ones(zygote, run, workdir, tmp_path):
    env = base_env(GREETING="hello world", EMPTY="")
    code, out, _, _ = run(forked(zygote, ["-c", "import os; print(sorted(os.environ.items())); print(os.getcwd())"],
                                 env, tmp_path))
    assert (code, out.decode()) == (0, f"{sorted(env.items())}\n{tmp_path}\n")


def test_only_the_standard_descriptors_are_open(zygote, run, workdir):
    args = ["-c", "import os; print(sorted(int(fd) for fd in os.listdir('/proc/self/fd')))"]  # 3: the listing
    result = run(forked(zygote, args, base_env(), workdir))[:3]
    assert result == (0, b"[0, 1, 2, 3]\n", b"") == run(fresh(args, base_env(), workdir))


def test_pythonpath_is_honoured(zygote, run, workdir, tmp_path):
    (tmp_path / "helper_module.py").write_text("VALUE = 'from PYTHONPATH'\n")
    code, out, _, _ = run(forked(zygote, ["-c", "import helper_module; print(helper_module.VALUE)"],
                                 base_env(PYTHONPATH=str(tmp_path)), workdir))
    assert (code, out) == (0, b"from PYTHONPATH\n")


def test_two_children_run_at_once(zygote, run, workdir):
    async def scenario():
        program = ["-c", "import sys; print('ready', flush=True); print(sys.stdin.readline().strip() * 2)"]
        first, second = [await zygote.spawn(program, env=base_env(), cwd=str(workdir), stdin=True) for _ in "ab"]
        assert first.pid != second.pid
        assert await first.stdout.readline() == b"ready\n" and await second.stdout.readline() == b"ready\n"
        assert running(first.pid) and running(second.pid)  # both alive at the same moment
        return await asyncio.gather(communicate(second, b"2\n"), communicate(first, b"1\n"))
    assert run(scenario()) == [(0, b"22\n", b""), (0, b"11\n", b"")]


def test_each_child_draws_its_own_random_numbers(zygote, run, workdir):
    program = ["-c", "import random, tempfile, uuid; print(random.random(), uuid.uuid4(), tempfile.mktemp())"]
    outputs = {run(forked(zygote, program, base_env(), workdir))[1] for _ in range(3)}
    assert len(outputs) == 3


def test_a_terminal_becomes_the_controlling_terminal(zygote, run, workdir):
    master, slave = pty.openpty()
    program = "import os, sys; print(os.isatty(1), sys.stdout.line_buffering, os.tcgetpgrp(0) == os.getpgid(0))"

    async def scenario():
        process = await zygote.spawn(["-c", program], env=base_env(), cwd=str(workdir), terminal=slave)
        os.close(slave)
        assert (process.stdin, process.stdout, process.stderr) == (None, None, None)
        code = await process.wait()
        return code, await asyncio.to_thread(read_terminal, master)
    try:
        assert run(scenario()) == (0, b"True True True\r\n")
    finally:
        os.close(master)


def read_terminal(master: int) -> bytes:
    """What the process wrote, up to the hang-up that its exit causes (EIO on Linux)."""
    data = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            return data
        if not chunk:
            return data
        data += chunk


def test_a_missing_working_directory_fails_the_spawn(zygote, run, tmp_path):
    missing = tmp_path / "not-there"
    with pytest.raises(FileNotFoundError) as raised:
        run(zygote.spawn(["-c", "pass"], env=base_env(), cwd=str(missing)))
    assert raised.value.filename == str(missing)
    assert run(forked(zygote, ["-c", "print('still serving')"], base_env(), tmp_path))[:2] == (0, b"still serving\n")


def test_a_bad_environment_fails_the_spawn(zygote, run, tmp_path):
    with pytest.raises(OSError) as raised:
        run(zygote.spawn(["-c", "pass"], env={"A=B": "x"}, cwd=str(tmp_path)))
    assert "environment" in str(raised.value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_orders_api_answers_healthz_and_stops_on_sigterm(zygote, run):
    port = free_port()
    env = base_env(PYTHONPATH=REPO, PYTHONUNBUFFERED="1", ORDERS_PORT=str(port), BIND_ADDRESS="127.0.0.1")

    async def healthz() -> bytes:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return b""
        writer.write(b"GET /healthz HTTP/1.0\r\n\r\n")
        answer = await reader.read()
        writer.close()
        return answer

    async def scenario():
        process = await zygote.spawn(["-m", "app.api"], env=env, cwd=REPO, merge_stderr=True)
        output = asyncio.create_task(process.stdout.read())
        try:
            answer = b""
            while b" 200 " not in answer.partition(b"\r\n")[0]:
                assert process.returncode is None, await output
                answer = await healthz()
                await asyncio.sleep(0.05)
            assert answer.endswith(b'{"status": "ok"}')
            assert process.exec_reason is None
            process.terminate()
            return await process.wait(), await output
        finally:
            kill_quietly(process.pid)
    code, log = run(scenario())
    assert code == 0, log.decode()
    assert b"api.starting" in log


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_children_die_with_the_zygote(run, workdir):
    async def scenario():
        zygote = Zygote()
        await zygote.start()
        process = await zygote.spawn(["-c", "import time; print('up', flush=True); time.sleep(600)"],
                                     env=base_env(), cwd=str(workdir))
        try:
            assert await process.stdout.readline() == b"up\n"
            os.kill(zygote.pid, signal.SIGKILL)
            await wait_for(lambda: not running(process.pid), "the child to die with its zygote")
            assert await process.wait() == -signal.SIGKILL
            assert not zygote.running
            with pytest.raises(ZygoteUnavailable):
                await zygote.spawn(["-c", "pass"], env=base_env(), cwd=str(workdir))
        finally:
            kill_quietly(process.pid)
            await zygote.stop()
    run(scenario(), timeout=2 * TIMEOUT)


def test_stop_kills_what_still_runs_and_reports_it(run, workdir):
    async def scenario():
        zygote = Zygote()
        await zygote.start()
        process = await zygote.spawn(["-c", "import time; print('up', flush=True); time.sleep(600)"],
                                     env=base_env(), cwd=str(workdir))
        assert await process.stdout.readline() == b"up\n"
        await zygote.stop()
        assert not running(process.pid)
        return await process.wait()
    assert run(scenario(), timeout=2 * TIMEOUT) == -signal.SIGKILL
