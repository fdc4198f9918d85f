"""What the eviction handler and the disruption controller both know about PodDisruptionBudgets
(k8s.io/component-helpers/apps/poddisruptionbudget and the PDB lister's GetPodPodDisruptionBudgets): which
budgets cover a pod, and the DisruptionAllowed condition that follows status.disruptionsAllowed."""
from __future__ import annotations

from typing import Callable

from . import conditions, labels
from .errors import StatusError

DISRUPTION_ALLOWED = "DisruptionAllowed"
SUFFICIENT_PODS, INSUFFICIENT_PODS, SYNC_FAILED = "SufficientPods", "InsufficientPods", "SyncFailed"


def parsed_selector(pdb: dict) -> labels.LabelSelector:
    """LabelSelectorAsSelector of spec.selector: a null selector matches nothing and {} every pod (policy/v1's
    rule); an invalid one matches nothing, as both callers skip it."""
    try:
        return labels.from_label_selector((pdb.get("spec") or {}).get("selector"))
    except (StatusError, TypeError, ValueError, AttributeError):
        return labels.NOTHING


def covering(pdbs: list[dict], pod: dict,
             selector: Callable[[dict], labels.LabelSelector] = parsed_selector) -> list[dict]:
    """The budgets of the pod's namespace whose selector matches its labels, by name (the real callers take the
    lister's or the list's order)."""
    namespace, pod_labels = pod["metadata"].get("namespace"), pod["metadata"].get("labels") or {}
    found = [pdb for pdb in pdbs if pdb["metadata"].get("namespace") == namespace
             and selector(pdb).matches(pod_labels)]
    return sorted(found, key=lambda pdb: pdb["metadata"]["name"])


def condition(status: dict) -> dict | None:
    """The DisruptionAllowed condition, or None."""
    return conditions.find(status.get("conditions"), DISRUPTION_ALLOWED)


def update_disruption_allowed_condition(status: dict, now: str) -> None:
    """UpdateDisruptionAllowedCondition: True/SufficientPods while disruptions are allowed, else
    False/InsufficientPods."""
    if (status.get("disruptionsAllowed") or 0) > 0:
        conditions.set_status_condition(status, DISRUPTION_ALLOWED, "True", SUFFICIENT_PODS, "", now)
    else:
        conditions.set_status_condition(status, DISRUPTION_ALLOWED, "False", INSUFFICIENT_PODS, "", now)


def conditions_up_to_date(pdb: dict) -> bool:
    """ConditionsAreUpToDate: the condition exists, the status is of the current generation, and the
    condition agrees with disruptionsAllowed."""
    status = pdb.get("status") or {}
    found = condition(status)
    if found is None or status.get("observedGeneration") != pdb["metadata"].get("generation"):
        return False
    if (status.get("disruptionsAllowed") or 0) > 0:
        return (found.get("status"), found.get("reason")) == ("True", SUFFICIENT_PODS)
    return (found.get("status"), found.get("reason")) == ("False", INSUFFICIENT_PODS)
