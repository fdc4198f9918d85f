"""Facts about one pod that every room reads the same way (k8s.io/kubernetes/pkg/api/v1/pod and the controllers'
IsPodActive): its conditions, whether it is ready and since when, whether it counts as available after
minReadySeconds, and whether it is finished, terminating or still active. The controllers, the registry (evictions),
the autoscalers, the printers and the helpers all ask here."""
from __future__ import annotations

from sandbox.machinery import timestamps

TERMINAL = ("Succeeded", "Failed")  # phases a pod never leaves


def condition(pod: dict, type_: str) -> dict | None:
    """GetPodCondition: the pod's condition of that type, or None."""
    for c in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == type_:
            return c
    return None


def is_ready(pod: dict) -> bool:
    """IsPodReady: its Ready condition is True."""
    c = condition(pod, "Ready")
    return c is not None and c.get("status") == "True"


def ready_since(pod: dict) -> float | None:
    """When (epoch seconds) the pod last became ready; None while it is not ready."""
    c = condition(pod, "Ready")
    if c is None or c.get("status") != "True":
        return None
    return timestamps.epoch(c.get("lastTransitionTime"))


def ready_for(since: float | None, min_ready_seconds: float, now: float, time_scale: float = 1.0) -> bool:
    """Whether a pod ready since `since` has been ready for minReadySeconds at `now` (epoch seconds). The sandbox's
    durations run `time_scale` times faster than the wall clock its timestamps follow: 10 wall seconds at time
    scale 6 are the minute a minReadySeconds of 60 asks for."""
    if not min_ready_seconds:
        return True
    return (now - (now if since is None else since)) * time_scale >= min_ready_seconds


def is_available(pod: dict, min_ready_seconds: float, now: float, time_scale: float = 1.0) -> bool:
    """IsPodAvailable: ready, and ready for at least minReadySeconds."""
    return is_ready(pod) and ready_for(ready_since(pod), min_ready_seconds, now, time_scale)


def is_running_and_ready(pod: dict) -> bool:
    """Running and ready: the pods whose metrics the HPA trusts and to which KEDA's activation looks."""
    return (pod.get("status") or {}).get("phase") == "Running" and is_ready(pod)


def is_terminating(obj: dict) -> bool:
    """Its deletion has begun (deletionTimestamp is set)."""
    return bool(obj["metadata"].get("deletionTimestamp"))


def is_active(pod: dict) -> bool:
    """controller.IsPodActive: not finished and not being deleted."""
    return (pod.get("status") or {}).get("phase") not in TERMINAL and not is_terminating(pod)


def is_terminating_replica(pod: dict) -> bool:
    """Counted in a workload's status.terminatingReplicas: being deleted, not yet finished."""
    return is_terminating(pod) and (pod.get("status") or {}).get("phase") not in TERMINAL
