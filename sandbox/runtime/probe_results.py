"""What a probe's runs add up to, as the kubelet's prober worker keeps it (pkg/kubelet/prober/worker.go): one
ProbeWorker per probe of a container, fed the result of each run (sandbox/runtime/probes.py), saying when the
next run is due, what the probe's result is now, the events to record and whether to kill the container.

    readiness starts Failure: the container is not ready until successThreshold runs in a row pass;
    liveness  starts Success: failureThreshold failures in a row -> Killing "Container api failed liveness probe,
              will be restarted", and the worker holds until the next instance starts;
    startup   starts Unknown: it alone runs until it passes (then the container is `started` and the other two
              begin); failureThreshold failures -> Killing "Container api failed startup probe, will be restarted".

Every failed run records Warning Unhealthy "<Kind> probe failed: <output>", a redirect to another host Warning
ProbeWarning "<Kind> probe warning: <output>", a run that could not be made "<Kind> probe errored: <error>" (and
does not count). Times are simulated seconds (the caller divides by the clock's time scale). The first run is
due initialDelaySeconds after the container started, then every periodSeconds (the kubelet's ticker starts with
the pod's worker, so its first run comes up to one period later). Readiness is the exception the kubelet makes:
every pod sync asks the prober manager for the pod's readiness (UpdatePodStatus), which runs a readiness probe
that has no success yet at once; the sync that first sees the container follows the PLEG's relist, once a second,
so the first readiness run comes at the relist after the start (and after the initial delay). That second, or
less, is what lets a server bind its port before it is asked: a run at the very moment of the start would fail
and leave the pod unready a whole period. Pure: no I/O."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sandbox.runtime.probes import FAILURE, SUCCESS, UNKNOWN, WARNING, ProbeResult

READINESS, LIVENESS, STARTUP = "readiness", "liveness", "startup"
PLEG_RELIST_PERIOD = 1.0  # the kubelet's genericPlegRelistPeriod: how often it lists the containers it runs
_INITIAL = {READINESS: FAILURE, LIVENESS: SUCCESS, STARTUP: UNKNOWN}
_WORD = {READINESS: "Readiness", LIVENESS: "Liveness", STARTUP: "Startup"}


@dataclass(frozen=True)
class ProbeTiming:
    """A probe's numbers with the API server's defaults."""
    initial_delay: float = 0.0
    period: float = 10.0
    timeout: float = 1.0
    success_threshold: int = 1
    failure_threshold: int = 3

    @classmethod
    def of(cls, probe: dict) -> "ProbeTiming":
        return cls(float(probe.get("initialDelaySeconds") or 0), float(probe.get("periodSeconds") or 10),
                   float(probe.get("timeoutSeconds") or 1), int(probe.get("successThreshold") or 1),
                   int(probe.get("failureThreshold") or 3))


@dataclass(frozen=True)
class ProbeEvent:
    type: str  # Normal | Warning
    reason: str  # Unhealthy | ProbeWarning | Killing
    message: str


@dataclass(frozen=True)
class Verdict:
    """What one run changed: the probe's result now, the events to record, and the message of the Killing event
    (Normal, reason Killing) to record as the container is stopped, when it must be (None otherwise)."""
    result: str
    changed: bool
    events: tuple[ProbeEvent, ...] = ()
    kill: str | None = None


def kill_message(container: str, kind: str, restart: bool) -> str:
    """The Killing event of a container that failed its liveness or startup probe."""
    message = f"Container {container} failed {kind} probe"
    return f"{message}, will be restarted" if restart else message


class ProbeWorker:
    """One probe of one container, across the container's instances (`start` with each new one)."""

    def __init__(self, kind: str, probe: dict, container: str):
        if kind not in _INITIAL:
            raise ValueError(f"unknown probe type: {kind!r}")
        self.kind, self.container, self.timing = kind, container, ProbeTiming.of(probe)
        self.result = _INITIAL[kind]
        self.next_at: float | None = None  # None: nothing to run (no instance yet, on hold, or stopped)
        self._last: str | None = None
        self._run = 0
        self._on_hold = False

    def start(self, started_at: float) -> None:
        """A new instance runs: back to the initial result, the first run after initialDelaySeconds (readiness:
        not before the kubelet's next relist has seen the instance)."""
        self.result, self._last, self._run, self._on_hold = _INITIAL[self.kind], None, 0, False
        self.next_at = started_at + self.timing.initial_delay
        if self.kind == READINESS:
            self.next_at = max(self.next_at, next_relist(started_at))

    def stopped(self) -> None:
        """The instance is not running (any more): its probe result is Failure until a new one starts."""
        self.result, self.next_at = FAILURE, None

    def terminating(self) -> None:
        """The pod is being deleted: liveness and startup read Success and stop, for a quiet shutdown."""
        if self.kind in (LIVENESS, STARTUP):
            self.result, self.next_at = SUCCESS, None

    def due(self, now: float, *, started: bool) -> bool:
        """Whether to run the probe now. Only the startup probe runs before the container has started; it stops
        once it has."""
        if self.next_at is None or self._on_hold or now < self.next_at:
            return False
        return (not started) if self.kind == STARTUP else started

    def record(self, outcome: ProbeResult, now: float, *, restart: bool = True) -> Verdict:
        """The result of a run made at `now`. `restart`: whether a killed container starts again (the pod's
        restartPolicy is not Never), for the Killing message."""
        self.next_at = now + self.timing.period
        word = _WORD[self.kind]
        if outcome.result == UNKNOWN:  # the prober's error: reported, never counted
            return Verdict(self.result, False, (ProbeEvent("Warning", "Unhealthy",
                                                           f"{word} probe errored: {outcome.error}"),))
        events: tuple[ProbeEvent, ...] = ()
        result = SUCCESS if outcome.result in (SUCCESS, WARNING) else FAILURE
        if outcome.result == WARNING:
            events = (ProbeEvent("Warning", "ProbeWarning", f"{word} probe warning: {outcome.output}"),)
        elif result == FAILURE:
            events = (ProbeEvent("Warning", "Unhealthy", f"{word} probe failed: {outcome.output}"),)
        self._run = self._run + 1 if result == self._last else 1
        self._last = result
        threshold = self.timing.failure_threshold if result == FAILURE else self.timing.success_threshold
        if self._run < threshold:  # below the threshold: the probe's result stays as it was
            return Verdict(self.result, False, events)
        changed, self.result = result != self.result, result
        kill = None
        if (self.kind == LIVENESS and result == FAILURE) or self.kind == STARTUP:
            # hold until the next instance: a liveness or startup verdict is final for this one
            self._on_hold, self._run, self.next_at = True, 0, None
            if result == FAILURE:  # the kubelet's killContainer records it (Normal Killing) as it stops it
                kill = kill_message(self.container, self.kind, restart)
        return Verdict(self.result, changed, events, kill)


def next_relist(moment: float) -> float:
    """The kubelet's first PLEG relist at or after `moment`: relists come every second of the simulated clock
    (its phase is the sandbox's start, as a kubelet's is its own start)."""
    return math.ceil(moment / PLEG_RELIST_PERIOD) * PLEG_RELIST_PERIOD


def container_started(running: bool, startup: ProbeWorker | None) -> bool:
    """containerStatuses[].started: running, and past its startup probe if it has one."""
    return running and (startup is None or startup.result == SUCCESS)


def container_ready(running: bool, started: bool, readiness: ProbeWorker | None) -> bool:
    """containerStatuses[].ready: started, and its readiness probe passing if it has one."""
    return running and started and (readiness is None or readiness.result == SUCCESS)
