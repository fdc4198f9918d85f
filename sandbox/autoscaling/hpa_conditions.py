"""The HPA's status conditions (AbleToScale, ScalingActive, ScalingLimited) as the controller keeps them:
one entry per type, appended in the order first set, lastTransitionTime moved only when the status flips."""
from __future__ import annotations

ABLE_TO_SCALE = "AbleToScale"
SCALING_ACTIVE = "ScalingActive"
SCALING_LIMITED = "ScalingLimited"


def set_condition(conditions: list[dict] | None, type_: str, status: str, reason: str, message: str,
                  now: str) -> list[dict]:
    """setConditionInList: a new list with the condition of `type_` set."""
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


def unable_to_compute(reason: str, error: str) -> tuple[str, str, str, str]:
    """getUnableComputeReplicaCountCondition: ScalingActive False with the first failing metric's error."""
    return SCALING_ACTIVE, "False", reason, f"the HPA was unable to compute the replica count: {error}"
