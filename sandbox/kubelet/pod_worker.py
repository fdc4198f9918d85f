"""One pod with processes, from admission to deletion: the kubelet's pod worker.

    worker = PodWorker(node, pod, pod_ip)     # admitted: the sandbox (0.8 s), then the containers
    worker.terminate()                        # deletionTimestamp: stop every container, then the pod goes

The order is the kubelet's: the pod sandbox first (after which the pod has its IP), then the init containers one
at a time (a regular one must exit 0 before the next starts; a native sidecar, restartPolicy Always, must have
started), then every app container. Each container is a ContainerRunner (container_runner.py) that restarts it as
the restart policy says. When every app container has stopped for good the pod is finished (Succeeded or
Failed) and its sidecars are stopped. On deletion, app containers stop first (preStop, SIGTERM, the grace period,
SIGKILL), then sidecars in reverse order, and the kubelet removes the pod.

Status goes out through the status subresource whenever a record changes, coalesced so that a burst of changes
(a container started, its probe passed) is one write."""
from __future__ import annotations

import asyncio
import logging
import time

from sandbox.kubelet import launch as launching, pod_status
from sandbox.kubelet.container_record import ContainerRecord, Terminated
from sandbox.kubelet.container_runner import ContainerRunner
from sandbox.machinery import timestamps
from sandbox.machinery.errors import StatusError
from sandbox.runtime import catalogue
from sandbox.simulation import images as imaging, stages

log = logging.getLogger(__name__)

STATUS_COALESCE_SECONDS = 0.01  # real seconds: changes within this are written together


class PodWorker:
    def __init__(self, node, pod: dict, pod_ip: str, *, rebooted: bool = False):
        self.node = node  # sandbox.kubelet.node.ProcessNode: the services every pod of the node shares
        self.clock, self.processes = node.clock, node.processes
        meta, spec = pod["metadata"], pod.get("spec") or {}
        self.pod = pod
        self.uid, self.namespace, self.name = meta["uid"], meta["namespace"], meta["name"]
        self.pod_ip = pod_ip
        self.restart_policy = spec.get("restartPolicy") or "Always"
        self.records: list[ContainerRecord] = []
        self.runners: dict[str, ContainerRunner] = {}
        for role, containers in (("init", spec.get("initContainers") or []), ("app", spec.get("containers") or [])):
            for container in containers:
                if role == "init" and container.get("restartPolicy") == "Always":
                    role_of = "sidecar"
                else:
                    role_of = role
                image = imaging.parse(container.get("image") or "")
                record = ContainerRecord(container.get("name", ""), role_of, container, image)
                entry = catalogue.lookup(image) if node.runs_processes else None
                record.simulated = entry is None
                self.records.append(record)
                self.runners[record.name] = ContainerRunner(self, record, entry)
        self.view = pod_status.PodView(self.uid, meta.get("generation"), self.restart_policy, node.host_ip, pod_ip,
                                       None, time.time(), (pod.get("status") or {}).get("qosClass", "BestEffort"))
        if rebooted:
            self._after_reboot(pod)
        self.stopped = asyncio.Event()  # set once the pod is being deleted: runners stop, sleeps end
        self.finished = asyncio.Event()  # set once every container has stopped for good
        self._progress = asyncio.Condition()
        self._write_scheduled = False
        self._terminating: asyncio.Task | None = None
        self._tasks: list[asyncio.Task] = []
        self._main = asyncio.create_task(self._run(), name=f"pod-{self.namespace}/{self.name}")

    # identity ---------------------------------------------------------------------------------------------------
    @property
    def pod_name_for_messages(self) -> str:
        """format.Pod: name_namespace(uid), as the kubelet names a pod in its messages."""
        return f"{self.name}_{self.namespace}({self.uid})"

    def record(self, name: str) -> ContainerRecord | None:
        return next((r for r in self.records if r.name == name), None)

    # the lifecycle ----------------------------------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            for record in self.records:
                if record.simulated:
                    self.event("Normal", "Simulated", f"Container {record.name} runs no process: "
                               f"{catalogue.unavailable_reason(record.image)} ({record.image.spec}); it goes "
                               "through a simulated lifecycle", record)
            await self.sleep(stages.TIMINGS.sandbox)
            if self.stopped.is_set():
                return
            self.view.sandbox_ready_at = time.time()
            self.changed()
            if not await self._initialize():
                return
            apps = [asyncio.create_task(self.runners[r.name].run(), name=f"container-{self.name}/{r.name}")
                    for r in self.records if r.role == "app"]
            self._tasks += apps
            await asyncio.gather(*apps, return_exceptions=True)
            if not self.stopped.is_set():
                await self._finish()
        except asyncio.CancelledError:
            raise
        except Exception:  # a fault in the kubelet must show, not kill the sandbox
            log.exception("pod worker %s/%s failed", self.namespace, self.name)

    async def _initialize(self) -> bool:
        """Run the init containers in order; False when the pod failed or is being deleted meanwhile."""
        for record in (r for r in self.records if r.role != "app"):
            runner = self.runners[record.name]
            if record.role == "sidecar":
                self._tasks.append(asyncio.create_task(runner.run(), name=f"sidecar-{self.name}/{record.name}"))
                await self.until(lambda sidecar=record: sidecar.started or self.stopped.is_set())
            else:
                await runner.run()
                if not (record.terminated is not None and record.terminated.exit_code == 0):
                    if not self.stopped.is_set():
                        await self._finish()
                    return False
            if self.stopped.is_set():
                return False
        return True

    async def _finish(self) -> None:
        """Every app container stopped for good (or an init container failed under restartPolicy Never): stop the
        sidecars, tear the sandbox down, and the phase says how it ended."""
        for record in reversed([r for r in self.records if r.role == "sidecar"]):
            await self.runners[record.name].stop(self.grace_seconds())
        self.view.terminal_phase = pod_status.phase(self.records, self.view)
        self.view.sandbox_ready_at = None
        self.node.release_network(self)
        self.finished.set()
        self.changed()

    async def until(self, condition) -> None:
        async with self._progress:
            await self._progress.wait_for(condition)

    def terminate(self) -> asyncio.Task:
        """The pod has a deletionTimestamp: stop everything; the returned task ends when nothing runs."""
        self.stopped.set()
        if self._terminating is None:
            self._terminating = asyncio.create_task(self._terminate(), name=f"kill-{self.namespace}/{self.name}")
            self.changed()
        return self._terminating

    def cancel(self) -> None:
        """The sandbox stops: its processes are already gone, and nothing of this pod may run on."""
        for task in self._tasks + [self._main]:
            task.cancel()

    async def _terminate(self) -> None:
        grace = self.grace_seconds()
        started = self.clock.now()
        apps = [self.runners[r.name] for r in self.records if r.role == "app"]
        await asyncio.gather(*(runner.stop(grace) for runner in apps), return_exceptions=True)
        for record in reversed([r for r in self.records if r.role != "app"]):
            remaining = max(2.0, grace - (self.clock.now() - started))  # sidecars get what is left, at least 2 s
            await self.runners[record.name].stop(remaining)
        for task in self._tasks + [self._main]:
            task.cancel()
        await asyncio.gather(*self._tasks, self._main, return_exceptions=True)
        for record in self.records:
            if record.running:
                record.stop(Terminated(0 if record.simulated else 137, "Completed" if record.simulated else "Error",
                                       record.running_since, time.time(), record.container_id(self.uid)))
        self.node.release_network(self)
        self.finished.set()

    def _after_reboot(self, pod: dict) -> None:
        """The pod ran in an earlier life of the sandbox: as after a node reboot, its containers start again with
        the old instance as their last state (exit code 255, reason Unknown) and one more restart."""
        statuses = {s.get("name"): s for s in ((pod.get("status") or {}).get("containerStatuses") or [])
                    + ((pod.get("status") or {}).get("initContainerStatuses") or [])}
        for record in self.records:
            old = statuses.get(record.name) or {}
            state = old.get("state") or {}
            if "running" in state or "terminated" in state:
                record.ever_started = True
                record.restart_count = int(old.get("restartCount") or 0)
                record.instance = record.restart_count
                started = (state.get("running") or state.get("terminated") or {}).get("startedAt")
                finished = time.time()
                record.last_terminated = Terminated(255, "Unknown", timestamps.epoch(started), finished,
                                                    old.get("containerID", ""))
                if "terminated" in state and record.role == "init" and state["terminated"].get("exitCode") == 0:
                    record.terminated = Terminated(0, "Completed", timestamps.epoch(started), timestamps.epoch(
                        state["terminated"].get("finishedAt")) or finished, old.get("containerID", ""))
                    record.last_terminated = None

    # what runners ask of the pod ----------------------------------------------------------------------------------
    async def sleep(self, simulated_seconds: float) -> None:
        """Wait `simulated_seconds`, or less when the pod starts terminating."""
        try:
            await asyncio.wait_for(self.stopped.wait(), timeout=self.clock.real_seconds(simulated_seconds))
        except asyncio.TimeoutError:
            pass

    def real(self, simulated_seconds: float) -> float:
        return self.clock.real_seconds(simulated_seconds)

    def grace_seconds(self) -> float:
        meta, spec = self.pod["metadata"], self.pod.get("spec") or {}
        grace = meta.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        return float(grace)

    def launch_container(self, image: catalogue.RunnableImage, record: ContainerRecord) -> launching.Launch:
        return launching.launch(image, record.spec, self.node.pod_context(self))

    def open_log(self, record: ContainerRecord, instance: int, container_id: str):
        return self.node.runtime.logs.open(self.pod, record.name, instance, container_id)

    def exec_argv(self, runner: ContainerRunner, command: list[str]) -> list[str]:
        """`kubectl exec`'s command line: the image's programs mapped, anything else left to exec's own lookup."""
        return launching.exec_argv(runner.image, command, self.node.runtime.bin_root, strict=False)

    def forget_usage(self, record: ContainerRecord) -> None:
        self.node.usage.forget((self.uid, record.name))

    def image_on_node(self, image) -> float | None:
        return self.node.images.get(image.reference)

    def image_pulled(self, image, at: float) -> None:
        images = self.node.images
        images[image.reference] = min(images.get(image.reference, at), at)

    async def run_pre_stop(self, runner: ContainerRunner, grace_seconds: float) -> None:
        await self.node.run_pre_stop(self, runner, grace_seconds)

    def event(self, type_: str, reason: str, message: str, record: ContainerRecord | None = None) -> None:
        self.node.recorder.event(self.pod, type_, reason, message, component="kubelet", host=self.node.name,
                                 field_path=record.field_path if record else "")

    def event_at(self, at: float, type_: str, reason: str, message: str, record: ContainerRecord) -> None:
        """An event due at simulated moment `at` (an image pull finishing): now, or when its time comes."""
        delay = at - self.clock.now()
        if delay <= 0:
            self.event(type_, reason, message, record)
        else:
            asyncio.get_running_loop().call_later(self.real(delay), self.event, type_, reason, message, record)

    # status -----------------------------------------------------------------------------------------------------
    def changed(self) -> None:
        """Something a status shows changed: write the status soon, and wake whoever waits on progress."""
        asyncio.get_running_loop().create_task(self._notify())
        if not self._write_scheduled:
            self._write_scheduled = True
            asyncio.get_running_loop().call_later(STATUS_COALESCE_SECONDS, self._write_status)

    async def _notify(self) -> None:
        async with self._progress:
            self._progress.notify_all()

    def _write_status(self) -> None:
        self._write_scheduled = False
        current = self.node.current_pod(self.namespace, self.name)
        if current is None or current["metadata"].get("uid") != self.uid:
            return
        self.pod = current
        status = pod_status.pod_status(self.records, self.view, current.get("status") or {}, time.time())
        if status == current.get("status"):
            return
        try:
            self.node.write_status(current, status)
        except StatusError as e:
            if e.code == 409:
                self.changed()  # someone wrote in between: write again on top of theirs
            elif e.code != 404:
                log.warning("status of pod %s/%s: %s", self.namespace, self.name, e.message)

