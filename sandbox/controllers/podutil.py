"""Pod facts the controllers share (k8s.io/kubernetes/pkg/api/v1/pod and pkg/controller helpers): readiness,
availability after minReadySeconds, activeness, resource requests, and the order in which a ReplicaSet gives
up pods when it scales down."""
from __future__ import annotations

from datetime import datetime, timezone

from sandbox.machinery import quantity

TERMINAL = ("Succeeded", "Failed")


def parse_time(text: str | None) -> float | None:
    """RFC 3339 (with or without fractional seconds) as Unix seconds."""
    if not text:
        return None
    text = text.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    try:
        return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def condition(obj: dict, kind: str) -> dict | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == kind:
            return c
    return None


def is_ready(pod: dict) -> bool:
    c = condition(pod, "Ready")
    return bool(c) and c.get("status") == "True"


def is_terminating(obj: dict) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def is_active(pod: dict) -> bool:
    """controller.IsPodActive: not finished and not being deleted."""
    return (pod.get("status") or {}).get("phase") not in TERMINAL and not is_terminating(pod)


def is_terminating_replica(pod: dict) -> bool:
    """Counted in status.terminatingReplicas: being deleted, not yet finished."""
    return is_terminating(pod) and (pod.get("status") or {}).get("phase") not in TERMINAL


def ready_since(pod: dict) -> float | None:
    c = condition(pod, "Ready")
    if not c or c.get("status") != "True":
        return None
    return parse_time(c.get("lastTransitionTime"))


def pod_requests(pod: dict) -> dict[str, int]:
    """What the scheduler accounts for a pod (resourcehelper.PodRequests): the sum over containers, at least
    the largest init container (restartable init containers add up like containers), plus overhead. cpu in
    millicores, memory and others in their base unit."""
    spec = pod.get("spec") or {}
    total: dict[str, int] = {}
    for c in spec.get("containers") or []:
        _add(total, _requests(c))
    sidecars: dict[str, int] = {}
    for c in spec.get("initContainers") or []:
        requests = _requests(c)
        if c.get("restartPolicy") == "Always":
            _add(sidecars, requests)
            _add(total, requests)
            continue
        with_sidecars = dict(sidecars)
        _add(with_sidecars, requests)
        for name, value in with_sidecars.items():
            total[name] = max(total.get(name, 0), value)
    _add(total, _parse(spec.get("overhead") or {}))
    return total


def _requests(container: dict) -> dict[str, int]:
    resources = container.get("resources") or {}
    merged = dict(resources.get("limits") or {})
    merged.update(resources.get("requests") or {})  # requests default to limits
    return _parse(merged)


def _parse(values: dict) -> dict[str, int]:
    out = {}
    for name, value in values.items():
        try:
            out[name] = quantity.parse_cpu(value) if name == "cpu" else quantity.parse_memory(value)
        except (quantity.QuantityError, TypeError):
            continue
    return out


def _add(into: dict, more: dict) -> None:
    for name, value in more.items():
        into[name] = into.get(name, 0) + value


def deletion_rank(pod: dict, colocated: int = 0) -> tuple:
    """Sort key: pods to delete first sort first (controller.ActivePodsWithRanks): unassigned before assigned,
    Pending < Unknown < Running, not ready before ready, lower pod-deletion-cost first, more pods of the same
    owner on its node first, more recently ready first, more restarts first, newer first."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(status.get("phase"), 0)
    try:
        cost = int((pod["metadata"].get("annotations") or {}).get("controller.kubernetes.io/pod-deletion-cost", 0))
    except ValueError:
        cost = 0
    ready_at = ready_since(pod) if is_ready(pod) else None
    restarts = sum(int(s.get("restartCount") or 0) for s in status.get("containerStatuses") or [])
    created = parse_time(pod["metadata"].get("creationTimestamp")) or 0.0
    return (1 if spec.get("nodeName") else 0, phase_rank, 1 if is_ready(pod) else 0, cost, -colocated,
            -(ready_at or 0.0), -restarts, -created)
