"""The background sandbox (`workshop sandbox start|stop`, sandbox/daemon.py) with the process runtime: `stop`
leaves no process behind, and a start on the same state starts the pods' containers again, as a node's kubelet
does after a reboot: each container's last state is the instance that was running (exit code 255, reason
Unknown), its restartCount goes up by one, and the app answers again through its LoadBalancer."""
from __future__ import annotations

import subprocess

import psutil
import pytest

from sandbox import daemon
from tests.sandbox.runtime.conftest import (APP_NAMESPACE, TIME_SCALE, apply_folders, host_requests, is_ready,
                                            load_balancer_url, order, pods, wait_ready)
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

SERVICES = ("api", "cache", "queue", "queue-processor")


class BackgroundSandbox:
    """What the runtime tests' helpers need of a sandbox (a kubeconfig, kubectl), for daemon.start()'s."""

    def __init__(self, home):
        self.home = home
        self.status = daemon.start(home, time_scale=TIME_SCALE, runtime="process")
        self.kubeconfig = self.status.kubeconfig

    def kubectl(self, *args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(["kubectl", "--kubeconfig", str(self.kubeconfig), *args], input=input,
                              capture_output=True, text=True, timeout=timeout)

    def processes(self) -> list[psutil.Process]:
        """Every process the sandbox has started and that still runs (the zygote, the reaper, containers)."""
        try:
            return psutil.Process(self.status.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


def restarts(pod: dict, container: str) -> int:
    return next(c["restartCount"] for c in pod["status"]["containerStatuses"] if c["name"] == container)


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    def running(p: psutil.Process) -> bool:
        try:
            return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
    return [p for p in processes if running(p)]


def described(processes: list[psutil.Process]) -> str:
    lines = []
    for p in processes:
        try:
            lines.append(f"{p.pid} {' '.join(p.cmdline())[:160]}")
        except psutil.Error:
            lines.append(f"{p.pid} (gone)")
    return "\n".join(lines)


def test_stop_leaves_nothing_and_a_restart_reboots_the_pods(tmp_path):
    sandbox = BackgroundSandbox(tmp_path)
    try:
        apply_folders(sandbox, "01-namespace", "03-sidecar", "04-cache", "05-queue", "05-expose")
        for service in SERVICES:
            wait_ready(sandbox, APP_NAMESPACE, f"service={service}", count=2 if service == "api" else 1)
        url = load_balancer_url(sandbox, APP_NAMESPACE, "containo-orders-frontend")
        assert host_requests(sandbox, [{"method": "POST", "url": f"{url}/api/orders", "json": order()}])[0][
            "status"] == 201
        before = {p["metadata"]["name"]: p for s in SERVICES for p in pods(sandbox, APP_NAMESPACE, f"service={s}")}
        started = sandbox.processes()
        commands = described(started)
        assert "zygote" in commands and "redis-server" in commands, commands

        assert daemon.stop(tmp_path) is True
        wait_until(lambda: not alive(started), timeout=60, what="every process of the sandbox to be gone",
                   debug=lambda: described(alive(started)))

        sandbox = BackgroundSandbox(tmp_path)

        def rebooted():  # the stored status says Ready until the kubelet writes the new instances'
            found = {p["metadata"]["name"]: p for s in SERVICES for p in pods(sandbox, APP_NAMESPACE, f"service={s}")}
            return found if found.keys() == before.keys() and all(
                is_ready(p) and all(c.get("restartCount") == restarts(before[name], c["name"]) + 1
                                    for c in p["status"]["containerStatuses"]) for name, p in found.items()) else None
        after = wait_until(rebooted, timeout=120, interval=0.2, what="every pod started again and ready")
        for name, pod in after.items():
            old = {c["name"]: c for c in before[name]["status"]["containerStatuses"]}
            for status in pod["status"]["containerStatuses"]:
                last = status["lastState"]["terminated"]
                assert (last["exitCode"], last["reason"]) == (255, "Unknown"), (name, status)
                assert last["containerID"] == old[status["name"]]["containerID"] != status["containerID"]
                assert "running" in status["state"]
        answered = host_requests(sandbox, [{"method": "POST", "url": f"{url}/api/orders", "json": order()}])[0]
        assert answered["status"] == 201, answered
    finally:
        running = sandbox.processes()
        daemon.stop(tmp_path)
        wait_until(lambda: not alive(running), timeout=60, what="every process gone at the end",
                   debug=lambda: described(alive(running)))
