"""ensure_chapter's choices without a cluster: which ReplicaSets are rollout history it may delete."""
from helpers.chapters import REVISION, old_replica_sets


def deployment(name, uid, revision):
    return {"metadata": {"name": name, "uid": uid, "annotations": {REVISION: revision}}}


def replicaset(name, owner_uid, replicas, revision, controller=True):
    owner = {"kind": "Deployment", "uid": owner_uid, "controller": controller}
    return {"metadata": {"name": name, "ownerReferences": [owner], "annotations": {REVISION: revision}},
            "spec": {"replicas": replicas}}


def test_only_the_empty_old_replica_sets_of_the_kept_deployments_are_history():
    api, worker = deployment("api", "u1", "3"), deployment("worker", "u2", "1")
    sets = [replicaset("api-old", "u1", 0, "1"), replicaset("api-scaling-down", "u1", 1, "2"),
            replicaset("api-now", "u1", 2, "3"),
            replicaset("worker-now", "u2", 0, "1"),  # scaled to zero (KEDA): still the current one
            replicaset("other-old", "u9", 0, "1"),  # a Deployment ensure_chapter does not keep
            replicaset("adopted-by-none", "u1", 0, "1", controller=False)]
    assert [rs["metadata"]["name"] for rs in old_replica_sets([api, worker], sets)] == ["api-old"]
    assert old_replica_sets([], sets) == []
