"""Pods as printPod shows them: READY ready/total, STATUS from the phase, init containers and container
states (ContainerCreating, CrashLoopBackOff, Completed, Terminating...), RESTARTS with the last restart's age."""
from __future__ import annotations

import functools

from dataclasses import dataclass

from .common import (Column, Printer, age_column, age_of, as_dict, as_int, as_list, dig, doc, epoch, human_duration,
                     name_column, name_of)


def _is_restartable_init(container) -> bool:
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def _condition_true(status, kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in as_list(status, "conditions")
               if isinstance(c, dict))


def _terminated_reason(terminated: dict, prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + terminated["reason"]
    if as_int(terminated.get("signal")):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{as_int(terminated.get('exitCode'))}"


class _Restarts:
    """Restart count and the latest restart time, as printPod accumulates them."""

    def __init__(self):
        self.count, self.last = 0, None

    def add(self, status: dict) -> None:
        self.count += as_int(status.get("restartCount"))
        finished = epoch(dig(status, "lastState", "terminated", "finishedAt"))
        if finished is not None and (self.last is None or finished > self.last):
            self.last = finished


@dataclass(frozen=True)
class PodStatus:
    """What printPod shows of a pod: the STATUS reason, READY as ready/total containers, and the RESTARTS count with
    the time (epoch seconds) of the latest restart. The helpers' diagrams and diagnoses read it too."""
    reason: str
    ready: int
    total: int
    restarts: int
    last_restart: float | None

    @property
    def ready_text(self) -> str:
        return f"{self.ready}/{self.total}"


def pod_status(pod: dict) -> PodStatus:
    """The pod's STATUS, READY and RESTARTS as `kubectl get pods` shows them."""
    reason, ready, total, restarts = _pod_status(pod)
    return PodStatus(reason, ready, total, restarts.count, restarts.last)


def _pod_status(pod: dict) -> tuple[str, int, int, _Restarts]:
    """(STATUS reason, ready containers, total containers, restarts) following printPod."""
    spec, status = as_dict(pod, "spec"), as_dict(pod, "status")
    phase = status.get("phase", "")
    reason = status.get("reason") or phase
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated"
           for c in as_list(status, "conditions") if isinstance(c, dict)):
        reason = "SchedulingGated"
    init_containers = [c for c in as_list(spec, "initContainers") if isinstance(c, dict)]
    init_specs = {c["name"]: c for c in init_containers if isinstance(c.get("name"), str)}
    total = len(as_list(spec, "containers")) + sum(1 for c in init_containers if _is_restartable_init(c))
    ready, restarts, sidecar_restarts, initializing = 0, _Restarts(), _Restarts(), False
    for i, cs in enumerate(s for s in as_list(status, "initContainerStatuses") if isinstance(s, dict)):
        restarts.add(cs)
        restartable = _is_restartable_init(init_specs.get(str(cs.get("name"))))
        if restartable:
            sidecar_restarts.add(cs)
        terminated, waiting = dig(cs, "state", "terminated"), as_dict(cs, "state", "waiting")
        if isinstance(terminated, dict) and as_int(terminated.get("exitCode")) == 0:
            continue
        if restartable and cs.get("started") is True:
            ready += 1 if cs.get("ready") else 0
            continue
        if isinstance(terminated, dict):
            reason = _terminated_reason(terminated, "Init:")
        elif waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_containers)}"
        initializing = True
        break
    if not initializing or _condition_true(status, "Initialized"):
        restarts, reason, ready = _containers_status(status, sidecar_restarts, reason, ready)
    if dig(pod, "metadata", "deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"
    return reason, ready, total, restarts


def _containers_status(status: dict, restarts: _Restarts, reason: str, ready: int) -> tuple[_Restarts, str, int]:
    has_running = False
    for cs in reversed([s for s in as_list(status, "containerStatuses") if isinstance(s, dict)]):
        restarts.add(cs)
        state = as_dict(cs, "state")
        waiting, terminated = as_dict(state, "waiting"), state.get("terminated")
        if waiting.get("reason"):
            reason = waiting["reason"]
        elif isinstance(terminated, dict):
            reason = _terminated_reason(terminated)
        elif cs.get("ready") and isinstance(state.get("running"), dict):
            has_running = True
            ready += 1
    if reason == "Completed" and has_running:
        reason = "Running" if _condition_true(status, "Ready") else "NotReady"
    return restarts, reason, ready


def _pod_row(pod: dict, now: float, wide: bool) -> list:
    status_ = pod_status(pod)
    restarts_text = str(status_.restarts)
    if status_.restarts and status_.last_restart is not None:
        restarts_text = f"{status_.restarts} ({human_duration(now - status_.last_restart)} ago)"
    status, spec = as_dict(pod, "status"), as_dict(pod, "spec")
    ips = [p.get("ip") for p in as_list(status, "podIPs") if isinstance(p, dict)]
    gates = [g.get("conditionType") for g in as_list(spec, "readinessGates") if isinstance(g, dict)]
    gates_text = "<none>"
    if gates:
        true = sum(1 for g in gates if _condition_true(status, g))
        gates_text = f"{true}/{len(gates)}"
    return [name_of(pod), status_.ready_text, status_.reason, restarts_text, age_of(pod, now),
            (ips[0] if ips else "") or "<none>", spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>", gates_text]


def _pod_conditions(pod: dict) -> list:
    phase = dig(pod, "status", "phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return []


@functools.cache
def pod_printer() -> Printer:
    return Printer((
        name_column(),
        Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
        Column("Status", description="The aggregate status of the containers in this pod."),
        Column("Restarts", description="The number of times the containers in this pod have been restarted and "
                                       "when the last container in this pod has restarted."),
        age_column(),
        Column("IP", priority=1, description=doc("io.k8s.api.core.v1.PodStatus", "podIP")),
        Column("Node", priority=1, description=doc("io.k8s.api.core.v1.PodSpec", "nodeName")),
        Column("Nominated Node", priority=1, description=doc("io.k8s.api.core.v1.PodStatus", "nominatedNodeName")),
        Column("Readiness Gates", priority=1, description=doc("io.k8s.api.core.v1.PodSpec", "readinessGates")),
    ), _pod_row, _pod_conditions)

