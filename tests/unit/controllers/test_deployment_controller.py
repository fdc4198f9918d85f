"""Deployments end to end in process: Deployment -> ReplicaSet -> scheduled, running, ready pods."""
from sandbox.machinery import podutil
from sandbox.machinery.resources import storage_type
from tests.unit.controllers.harness import deployment, run


def _replica_sets(c, name="web"):
    return [rs for rs in c.list("replicasets.apps") if rs["metadata"]["name"].startswith(name + "-")]


def _available(c, name, replicas):
    d = c.get("deployments.apps", name)
    status = d.get("status") or {}
    done = (status.get("availableReplicas") == replicas and status.get("updatedReplicas") == replicas
            and status.get("replicas") == replicas
            and status.get("observedGeneration") == d["metadata"]["generation"])
    return d if done else None


def test_three_replicas_become_available_with_conditions_and_events():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=3))
        d = await c.wait_for(lambda: _available(c, "web", 3), what="3 available replicas")
        conditions = {x["type"]: x for x in d["status"]["conditions"]}
        assert conditions["Available"]["status"] == "True"
        assert conditions["Available"]["reason"] == "MinimumReplicasAvailable"
        await c.wait_for(lambda: {x["type"]: x for x in c.get("deployments.apps", "web")["status"]["conditions"]}
                         ["Progressing"]["reason"] == "NewReplicaSetAvailable", what="NewReplicaSetAvailable")
        d = c.get("deployments.apps", "web")
        assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
        [rs] = _replica_sets(c)
        pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
        assert rs["metadata"]["name"] == f"web-{pod_hash}"
        assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
        assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "3"
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "4"
        assert rs["status"]["readyReplicas"] == 3 and rs["status"]["fullyLabeledReplicas"] == 3
        pods = c.list("pods")
        assert len(pods) == 3
        for pod in pods:
            assert pod["metadata"]["name"].startswith(rs["metadata"]["name"] + "-")
            assert len(pod["metadata"]["name"]) == len(rs["metadata"]["name"]) + 6
            ref = pod["metadata"]["ownerReferences"][0]
            assert ref["controller"] and ref["blockOwnerDeletion"] and ref["uid"] == rs["metadata"]["uid"]
            assert pod["status"]["phase"] == "Running" and podutil.is_ready(pod)
        messages = [e["message"] for e in c.events(name="web")]
        assert f"Scaled up replica set {rs['metadata']['name']} from 0 to 3" in messages
        created = [e for e in c.events(name=rs["metadata"]["name"]) if e["reason"] == "SuccessfulCreate"]
        assert len(created) == 3 and created[0]["message"].startswith("Created pod: ")
        assert created[0]["source"]["component"] == "replicaset-controller"
    run(scenario)


def test_a_deleted_pod_is_replaced():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=2))
        await c.wait_for(lambda: _available(c, "web", 2), what="2 available")
        victim = c.list("pods")[0]["metadata"]["name"]
        c.delete("pods", victim)
        await c.wait_for(lambda: victim not in [p["metadata"]["name"] for p in c.list("pods")], what="victim gone")
        await c.wait_for(lambda: _available(c, "web", 2) and len(c.list("pods")) == 2, what="replacement ready")
        [rs] = _replica_sets(c)
        reasons = [e["reason"] for e in c.events(name=rs["metadata"]["name"])]
        assert reasons.count("SuccessfulCreate") == 3
    run(scenario)


def _observe(c, seen):
    pods = [p for p in c.list("pods") if not p["metadata"].get("deletionTimestamp")]
    seen.append((len(pods), sum(1 for p in pods if podutil.is_ready(p))))


def _rolling_update(max_surge, max_unavailable, replicas=4):
    async def scenario(c):
        strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": max_surge,
                                                               "maxUnavailable": max_unavailable}}
        c.create("deployments.apps", deployment(replicas=replicas, strategy=strategy))
        await c.wait_for(lambda: _available(c, "web", replicas), what="first rollout")
        seen = []
        c.manager.informers.informer(storage_type("pods")).add_handler(lambda kind, old, new: _observe(c, seen))
        c.patch("deployments.apps", "web", {"spec": {"template": {"spec": {"containers": [
            {"name": "main", "image": "nginx:1.28"}]}}}})
        await c.wait_for(lambda: _available(c, "web", replicas) and len(_replica_sets(c)) == 2
                         and all(p["spec"]["containers"][0]["image"] == "nginx:1.28" for p in c.list("pods")),
                         what="second rollout")
        return seen
    return run(scenario)


def test_rolling_update_stays_within_max_surge_and_max_unavailable():
    seen = _rolling_update(1, 1, replicas=4)
    assert seen, "no pod change observed during the rollout"
    assert max(total for total, _ in seen) <= 4 + 1
    assert min(ready for _, ready in seen) >= 4 - 1


def test_rolling_update_with_zero_unavailable_never_drops_below_replicas():
    seen = _rolling_update(1, 0, replicas=3)
    assert max(total for total, _ in seen) <= 3 + 1
    assert min(ready for _, ready in seen) >= 3


def test_rollout_records_revisions_and_rollback_reuses_the_old_replica_set():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=2))
        await c.wait_for(lambda: _available(c, "web", 2), what="revision 1")
        c.patch("deployments.apps", "web", {"metadata": {"annotations": {"kubernetes.io/change-cause": "v2"}},
                                            "spec": {"template": {"spec": {"containers": [
                                                {"name": "main", "image": "nginx:1.28"}]}}}})
        await c.wait_for(lambda: _available(c, "web", 2) and len(_replica_sets(c)) == 2, what="revision 2")
        by_revision = {rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs
                       for rs in _replica_sets(c)}
        assert set(by_revision) == {"1", "2"}
        assert by_revision["2"]["metadata"]["annotations"]["kubernetes.io/change-cause"] == "v2"
        assert by_revision["1"]["spec"]["replicas"] == 0
        # kubectl rollout undo: put revision 1's template back (without its hash label)
        template = by_revision["1"]["spec"]["template"]
        template["metadata"]["labels"].pop("pod-template-hash")
        c.patch("deployments.apps", "web", {"spec": {"template": template}})
        await c.wait_for(lambda: _available(c, "web", 2) and c.get("replicasets.apps", by_revision["1"]["metadata"]
                                                                   ["name"])["spec"]["replicas"] == 2, what="undo")
        old = c.get("replicasets.apps", by_revision["1"]["metadata"]["name"])
        assert old["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
        assert old["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
        assert len(_replica_sets(c)) == 2
        d = c.get("deployments.apps", "web")
        assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    run(scenario)


def test_recreate_removes_old_pods_before_new_ones_start():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=2, strategy={"type": "Recreate"}))
        await c.wait_for(lambda: _available(c, "web", 2), what="first")
        seen = []
        c.manager.informers.informer(storage_type("pods")).add_handler(
            lambda kind, old, new: seen.append({p["spec"]["containers"][0]["image"] for p in c.list("pods")}))
        c.patch("deployments.apps", "web", {"spec": {"template": {"spec": {"containers": [
            {"name": "main", "image": "nginx:1.28"}]}}}})
        await c.wait_for(lambda: _available(c, "web", 2) and len(_replica_sets(c)) == 2, what="recreated")
        assert not any(images == {"nginx:1.27", "nginx:1.28"} for images in seen)
    run(scenario)


def test_scaling_mid_rollout_is_proportional_and_paused_deployments_do_not_roll():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=2, paused=True))
        await c.wait_for(lambda: (c.get("deployments.apps", "web").get("status") or {}).get("conditions"),
                         what="paused condition")
        progressing = {x["type"]: x for x in c.get("deployments.apps", "web")["status"]["conditions"]}["Progressing"]
        assert (progressing["status"], progressing["reason"]) == ("Unknown", "DeploymentPaused")
        assert _replica_sets(c) == []
        c.patch("deployments.apps", "web", {"spec": {"paused": False}})
        await c.wait_for(lambda: _available(c, "web", 2), what="resumed rollout")
        c.patch("deployments.apps", "web", {"spec": {"replicas": 5}}, subresource="")
        await c.wait_for(lambda: _available(c, "web", 5), what="scaled to 5")
        [rs] = _replica_sets(c)
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "5"
    run(scenario)


def test_revision_history_limit_deletes_old_replica_sets():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=1, revisionHistoryLimit=1))
        for tag in ("1.28", "1.29"):
            await c.wait_for(lambda: _available(c, "web", 1), what="rollout")
            c.patch("deployments.apps", "web", {"spec": {"template": {"spec": {"containers": [
                {"name": "main", "image": f"nginx:{tag}"}]}}}})
        await c.wait_for(lambda: _available(c, "web", 1) and len(_replica_sets(c)) == 2, what="cleanup to 1 old")
        revisions = sorted(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] for rs in _replica_sets(c))
        assert revisions == ["2", "3"]
    run(scenario)


def test_min_ready_seconds_delays_availability():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=1, minReadySeconds=30))
        rs = await c.wait_for(lambda: (r := _replica_sets(c)) and (r[0].get("status") or {}).get("readyReplicas")
                              == 1 and r[0], what="ready pod")
        assert not rs["status"].get("availableReplicas")  # ready, but not for 30 simulated seconds yet
        await c.wait_for(lambda: _available(c, "web", 1), what="available after minReadySeconds")
        assert c.clock.now() >= 30
    run(scenario, time_scale=50)


def test_a_hand_scaled_replica_set_is_put_back_by_its_deployment():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=2))
        await c.wait_for(lambda: _available(c, "web", 2), what="2 ready")
        [rs] = _replica_sets(c)
        c.patch("replicasets.apps", rs["metadata"]["name"], {"spec": {"replicas": 3}})
        await c.wait_for(lambda: c.get("replicasets.apps", rs["metadata"]["name"])["spec"]["replicas"] == 2
                         and len(c.list("pods")) == 2 and _available(c, "web", 2), what="back to 2")
        messages = [e["message"] for e in c.events(name="web")]
        assert f"Scaled down replica set {rs['metadata']['name']} from 3 to 2" in messages
    run(scenario)
