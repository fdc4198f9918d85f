"""A running pod's status from the kubelet's records of its containers (pure): the phase as the kubelet's
getPhase computes it, the five pod conditions with their transition times kept while they hold, the container
statuses, and the IPs.

The phase, worked through for the cases a workshop meets:
- an init container has not finished (or a sidecar has not started): Pending;
- a container still waits for its first start (pulling, creating, a missing ConfigMap): Pending;
- any container running: Running;
- none running, some stopped: with restartPolicy Always the pod is Running (they will be restarted: this is
  "Running, 0/1, CrashLoopBackOff"); all stopped with exit code 0: Succeeded; restartPolicy Never: Failed;
  OnFailure: Running while a failed one waits to restart.
A container waiting to restart after it stopped counts as stopped, not waiting (the kubelet looks at its last
termination)."""
from __future__ import annotations

from dataclasses import dataclass

from sandbox.kubelet.container_record import ContainerRecord, rfc3339

CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


@dataclass
class PodView:
    """What the pod worker knows beyond the containers."""
    uid: str
    generation: int | None
    restart_policy: str
    host_ip: str
    pod_ip: str
    sandbox_ready_at: float | None  # wall-clock
    admitted_at: float  # wall-clock: status.startTime
    qos_class: str
    terminal_phase: str = ""  # Succeeded | Failed once decided: a finished pod never goes back


def initialized(records: list[ContainerRecord]) -> bool:
    """Every init container completed (exit 0) and every sidecar started."""
    for record in records:
        if record.role == "init" and not (record.terminated is not None and record.terminated.exit_code == 0):
            return False
        if record.role == "sidecar" and not record.started:
            return False
    return True


def phase(records: list[ContainerRecord], view: PodView) -> str:
    if view.terminal_phase:
        return view.terminal_phase
    inits = [r for r in records if r.role != "app"]
    apps = [r for r in records if r.role == "app"]
    failed_init = next((r for r in inits if r.role == "init" and r.terminated is not None
                        and r.terminated.exit_code != 0), None)
    if failed_init is not None and view.restart_policy == "Never":
        return "Failed"
    if not initialized(inits):
        return "Pending"
    running = sum(1 for r in apps if r.running)
    stopped = sum(1 for r in apps if not r.running and r.counts_as_stopped)
    waiting = sum(1 for r in apps if not r.running and not r.counts_as_stopped)
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if view.restart_policy == "Always":
            return "Running"
        if all(r.succeeded for r in apps):
            return "Succeeded"
        if view.restart_policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _condition(type_: str, ok: bool, previous: dict, now: float, generation, reason: str = "",
               message: str = "") -> dict:
    old = previous.get(type_)
    status = "True" if ok else "False"
    since = old["lastTransitionTime"] if old and old.get("status") == status else rfc3339(now)
    condition = {"type": type_, "status": status, "lastTransitionTime": since}
    if generation is not None:
        condition["observedGeneration"] = generation
    if not ok and reason:
        condition.update(reason=reason, message=message)
    return condition


def pod_status(records: list[ContainerRecord], view: PodView, old_status: dict, now: float) -> dict:
    """The status to write at wall-clock `now`; `old_status` keeps the conditions' transition times."""
    previous = {c.get("type"): c for c in old_status.get("conditions") or []}
    inits = [r for r in records if r.role != "app"]
    apps = [r for r in records if r.role == "app"]
    current_phase = phase(records, view)
    finished = current_phase in ("Succeeded", "Failed")
    is_initialized = initialized(inits) or (finished and current_phase == "Succeeded")
    unfinished = [r.name for r in inits if (r.role == "init" and not (r.terminated and r.terminated.exit_code == 0))
                  or (r.role == "sidecar" and not r.started)]
    not_ready = [r.name for r in apps if not r.ready]
    # a finished pod is not ready (PodCompleted), whatever its containers said last
    ready_reason = "PodCompleted" if finished else "ContainersNotReady"
    ready_message = "" if finished else f"containers with unready status: [{' '.join(not_ready)}]"
    all_ready = not not_ready and not finished
    generation = view.generation
    conditions = [
        _condition("PodReadyToStartContainers", view.sandbox_ready_at is not None and not finished, previous, now,
                   generation),
        _condition("Initialized", is_initialized, previous, now, generation, "ContainersNotInitialized",
                   f"containers with incomplete status: [{' '.join(unfinished)}]"),
        _condition("Ready", all_ready, previous, now, generation, ready_reason, ready_message),
        _condition("ContainersReady", all_ready, previous, now, generation, ready_reason, ready_message),
    ]
    scheduled = previous.get("PodScheduled")
    conditions.append(scheduled or _condition("PodScheduled", True, {}, view.admitted_at, generation))
    status = {"conditions": conditions, "containerStatuses": [r.status(view.uid) for r in apps],
              "hostIP": view.host_ip, "hostIPs": [{"ip": view.host_ip}], "phase": current_phase,
              "qosClass": view.qos_class, "startTime": rfc3339(view.admitted_at)}
    if inits:
        status["initContainerStatuses"] = [r.status(view.uid) for r in inits]
    if generation is not None:
        status["observedGeneration"] = generation
    if view.sandbox_ready_at is not None or finished or old_status.get("podIP"):
        status.update(podIP=view.pod_ip, podIPs=[{"ip": view.pod_ip}])  # a finished pod keeps its IP in status
    return status
