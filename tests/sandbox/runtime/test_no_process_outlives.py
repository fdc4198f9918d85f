"""Nothing the sandbox starts outlives it: after SIGTERM, SIGINT or kill -9 of the sandbox, no process of its pods
is left (checked by the pods' own process ids, read through kubectl exec)."""
from __future__ import annotations

import os
import signal

import psutil
import pytest

from tests.conftest import SandboxProcess
from tests.sandbox.runtime.conftest import TIME_SCALE, apply, wait_for_pod
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

SLEEPER = """
apiVersion: v1
kind: Pod
metadata: {name: sleeper}
spec:
  containers:
    - name: main
      image: python:3.11-slim
      command: ["sh", "-c", "python -c 'import time; time.sleep(600)' & sleep 600"]
"""


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_no_process_outlives_the_sandbox(tmp_path, how):
    sandbox = SandboxProcess(tmp_path, ["--runtime", "process"], TIME_SCALE).start()
    try:
        assert sandbox.kubectl("create", "namespace", "t").returncode == 0
        apply(sandbox, "t", SLEEPER)
        wait_for_pod(sandbox, "t", "sleeper", lambda p: p["status"].get("phase") == "Running", "Running")
        started = wait_until(lambda: [p for p in descendants(sandbox.proc.pid) if "sleep" in " ".join(p.cmdline())]
                             or None, what="the container's processes", timeout=60)
        pids = {p.pid for p in descendants(sandbox.proc.pid)}
        assert len(started) >= 2 and pids
        os.kill(sandbox.proc.pid, getattr(signal, how))
        sandbox.proc.wait(60)
        wait_until(lambda: not [pid for pid in pids if psutil.pid_exists(pid)
                                and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE],
                   timeout=30, what=f"every process of the sandbox's pods to be gone after {how}")
    finally:
        sandbox.kill()
