"""The disruption controller's arithmetic (pkg/controller/disruption), as pure functions: how many pods a budget
expects and wants healthy, which evictions it still waits to see, how many pods are healthy, and the status
that follows. Times are wall-clock seconds; the controller scales the timeouts."""
from __future__ import annotations

import json
from typing import Callable

from sandbox.machinery import podutil, timestamps
from sandbox.machinery.intstr import scaled_value
from sandbox.machinery import conditions, disruption_budgets

DELETION_TIMEOUT = 120.0  # simulated seconds an evicted pod has to be seen terminating (DeletionTimeout)
STALE_POD_DISRUPTION_TIMEOUT = 120.0  # simulated seconds before a DisruptionTarget without deletion is cleared


class ExpectedScaleError(Exception):
    """getExpectedScale's failures (a pod whose controller cannot be found or scaled)."""


# expected_scale(pods) -> (the scale of the controllers of `pods` summed, names of pods without a controller)
ScaleFinder = Callable[[list], "tuple[int, list[str]]"]


def expected_and_desired(spec: dict, pods: list[dict], expected_scale: ScaleFinder) -> tuple[int, int, list[str]]:
    """getExpectedPodCount: (expectedPods, desiredHealthy, unmanaged pods). An integer minAvailable counts the
    selected pods as they are; a percentage or maxUnavailable asks their controllers' scale."""
    max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
    if max_unavailable is not None:
        expected, unmanaged = expected_scale(pods)
        return expected, max(expected - scaled_value(max_unavailable, expected, True), 0), unmanaged
    if isinstance(min_available, int):
        return len(pods), min_available, []
    if min_available is not None:
        expected, unmanaged = expected_scale(pods)
        return expected, scaled_value(min_available, expected, True), unmanaged
    return 0, 0, []


def _expires(stamp, timeout: float) -> float:
    return (timestamps.epoch(stamp) or 0.0) + timeout


def disrupted_pod_map(pods: list[dict], recorded: dict, now: float,
                      timeout: float) -> tuple[dict, float | None, list[dict]]:
    """buildDisruptedPodMap: (the entries still awaited, when the first of them runs out, the pods whose
    deletion never came). An entry goes once its pod is seen terminating or gone."""
    kept, recheck, expired = {}, None, []
    for pod in pods:
        name, stamp = pod["metadata"]["name"], (recorded or {}).get(pod["metadata"]["name"])
        if podutil.is_terminating(pod) or stamp is None:
            continue
        deadline = _expires(stamp, timeout)
        if deadline < now:
            expired.append(pod)
        else:
            recheck = deadline if recheck is None else min(recheck, deadline)
            kept[name] = stamp
    return kept, recheck, expired


def count_healthy(pods: list[dict], disrupted: dict, now: float, timeout: float) -> int:
    """countHealthyPods: ready pods, neither terminating nor just evicted."""
    healthy = 0
    for pod in pods:
        stamp = disrupted.get(pod["metadata"]["name"])
        if podutil.is_terminating(pod) or (stamp is not None and _expires(stamp, timeout) > now):
            continue
        healthy += podutil.is_ready(pod)
    return healthy


def updated_status(pdb: dict, current: int, desired: int, expected: int, disrupted: dict,
                   now: str) -> dict | None:
    """updatePdbStatus: the status to write, None when the stored one already says it all. No disruption is
    allowed while the budget expects no pods: its first pods may appear before it is synced again."""
    allowed = current - desired if expected > 0 and current > desired else 0
    status, generation = pdb.get("status") or {}, pdb["metadata"].get("generation")
    numbers = {"disruptionsAllowed": allowed, "currentHealthy": current, "desiredHealthy": desired,
               "expectedPods": expected}
    if (all((status.get(k) or 0) == v for k, v in numbers.items()) and (status.get("disruptedPods") or {}) ==
            disrupted and status.get("observedGeneration") == generation
            and disruption_budgets.conditions_up_to_date(pdb)):
        return None
    new = {"observedGeneration": generation, **({"disruptedPods": disrupted} if disrupted else {}), **numbers}
    new["conditions"] = json.loads(json.dumps(status.get("conditions") or []))
    disruption_budgets.update_disruption_allowed_condition(new, now)
    return new


def fail_safe_status(pdb: dict, message: str, now: str) -> dict:
    """failSafe: whatever went wrong, allow no disruption and say why (DisruptionAllowed False, SyncFailed)."""
    status = json.loads(json.dumps(pdb.get("status") or {}))
    status["disruptionsAllowed"] = 0
    conditions.set_status_condition(status, disruption_budgets.DISRUPTION_ALLOWED, "False",
                                    disruption_budgets.SYNC_FAILED, message, now)
    return status


def stale_disruption_wait(pod: dict, now: float, timeout: float) -> float | None:
    """nonTerminatingPodHasStaleDisruptionCondition: seconds until a DisruptionTarget=True condition left on a
    pod that is not being deleted counts as stale (0: now), None when there is none to clear. The kubelet's
    own (TerminationByKubelet) and those of finished pods are never stale."""
    found = podutil.condition(pod, "DisruptionTarget")
    if not found or found.get("status") != "True" or found.get("reason") == "TerminationByKubelet":
        return None
    if podutil.is_terminating(pod) or (pod.get("status") or {}).get("phase") in podutil.TERMINAL:
        return None
    return max(0.0, _expires(found.get("lastTransitionTime"), timeout) - now)
