"""Long-running kubectl sessions the stream tests drive: `kubectl exec -it` in a pseudo-terminal of its own (as a
learner's terminal runs it) and `kubectl port-forward` in the background. Both take anything with a `.kubeconfig`
path (a SandboxProcess, the streams harness's server)."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time

from tests.waiting import wait_until


class Terminal:
    """kubectl in a pseudo-terminal of its own, as a learner's terminal runs it."""

    def __init__(self, argv: list[str], columns: int, rows: int, env: dict[str, str]):
        self.master, slave = pty.openpty()
        self.resize(columns, rows)
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                                        env=dict(os.environ, **env))
        os.close(slave)
        self.seen, self.mark = b"", 0

    def resize(self, columns: int, rows: int) -> None:
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        if hasattr(self, "process"):
            os.kill(self.process.pid, signal.SIGWINCH)  # what the kernel sends a terminal's foreground group

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def expect(self, pattern: bytes, timeout: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            match = re.compile(pattern).search(self.seen, self.mark)
            if match:
                self.mark = match.end()
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {pattern!r}; the terminal shows {self.seen[-800:]!r}")
            if select.select([self.master], [], [], min(remaining, 1))[0]:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:  # EIO: kubectl has exited
                    raise AssertionError(f"kubectl ended before {pattern!r}: {self.seen[-800:]!r}") from None

    def wait_for_size(self, size: bytes, timeout: float = 60) -> None:
        """Ask the Python REPL in the terminal for its size until it is `size` ("columns rows")."""
        deadline, seen = time.monotonic() + timeout, b""
        while seen != size:
            assert time.monotonic() < deadline, f"the terminal stayed {seen!r}, not {size!r}"
            self.send(b"print('SIZE', *os.get_terminal_size())\r")
            # Not anchored on the line before: a SIGWINCH landing while readline reads the line makes it redraw
            # the prompt, and the answer can follow the echoed command on the same line.
            seen = self.expect(rb"SIZE (\d+ \d+)\r\n").group(1)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)
        os.close(self.master)


class KubectlPortForward:
    """`kubectl port-forward` in the background: its local port once it says it is forwarding."""

    def __init__(self, server, target: str, ports: str, env: dict | None = None, namespace: str | None = None):
        scope = ["--namespace", namespace] if namespace else []
        self.process = subprocess.Popen(
            ["kubectl", "--kubeconfig", str(server.kubeconfig), *scope, "port-forward", "--address", "127.0.0.1",
             target, ports], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, **(env or {})))
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.readers = [threading.Thread(target=self._collect, args=(pipe, into), daemon=True)
                        for pipe, into in ((self.process.stdout, self.lines), (self.process.stderr, self.errors))]
        for reader in self.readers:
            reader.start()
        line = wait_until(lambda: next((x for x in self.lines if x.startswith("Forwarding from")), None),
                          timeout=60, what=f"kubectl port-forward {target}", debug=self.output)
        match = re.fullmatch(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)\n", line)
        self.local_port, self.remote_port = int(match.group(1)), int(match.group(2))

    @staticmethod
    def _collect(pipe, into: list[str]) -> None:
        for line in pipe:
            into.append(line)

    def output(self) -> str:
        return "".join(self.lines) + "".join(self.errors)

    def wait(self, timeout: float = 60) -> int:
        """kubectl's exit code, once it has exited and all it wrote has been read."""
        code = self.process.wait(timeout)
        for reader in self.readers:
            reader.join(timeout)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(30)

    def __enter__(self) -> "KubectlPortForward":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
