"""A sandbox started as a shell's background job (SIGINT and SIGQUIT ignored, as such a job inherits them) still
starts its containers with both at their defaults, as containerd does: ^C and Ctrl-\\ work in them."""
from __future__ import annotations

import signal

import pytest

from tests.conftest import SandboxProcess
from tests.sandbox.runtime.conftest import TIME_SCALE, apply, python_pod, wait_for_pod
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

SHOW = ("import signal, time; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, "
        "signal.getsignal(signal.SIGQUIT) == signal.SIG_DFL, flush=True); time.sleep(600)")


def test_a_sandbox_started_as_a_background_job_starts_containers_with_default_signals(tmp_path):
    sandbox = SandboxProcess(tmp_path, ["--runtime", "process"], TIME_SCALE,
                             ignoring=(signal.SIGINT, signal.SIGQUIT)).start()
    try:
        assert sandbox.kubectl("create", "namespace", "t").returncode == 0
        apply(sandbox, "t", python_pod("show", SHOW))
        wait_for_pod(sandbox, "t", "show", lambda p: p["status"].get("phase") == "Running", "show running")
        def first_line() -> str:
            return sandbox.kubectl("-n", "t", "logs", "show").stdout.strip()
        assert wait_until(first_line, timeout=60, interval=0.2, what="the container's first line") == "True True"
    finally:
        sandbox.stop()
