"""One exec or attach session (sandbox/api/streams/remotecommand.py) against a scripted ContainerProcess: the Status
at the end, output drained however slowly the client takes it, the command stopped when the client leaves, and
the wording of a node's failure."""
import asyncio

import pytest

from sandbox.api.streams import remotecommand
from sandbox.api.streams.remotecommand import CommandSession, node_failure
from sandbox.registry.kubelet_connection import NodeError
from sandbox.registry.pod_connections import StreamOptions

OPTIONS = StreamOptions(stdout=True, stderr=True, stdin=True)


class ScriptedProcess:
    def __init__(self):
        self.stdout, self.stderr = asyncio.StreamReader(), asyncio.StreamReader()
        self.stdin = None
        self.exit = asyncio.get_running_loop().create_future()
        self.terminated = False

    def resize(self, width, height):
        pass

    async def wait(self):
        return await self.exit

    def terminate(self):
        self.terminated = True

    def finish(self, code=0, eof=True):
        if eof:
            self.stdout.feed_eof()
            self.stderr.feed_eof()
        self.exit.set_result(code)


class Client:
    def __init__(self):
        self.stdout, self.stderr = bytearray(), bytearray()
        self.open = asyncio.Event()
        self.open.set()

    async def send_stdout(self, data):
        await self.open.wait()
        self.stdout += data

    async def send_stderr(self, data):
        self.stderr += data


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 60))


@pytest.mark.parametrize("attach, code, status", [
    (False, 0, "Success"), (False, 3, "Failure"), (True, 3, "Success"),  # attach reports no exit code
])
def test_the_status_at_the_end(attach, code, status):
    async def main():
        process, client = ScriptedProcess(), Client()
        process.stdout.feed_data(b"out")
        process.stderr.feed_data(b"err")
        process.finish(code)
        result = await CommandSession(process, OPTIONS, attach=attach).run(client.send_stdout, client.send_stderr)
        return result, bytes(client.stdout), bytes(client.stderr)
    result, out, err = run(main())
    assert (result["status"], out, err) == (status, b"out", b"err")
    if status == "Failure":
        assert result["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]


def test_a_slow_client_still_gets_all_the_output(monkeypatch):
    monkeypatch.setattr(remotecommand, "OUTPUT_GRACE", 0.05)

    async def main():
        process, client = ScriptedProcess(), Client()
        client.open.clear()  # the client takes nothing yet
        process.stdout.feed_data(b"x" * (3 * remotecommand.READ_SIZE))
        process.finish(0)
        session = asyncio.create_task(CommandSession(process, OPTIONS, attach=False).run(client.send_stdout,
                                                                                         client.send_stderr))
        done, _ = await asyncio.wait({session}, timeout=0.5)  # ten times the grace: the session must still wait
        assert not done
        client.open.set()
        await session
        return len(client.stdout)
    assert run(main()) == 3 * remotecommand.READ_SIZE


def test_output_held_open_by_a_background_child_ends_after_the_grace(monkeypatch):
    monkeypatch.setattr(remotecommand, "OUTPUT_GRACE", 0.05)

    async def main():
        process, client = ScriptedProcess(), Client()
        process.stdout.feed_data(b"last words")
        process.finish(0, eof=False)  # `sleep 60 &` keeps stdout open
        return await CommandSession(process, OPTIONS, attach=False).run(client.send_stdout, client.send_stderr), \
            bytes(client.stdout)
    status, out = run(main())
    assert status["status"] == "Success" and out == b"last words"


def test_a_client_that_leaves_stops_the_command():
    async def main():
        process, client = ScriptedProcess(), Client()
        session = CommandSession(process, OPTIONS, attach=False)
        running = asyncio.create_task(session.run(client.send_stdout, client.send_stderr))
        session.client_gone()
        return await running, process.terminated
    assert run(main()) == (None, True)


def test_output_nobody_asked_for_is_read_and_dropped():
    async def main():
        process, client = ScriptedProcess(), Client()
        process.stderr.feed_data(b"unwanted")
        process.finish(0)
        await CommandSession(process, StreamOptions(stdout=True), attach=False).run(client.send_stdout,
                                                                                     client.send_stderr)
        return bytes(client.stderr)
    assert run(main()) == b""


@pytest.mark.parametrize("code, attach, translated, message", [
    (500, False, True, "Internal error occurred: Internal error occurred: error executing command in container: why"),
    (500, False, False, "Internal error occurred: error executing command in container: why"),
    (500, True, False, "Internal error occurred: error attaching to container: why"),
    (404, False, True, "Internal error occurred: unable to upgrade connection: why"),
])
def test_a_nodes_failure_is_worded_as_the_kubelet_and_the_translator_word_it(code, attach, translated, message):
    status = node_failure(NodeError("why", code), attach=attach, translated=translated)
    assert (status["reason"], status["code"], status["message"]) == ("InternalError", 500, message)
