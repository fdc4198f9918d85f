"""The HPA's status conditions (AbleToScale, ScalingActive, ScalingLimited) and the ones its failures set; the
controller keeps them with sandbox.machinery.conditions (one entry per type, in the order first set)."""
from __future__ import annotations

ABLE_TO_SCALE = "AbleToScale"
SCALING_ACTIVE = "ScalingActive"
SCALING_LIMITED = "ScalingLimited"


def unable_to_compute(reason: str, error: str) -> tuple[str, str, str, str]:
    """getUnableComputeReplicaCountCondition: ScalingActive False with the first failing metric's error."""
    return SCALING_ACTIVE, "False", reason, f"the HPA was unable to compute the replica count: {error}"
