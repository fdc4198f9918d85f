"""One container of a pod with processes, from image to exit, again and again as its restart policy says: the
kubelet's SyncPod for a single container (make sure of the image, assemble its config, create and start it,
probe it, see it exit, decide whether and when to restart it).

    runner = ContainerRunner(worker, record, image)   # image: the catalogue entry, None for a simulated container
    await runner.run()                               # returns when the container stays stopped (or the pod ends)
    await runner.stop(grace)                         # the pod is being deleted: preStop, SIGTERM, SIGKILL

A container whose image the sandbox cannot run still goes through the same steps, but its "process" is
simulated (sandbox/simulation/stages.py's timings): it starts, passes its probes after their initial delays and
runs until it is stopped, and an event says so."""
from __future__ import annotations

import asyncio
import logging
import signal
import time

from sandbox.kubelet import probing
from sandbox.kubelet.container_record import ContainerRecord, Terminated
from sandbox.kubelet.launch import Launch, LaunchError
from sandbox.runtime import restarts
from sandbox.runtime.catalogue import RunnableImage
from sandbox.runtime.processes import ContainerProcess, StartFailure
from sandbox.simulation import images as imaging, stages

log = logging.getLogger(__name__)

CONFIG_RETRY_SECONDS = 10.0  # a container waiting for a ConfigMap or Secret is tried again this often


class ContainerRunner:
    def __init__(self, worker, record: ContainerRecord, image: RunnableImage | None):
        self.worker, self.record, self.image = worker, record, image
        self.process: ContainerProcess | None = None
        self.launch: Launch | None = None
        self.probes: probing.ContainerProbes | None = None
        self._stopping = False
        self._liveness_kill = asyncio.Event()
        self._backoff = restarts.BackOff()

    @property
    def key(self) -> str:
        return f"{self.worker.uid}/{self.record.name}"

    # the loop ---------------------------------------------------------------------------------------------------
    async def run(self) -> None:
        while not self._stopping:
            if not await self._ensure_image():
                return
            exit_code = await (self._run_simulated() if self.image is None else self._run_process())
            if exit_code is None or self._stopping:
                return
            if not restarts.should_restart(self.worker.restart_policy, self.record.role, exit_code,
                                           self._liveness_kill.is_set()):
                return
            if not await self._back_off():
                return

    async def _run_process(self) -> int | None:
        """Start the process, probe it, wait for it to exit; its exit code (None: it never started)."""
        record, worker = self.record, self.worker
        try:
            self.launch = worker.launch_container(self.image, record)
        except LaunchError as e:
            if e.reason == "CreateContainerConfigError":
                return await self._config_error(e)
            return self._start_error(e.message)
        worker.event("Normal", "Created", f"Created container: {record.name}", record)
        log_writer = worker.open_log(record, record.instance + 1)
        try:
            self.process = await worker.processes.spawn(self.launch.argv, self.launch.env, self.launch.cwd,
                                                        stdin=bool(record.spec.get("stdin")), output=log_writer.write)
        except StartFailure as e:
            log_writer.close()
            return self._start_error(_start_failure_message(e))
        self._liveness_kill.clear()
        record.run(self.process.started_at)
        worker.changed()
        worker.event("Normal", "Started", f"Started container {record.name}", record)
        self.probes = probing.ContainerProbes(worker, self)
        self.probes.start()
        try:
            code = await self.process.wait()
        finally:
            self.probes.stop()
            log_writer.close()
        finished = self.process.finished_at or time.time()
        reason = "Completed" if code == 0 else "Error"
        record.stop(Terminated(code, reason, self.process.started_at, finished,
                               record.container_id(worker.uid)))
        worker.forget_usage(record)
        worker.changed()
        return code

    async def _run_simulated(self) -> int | None:
        """No process: created, started, ready after the probes' initial delays, running until stopped."""
        record, worker = self.record, self.worker
        worker.event("Normal", "Created", f"Created container: {record.name}", record)
        record.run(time.time())
        worker.changed()
        worker.event("Normal", "Started", f"Started container {record.name}", record)
        startup, readiness = record.spec.get("startupProbe"), record.spec.get("readinessProbe")
        if startup:
            await worker.sleep(_probe_delay(startup))
        record.started = True
        worker.changed()
        if readiness:
            await worker.sleep(_probe_delay(readiness))
        record.ready = record.role != "init"
        worker.changed()
        if record.role == "init":  # an init container's work takes a moment, then it exits 0
            await worker.sleep(stages.TIMINGS.init_run)
            record.stop(Terminated(0, "Completed", record.running_since, time.time(), record.container_id(worker.uid)))
            worker.changed()
            return 0
        await worker.stopped.wait()
        return None

    # failures before a process runs ----------------------------------------------------------------------------
    async def _config_error(self, error: LaunchError) -> int | None:
        self.record.wait(error.reason, error.message)
        self.worker.changed()
        self.worker.event("Warning", "Failed", f"Error: {error.message}", self.record)
        await self.worker.sleep(CONFIG_RETRY_SECONDS)
        return None if self._stopping else await self._run_process()

    def _start_error(self, message: str) -> int:
        """runc could not exec the process: the container stopped at once with StartError and exit code 128."""
        record, worker = self.record, self.worker
        now = time.time()
        worker.event("Warning", "Failed", f"Error: {message}", record)
        record.run(now)
        record.stop(Terminated(128, "StartError", now, now, record.container_id(worker.uid), message))
        worker.changed()
        return 128

    async def _ensure_image(self) -> bool:
        """Pull as the node would (simulated timings and events); False when the pod stops meanwhile."""
        record, worker = self.record, self.worker
        policy = imaging.pull_policy(record.spec)
        while not self._stopping:
            now = worker.clock.now()
            pull = stages.image_pull(record.image, policy, worker.image_on_node(record.image), now)
            for at, type_, reason, message in pull.events:
                worker.event_at(at, type_, reason, message, record)
            if pull.ready_at is not None:
                if pull.downloaded:
                    worker.image_pulled(record.image, pull.ready_at)
                if pull.ready_at > now:
                    await worker.sleep(pull.ready_at - now)
                return not self._stopping
            if not await self._pull_back_off():
                return False
        return False

    async def _pull_back_off(self) -> bool:
        """ErrImagePull, then ImagePullBackOff until the next attempt (10 s doubling to 300 s)."""
        record, worker = self.record, self.worker
        timings, image = stages.TIMINGS, record.image
        await worker.sleep(timings.pull_failure)
        worker.event("Warning", "Failed", f'Failed to pull image "{image.spec}": {image.pull_error()}', record)
        worker.event("Warning", "Failed", "Error: ErrImagePull", record)
        record.wait("ErrImagePull", image.pull_error())
        worker.changed()
        delay = self._backoff.image_pull_delay()
        await worker.sleep(timings.backoff_shown_after)
        worker.event("Normal", "BackOff", f'Back-off pulling image "{image.spec}"', record)
        worker.event("Warning", "Failed", "Error: ImagePullBackOff", record)
        record.wait("ImagePullBackOff", f'Back-off pulling image "{image.spec}": ErrImagePull: {image.pull_error()}')
        worker.changed()
        await worker.sleep(max(0.0, delay - timings.backoff_shown_after))
        return not self._stopping

    async def _back_off(self) -> bool:
        """CrashLoopBackOff: wait as the kubelet's back-off says before the next start."""
        record, worker = self.record, self.worker
        last = record.terminated or record.last_terminated
        delay = self._backoff.restart_delay(last.finished_at if last else time.time(), worker.clock.time_scale)
        if delay <= 0:
            return not self._stopping
        record.wait("CrashLoopBackOff", restarts.back_off_message(delay, record.name, worker.pod_name_for_messages))
        worker.changed()
        worker.event("Warning", "BackOff", f"Back-off restarting failed container {record.name} in pod "
                                           f"{worker.pod_name_for_messages}", record)
        await worker.sleep(delay)
        return not self._stopping

    # probes and stopping ---------------------------------------------------------------------------------------
    async def kill_for_probe(self, which: str) -> None:
        """A liveness (or startup) probe failed its threshold: the kubelet kills the container to restart it."""
        if self.process is None or self.process.returncode is not None:
            return
        self._liveness_kill.set()
        self.worker.event("Normal", "Killing", f"Container {self.record.name} failed {which} probe, will be "
                                               "restarted", self.record)
        await self.process.stop(self.worker.real(self.worker.grace_seconds()))

    async def stop(self, grace_seconds: float) -> None:
        """The pod is going away: no more restarts; preStop, SIGTERM, SIGKILL after the grace period."""
        self._stopping = True
        process = self.process
        if process is None or process.returncode is not None:
            return
        self.worker.event("Normal", "Killing", f"Stopping container {self.record.name}", self.record)
        started = time.monotonic()
        await self.worker.run_pre_stop(self, grace_seconds)
        remaining = max(0.0, self.worker.real(grace_seconds) - (time.monotonic() - started))
        process.signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=remaining)
        except asyncio.TimeoutError:
            process.signal(signal.SIGKILL)
            await process.wait()


def _probe_delay(probe: dict) -> float:
    return float(probe.get("initialDelaySeconds") or 0) + stages.TIMINGS.probe


def _start_failure_message(failure: StartFailure) -> str:
    return ("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create "
            f"failed: unable to start container process: error during container init: exec: \"{failure.program}\": "
            f"{failure.reason}: unknown")
