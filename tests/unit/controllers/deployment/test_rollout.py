"""The deployment controller's decisions as pure functions (sandbox/controllers/deployment/: revisions, rolling,
proportional, progress)."""
import pytest

from sandbox.controllers.deployment import progress, proportional, replica_sets, revisions, rolling
from sandbox.controllers.deployment.replica_sets import ReplicaSetPlan
from sandbox.machinery import conditions


def deploy(replicas=10, surge="25%", unavailable="25%", strategy="RollingUpdate", **spec):
    d = {"metadata": {"name": "web", "generation": 1, "annotations": {}},
         "spec": {"replicas": replicas, "strategy": {"type": strategy}, "template": {"metadata": {"labels": {
             "app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1.28"}]}}, **spec},
         "status": {}}
    if strategy == "RollingUpdate":
        d["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return d


def rs(name, replicas, available=None, actual=None, created="2026-01-01T00:00:00Z", revision=None, **annotations):
    meta = {"name": name, "uid": name, "creationTimestamp": created, "annotations": dict(annotations)}
    if revision is not None:
        meta["annotations"][replica_sets.REVISION] = str(revision)
    status = {"replicas": replicas if actual is None else actual,
              "availableReplicas": replicas if available is None else available}
    return ReplicaSetPlan.of({"metadata": meta, "spec": {"replicas": replicas}, "status": status})


def test_pod_template_hash_is_stable_ignores_its_own_label_and_follows_the_collision_count():
    template = deploy()["spec"]["template"]
    h = revisions.pod_template_hash(template)
    assert h == revisions.pod_template_hash(template)
    assert set(h) <= set(revisions.SAFE_ALPHABET) and 1 <= len(h) <= 10
    labelled = {**template, "metadata": {"labels": {"app": "web", "pod-template-hash": h}}}
    assert revisions.pod_template_hash(labelled) == h
    assert revisions.pod_template_hash(template, 1) != h
    other = deploy()["spec"]["template"]
    other["spec"]["containers"][0]["image"] = "nginx:1.29"
    assert revisions.pod_template_hash(other) != h


def test_fnv32a_and_safe_encoding_match_go():
    assert revisions.fnv32a(b"") == 0x811C9DC5
    assert revisions.fnv32a(b"a") == 0xE40C292C  # FNV-1a test vector
    assert revisions.safe_encode("0123456789") == "456789bcdf"  # alphabet[ord(ch) % 27], as rand.SafeEncodeString


@pytest.mark.parametrize("surge,unavailable,replicas,expected", [
    ("25%", "25%", 10, (3, 2)),  # surge rounds up, unavailable rounds down
    ("25%", "25%", 1, (1, 0)),
    (0, 0, 3, (0, 1)),  # never both zero
    (2, "50%", 5, (2, 2)),
])
def test_fenceposts(surge, unavailable, replicas, expected):
    assert rolling.fenceposts(deploy(replicas, surge, unavailable)) == expected


def test_max_unavailable_is_capped_and_zero_for_recreate():
    assert rolling.max_unavailable(deploy(2, 0, 5)) == 2
    assert rolling.max_unavailable(deploy(3, strategy="Recreate")) == 0
    assert rolling.max_surge(deploy(3, strategy="Recreate")) == 0


def test_new_replica_set_grows_only_up_to_max_surge():
    d = deploy(10, 3, 2)
    old = rs("old", 10)
    assert rolling.new_rs_replicas(d, [old], None) == 3
    new = rs("new", 3, available=0)
    assert rolling.new_rs_replicas(d, [old, new], new) == 3  # 13 pods already: no more room
    assert rolling.new_rs_replicas(deploy(10, strategy="Recreate"), [old], None) == 10


def test_old_replica_sets_shrink_only_while_enough_pods_stay_available():
    d = deploy(10, 3, 2)
    old, new = rs("old", 10), rs("new", 3, available=0, created="2026-01-02T00:00:00Z")
    assert rolling.plan_old_replica_sets(d, [old, new], [old], new)
    assert old.planned == 8  # 10 available - (10 - 2) minimum
    old, new = rs("old", 8), rs("new", 5, available=0, created="2026-01-02T00:00:00Z")
    assert not rolling.plan_old_replica_sets(d, [old, new], [old], new)  # 13 - 8 - 5 unavailable = 0: wait
    assert old.planned == 8


def test_unhealthy_old_pods_go_first():
    d = deploy(4, 1, 1)
    old = rs("old", 4, available=2)
    new = rs("new", 1, available=1, created="2026-01-02T00:00:00Z")
    assert rolling.plan_old_replica_sets(d, [old, new], [old], new)
    assert old.planned == 2  # the two unavailable pods cost no availability
    assert replica_sets.available_total([old, new]) == 3


def test_scaled_down_pods_still_running_count_against_max_surge():
    d = deploy(3, 1, 0)
    old = rs("old", 2, available=2, actual=3)  # spec lowered to 2, the third pod not deleted yet
    new = rs("new", 1, available=1, created="2026-01-02T00:00:00Z")
    assert rolling.new_rs_replicas(d, [old, new], new) == 1


def test_proportional_scaling_keeps_the_ratio_between_replica_sets():
    d = deploy(15, 3, 2)  # was 10 with maxSurge 3: 13 pods allowed, now 18
    old = rs("old", 8, **{revisions.MAX_REPLICAS: "13", revisions.DESIRED_REPLICAS: "10"})
    new = rs("new", 5, available=0, created="2026-01-02T00:00:00Z",
             **{revisions.MAX_REPLICAS: "13", revisions.DESIRED_REPLICAS: "10"})
    assert proportional.is_scaling_event(d, [old, new])
    proportional.plan_proportional_scale(d, new, [old])
    assert old.planned + new.planned == 15 + 3
    assert (old.planned, new.planned) == (11, 7)


def test_scaling_a_settled_deployment_moves_its_only_active_replica_set():
    d = deploy(5)
    only = rs("only", 3, **{revisions.DESIRED_REPLICAS: "3"})
    proportional.plan_proportional_scale(d, only, [rs("old", 0)])
    assert only.planned == 5


def test_new_replica_set_annotations_track_revisions_and_history():
    d = deploy(2)
    d["metadata"]["annotations"] = {"kubernetes.io/change-cause": "undo", revisions.LAST_APPLIED: "{}"}
    annotations = {replica_sets.REVISION: "1"}
    assert revisions.set_new_rs_annotations(d, annotations, 3, exists=True)
    assert annotations[replica_sets.REVISION] == "3"
    assert annotations[revisions.REVISION_HISTORY] == "1"
    assert annotations["kubernetes.io/change-cause"] == "undo"
    assert revisions.LAST_APPLIED not in annotations
    fresh: dict = {}
    revisions.set_new_rs_annotations(d, fresh, 1, exists=False)
    assert fresh[revisions.DESIRED_REPLICAS] == "2" and fresh[revisions.MAX_REPLICAS] == "3"
    assert revisions.REVISION_HISTORY not in fresh


def test_cleanup_keeps_revision_history_limit_and_never_deletes_live_replica_sets():
    d = deploy(1, revisionHistoryLimit=1)
    olds = [rs("a", 0, revision=1), rs("b", 0, revision=2), rs("c", 1, revision=3)]
    for item in olds:
        item.obj["status"]["observedGeneration"] = 1
        item.obj["metadata"]["generation"] = 1
    candidates = [x.name for x in revisions.cleanup_candidates(d, olds)]
    assert candidates == ["a", "b"]  # 3 old, limit 1: the two oldest revisions, both scaled to zero
    assert "c" not in candidates


def test_status_and_conditions():
    d = deploy(3, 1, 1, progressDeadlineSeconds=600)
    new = rs("new", 3, available=3)
    status = progress.rollout_status(d, [new], new, "T1", 0.0, 1.0)
    assert status["replicas"] == status["updatedReplicas"] == status["availableReplicas"] == 3
    assert "unavailableReplicas" not in status
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Available"]["reason"] == progress.MIN_AVAILABLE
    assert conditions["Progressing"]["reason"] == progress.NEW_RS_AVAILABLE
    assert conditions["Progressing"]["message"] == 'ReplicaSet "new" has successfully progressed.'
    stuck = rs("new", 3, available=1)
    status = progress.calculate_status(d, [stuck], stuck, "T2")
    assert status["unavailableReplicas"] == 2
    assert {c["type"]: c for c in status["conditions"]}["Available"]["reason"] == progress.MIN_UNAVAILABLE


def test_progress_deadline_times_out_in_simulated_seconds():
    d = deploy(3, progressDeadlineSeconds=600)
    d["status"] = {"replicas": 3, "updatedReplicas": 3, "conditions": [conditions.new_deployment_condition(
        "Progressing", "True", progress.RS_UPDATED, "m", "2026-01-01T00:00:00Z")]}
    start = 1767225600.0  # 2026-01-01T00:00:00Z
    assert not progress.timed_out(d, d["status"], start + 5, time_scale=100)
    assert progress.timed_out(d, d["status"], start + 7, time_scale=100)
    stuck = rs("new", 3, available=0)  # no progress since the condition was written
    early = progress.rollout_status(d, [stuck], stuck, "T", start + 5, 100)
    assert conditions.find(early["conditions"], "Progressing")["reason"] == progress.RS_UPDATED
    status = progress.rollout_status(d, [stuck], stuck, "T", start + 7, 100)
    progressing = {c["type"]: c for c in status["conditions"]}["Progressing"]
    assert (progressing["status"], progressing["reason"]) == ("False", progress.TIMED_OUT)
