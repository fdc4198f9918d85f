"""ReplicaSetPlan: a ReplicaSet as a rollout step sees it, with the size the controller plans to give it next to
what the ReplicaSet reports (pure).

A step of the rolling update, of Recreate or of proportional scaling only changes plans; the controller then
writes each ReplicaSet whose plan differs from its spec.replicas (sync.scale_replica_sets_and_record_events).
Three numbers are easy to confuse, so each has its own name:

    planned        the spec.replicas this sync intends to write
    spec_replicas  the spec.replicas stored now (what the ReplicaSet controller is working towards)
    observed       status.replicas: the pods the ReplicaSet still has, terminating ones aside

For example, an old ReplicaSet being scaled from 3 to 1 has planned 1 and spec_replicas 3 before the write; right
after it, spec_replicas is 1 while observed stays 3 until two pods are gone.
"""
from __future__ import annotations

from dataclasses import dataclass

from sandbox.machinery import timestamps

REVISION = "deployment.kubernetes.io/revision"


def replicas_of(obj: dict) -> int:
    """spec.replicas, defaulted to 1 as the API defaults it."""
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


@dataclass
class ReplicaSetPlan:
    obj: dict  # the ReplicaSet as last read or written
    planned: int  # the spec.replicas this sync intends to write

    @classmethod
    def of(cls, obj: dict) -> ReplicaSetPlan:
        """A plan that keeps the ReplicaSet's current size."""
        return cls(obj, replicas_of(obj))

    @property
    def name(self) -> str:
        return self.obj["metadata"]["name"]

    @property
    def status(self) -> dict:
        return self.obj.get("status") or {}

    @property
    def spec_replicas(self) -> int:
        return replicas_of(self.obj)

    @property
    def rescaled(self) -> bool:
        """The plan differs from what is stored: the ReplicaSet needs a write."""
        return self.planned != self.spec_replicas

    @property
    def observed(self) -> int:
        return int(self.status.get("replicas") or 0)

    @property
    def available(self) -> int:
        # Pods beyond a lowered spec.replicas are on their way out: never count them as available.
        return min(int(self.status.get("availableReplicas") or 0), self.spec_replicas)

    @property
    def ready(self) -> int:
        return int(self.status.get("readyReplicas") or 0)

    @property
    def terminating(self) -> int:
        return int(self.status.get("terminatingReplicas") or 0)

    @property
    def annotations(self) -> dict:
        return self.obj["metadata"].get("annotations") or {}

    @property
    def revision(self) -> int:
        try:
            return int(self.annotations.get(REVISION, "0"))
        except ValueError:
            return 0

    @property
    def created(self) -> tuple:
        """The sort key of controller.ReplicaSetsByCreationTimestamp: creation time, then name."""
        meta = self.obj["metadata"]
        return (timestamps.epoch(meta.get("creationTimestamp")) or 0.0, meta["name"])


def by_creation(plans: list[ReplicaSetPlan]) -> list[ReplicaSetPlan]:
    return sorted(plans, key=lambda rs: rs.created)


def active(plans: list[ReplicaSetPlan | None]) -> list[ReplicaSetPlan]:
    """controller.FilterActiveReplicaSets: those planned to keep at least one pod."""
    return [rs for rs in plans if rs is not None and rs.planned > 0]


def pods_planned_or_held(plans: list[ReplicaSetPlan | None]) -> int:
    """Pods the ReplicaSets plan for or still hold. Kubernetes sums spec.replicas (GetReplicaCountForReplicaSets);
    counting the pods a ReplicaSet still has after its spec went down keeps maxSurge honoured while they are
    being deleted, which the sandbox's fast clock makes visible: with 10 replicas and maxSurge 3, an old set
    lowered from 10 to 7 still holds 10 pods for a moment, and 13 - 10 leaves room for 3 new pods, not 6."""
    return sum(max(rs.planned, rs.observed) for rs in plans if rs is not None)


def planned_total(plans: list[ReplicaSetPlan | None]) -> int:
    return sum(rs.planned for rs in plans if rs is not None)


def available_total(plans: list[ReplicaSetPlan | None]) -> int:
    """GetAvailableReplicaCountForReplicaSets."""
    return sum(rs.available for rs in plans if rs is not None)
