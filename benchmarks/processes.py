"""The child processes a benchmark run starts (sandboxes, the hello-world server, load clients) and the one
rule about them: every process started here is stopped when the run ends, however it ends (normal exit,
exception, Ctrl-C, SIGTERM). Nothing here talks to anything but 127.0.0.1."""
from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT = 120.0  # generous: the machine is shared and a 93-node sandbox registers its nodes first
STOP_TIMEOUT = 30.0

_started: list["Child"] = []


def python_env() -> dict:
    """The environment for children: the repository importable (sandbox, benchmarks) wherever we run from."""
    paths = [str(REPO), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))


class Child:
    """One child process, logged to a file, registered so that stop_all() finds it."""

    def __init__(self, name: str, command: list[str], log_path: Path, stop_signal: int = signal.SIGTERM):
        self.name, self.command, self.log_path, self.stop_signal = name, command, log_path, stop_signal
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(command, cwd=REPO, env=python_env(), stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _started.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def check_alive(self) -> None:
        if not self.running():
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")

    def stop(self, grace: float = 0.0) -> int | None:
        """After `grace` seconds to exit on its own, the stop signal (SIGTERM: the sandbox shuts down cleanly and
        cProfile writes its file), then SIGKILL if it hangs."""
        if grace and self.running():
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        if self.running():
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        if self in _started:
            _started.remove(self)
        return self.proc.returncode


def stop_all() -> None:
    for child in reversed(list(_started)):
        child.stop()


def exit_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C does, so `finally: stop_all()` runs."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB, from /proc/<pid>/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from /proc/<pid>/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": state is fields[0], utime fields[11]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sandbox(Child):
    """`python -m sandbox --port 0 ...` in `workdir`; start() returns once its kubeconfig exists and /readyz
    answers 200. With `profile` set, the process runs under cProfile and writes that file when stopped."""

    def __init__(self, workdir: Path, *, nodes: int, time_scale: float, profile: Path | None = None):
        workdir.mkdir(parents=True, exist_ok=True)
        self.kubeconfig = workdir / "kubeconfig"
        self.ca_path = workdir / "ca.crt"
        self.profile = profile
        launcher = ["-m", "cProfile", "-o", str(profile)] if profile else []
        command = [sys.executable, *launcher, "-m", "sandbox", "--port", "0", "--kubeconfig", str(self.kubeconfig),
                   "--nodes", str(nodes), "--time-scale", str(time_scale)]
        super().__init__(f"sandbox ({nodes} nodes)", command, workdir / "sandbox.log")
        self.url = self.token = ""
        self.sampler: Sampler | None = None

    def wait_ready(self, timeout: float = START_TIMEOUT) -> "Sandbox":
        deadline = time.monotonic() + timeout
        while not self.kubeconfig.exists():
            self.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: no kubeconfig after {timeout:.0f}s:\n{self.log()}")
            time.sleep(0.05)
        from sandbox import kubeconfig
        config = kubeconfig.read(self.kubeconfig)
        self.url, self.token = config["url"], config["token"]
        self.ca_path.write_bytes(config["ca_pem"])
        wait_http_ok(f"{self.url}/readyz", self.ssl_context(), deadline, self, token=self.token)
        return self

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_path))

    def api_client(self):
        from kubernetes import config
        return config.new_client_from_config(config_file=str(self.kubeconfig), context="workshop-sandbox")


class Sampler(Child):
    """`py-spy record` attached to a running process, writing collapsed stacks to `output` when it exits.
    --nonblocking samples without pausing the target, so the profile barely slows what is measured; py-spy
    writes its file when the target exits or on SIGINT (its Ctrl-C), not on SIGTERM."""

    def __init__(self, target: Child, output: Path, log_path: Path):
        self.output = output
        command = ["py-spy", "record", "--pid", str(target.pid), "--format", "raw", "--nonblocking",
                   "--full-filenames", "--output", str(output)]
        super().__init__(f"py-spy of {target.name}", command, log_path, stop_signal=signal.SIGINT)


def wait_http_ok(url: str, context: ssl.SSLContext, deadline: float, child: Child, token: str = "") -> None:
    """Poll `url` until it answers 200, the child dies, or the deadline passes."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    while True:
        child.check_alive()
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), context=context,
                                        timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{child.name}: {url} not ready in time:\n{child.log()}")
        time.sleep(0.1)
