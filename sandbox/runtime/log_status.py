"""Which container instance a logs request reads, decided from the pod's status as the kubelet decides it
(validateContainerLogStatus), with its refusals: every one a NodeError the API server passes on as
`400 BadRequest` with the kubelet's words.

    running container, --previous without an earlier instance -> previous terminated container "api" in pod
                                                                 "web-1" not found
    a container still pulling its image                       -> container "api" in pod "web-1" is waiting to
                                                                 start: trying and failing to pull image
Pure: reads the pod only."""
from __future__ import annotations

from dataclasses import dataclass

from sandbox.registry.kubelet_connection import NodeError

# the waiting reasons the kubelet words on its own (images.ErrImagePull / ErrImagePullBackOff)
_WAITING_WORDS = {"ErrImagePull": "image can't be pulled", "ImagePullBackOff": "trying and failing to pull image"}


@dataclass(frozen=True)
class LogTarget:
    container_id: str  # containerd://..., the instance whose log file is read
    last_state: bool  # the instance before the current one (lastState.terminated)
    state: dict  # the state (or last state) of that instance: running/terminated with startedAt


def container_status(pod: dict, container: str) -> dict | None:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for entry in status.get(key) or []:
            if entry.get("name") == container:
                return entry
    return None


def log_target(pod: dict, container: str, *, previous: bool) -> LogTarget:
    """The instance to read; raises NodeError when the kubelet has no log to give."""
    pod_name = pod["metadata"]["name"]
    status = container_status(pod, container)
    if status is None:
        raise NodeError(f'container "{container}" in pod "{pod_name}" is not available')
    state, last = status.get("state") or {}, (status.get("lastState") or {}).get("terminated")
    if previous:
        if not last or not last.get("containerID"):
            raise NodeError(f'previous terminated container "{container}" in pod "{pod_name}" not found')
        return LogTarget(last["containerID"], True, {"terminated": last})
    if "running" in state:
        return LogTarget(status.get("containerID") or "", False, state)
    if "terminated" in state:
        terminated = state["terminated"]
        if terminated.get("containerID"):
            return LogTarget(terminated["containerID"], False, state)
        if last and last.get("containerID"):  # the next instance never started: the one before it
            return LogTarget(last["containerID"], True, {"terminated": last})
        raise NodeError(f'container "{container}" in pod "{pod_name}" is terminated')
    if last:
        if not last.get("containerID"):
            raise NodeError(f'container "{container}" in pod "{pod_name}" is terminated')
        return LogTarget(last["containerID"], True, {"terminated": last})
    if "waiting" in state:
        reason = (state["waiting"] or {}).get("reason") or ""
        raise NodeError(f'container "{container}" in pod "{pod_name}" is waiting to start: '
                        f'{_WAITING_WORDS.get(reason, reason)}')
    raise NodeError(f'container "{container}" in pod "{pod_name}" is waiting to start - no logs yet')
