"""The PodDisruptionBudget half of pods/eviction (EvictionREST.Create after canIgnorePDB, and checkAndDecrement):
whether the budget covering a pod lets it go, and the budget's status charged for it before the pod is deleted.
The wording of every refusal is kube-apiserver's (pkg/registry/core/pod/storage/eviction.go)."""
from __future__ import annotations

import json

from sandbox.machinery import disruption_budgets, errors, podutil, resources
from sandbox.machinery.errors import StatusError

PDBS = resources.lookup("policy", "v1", "poddisruptionbudgets")
MAX_DISRUPTED_POD_SIZE = 2000  # more unconfirmed evictions than this and the handler stops approving them
MANAGER = "kube-apiserver"  # the handler writes the budget's status through a loopback client of that name
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."
MULTIPLE = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."


def can_ignore_budgets(pod: dict) -> bool:
    """canIgnorePDB: a finished, pending or already terminating pod disrupts nothing more."""
    phase = (pod.get("status") or {}).get("phase")
    return phase in ("Succeeded", "Failed", "Pending") or bool(pod["metadata"].get("deletionTimestamp"))


def consult(registry, pod: dict, dry_run: bool) -> bool:
    """The budget check of an eviction whose pod cannot skip it: raises the refusals (500 for several budgets,
    429, 403) and charges the budget (unless `dry_run`). True when an unready pod goes without a charge: its
    deletion must then find the pod as it was read (updateDeletionOptions)."""
    namespace = pod["metadata"]["namespace"]
    pdbs = disruption_budgets.covering(registry.list(PDBS, namespace)["items"], pod)
    if len(pdbs) > 1:  # the handler returns a Failure Status without a reason, which the server answers with
        raise StatusError(500, "", MULTIPLE)
    if not pdbs:
        return False
    pdb, status = pdbs[0], pdbs[0].get("status") or {}
    if not podutil.is_ready(pod):  # an unhealthy pod is no part of currentHealthy: letting it go costs no disruption
        if (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
            return True
        desired = status.get("desiredHealthy") or 0
        if (status.get("currentHealthy") or 0) >= desired > 0:  # IfHealthyBudget, the default
            return True
    _check_and_decrement(registry, pdb, pod["metadata"]["name"], dry_run)
    return False


def _check_and_decrement(registry, pdb: dict, pod_name: str, dry_run: bool) -> None:
    """checkAndDecrement: refuse unless the up-to-date status allows a disruption, then take one and record
    the pod in disruptedPods so that the controller counts it as gone until it sees it terminate."""
    status, name = json.loads(json.dumps(pdb.get("status") or {})), pdb["metadata"]["name"]
    if (status.get("observedGeneration") or 0) < (pdb["metadata"].get("generation") or 0):
        raise too_many_requests(f"The disruption budget {name} is still being processed by the server.", 10)
    allowed = status.get("disruptionsAllowed") or 0
    if allowed < 0:
        raise errors.forbidden("policy", "poddisruptionbudget", name, "pdb disruptions allowed is negative")
    if len(status.get("disruptedPods") or {}) > MAX_DISRUPTED_POD_SIZE:
        raise errors.forbidden("policy", "poddisruptionbudget", name, "DisruptedPods map too big - too many "
                               "evictions not confirmed by PDB controller")
    if allowed == 0:
        raise too_many_requests(f"The disruption budget {name} needs {status.get('desiredHealthy') or 0} healthy "
                                f"pods and has {status.get('currentHealthy') or 0} currently", 0)
    now = registry.clock.timestamp()
    status["disruptionsAllowed"] = allowed - 1
    if allowed == 1:
        disruption_budgets.update_disruption_allowed_condition(status, now)
    if dry_run:
        return
    status["disruptedPods"] = {**(status.get("disruptedPods") or {}), pod_name: now}
    registry.update(PDBS, pdb["metadata"]["namespace"], name, {**pdb, "status": status}, subresource="status",
                    field_manager=MANAGER)


def too_many_requests(cause: str, retry_after_seconds: int) -> StatusError:
    """errors.NewTooManyRequests with the DisruptionBudget cause the handler appends."""
    details: dict = {"causes": [{"reason": "DisruptionBudget", "message": cause}]}
    if retry_after_seconds:
        details["retryAfterSeconds"] = retry_after_seconds
    return StatusError(429, "TooManyRequests", VIOLATION, details)
