"""kube-controller-manager's replication manager (pkg/controller/replication): the ReplicaSet controller's logic
over ReplicationControllers, whose selector is a plain map of labels that must all match, with its own event source
(replication-controller) and a status without terminatingReplicas."""
from __future__ import annotations

from sandbox.controllers.base import rt_of
from sandbox.controllers.replicaset import ReplicaSetController
from sandbox.machinery import labels


class ReplicationManager(ReplicaSetController):
    name = "replication-controller"
    owner_kind, owner_rt, component = "ReplicationController", rt_of("", "replicationcontrollers"), \
        "replication-controller"
    status_fields = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration")

    def selector(self, owner: dict) -> labels.LabelSelector:
        selector = (owner.get("spec") or {}).get("selector")
        return labels.selector_from_set(selector) if isinstance(selector, dict) and selector else labels.NOTHING
