"""The probes of one running container instance, run as the kubelet's prober workers run them: each probe
(startup, readiness, liveness) on its own schedule (sandbox/runtime/probe_results.py), each run made for real
(sandbox/runtime/probes.py) against the pod's address through the pod network, or inside the container for exec
probes. The results set the container's `started` and `ready`, record the Unhealthy events, and kill the
container when its liveness or startup probe gives up on it.

Periods and initial delays are simulated seconds (they shrink with the time scale); a run's timeoutSeconds is
real time, because it is a real process that has to answer."""
from __future__ import annotations

import asyncio
import logging

from sandbox.kubelet.container_exec import run_in_container
from sandbox.kubelet.launch import ProgramNotFound
from sandbox.runtime import commands, probe_results, probes
from sandbox.runtime.probe_results import LIVENESS, READINESS, STARTUP, ProbeWorker
from sandbox.runtime.processes import StartFailure

log = logging.getLogger(__name__)

PROBE_FIELDS = ((STARTUP, "startupProbe"), (READINESS, "readinessProbe"), (LIVENESS, "livenessProbe"))
IDLE_SECONDS = 3600.0  # nothing is due (every probe gave its verdict): look again after a while anyway


class ContainerProbes:
    def __init__(self, worker, runner):
        self.worker, self.runner = worker, runner
        spec = runner.record.spec
        self.probes = {kind: ProbeWorker(kind, spec[field], runner.record.name)
                       for kind, field in PROBE_FIELDS if spec.get(field)}
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        now = self.worker.clock.now()
        for probe in self.probes.values():
            probe.start(now)
        self._update()
        if self.probes:
            self._task = asyncio.create_task(self._loop(), name=f"probes-{self.worker.name}/{self.runner.record.name}")

    def stop(self) -> None:
        for probe in self.probes.values():
            probe.stopped()
        if self._task is not None:
            self._task.cancel()
        self._update()

    def _update(self) -> None:
        """containerStatuses[].started and .ready from the probes' results."""
        record = self.runner.record
        started = probe_results.container_started(record.running, self.probes.get(STARTUP))
        ready = probe_results.container_ready(record.running, started, self.probes.get(READINESS))
        if (record.started, record.ready) != (started, ready):
            record.started, record.ready = started, ready
            self.worker.changed()

    async def _loop(self) -> None:
        clock = self.worker.clock
        while self.runner.record.running:
            started = self.runner.record.started
            for probe in list(self.probes.values()):
                if self.worker.stopped.is_set():
                    probe.terminating()
                if not probe.due(clock.now(), started=started):
                    continue
                outcome = await self._run(probe.kind)
                verdict = probe.record(outcome, clock.now(), restart=self.worker.restart_policy != "Never")
                for event in verdict.events:
                    self.worker.event(event.type, event.reason, event.message, self.runner.record)
                if verdict.changed:
                    self._update()
                if verdict.kill:
                    asyncio.create_task(self.runner.kill_for_probe(verdict.kill))
                    return
            due = [p.next_at for p in self.probes.values() if p.next_at is not None]
            wait = max(0.0, min(due) - clock.now()) if due else IDLE_SECONDS
            await asyncio.sleep(clock.real_seconds(wait) if due else wait)

    async def _run(self, kind: str) -> probes.ProbeResult:
        record = self.runner.record
        spec = record.spec[dict(PROBE_FIELDS)[kind]]
        try:
            return await probes.run_probe(spec, record.spec, pod_ip=self.worker.pod_ip, connect=self._connect,
                                          run=self._exec)
        except Exception as e:  # a fault in running the probe is the prober's error: reported, never counted
            log.exception("probe of %s/%s failed to run", self.worker.name, record.name)
            return probes.ProbeResult(probes.UNKNOWN, error=str(e))

    async def _connect(self, host: str, port: int, timeout: float):
        return await self.worker.node.open_connection(host, port, timeout)

    async def _exec(self, argv: list[str], timeout: float) -> tuple[int, str]:
        try:
            return await run_in_container(self.runner, argv, timeout)
        except ProgramNotFound as e:
            raise probes.ProbeError(commands.start_error_message(e.program, e.problem)) from None
        except StartFailure as e:
            raise probes.ProbeError(f"{e.program}: {e.reason}") from None
        except RuntimeError as e:
            raise probes.ProbeError(str(e)) from None
