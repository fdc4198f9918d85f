"""The Deployment controller (kube-controller-manager's pkg/controller/deployment), split along the same seams:

    controller.py    informers, the events that requeue a Deployment, the ReplicaSets it claims, and reconcile():
                     syncDeployment's ladder handing over to the rolling, recreate or proportional strategy
    sync.py          what the controller writes: the new ReplicaSet, ReplicaSets scaled with their events, the
                     history cleaned up, the Deployment's revision and status
    replica_sets.py  ReplicaSetPlan: a ReplicaSet with the size a step plans for it, next to what it reports
    revisions.py     pod-template-hash, which ReplicaSet is new, revision annotations and history
    rolling.py       maxSurge and maxUnavailable: how far the new ReplicaSet may grow and the old ones shrink;
                     when Recreate may start the new one
    proportional.py  spec.replicas changed mid-rollout: the difference spread over the active ReplicaSets
    progress.py      the status and its Available and Progressing conditions, the progress deadline

Everything but controller.py and sync.py is pure: ReplicaSetPlans in, plans and statuses out.
"""
from sandbox.controllers.deployment.controller import DeploymentController

__all__ = ["DeploymentController"]
