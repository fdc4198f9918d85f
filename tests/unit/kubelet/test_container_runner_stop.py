"""A container stopped while its process is starting: the process that start brings must be stopped too, not left
running with nobody tracking it (the pod gone, its process still taking orders off a queue). The runner drives
real processes (`sleep`); a gate holds each start open so that the stop lands inside it every time, which a real
sandbox only hits by chance: a pod deleted in the milliseconds its container is being (re)started. The same holds
for a command an exec probe runs in the container when the probe is stopped with its pod."""
from __future__ import annotations

import asyncio
import shutil
import time
from types import SimpleNamespace

import pytest

from sandbox.kubelet.container_exec import run_in_container
from sandbox.kubelet.container_record import ContainerRecord
from sandbox.kubelet.container_runner import ContainerRunner
from sandbox.kubelet.launch import Launch
from sandbox.runtime import catalogue
from sandbox.runtime.processes import Processes
from sandbox.simulation import images

SLEEP = shutil.which("sleep")
TIMEOUT = 30.0  # real seconds: generous, for a slow shared machine


class GatedStarts:
    """Processes whose start is held open: the process runs already (as once the zygote has forked it) but the
    runner hears of it only when the test opens the gate."""

    def __init__(self, processes: Processes):
        self.processes = processes
        self.forked, self.release = asyncio.Event(), asyncio.Event()
        self.started: list = []

    async def spawn(self, *args, **kwargs):
        process = await self.processes.spawn(*args, **kwargs)
        self.started.append(process)
        self.forked.set()
        await self.release.wait()
        return process


class PodWorkerStandIn:
    """What a ContainerRunner asks of its pod's worker, for one container that runs `sleep 600`."""

    def __init__(self, processes: GatedStarts, cwd: str):
        self.processes, self.cwd = processes, cwd
        self.clock = SimpleNamespace(now=time.time, time_scale=1.0)
        self.stopped = asyncio.Event()
        self.uid, self.pod, self.restart_policy, self.pod_name_for_messages = "u-1", {}, "Always", "t/p"
        self.node = SimpleNamespace(release_network=lambda *args: None)
        self.events: list[str] = []

    def launch_container(self, image, record) -> Launch:
        return Launch([SLEEP, "600"], ["sleep", "600"], {}, self.cwd, {})

    def open_log(self, record, instance, container_id):
        return SimpleNamespace(write=lambda *args: None, close=lambda: None)

    def event(self, type_, reason, message, record=None):
        self.events.append(reason)

    def event_at(self, at, type_, reason, message, record):
        self.events.append(reason)

    def image_on_node(self, image):
        return 0.0  # pulled long ago

    def changed(self):
        pass

    def forget_usage(self, record):
        pass

    def real(self, simulated_seconds: float) -> float:
        return simulated_seconds

    def grace_seconds(self) -> float:
        return 5.0

    async def run_pre_stop(self, runner, grace_seconds):
        pass

    async def sleep(self, simulated_seconds: float):
        try:
            await asyncio.wait_for(self.stopped.wait(), simulated_seconds)
        except asyncio.TimeoutError:
            pass


def runner_and_gate(tmp_path):
    processes = Processes(zygote=False)
    gate = GatedStarts(processes)
    worker = PodWorkerStandIn(gate, str(tmp_path))
    record = ContainerRecord("main", "app", {"name": "main", "image": "busybox:1.36"},
                             images.parse("busybox:1.36"))
    return ContainerRunner(worker, record, image=object()), gate, processes


def test_a_stop_while_the_process_starts_stops_that_process(tmp_path):
    async def scenario():
        runner, gate, processes = runner_and_gate(tmp_path)
        running = asyncio.create_task(runner.run())
        await asyncio.wait_for(gate.forked.wait(), TIMEOUT)
        stopping = asyncio.create_task(runner.stop(5.0))  # the pod is deleted now, mid-start
        for _ in range(10):
            await asyncio.sleep(0)  # let stop() get as far as it goes before the start ends
        gate.release.set()
        await asyncio.wait_for(stopping, TIMEOUT)
        [process] = gate.started
        try:
            assert process.returncode is not None, "stop() returned while the process it started runs on"
            await asyncio.wait_for(running, TIMEOUT)
            assert len(gate.started) == 1, "a stopped container was started again"
        finally:
            await processes.stop(1.0)
    asyncio.run(scenario())


def test_a_container_cancelled_while_its_process_starts_leaves_nothing_running(tmp_path):
    async def scenario():
        runner, gate, processes = runner_and_gate(tmp_path)
        running = asyncio.create_task(runner.run())
        await asyncio.wait_for(gate.forked.wait(), TIMEOUT)
        running.cancel()  # the sandbox stops mid-start: the runner's task is cancelled
        with pytest.raises(asyncio.CancelledError):
            await running
        gate.release.set()
        [process] = gate.started
        try:
            await asyncio.wait_for(process.wait(), TIMEOUT)  # killed as soon as its start returned
        except asyncio.TimeoutError:
            pytest.fail("the process of a start the runner abandoned runs on")
        finally:
            await processes.stop(1.0)
    asyncio.run(scenario())


def test_a_command_run_in_a_container_is_killed_when_its_probe_is_stopped(tmp_path):
    """An exec probe (or hook) whose pod goes is cancelled with it; its command must go too, not run on."""
    async def scenario():
        processes = Processes(zygote=False)
        gate = GatedStarts(processes)
        gate.release.set()  # no hold-up at the start here: the command is cancelled while it runs
        worker = SimpleNamespace(processes=gate, node=SimpleNamespace(runtime=SimpleNamespace(bin_root=tmp_path)))
        runner = SimpleNamespace(launch=Launch([], [], {"PATH": "/usr/bin:/bin"}, str(tmp_path), {}),
                                 record=SimpleNamespace(name="main", running=True), worker=worker,
                                 image=catalogue.lookup(images.parse("python:3.11-slim")))
        probe = asyncio.create_task(run_in_container(runner, ["sleep", "600"], timeout=300))
        await asyncio.wait_for(gate.forked.wait(), TIMEOUT)
        probe.cancel()
        with pytest.raises(asyncio.CancelledError):
            await probe
        [process] = gate.started
        try:
            await asyncio.wait_for(process.wait(), TIMEOUT)
        except asyncio.TimeoutError:
            pytest.fail("the command of a cancelled probe runs on")
        finally:
            await processes.stop(1.0)
    asyncio.run(scenario())
