"""One container of a pod with processes, from image to exit, again and again as its restart policy says: the
kubelet's SyncPod for a single container (make sure of the image, assemble its config, create and start it,
probe it, see it exit, decide whether and when to restart it).

    runner = ContainerRunner(worker, record, image)   # image: the catalogue entry, None for a simulated container
    await runner.run()                               # returns when the container stays stopped (or the pod ends)
    await runner.stop(grace)                         # the pod is being deleted: preStop, SIGTERM, SIGKILL

A container whose image the sandbox cannot run still goes through the same steps, but its "process" is
simulated (sandbox/simulation/stages.py's timings): it starts, passes its probes after their initial delays and
runs until it is stopped.

The steps after an exit, as the kubelet takes them: the instance is terminated (Completed, Error, or StartError
with exit code 128 when runc could not start it); if the restart policy says so the kubelet asks its back-off
(sandbox/runtime/restarts.py): the first restart is at once, later ones wait 10 s, 20 s, 40 s... up to 5 minutes,
and the container waits in CrashLoopBackOff meanwhile. A container whose config cannot be assembled (a missing
ConfigMap) waits in CreateContainerConfigError and is tried again every 10 s until it can be."""
from __future__ import annotations

import asyncio
import logging
import signal
import time

from sandbox.kubelet import probing
from sandbox.kubelet.container_record import ContainerRecord, Terminated
from sandbox.kubelet.launch import Launch, LaunchError
from sandbox.runtime import commands, restarts
from sandbox.runtime.catalogue import RunnableImage
from sandbox.runtime.processes import ContainerProcess, StartFailure, started
from sandbox.simulation import images as imaging, stages

log = logging.getLogger(__name__)

CONFIG_RETRY_SECONDS = 10.0  # a container waiting for a ConfigMap or Secret is tried again this often
NOT_STARTED = object()  # _start's answer when the container waits (its config could not be assembled)


class ContainerRunner:
    def __init__(self, worker, record: ContainerRecord, image: RunnableImage | None):
        self.worker, self.record, self.image = worker, record, image
        self.process: ContainerProcess | None = None
        self.launch: Launch | None = None
        self.probes: probing.ContainerProbes | None = None
        self._stopping = False
        self._starting: asyncio.Future | None = None  # the process being started, for stop() to wait for
        self._killed_by_probe = False
        self._backoff = restarts.BackOff()
        self._pull_backoff = stages.TIMINGS.image_backoff

    @property
    def stopping(self) -> bool:
        """No more starts: this container is being stopped, or its whole pod (a deletion, the sandbox stopping)."""
        return self._stopping or self.worker.stopped.is_set()

    # the loop ---------------------------------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception:  # a fault in the kubelet must show in the sandbox's log, not vanish with the task
            log.exception("container %s of pod %s failed in the kubelet", self.record.name,
                          self.worker.pod_name_for_messages)

    async def _run(self) -> None:
        while not self.stopping:
            if not await self._ensure_image():
                return
            if self.image is None:
                exit_code = await self._run_simulated()
            else:
                exit_code = await self._run_process()
                if exit_code is NOT_STARTED:
                    continue
            if exit_code is None or self.stopping or not self._restarts(exit_code):
                return
            if not await self._back_off():
                return

    def _restarts(self, exit_code: int) -> bool:
        if self._killed_by_probe:  # a liveness or startup failure restarts unless the policy is Never
            return self.worker.restart_policy != "Never" or self.record.role == "sidecar"
        return restarts.should_restart(self.record.spec, self.worker.pod, init=self.record.role != "app",
                                       exit_code=exit_code)

    async def _run_process(self):
        """Start the process, probe it, wait for it to exit: its exit code, or NOT_STARTED."""
        record, worker = self.record, self.worker
        try:
            self.launch = worker.launch_container(self.image, record)
        except LaunchError as e:
            if e.reason == "CreateContainerConfigError":
                await self._config_error(e)
                return NOT_STARTED
            return self._start_error(e.message)
        instance = record.instance + 1
        log_writer = worker.open_log(record, instance, record.container_id(worker.uid, instance))
        worker.event("Normal", "Created", f"Created container: {record.name}", record)
        try:
            self.process = await self._spawn(log_writer)
        except StartFailure as e:
            log_writer.close()
            problem = {"permission denied": "denied"}.get(e.reason, "missing")
            return self._start_error(commands.start_error_message(e.program, problem))
        self._killed_by_probe = False
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
        record.stop(Terminated(code, "Completed" if code == 0 else "Error", self.process.started_at, finished,
                               record.container_id(worker.uid)))
        worker.forget_usage(record)
        worker.node.release_network(worker, record.name)
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
        if record.role == "init":  # an init container's work takes a moment, then it exits 0
            await worker.sleep(stages.TIMINGS.init_run)
            record.stop(Terminated(0, "Completed", record.running_since, time.time(), record.container_id(worker.uid)))
            worker.changed()
            return 0
        if readiness:
            await worker.sleep(_probe_delay(readiness))
        record.ready = record.running
        worker.changed()
        await worker.stopped.wait()
        return None

    # failures before a process runs ----------------------------------------------------------------------------
    async def _config_error(self, error: LaunchError) -> None:
        self.record.wait(error.reason, error.message)
        self.worker.changed()
        self.worker.event("Warning", "Failed", f"Error: {error.message}", self.record)
        await self.worker.sleep(CONFIG_RETRY_SECONDS)

    def _start_error(self, message: str) -> int:
        """runc could not exec the process: the instance stopped at once with StartError and exit code 128."""
        record, worker = self.record, self.worker
        now = time.time()
        worker.event("Warning", "Failed", f"Error: {message}", record)
        record.run(now)
        record.stop(Terminated(restarts.START_ERROR_EXIT_CODE, restarts.START_ERROR, 0.0, now,
                               record.container_id(worker.uid), message))
        worker.changed()
        return restarts.START_ERROR_EXIT_CODE

    async def _ensure_image(self) -> bool:
        """Pull as the node would (simulated timings and events); False when the pod stops meanwhile."""
        record, worker = self.record, self.worker
        policy = imaging.pull_policy(record.spec)
        while not self.stopping:
            now = worker.clock.now()
            pull = stages.image_pull(record.image, policy, worker.image_on_node(record.image), now)
            for at, type_, reason, message in pull.events:
                worker.event_at(at, type_, reason, message, record)
            if pull.ready_at is not None:
                if pull.downloaded:
                    worker.image_pulled(record.image, pull.ready_at)
                if pull.ready_at > now:
                    await worker.sleep(pull.ready_at - now)
                self._pull_backoff = stages.TIMINGS.image_backoff
                return not self.stopping
            await self._pull_failed()
        return False

    async def _pull_failed(self) -> None:
        """ErrImagePull, then ImagePullBackOff until the next attempt (10 s doubling to 300 s)."""
        record, worker, timings, image = self.record, self.worker, stages.TIMINGS, self.record.image
        await worker.sleep(timings.pull_failure)
        worker.event("Warning", "Failed", f'Failed to pull image "{image.spec}": {image.pull_error()}', record)
        worker.event("Warning", "Failed", "Error: ErrImagePull", record)
        record.wait("ErrImagePull", image.pull_error())
        worker.changed()
        await worker.sleep(timings.backoff_shown_after)
        worker.event("Normal", "BackOff", f'Back-off pulling image "{image.spec}"', record)
        worker.event("Warning", "Failed", "Error: ImagePullBackOff", record)
        record.wait("ImagePullBackOff", f'Back-off pulling image "{image.spec}": ErrImagePull: {image.pull_error()}')
        worker.changed()
        await worker.sleep(max(0.0, self._pull_backoff - timings.backoff_shown_after))
        self._pull_backoff = min(self._pull_backoff * 2, timings.image_backoff_max)

    async def _back_off(self) -> bool:
        """CrashLoopBackOff: ask the kubelet's back-off until it lets the container start (doBackOff)."""
        record, worker, clock = self.record, self.worker, self.worker.clock
        last = record.terminated or record.last_terminated
        # the back-off counts in simulated seconds: when, on the clock, did the last instance finish?
        finished = clock.now() - clock.time_scale * max(0.0, time.time() - last.finished_at) if last else clock.now()
        if last is not None and last.reason == restarts.START_ERROR:
            record.wait(restarts.RUN_CONTAINER_ERROR, last.message)
            worker.changed()
        while (delay := self._backoff.restart_delay(finished, clock.now())) > 0:
            record.wait(restarts.CRASH_LOOP_BACK_OFF, restarts.crash_loop_message(self._backoff.current, record.name,
                                                                                 worker.pod))
            worker.changed()
            worker.event("Warning", "BackOff", restarts.back_off_event_message(record.name, worker.pod), record)
            await worker.sleep(delay)
            if self.stopping:
                return False
        return not self.stopping

    async def _spawn(self, log_writer) -> ContainerProcess:
        """Start the instance's process. A stop() meanwhile waits for it and then stops it; a cancellation (the
        sandbox stopping) kills it once it has started (processes.started): nothing runs on untracked."""
        launch = self.launch
        starting = asyncio.ensure_future(self.worker.processes.spawn(
            launch.argv, launch.env, launch.cwd, stdin=bool(self.record.spec.get("stdin")),
            output=log_writer.write, python_args=launch.python_args))
        self._starting = starting
        try:
            return await started(starting)
        finally:
            self._starting = None

    # probes and stopping ---------------------------------------------------------------------------------------
    async def kill_for_probe(self, message: str) -> None:
        """A liveness (or startup) probe gave up on the container: the kubelet kills it, to restart it."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        self._killed_by_probe = True
        self.worker.event("Normal", "Killing", message, self.record)
        await process.stop(self.worker.real(self.worker.grace_seconds()))

    async def stop(self, grace_seconds: float) -> None:
        """The pod is going away: no more restarts; preStop, SIGTERM, SIGKILL after the grace period. An instance
        still starting is waited for and stopped too: its pod may be deleted in the moment it starts."""
        self._stopping = True
        process, starting = self.process, self._starting
        if starting is not None:  # an instance is starting: it is the one to stop
            try:
                process = await asyncio.shield(starting)
            except Exception:  # it did not start: nothing to stop (the runner reports why)
                return
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
