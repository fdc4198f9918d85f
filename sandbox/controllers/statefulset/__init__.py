"""The StatefulSet controller (kube-controller-manager's pkg/controller/statefulset), split along its seams:

    controller.py  informers, the events that requeue a set, and reconcile(): revisions, replicas in ordinal
                   order (OrderedReady or Parallel), condemned ordinals, the rolling update, claims and their
                   owners, status, history
    pods.py        names, identity, claims and revisions of a set's pods, health, the rolling update's choice
                   (pure)

The ControllerRevisions it keeps are made as pkg/controller/history makes them (controllers/history.py)."""
from sandbox.controllers.statefulset.controller import StatefulSetController

__all__ = ["StatefulSetController"]
