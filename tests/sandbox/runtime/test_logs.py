"""kubectl logs of containers that really run: -f streams new lines as the process writes them and ends when the
container stops, --previous reads the instance before a crash, --since/--since-time and --timestamps agree with
the time each line was written, --tail counts from the end, and --all-containers reads both containers of the
app's API pod."""
from __future__ import annotations

import subprocess
import threading
from datetime import datetime, timedelta, timezone

import pytest

from tests.sandbox.runtime.conftest import (apply, apply_documents, container_status, python_pod, template_as_pod,
                                            wait_for_pod, wait_ready)
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox


def logs(sandbox, namespace: str, *args: str) -> str:
    result = sandbox.kubectl("-n", namespace, "logs", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait_for_text(sandbox, namespace: str, text: str, *args: str) -> str:
    return wait_until(lambda: out if text in (out := sandbox.kubectl("-n", namespace, "logs", *args).stdout)
                      else None, timeout=60, interval=0.2, what=f"{text!r} in kubectl logs {' '.join(args)}")


def running(sandbox, namespace: str, name: str) -> None:
    wait_for_pod(sandbox, namespace, name, lambda p: p["status"].get("phase") == "Running"
                 and all("running" in (c.get("state") or {}) for c in p["status"].get("containerStatuses") or []),
                 f"{name} running")


class Follower:
    """`kubectl logs -f` in the background, its lines collected as they arrive."""

    def __init__(self, sandbox, namespace: str, *args: str):
        self.process = subprocess.Popen(["kubectl", "--kubeconfig", str(sandbox.kubeconfig), "-n", namespace, "logs",
                                         "-f", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    def wait_for(self, line: str) -> None:
        wait_until(lambda: f"{line}\n" in self.lines, timeout=60, interval=0.05, what=f"{line!r} from logs -f",
                   debug=lambda: "".join(self.lines))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)


def test_follow_streams_new_lines_until_the_container_stops(runtime_sandbox, namespace):
    """The container writes one line, then waits for a file only an exec can create: the line read through -f
    before that proves the stream carries what is written while the process runs."""
    code = ("import os, time\nprint('waiting for release', flush=True)\nwhile not os.path.exists('release'):\n"
            "    time.sleep(0.05)\nprint('released', flush=True)\n")
    apply(runtime_sandbox, namespace, python_pod("talker", code, "Never"))
    running(runtime_sandbox, namespace, "talker")
    follower = Follower(runtime_sandbox, namespace, "talker")
    try:
        follower.wait_for("waiting for release")
        assert follower.process.poll() is None, "kubectl logs -f waits while the container runs"
        assert runtime_sandbox.kubectl("-n", namespace, "exec", "talker", "--", "touch", "release").returncode == 0
        follower.wait_for("released")
        assert follower.process.wait(60) == 0, follower.process.stderr.read()
        follower.reader.join(30)
        assert follower.lines == ["waiting for release\n", "released\n"]
    finally:
        follower.close()
    assert container_status(runtime_sandbox, namespace, "talker", "main")["state"]["terminated"]["exitCode"] == 0


def test_previous_reads_the_instance_before_the_crash(runtime_sandbox, namespace):
    """The first instance leaves a file in its working directory (kept across restarts) and crashes; the second
    finds it and keeps running."""
    code = ("import os, time\nif os.path.exists('crashed'):\n    print('second instance', flush=True)\n"
            "    time.sleep(600)\nopen('crashed', 'w').close()\nprint('first instance, about to crash', flush=True)\n"
            "raise SystemExit(7)\n")
    apply(runtime_sandbox, namespace, python_pod("phoenix", code))
    wait_for_pod(runtime_sandbox, namespace, "phoenix", lambda p: any(
        c.get("restartCount") == 1 and "running" in (c.get("state") or {})
        for c in p["status"].get("containerStatuses") or []), "the second instance")
    assert wait_for_text(runtime_sandbox, namespace, "second instance", "phoenix") == "second instance\n"
    assert logs(runtime_sandbox, namespace, "phoenix", "--previous") == "first instance, about to crash\n"
    last = container_status(runtime_sandbox, namespace, "phoenix", "main")["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (7, "Error")


def stamped(text: str) -> list[tuple[datetime, str]]:
    """kubectl logs --timestamps lines: (time, text)."""
    out = []
    for line in text.splitlines():
        stamp, _, rest = line.partition(" ")
        whole, _, fraction = stamp.rstrip("Z").partition(".")
        moment = datetime.fromisoformat(whole).replace(tzinfo=timezone.utc)
        out.append((moment + timedelta(microseconds=int((fraction or "0")[:6].ljust(6, "0"))), rest))
    return out


def test_since_and_timestamps_follow_the_time_each_line_was_written(runtime_sandbox, namespace):
    code = ("import itertools, time\nprint('early', flush=True)\nfor n in itertools.count():\n"
            "    print('tick', n, flush=True)\n    time.sleep(0.1)\n")
    apply(runtime_sandbox, namespace, python_pod("clock", code))
    running(runtime_sandbox, namespace, "clock")
    # 1.2 s of ticks: at least one whole second starts after the early line
    everything = stamped(wait_for_text(runtime_sandbox, namespace, "tick 12", "clock", "--timestamps"))
    assert everything[0][1] == "early" and [t for t, _ in everything] == sorted(t for t, _ in everything)
    # --since-time: sinceTime is a metav1.Time, whole seconds on the wire, and the kubelet keeps lines at or after it
    boundary = everything[0][0].replace(microsecond=0) + timedelta(seconds=1)
    first_after = next(text for moment, text in everything if moment >= boundary)
    since = logs(runtime_sandbox, namespace, "clock", f"--since-time={boundary.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    assert since.splitlines()[0] == first_after and "early" not in since

    # --since=1s: once the early line is more than a second old, it is left out, and every line shown is recent
    def recent():
        asked = datetime.now(timezone.utc)
        lines = stamped(logs(runtime_sandbox, namespace, "clock", "--since=1s", "--timestamps"))
        return (asked, lines) if lines and all(text != "early" for _, text in lines) else None
    asked, lines = wait_until(recent, timeout=60, interval=0.2, what="--since=1s to leave the early line out")
    assert all(text.startswith("tick ") for _, text in lines)
    assert all(moment >= asked - timedelta(seconds=1.5) for moment, _ in lines), (asked, lines[:3])


def test_tail_counts_from_the_end(runtime_sandbox, namespace):
    code = "import time\nfor n in range(1, 51):\n    print('line', n)\nprint('done', flush=True)\ntime.sleep(600)\n"
    apply(runtime_sandbox, namespace, python_pod("counter", code))
    wait_for_text(runtime_sandbox, namespace, "done", "counter")
    assert logs(runtime_sandbox, namespace, "counter", "--tail=3") == "line 49\nline 50\ndone\n"
    assert logs(runtime_sandbox, namespace, "counter", "--tail=0") == ""
    assert len(logs(runtime_sandbox, namespace, "counter", "--tail=-1").splitlines()) == 51


def test_all_containers_of_the_api_pod(runtime_sandbox, namespace):
    apply_documents(runtime_sandbox, namespace, [template_as_pod("03-sidecar", "containo-orders-frontend", "api")])
    wait_ready(runtime_sandbox, namespace, "service=api")
    out = wait_for_text(runtime_sandbox, namespace, '"component": "validator"', "api", "--all-containers",
                        "--prefix")
    api = [line for line in out.splitlines() if line.startswith("[pod/api/orders-api] ")]
    validator = [line for line in out.splitlines() if line.startswith("[pod/api/orders-validator] ")]
    assert any('"event": "http.listening"' in line and '"port": 80' in line for line in api), out
    assert any('"event": "http.listening"' in line and '"port": 81' in line for line in validator), out
    assert len(api) + len(validator) == len(out.splitlines())
