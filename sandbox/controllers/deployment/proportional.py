"""Proportional scaling (pure, the controller's scale() in sync.go and GetProportion in the util package): when
spec.replicas changes in the middle of a rollout, the difference is spread over the active ReplicaSets in
proportion to their size, so that the rollout goes on where it was instead of starting over.

For example, 10 replicas with maxSurge 3 in mid-rollout: the old ReplicaSet has 8, the new one 5 (13 pods, the
most maxSurge allows). Scaled to 15 (18 allowed), each grows by 18/13: the old ReplicaSet to 11 (8 x 18/13 = 11.08,
rounded), the new one to 7 (5 x 18/13 = 6.92); had rounding left a pod over or short, the largest ReplicaSet would
take the difference. The rollout then goes on from 11 old and 7 new pods.
"""
from __future__ import annotations

import math

from sandbox.controllers.deployment.replica_sets import ReplicaSetPlan, active, planned_total, replicas_of
from sandbox.controllers.deployment.revisions import DESIRED_REPLICAS, MAX_REPLICAS
from sandbox.controllers.deployment.rolling import is_rolling, max_surge


def _annotation_int(rs: ReplicaSetPlan, name: str) -> int | None:
    try:
        return int(rs.annotations[name])
    except (KeyError, ValueError):
        return None


def is_scaling_event(d: dict, plans: list[ReplicaSetPlan]) -> bool:
    """isScalingEvent: some active ReplicaSet was sized for another spec.replicas than the Deployment has now (its
    desired-replicas annotation says which): the Deployment was scaled, not given a new template."""
    desired = replicas_of(d)
    for rs in active(plans):
        wanted = _annotation_int(rs, DESIRED_REPLICAS)
        if wanted is not None and wanted != desired:
            return True
    return False


def find_active_or_latest(new: ReplicaSetPlan | None, old_plans: list[ReplicaSetPlan]) -> ReplicaSetPlan | None:
    """FindActiveOrLatest: the only active ReplicaSet, or the newest one when none is active; None when several
    are active (then the scale is spread over them)."""
    if new is None and not old_plans:
        return None
    olds = sorted(old_plans, key=lambda rs: rs.created, reverse=True)
    live = active(([new] if new else []) + olds)
    if not live:
        return new if new else olds[0]
    return live[0] if len(live) == 1 else None


def is_saturated(d: dict, rs: ReplicaSetPlan | None) -> bool:
    """IsSaturated: the new ReplicaSet is sized and annotated for spec.replicas and has them all available."""
    if rs is None:
        return False
    desired = replicas_of(d)
    return (rs.planned == desired and _annotation_int(rs, DESIRED_REPLICAS) == desired
            and int(rs.status.get("availableReplicas") or 0) == desired)


def plan_proportional_scale(d: dict, new: ReplicaSetPlan | None, old_plans: list[ReplicaSetPlan]) -> None:
    """The controller's scale(): plan every ReplicaSet for the Deployment's new spec.replicas.

    One active ReplicaSet (or none): it takes spec.replicas. A saturated new one: the old ones go to 0 (they were
    adopted mid-scale). Otherwise, rolling: spec.replicas + maxSurge minus what the active ReplicaSets plan is added
    (or, negative, taken away) in proportion to their size, largest first; among equals the newer grows first and
    the older shrinks first. The first ReplicaSet in that order takes what rounding left over."""
    desired = replicas_of(d)
    target = find_active_or_latest(new, old_plans)
    if target is not None:
        target.planned = desired
        return
    if is_saturated(d, new):
        for rs in active(old_plans):
            rs.planned = 0
        return
    if not is_rolling(d):
        return
    live = active(([new] if new else []) + old_plans)
    allowed = desired + max_surge(d) if desired > 0 else 0
    to_add = allowed - planned_total(live)
    if to_add:  # bigger first; among equals newer first when adding (BySizeNewer), older first when removing
        live.sort(key=lambda rs: rs.created, reverse=to_add > 0)
        live.sort(key=lambda rs: -rs.planned)
    added = 0
    sizes = {}
    for rs in live:
        proportion = _proportion(rs, d, to_add, added) if to_add else 0
        sizes[rs.name] = rs.planned + proportion
        added += proportion
    for i, rs in enumerate(live):
        size = sizes[rs.name]
        if i == 0 and to_add:
            size = max(size + to_add - added, 0)
        rs.planned = size


def _proportion(rs: ReplicaSetPlan, d: dict, to_add: int, added: int) -> int:
    """GetProportion: this ReplicaSet's share of `to_add`, never more than what is left to add (or remove)."""
    if rs.planned == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _fraction(rs: ReplicaSetPlan, d: dict) -> int:
    """getReplicaSetFraction: its size scaled by (spec.replicas + maxSurge now) / (the same when it was last sized,
    from its max-replicas annotation, else the Deployment's status.replicas), minus its size."""
    desired = replicas_of(d)
    if desired == 0:
        return -rs.planned
    max_now = desired + max_surge(d)
    before = _annotation_int(rs, MAX_REPLICAS)
    if not before:
        before = int((d.get("status") or {}).get("replicas") or 0)
        if before == 0:
            return 0
    size = rs.planned * max_now / before
    return int(math.floor(size + 0.5)) - rs.planned  # integer.RoundToInt32 rounds half up
