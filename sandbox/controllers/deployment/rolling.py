"""The rolling update's arithmetic (pure, pkg/controller/deployment/rolling.go and the util package): maxSurge and
maxUnavailable, how far the new ReplicaSet may grow, how far the old ones may shrink; and the one decision of the
Recreate strategy. Each plan_* function only sets `planned` on the ReplicaSetPlans it is given and says whether a
plan changed; the controller writes them.
"""
from __future__ import annotations

from sandbox.controllers.deployment.replica_sets import (ReplicaSetPlan, available_total, by_creation,
                                                         planned_total, pods_planned_or_held, replicas_of)
from sandbox.machinery.intstr import scaled_value


def is_rolling(d: dict) -> bool:
    return ((d.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"


def fenceposts(d: dict) -> tuple[int, int]:
    """ResolveFenceposts: (maxSurge rounded up, maxUnavailable rounded down) against spec.replicas. Both zero would
    leave a rollout no room to move, so maxUnavailable becomes 1: validation forbids 0/0, but 25% of 1 replica
    rounds to maxSurge 1 and maxUnavailable 0, and 1% of 10 to 1 and 0."""
    rolling = ((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    desired = replicas_of(d)
    surge = scaled_value(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = scaled_value(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: dict) -> int:
    """How many pods above spec.replicas a rollout may run (0 for Recreate)."""
    return fenceposts(d)[0] if is_rolling(d) else 0


def max_unavailable(d: dict) -> int:
    """How many pods below spec.replicas may be unavailable during a rollout (0 for Recreate), never more than
    spec.replicas itself."""
    desired = replicas_of(d)
    if not is_rolling(d) or desired == 0:
        return 0
    return min(fenceposts(d)[1], desired)


def new_rs_replicas(d: dict, all_plans: list[ReplicaSetPlan], new: ReplicaSetPlan | None) -> int:
    """NewRSNewReplicas: how big the new ReplicaSet may be now. Rolling: as big as maxSurge leaves room for, up to
    spec.replicas. With 10 replicas and maxSurge 3 while the old ReplicaSets still hold 10 pods, the new one may
    grow to 3; once the old ones are down to 7, to 6. Recreate: spec.replicas at once (the old pods are gone by
    then)."""
    desired = replicas_of(d)
    current = new.planned if new else 0
    if not is_rolling(d):
        return desired
    max_total = desired + max_surge(d)
    pods = pods_planned_or_held(all_plans)
    if pods >= max_total:
        return current
    scale_up = min(max_total - pods, desired - current)
    return current + max(scale_up, 0)


def plan_new_replica_set(d: dict, all_plans: list[ReplicaSetPlan], new: ReplicaSetPlan) -> bool:
    """reconcileNewReplicaSet: plan the new ReplicaSet towards spec.replicas within maxSurge (down at once if it is
    above); True when its plan changed."""
    desired = replicas_of(d)
    if new.planned == desired:
        return False
    if new.planned > desired:
        new.planned = desired
        return True
    target = new_rs_replicas(d, all_plans, new)
    changed = target != new.planned
    new.planned = target
    return changed


def plan_old_replica_sets(d: dict, all_plans: list[ReplicaSetPlan], old_plans: list[ReplicaSetPlan],
                          new: ReplicaSetPlan | None) -> bool:
    """reconcileOldReplicaSets: plan the old ReplicaSets down while at least spec.replicas - maxUnavailable pods
    stay available; True when a plan changed.

    How many old pods may go at most is all pods - the minimum available - the new ReplicaSet's unavailable pods.
    Subtracting the new set's unavailable pods is what keeps a broken rollout from eating the old, working pods.
    With 10 replicas, maxUnavailable 2 and maxSurge 3: the new ReplicaSet grew to 3, the old shrank to 8, the new to
    5, and the new pods crash-loop. 13 pods - 8 minimum available - 5 unavailable new ones = 0: the old ReplicaSet
    keeps its 8 pods even when one of them fails. After `kubectl rollout undo` the old ReplicaSet is the new one
    again with 8 available pods, and 13 - 8 - 0 lets the 5 crash-looping pods go. Rolling over to a third template
    instead, the third ReplicaSet starts at 0 (13 pods leave no room), has no unavailable pods, and 13 - 8 - 0 = 5
    pods of the two older sets may go to make room for it.

    Unhealthy old pods go first (cleanup_unhealthy): removing them costs no availability, and waiting for them
    would stall the rollout until its deadline."""
    if planned_total(old_plans) == 0:
        return False
    min_available = replicas_of(d) - max_unavailable(d)
    new_unavailable = (new.planned - new.available) if new else 0
    max_scaled_down = planned_total(all_plans) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    cleaned = cleanup_unhealthy(old_plans, max_scaled_down)
    scaled = scale_down_old(d, all_plans, old_plans)
    return cleaned + scaled > 0


def cleanup_unhealthy(old_plans: list[ReplicaSetPlan], max_cleanup: int) -> int:
    """cleanupUnhealthyReplicas: plan the oldest ReplicaSets down by their unavailable pods, at most `max_cleanup`
    in all (the ReplicaSet controller deletes not-ready pods first); how many were planned away."""
    total = 0
    for rs in by_creation(old_plans):
        if total >= max_cleanup:
            break
        if rs.planned == 0 or rs.planned == rs.available:
            continue
        count = min(max_cleanup - total, rs.planned - rs.available)
        rs.planned -= count
        total += count
    return total


def scale_down_old(d: dict, all_plans: list[ReplicaSetPlan], old_plans: list[ReplicaSetPlan]) -> int:
    """scaleDownOldReplicaSetsForRollingUpdate: plan the oldest ReplicaSets down by as many pods as are available
    above spec.replicas - maxUnavailable; how many were planned away."""
    min_available = replicas_of(d) - max_unavailable(d)
    available = available_total(all_plans)
    if available <= min_available:
        return 0
    budget = available - min_available
    total = 0
    for rs in by_creation(old_plans):
        if total >= budget:
            break
        if rs.planned == 0:
            continue
        count = min(rs.planned, budget - total)
        rs.planned -= count
        total += count
    return total


def old_pods_running(old_plans: list[ReplicaSetPlan], old_pods: list[dict]) -> bool:
    """Recreate's oldPodsRunning: the new ReplicaSet may start only once no old ReplicaSet reports a pod and every
    old pod left has finished (Recreate promises the two versions never run side by side)."""
    if any(rs.observed > 0 for rs in old_plans):
        return True
    return any((p.get("status") or {}).get("phase") not in ("Succeeded", "Failed") for p in old_pods)
