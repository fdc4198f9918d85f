"""Nothing the sandbox starts outlives it: after SIGTERM, SIGINT or kill -9 of the sandbox, no process it started is
left: the reaper, the zygote, the Python containers forked from it, the Redis server, and the children a container's
shell started in the background (all found as the sandbox's descendants before the signal)."""
from __future__ import annotations

import os
import signal

import psutil
import pytest

from tests.conftest import SandboxProcess
from tests.sandbox.runtime.conftest import TIME_SCALE, apply, apply_documents, template_as_pod, wait_for_pod
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

PODS = """
apiVersion: v1
kind: Pod
metadata: {name: sleeper}
spec:
  containers:
    - name: main
      image: python:3.11-slim
      command: ["sh", "-c", "python -c 'import time; time.sleep(600)' & sleep 600"]
---
apiVersion: v1
kind: Pod
metadata: {name: forked}
spec:
  containers:
    - name: main
      image: python:3.11-slim
      command: ["python", "-c", "import time; time.sleep(600)"]
"""
# what must be among the sandbox's descendants, by command line, before the signal
EXPECTED = {"the reaper": "sandbox.runtime.reaper", "the zygote": "sandbox.runtime.zygote", "sh": "sh -c python",
            "the Redis server": "redis-server", "the background sleep": "sleep 600"}


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def command_lines(processes: list[psutil.Process]) -> list[str]:
    lines = []
    for p in processes:
        try:
            lines.append(" ".join(p.cmdline()))
        except psutil.Error:
            pass
    return lines


def still_running(pids: set[int]) -> list[int]:
    def running(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
    return [pid for pid in pids if running(pid)]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_no_process_outlives_the_sandbox(tmp_path, how):
    sandbox = SandboxProcess(tmp_path, ["--runtime", "process"], TIME_SCALE).start()
    try:
        assert sandbox.kubectl("create", "namespace", "t").returncode == 0
        apply(sandbox, "t", PODS)
        apply_documents(sandbox, "t", [template_as_pod("04-cache", "containo-orders-cache", "redis")])
        for name in ("sleeper", "forked", "redis"):
            wait_for_pod(sandbox, "t", name, lambda p: p["status"].get("phase") == "Running", f"{name} running")

        def everything_started():
            lines = command_lines(descendants(sandbox.proc.pid))
            missing = [what for what, text in EXPECTED.items() if not any(text in line for line in lines)]
            # the zygote and the container forked from it share a command line: two of them at least
            forks = sum("sandbox.runtime.zygote" in line for line in lines)
            return not missing and forks >= 2
        wait_until(everything_started, timeout=60, what="every kind of process the sandbox starts",
                   debug=lambda: "\n".join(command_lines(descendants(sandbox.proc.pid))))
        pids = {p.pid for p in descendants(sandbox.proc.pid)}
        os.kill(sandbox.proc.pid, getattr(signal, how))
        sandbox.proc.wait(60)
        wait_until(lambda: not still_running(pids), timeout=30,
                   what=f"every process of the sandbox to be gone after {how}",
                   debug=lambda: "\n".join(command_lines([psutil.Process(p) for p in still_running(pids)])))
    finally:
        sandbox.kill()
