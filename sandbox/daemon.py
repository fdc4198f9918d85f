"""A background sandbox, for `workshop sandbox start|stop|status` and helpers.connect: it runs as its own
process (a kernel restart never loses the cluster) with its files under <home>/sandbox/: kubeconfig, pid, log,
and the state (SQLite) with its TLS material and token beside it, so a restarted sandbox keeps its objects and
its clients. start() is idempotent and safe against two callers at once (a file lock)."""
from __future__ import annotations

import fcntl
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sandbox import kubeconfig

START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class SandboxStatus:
    kubeconfig: Path
    pid: int
    url: str
    log_path: Path


def home_dir(home: str | os.PathLike | None = None) -> Path:
    base = Path(home) if home else Path(os.environ.get("WORKSHOP_HOME") or Path.home() / ".workshop")
    return base.expanduser() / "sandbox"


RUNTIME_ENV = "WORKSHOP_RUNTIME"
RUNTIMES = ("process", "simulated")


def _paths(home) -> dict[str, Path]:
    directory = home_dir(home)
    return {"dir": directory, "kubeconfig": directory / "kubeconfig", "pid": directory / "sandbox.pid",
            "log": directory / "sandbox.log", "state": directory / "state.db", "lock": directory / ".lock",
            "run": directory / "run"}


@contextmanager
def _locked(paths: dict[str, Path]):
    paths["dir"].mkdir(parents=True, exist_ok=True)
    with open(paths["lock"], "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    """True when `pid` is a running sandbox (not a recycled pid of something else)."""
    try:
        os.kill(pid, 0)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return False
    if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
        return False  # a zombie has exited
    return b"sandbox" in cmdline


def _read_pid(paths: dict[str, Path]) -> int | None:
    try:
        return int(paths["pid"].read_text().strip())
    except (OSError, ValueError):
        return None


def ready(kubeconfig_path: str | os.PathLike, timeout: float = 2.0) -> bool:
    """True when the sandbox named in the kubeconfig answers /readyz."""
    try:
        config = kubeconfig.read(kubeconfig_path)
    except (OSError, KeyError, StopIteration, ValueError, TypeError):
        return False
    context = ssl.create_default_context(cadata=config["ca_pem"].decode())
    request = urllib.request.Request(config["url"] + "/readyz",
                                     headers={"Authorization": f"Bearer {config['token']}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def status(home=None) -> SandboxStatus | None:
    paths = _paths(home)
    pid = _read_pid(paths)
    if pid is None or not _alive(pid) or not paths["kubeconfig"].exists():
        return None
    try:
        url = kubeconfig.read(paths["kubeconfig"])["url"]
    except (OSError, KeyError, StopIteration, ValueError, TypeError):
        return None
    return SandboxStatus(paths["kubeconfig"], pid, url, paths["log"])


def start(home=None, *, time_scale: float = 1.0, nodes: int = 3, persist: bool = True,
          timeout: float = START_TIMEOUT, runtime: str | None = None) -> SandboxStatus:
    """Start a background sandbox, or return the one already running. With persist (the default) its objects
    survive a stop/start; `reset(home)` starts afresh. `runtime`: "process" (containers the sandbox knows run as
    local processes, under <home>/sandbox/run/) or "simulated"; default WORKSHOP_RUNTIME, else "process"."""
    runtime = runtime or os.environ.get(RUNTIME_ENV) or "process"
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
    paths = _paths(home)
    with _locked(paths):
        running = status(home)
        if running is not None and ready(running.kubeconfig):
            return running
        if running is not None:  # alive but not answering: replace it
            _terminate(running.pid)
        paths["kubeconfig"].unlink(missing_ok=True)
        command = [sys.executable, "-m", "sandbox", "--port", "0", "--kubeconfig", str(paths["kubeconfig"]),
                   "--nodes", str(nodes), "--time-scale", str(time_scale), "--runtime", runtime]
        if runtime == "process":
            command += ["--run-directory", str(paths["run"])]
        if persist:
            command += ["--state", str(paths["state"])]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        with open(paths["log"], "ab") as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=REPO, env=env, start_new_session=True)
        paths["pid"].write_text(str(proc.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the sandbox exited with code {proc.returncode}; see {paths['log']}")
            if paths["kubeconfig"].exists() and ready(paths["kubeconfig"]):
                return status(home) or SandboxStatus(paths["kubeconfig"], proc.pid,
                                                     kubeconfig.read(paths["kubeconfig"])["url"], paths["log"])
            time.sleep(0.1)
        _terminate(proc.pid)
        raise RuntimeError(f"the sandbox did not become ready within {timeout:.0f}s; see {paths['log']}")


def _terminate(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and _alive(pid):
        _reap(pid)
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> None:
    try:  # our own child (started in this process) must be reaped, or it lingers as a zombie
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop(home=None) -> bool:
    """Stop the background sandbox; False when none was running."""
    paths = _paths(home)
    with _locked(paths):
        pid = _read_pid(paths)
        running = pid is not None and _alive(pid)
        if running:
            _terminate(pid)
        paths["pid"].unlink(missing_ok=True)
        return running


def reset(home=None) -> None:
    """Stop the sandbox and forget its state (objects, TLS material, token)."""
    stop(home)
    paths = _paths(home)
    with _locked(paths):
        for path in (paths["state"], Path(f"{paths['state']}-wal"), Path(f"{paths['state']}-shm"),
                     paths["kubeconfig"]):
            path.unlink(missing_ok=True)
        secrets = Path(f"{paths['state']}.d")
        if secrets.is_dir():
            for child in secrets.iterdir():
                child.unlink()
            secrets.rmdir()
