"""What happens after a container's process stops, as the kubelet decides it: whether the container starts again
(restartPolicy, init containers, sidecars, the container-level restartPolicy and restartPolicyRules of 1.34 and
later), how long CrashLoopBackOff holds it back, what its terminated state says, and the pod's phase once its
containers stop (getPhase). Times are simulated seconds on the Clock's scale. Pure: no I/O.

CrashLoopBackOff, worked through with the kubelet's numbers (10 s doubling to 300 s, forgotten after 600 s):

    exits at t=0    -> not backing off: starts again at once (restartCount 1); back-off now 10 s
    exits at t=5    -> waits until t=15: waiting CrashLoopBackOff "back-off 10s restarting failed container=api
                       pod=web-1_shop(uid)"; at t=15 starts again; back-off now 20 s
    exits at t=16   -> waits 20 s ("back-off 20s ..."), then 40 s, 80 s, 160 s, 300 s, 300 s, ...
    runs 10 minutes -> the back-off is forgotten: the next exit restarts at once again."""
from __future__ import annotations

from sandbox.simulation.stages import go_duration

CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"  # waiting reason while the back-off holds a container
RUN_CONTAINER_ERROR = "RunContainerError"  # waiting reason right after a start failed
COMPLETED, ERROR, OOM_KILLED, START_ERROR = "Completed", "Error", "OOMKilled", "StartError"  # terminated reasons
START_ERROR_EXIT_CODE = 128
NEVER_STARTED = "1970-01-01T00:00:00Z"  # startedAt of an instance that failed to start
INITIAL_BACK_OFF, MAX_BACK_OFF = 10.0, 300.0


# whether a container starts again ----------------------------------------------------------------------------------
def is_sidecar(container: dict) -> bool:
    """A restartable init container (restartPolicy: Always on an entry of initContainers)."""
    return container.get("restartPolicy") == "Always"


def matching_rule(container: dict, exit_code: int) -> dict | None:
    """The first of the container's restartPolicyRules whose exit codes match (operator In or NotIn)."""
    for rule in container.get("restartPolicyRules") or []:
        codes = rule.get("exitCodes") or {}
        values = codes.get("values") or []
        if (codes.get("operator") == "In" and exit_code in values) or \
                (codes.get("operator") == "NotIn" and exit_code not in values):
            return rule
    return None


def container_should_restart(container: dict, pod_spec: dict, exit_code: int) -> bool:
    """ContainerShouldRestart: the container's own rules and restartPolicy when it has one, else the pod's
    (Always when unset)."""
    policy = container.get("restartPolicy")
    if policy:
        rule = matching_rule(container, exit_code)
        if rule is not None and rule.get("action") in ("Restart", "RestartAllContainers"):
            return True
    else:
        policy = pod_spec.get("restartPolicy") or "Always"
    return policy == "Always" or (policy == "OnFailure" and exit_code != 0)


def should_restart(container: dict, pod: dict, *, init: bool, exit_code: int) -> bool:
    """Whether the kubelet starts this container again after it exited with `exit_code`. A pod being deleted
    starts nothing; an init container that succeeded is done; a sidecar always comes back."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    if init and not is_sidecar(container) and exit_code == 0:
        return False
    return container_should_restart(container, pod.get("spec") or {}, exit_code)


# CrashLoopBackOff -----------------------------------------------------------------------------------------------
class BackOff:
    """The kubelet's back-off of one container (flowcontrol.Backoff keyed by the pod and container)."""

    def __init__(self, initial: float = INITIAL_BACK_OFF, maximum: float = MAX_BACK_OFF):
        self.initial, self.maximum = initial, maximum
        self.current = 0.0  # the back-off in force, as the waiting message states it
        self._last_update: float | None = None

    def _expired(self, finished_at: float) -> bool:
        # consider it stable once it ran for twice the maximum since the back-off last moved
        return self._last_update is None or finished_at - self._last_update > 2 * self.maximum

    def in_back_off(self, finished_at: float, now: float) -> bool:
        return not self._expired(finished_at) and now - finished_at < self.current

    def next(self, finished_at: float, now: float) -> None:
        self.current = self.initial if self._expired(finished_at) else min(self.current * 2, self.maximum)
        self._last_update = now

    def restart_delay(self, finished_at: float, now: float) -> float:
        """doBackOff: seconds to wait before the container that finished at `finished_at` may start (then ask
        again); 0 means start it now, and the back-off has moved on."""
        if self.in_back_off(finished_at, now):
            return finished_at + self.current - now
        self.next(finished_at, now)
        return 0.0


def pod_full_name(pod: dict) -> str:
    """How the kubelet names a pod in messages (format.Pod): name_namespace(uid)."""
    meta = pod["metadata"]
    return f"{meta['name']}_{meta.get('namespace') or 'default'}({meta.get('uid') or ''})"


def crash_loop_message(back_off: float, container: str, pod: dict) -> str:
    """The waiting state's message while the back-off holds the container."""
    return f"back-off {go_duration(back_off)} restarting failed container={container} pod={pod_full_name(pod)}"


def back_off_event_message(container: str, pod: dict) -> str:
    """Warning BackOff, recorded each time the kubelet finds the container held back."""
    return f"Back-off restarting failed container {container} in pod {pod_full_name(pod)}"


# terminated states --------------------------------------------------------------------------------------------
def exit_code_of(returncode: int) -> int:
    """A process's exit status as the runtime reports it: 128 + the signal for a process a signal killed
    (Python's negative returncode)."""
    return 128 - returncode if returncode < 0 else returncode


def terminated_state(*, exit_code: int, started_at: str, finished_at: str, container_id: str, oom: bool = False,
                     message: str | None = None) -> dict:
    """state.terminated (or lastState.terminated) of an instance that ran: Completed, Error or OOMKilled."""
    reason = OOM_KILLED if oom else (COMPLETED if exit_code == 0 else ERROR)
    state = {"containerID": container_id, "exitCode": exit_code, "finishedAt": finished_at, "reason": reason,
             "startedAt": started_at}
    if message:
        state["message"] = message
    return state


def start_error_state(message: str, *, finished_at: str, container_id: str) -> dict:
    """The terminated state of an instance whose process never started (the runtime's message, exit code 128,
    started at the epoch); the container then waits with RunContainerError, then CrashLoopBackOff."""
    return {"containerID": container_id, "exitCode": START_ERROR_EXIT_CODE, "finishedAt": finished_at,
            "message": message, "reason": START_ERROR, "startedAt": NEVER_STARTED}


# the pod's phase -------------------------------------------------------------------------------------------------
def _restartable(container: dict, spec: dict, status: dict, state_key: str) -> bool:
    terminated = (status.get(state_key) or {}).get("terminated") or {}
    return container_should_restart(container, spec, int(terminated.get("exitCode") or 0))


def pod_phase(pod: dict, *, terminal: bool = False) -> str:
    """getPhase from the pod's container statuses (`terminal`: the pod worker is terminating the pod, so
    nothing restarts): Pending, Running, Succeeded or Failed."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    statuses = {s.get("name"): s for s in (status.get("containerStatuses") or []) +
                (status.get("initContainerStatuses") or [])}
    pending_init = pending_sidecars = failed_init_for_good = 0
    unknown = running = waiting = stopped = stopped_for_good = succeeded = 0
    for container in spec.get("initContainers") or []:
        s = statuses.get(container.get("name"))
        state = (s or {}).get("state") or {}
        last = ((s or {}).get("lastState") or {}).get("terminated")
        if is_sidecar(container):
            if s is None:
                unknown += 1
            elif "running" in state:
                pending_sidecars += 0 if s.get("started") else 1
                running += 1
            elif "waiting" in state and not last:
                pending_sidecars += 1
                waiting += 1
            elif "terminated" not in state and "waiting" not in state:
                pending_sidecars += 1
                unknown += 1
            continue
        if s is None or "running" in state:
            pending_init += 1
        elif "terminated" in state or ("waiting" in state and last):
            key = "state" if "terminated" in state else "lastState"
            code = int(((s.get(key) or {}).get("terminated") or {}).get("exitCode") or 0)
            if code != 0 and not _restartable(container, spec, s, key):
                failed_init_for_good += 1
        else:
            pending_init += 1
    for container in spec.get("containers") or []:
        s = statuses.get(container.get("name"))
        state = (s or {}).get("state") or {}
        if s is None or not state:
            unknown += 1
        elif "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            stopped_for_good += 0 if _restartable(container, spec, s, "state") else 1
            succeeded += 1 if int(state["terminated"].get("exitCode") or 0) == 0 else 0
        elif (s.get("lastState") or {}).get("terminated"):
            stopped += 1
            stopped_for_good += 0 if _restartable(container, spec, s, "lastState") else 1
        else:
            waiting += 1
    if failed_init_for_good:
        return "Failed"
    if pending_init or (pending_sidecars and not _any_regular_started(spec, statuses)) or waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if stopped != stopped_for_good:
            return "Running"  # at least one of them is on its way back
        return "Succeeded" if stopped == succeeded else "Failed"
    return "Pending"


def _any_regular_started(spec: dict, statuses: dict) -> bool:
    """HasAnyActiveRegularContainerStarted, read off the statuses."""
    for container in spec.get("containers") or []:
        s = statuses.get(container.get("name")) or {}
        if "running" in (s.get("state") or {}) or "terminated" in (s.get("state") or {}) or \
                (s.get("lastState") or {}).get("terminated"):
            return True
    return False
