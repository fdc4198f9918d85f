"""A Deployment's status and its conditions (pure, pkg/controller/deployment/progress.go and the util package).

status: the ReplicaSets' counts summed (replicas, updatedReplicas from the new one, ready, available, unavailable,
terminating) and two conditions:

    Available    True (MinimumReplicasAvailable) while at least spec.replicas - maxUnavailable pods are available,
                 False (MinimumReplicasUnavailable) below that.
    Progressing  only with a progressDeadlineSeconds: True/NewReplicaSetCreated or FoundNewReplicaSet when a rollout
                 starts, True/ReplicaSetUpdated each time it gets further, True/NewReplicaSetAvailable once complete,
                 False/ProgressDeadlineExceeded when it made no progress for progressDeadlineSeconds, Unknown while
                 paused (DeploymentPaused, then DeploymentResumed).

A rollout that makes no progress says so on its own: lastUpdateTime of Progressing moves only when something got
further, so the deadline counts from the last step forward, not from the start. The sandbox's deadline is in
simulated seconds, like every duration it waits for.
"""
from __future__ import annotations

from sandbox.controllers.deployment.replica_sets import ReplicaSetPlan, planned_total, replicas_of
from sandbox.controllers.deployment.rolling import max_unavailable
from sandbox.machinery import conditions, timestamps

# condition reasons (the util package's)
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"
NO_DEADLINE = 2 ** 31 - 1  # progressDeadlineSeconds this large means "never": no Progressing condition is kept


def has_progress_deadline(d: dict) -> bool:
    """HasProgressDeadline."""
    deadline = (d.get("spec") or {}).get("progressDeadlineSeconds")
    return deadline is not None and deadline != NO_DEADLINE


def calculate_status(d: dict, all_plans: list[ReplicaSetPlan | None], new: ReplicaSetPlan | None,
                     now: str) -> dict:
    """calculateStatus: the counts summed over the ReplicaSets and the Available condition; the other conditions
    carried over from the Deployment's status."""
    plans = [rs for rs in all_plans if rs is not None]
    available = sum(int(rs.status.get("availableReplicas") or 0) for rs in plans)
    unavailable = max(planned_total(plans) - available, 0)
    old = d.get("status") or {}
    status: dict = {"observedGeneration": d["metadata"].get("generation", 1),
                    "replicas": sum(rs.observed for rs in plans),
                    "updatedReplicas": new.observed if new else 0,
                    "readyReplicas": sum(rs.ready for rs in plans),
                    "availableReplicas": available,
                    "unavailableReplicas": unavailable,
                    "terminatingReplicas": sum(rs.terminating for rs in plans)}
    status = {k: v for k, v in status.items() if v or k in ("observedGeneration", "terminatingReplicas")}
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if old.get("conditions"):
        status["conditions"] = [dict(c) for c in old["conditions"]]
    if available >= replicas_of(d) - max_unavailable(d):
        conditions.set_deployment_condition(status, conditions.new_deployment_condition(
            "Available", "True", MIN_AVAILABLE, "Deployment has minimum availability.", now))
    else:
        conditions.set_deployment_condition(status, conditions.new_deployment_condition(
            "Available", "False", MIN_UNAVAILABLE, "Deployment does not have minimum availability.", now))
    return status


def complete(d: dict, status: dict) -> bool:
    """DeploymentComplete: every replica updated and available, no old one left, this generation observed."""
    desired = replicas_of(d)
    return (status.get("updatedReplicas", 0) == desired and status.get("replicas", 0) == desired
            and status.get("availableReplicas", 0) == desired
            and status.get("observedGeneration", 0) >= d["metadata"].get("generation", 1))


def progressing(d: dict, status: dict) -> bool:
    """DeploymentProgressing: since the last status, more pods are updated, ready or available, or fewer old
    ones are left."""
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = status.get("replicas", 0) - status.get("updatedReplicas", 0)
    return (status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0) or new_old < old_old
            or status.get("readyReplicas", 0) > old.get("readyReplicas", 0)
            or status.get("availableReplicas", 0) > old.get("availableReplicas", 0))


def timed_out(d: dict, status: dict, now_wall: float, time_scale: float) -> bool:
    """DeploymentTimedOut: no progress for progressDeadlineSeconds (simulated) since the Progressing condition's
    lastUpdateTime. A complete rollout never times out, one that did stays timed out."""
    deadline = (d.get("spec") or {}).get("progressDeadlineSeconds")
    cond = conditions.find(status.get("conditions"), "Progressing")
    if deadline is None or cond is None:
        return False
    if cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    since = timestamps.epoch(cond.get("lastUpdateTime"))
    return since is not None and (now_wall - since) * time_scale > deadline


def _progress_message(d: dict, new: ReplicaSetPlan | None, what: str) -> str:
    """Progressing messages name the new ReplicaSet, or the Deployment while it has none."""
    return f'ReplicaSet "{new.name}" {what}.' if new else f'Deployment "{d["metadata"]["name"]}" {what}.'


def rollout_status(d: dict, all_plans: list[ReplicaSetPlan | None], new: ReplicaSetPlan | None, now: str,
                   now_wall: float, time_scale: float) -> dict:
    """syncRolloutStatus's status: calculate_status, then the Progressing condition, then ReplicaFailure copied from
    a ReplicaSet that has one (pods it could not create are the Deployment's failure too)."""
    status = calculate_status(d, all_plans, new, now)
    if (d.get("spec") or {}).get("progressDeadlineSeconds") is None:
        conditions.remove_deployment_condition(status, "Progressing")
    else:
        current = conditions.find(status.get("conditions"), "Progressing")
        # A rollout that completed stays complete: a later resync (after a scale, say) estimates no progress.
        done = (status.get("replicas", 0) == status.get("updatedReplicas", 0) and current is not None
                and current.get("reason") == NEW_RS_AVAILABLE)
        if not done:
            if complete(d, status):
                conditions.set_deployment_condition(status, conditions.new_deployment_condition(
                    "Progressing", "True", NEW_RS_AVAILABLE, _progress_message(d, new, "has successfully progressed"),
                    now))
            elif progressing(d, status):
                # Progress moves lastUpdateTime even when the reason stays ReplicaSetUpdated, which
                # set_deployment_condition alone would not do: the condition is replaced, keeping only its
                # lastTransitionTime while it stays True.
                cond = conditions.new_deployment_condition(
                    "Progressing", "True", RS_UPDATED, _progress_message(d, new, "is progressing"), now)
                if current is not None:
                    if current["status"] == "True":
                        cond["lastTransitionTime"] = current["lastTransitionTime"]
                    conditions.remove_deployment_condition(status, "Progressing")
                conditions.set_deployment_condition(status, cond)
            elif timed_out(d, status, now_wall, time_scale):
                conditions.set_deployment_condition(status, conditions.new_deployment_condition(
                    "Progressing", "False", TIMED_OUT, _progress_message(d, new, "has timed out progressing"), now))
    failure = next((conditions.find(rs.status.get("conditions"), "ReplicaFailure") for rs in all_plans
                    if rs is not None and conditions.find(rs.status.get("conditions"), "ReplicaFailure")), None)
    if failure:
        conditions.set_deployment_condition(status, {**failure,
                                                     "lastUpdateTime": failure.get("lastTransitionTime", now)})
    else:
        conditions.remove_deployment_condition(status, "ReplicaFailure")
    return status


def seconds_until_deadline(d: dict, status: dict, now_wall: float, time_scale: float) -> float | None:
    """requeueStuckDeployment: simulated seconds until the progress deadline would pass, so that the controller
    looks again then even if nothing else happens (None: no need, no deadline or nothing to wait for). A Progressing
    condition updated 3 minutes ago with a deadline of 10 minutes comes back in 7 minutes, plus one second so that
    the check lands after the deadline, not on it."""
    deadline = (d.get("spec") or {}).get("progressDeadlineSeconds")
    cond = conditions.find(status.get("conditions"), "Progressing")
    if deadline is None or cond is None or complete(d, status) or cond.get("reason") in (NEW_RS_AVAILABLE,
                                                                                        TIMED_OUT):
        return None
    since = timestamps.epoch(cond.get("lastUpdateTime"))
    if since is None:
        return None
    return max(deadline - (now_wall - since) * time_scale, 0.0) + 1.0
