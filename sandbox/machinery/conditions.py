"""Status conditions kept one per type, as the controllers' setConditionInList and podutil.UpdatePodCondition
keep them: replaced in place (or appended), lastTransitionTime moved only when the status flips."""
from __future__ import annotations


def set_condition(conditions: list[dict] | None, type_: str, status: str, reason: str, message: str,
                  now: str) -> list[dict]:
    """A new list with the condition of `type_` set (type, status, lastTransitionTime, reason, message)."""
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
