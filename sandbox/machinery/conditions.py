"""Status conditions: the one home of every setter the sandbox ports, each named after the Go function it follows.
They differ in what a condition carries and when its timestamps move, so each kind of object keeps its own:

    find(conditions, type)                      the condition of that type, or None (the Get*Condition helpers)
    set_condition_in_list(conditions, ...)      the HPA controller's setConditionInList, and podutil.UpdatePodCondition
                                                for the DisruptionTarget an eviction writes: type, status,
                                                lastTransitionTime (moved only when the status flips), reason, message
    set_status_condition(status, ...)           apimeta.SetStatusCondition on a metav1.Condition (PodDisruptionBudget):
                                                the same rule, plus the status's observedGeneration
    new_deployment_condition(...), set_deployment_condition(status, c), remove_deployment_condition(status, type)
                                                deploymentutil's: a DeploymentCondition also carries lastUpdateTime,
                                                and an unchanged status and reason keep the old condition whole
    set_keda_condition(conditions, ...)         KEDA's Conditions setters: no timestamps at all
"""
from __future__ import annotations


def find(conditions: list[dict] | None, type_: str) -> dict | None:
    for c in conditions or []:
        if isinstance(c, dict) and c.get("type") == type_:
            return c
    return None


def set_condition_in_list(conditions: list[dict] | None, type_: str, status: str, reason: str, message: str,
                          now: str) -> list[dict]:
    """A new list with the condition of `type_` replaced in place (or appended); its lastTransitionTime moves only
    when its status changes."""
    updated = [dict(c) for c in conditions or []]
    index = next((i for i, c in enumerate(updated) if c.get("type") == type_), None)
    old = updated[index] if index is not None else {}
    transition = now if old.get("status") != status else old.get("lastTransitionTime", now)
    entry = {"type": type_, "status": status, "lastTransitionTime": transition, "reason": reason, "message": message}
    if index is None:
        updated.append(entry)
    else:
        updated[index] = entry
    return updated


def set_status_condition(status: dict, type_: str, status_value: str, reason: str, message: str, now: str) -> None:
    """apimeta.SetStatusCondition on status["conditions"]: added, or updated in place, its transition time moving
    only when its status does; observedGeneration is the status's own."""
    conditions = status.setdefault("conditions", [])
    old = find(conditions, type_)
    unchanged = old is not None and old.get("status") == status_value and old.get("lastTransitionTime")
    wanted = {"type": type_, "status": status_value,
              **({"observedGeneration": status["observedGeneration"]} if status.get("observedGeneration") else {}),
              "lastTransitionTime": old["lastTransitionTime"] if unchanged else now, "reason": reason,
              "message": message}  # metav1.Condition's fields in order; only observedGeneration is omitempty
    if old is None:
        conditions.append(wanted)
    else:
        conditions[conditions.index(old)] = wanted


def new_deployment_condition(type_: str, status: str, reason: str, message: str, now: str) -> dict:
    """NewDeploymentCondition: both timestamps now."""
    return {"type": type_, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
            "reason": reason, "message": message}


def set_deployment_condition(status: dict, condition: dict) -> None:
    """SetDeploymentCondition: the same status and reason keep the old condition (timestamps included); the same
    status with another reason keeps its lastTransitionTime; the condition moves to the end of the list."""
    current = find(status.get("conditions"), condition["type"])
    if current and current["status"] == condition["status"] and current.get("reason") == condition["reason"]:
        return
    if current and current["status"] == condition["status"]:
        condition["lastTransitionTime"] = current["lastTransitionTime"]
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != condition["type"]] + [
        condition]


def remove_deployment_condition(status: dict, type_: str) -> None:
    """RemoveDeploymentCondition (an empty list goes, as omitempty drops it)."""
    remaining = [c for c in status.get("conditions") or [] if c.get("type") != type_]
    if remaining:
        status["conditions"] = remaining
    else:
        status.pop("conditions", None)


def set_keda_condition(conditions: list[dict], type_: str, status: str, reason: str = "", message: str = "",
                       *, initial: list[dict] | None = None) -> list[dict]:
    """KEDA's Conditions setters: the entry of that type replaced in place (no timestamps); an empty list starts
    from `initial` (KEDA's GetInitializedConditions)."""
    updated = [dict(c) for c in conditions] or [dict(c) for c in initial or []]
    entry = find(updated, type_)
    if entry is None:
        entry = {"type": type_}
        updated.append(entry)
    entry.clear()
    entry.update({"type": type_, "status": status})
    if reason:
        entry["reason"] = reason
    if message:
        entry["message"] = message
    return updated
