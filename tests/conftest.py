"""Shared fixtures: a real sandbox process (`python -m sandbox`) driven over HTTPS by real kubectl and the
official Python client. `sandbox_process` is one per test session; `sandbox_factory` starts extra ones (for
restart and crash tests); `fresh_namespace` gives each test its own namespace."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from sandbox.kubeconfig import discovery_cache

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0  # generous: the machine is shared


class SandboxProcess:
    """A running `python -m sandbox`: `.kubeconfig` (path), `.url`, `.api_client()`, `.kubectl(*args)`."""

    def __init__(self, workdir: Path, args: list[str], time_scale: float = 20, *, ignoring: tuple[int, ...] = ()):
        self.ignoring = ignoring  # signals the sandbox inherits ignored (as a shell's background job does)
        self.workdir = workdir
        self.kubeconfig = workdir / "kubeconfig"
        self.log_path = workdir / "sandbox.log"
        self.args = args
        self.time_scale = time_scale
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "SandboxProcess":
        self.kubeconfig.unlink(missing_ok=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        # Tests that exercise running containers ask for --runtime process; the others (the API machinery, the
        # controllers, the workload model) share the cheaper simulated runtime.
        runtime = [] if "--runtime" in self.args else ["--runtime", "simulated"]
        command = [sys.executable, "-m", "sandbox", "--port", "0", "--kubeconfig", str(self.kubeconfig),
                   "--time-scale", str(self.time_scale), *runtime, *self.args]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, preexec_fn=self._ignore if self.ignoring else None)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.kubeconfig.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"sandbox did not start within {START_TIMEOUT}s:\n{self.log()}")
            time.sleep(0.05)
        from sandbox import kubeconfig
        self.url = kubeconfig.read(self.kubeconfig)["url"]
        return self

    def _ignore(self) -> None:
        for signum in self.ignoring:
            signal.signal(signum, signal.SIG_IGN)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def api_client(self):
        """A kubernetes.client.ApiClient configured from the sandbox's kubeconfig."""
        from kubernetes import config
        return config.new_client_from_config(config_file=str(self.kubeconfig), context="workshop-sandbox")

    def kubectl(self, *args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        """Real kubectl against this sandbox; never raises on a non-zero exit (check .returncode)."""
        return subprocess.run(["kubectl", "--kubeconfig", str(self.kubeconfig),
                               "--cache-dir", str(discovery_cache(self.kubeconfig)), *args], input=input,
                              capture_output=True, text=True, timeout=timeout)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory):
    """The API machinery's sandbox: every pod simulated, so tests of the API, the controllers and the workload model
    share it cheaply; tests of running containers start their own (tests/sandbox/runtime)."""
    sandbox = SandboxProcess(tmp_path_factory.mktemp("sandbox"), []).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox_factory(tmp_path):
    """start(*args, time_scale=20, workdir=None) -> SandboxProcess; every one started is killed afterwards."""
    started: list[SandboxProcess] = []

    def start(*args: str, time_scale: float = 20, workdir: Path | None = None) -> SandboxProcess:
        workdir = workdir or tmp_path / f"sandbox-{len(started)}"
        workdir.mkdir(parents=True, exist_ok=True)
        sandbox = SandboxProcess(workdir, list(args), time_scale).start()
        started.append(sandbox)
        return sandbox
    yield start
    for sandbox in started:
        sandbox.kill()


@pytest.fixture
def fresh_namespace(sandbox_process):
    """A new, uniquely named namespace in the session sandbox; deleted (not waited for) afterwards."""
    from kubernetes import client
    name = f"test-{uuid.uuid4().hex[:8]}"
    with sandbox_process.api_client() as api_client:
        core = client.CoreV1Api(api_client)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
        yield name
        try:
            core.delete_namespace(name)
        except client.ApiException:
            pass
