"""The disruption controller in process: PodDisruptionBudget status follows a Deployment's pods, an eviction's
charge is undone once the pod is seen terminating, and a budget whose pods cannot be counted allows nothing."""
from sandbox.machinery import podutil
from tests.unit.controllers.harness import deployment, run

PDBS = "poddisruptionbudgets.policy"


def budget(name="web", **spec):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec}}


def numbers(c, name="web"):
    """(observedGeneration, expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed) once synced."""
    pdb = c.get(PDBS, name)
    status = pdb.get("status") or {}
    if status.get("observedGeneration") != pdb["metadata"]["generation"]:
        return None
    return tuple(status.get(k) for k in ("observedGeneration", "expectedPods", "desiredHealthy", "currentHealthy",
                                         "disruptionsAllowed"))


def ready_pods(c, count):
    pods = [p for p in c.list("pods") if podutil.is_ready(p) and not podutil.is_terminating(p)]
    return pods if len(pods) == count else None


def test_status_follows_the_deployment_s_pods_and_the_spec():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=3))
        await c.wait_for(lambda: ready_pods(c, 3), what="3 ready pods")
        c.create(PDBS, budget(minAvailable=2))
        await c.wait_for(lambda: numbers(c) == (1, 3, 2, 3, 1), what="minAvailable 2 of 3: one disruption")
        condition = c.get(PDBS, "web")["status"]["conditions"][0]
        assert (condition["type"], condition["status"], condition["reason"]) == (
            "DisruptionAllowed", "True", "SufficientPods")
        c.patch(PDBS, "web", {"spec": {"minAvailable": None, "maxUnavailable": "25%"}})
        await c.wait_for(lambda: numbers(c) == (2, 3, 2, 3, 1), what="generation 2: 25% of 3 rounds up to 1")
        c.patch("deployments.apps", "web", {"spec": {"replicas": 4}})
        await c.wait_for(lambda: numbers(c) == (2, 4, 3, 4, 1), what="scaled to 4, seen through its pods")
        c.patch(PDBS, "web", {"spec": {"maxUnavailable": 0}})
        await c.wait_for(lambda: numbers(c) == (3, 4, 4, 4, 0), what="maxUnavailable 0: nothing allowed")
        condition = c.get(PDBS, "web")["status"]["conditions"][0]
        assert (condition["status"], condition["reason"], condition["observedGeneration"]) == (
            "False", "InsufficientPods", 3)
    run(scenario)


def test_an_eviction_is_charged_then_forgotten_once_the_pod_terminates():
    async def scenario(c):
        c.create("deployments.apps", deployment(replicas=3))
        pods = await c.wait_for(lambda: ready_pods(c, 3), what="3 ready pods")
        c.create(PDBS, budget(minAvailable=2))
        await c.wait_for(lambda: numbers(c) == (1, 3, 2, 3, 1), what="one disruption allowed")
        victim = pods[0]["metadata"]["name"]
        c.registry.evict("default", victim, {"apiVersion": "policy/v1", "kind": "Eviction",
                                             "metadata": {"name": victim}})
        status = c.get(PDBS, "web")["status"]
        assert status["disruptionsAllowed"] == 0 and victim in status.get("disruptedPods", {})
        await c.wait_for(lambda: "disruptedPods" not in c.get(PDBS, "web")["status"],
                         what="the evicted pod seen terminating")
        await c.wait_for(lambda: numbers(c) == (1, 3, 2, 3, 1) and ready_pods(c, 3),
                         what="a replacement ready: one disruption allowed again")
    run(scenario)


def test_pods_whose_controller_has_no_scale_fail_safe_and_bare_pods_are_unmanaged():
    async def scenario(c):
        owner = c.create("configmaps", {"metadata": {"name": "not-a-controller"}})
        ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "not-a-controller", "uid": owner["metadata"]["uid"],
               "controller": True}
        for name, refs in (("owned", [ref]), ("bare", [])):
            c.create("pods", {"metadata": {"name": name, "labels": {"app": "web"}, "ownerReferences": refs},
                              "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]}})
        c.create(PDBS, budget(maxUnavailable=1))

        def sync_failed():
            conditions = (c.get(PDBS, "web").get("status") or {}).get("conditions") or []
            return conditions and conditions[0]["reason"] == "SyncFailed" and conditions[0]
        condition = await c.wait_for(sync_failed, what="SyncFailed")
        assert condition["message"] == "configmaps does not implement the scale subresource"
        assert condition["status"] == "False" and c.get(PDBS, "web")["status"]["disruptionsAllowed"] == 0
        events = {e["reason"]: e for e in c.events(name="web")}
        assert events["CalculateExpectedPodCountFailed"]["message"] == (
            "Failed to calculate the number of expected pods: configmaps does not implement the scale subresource")
        assert events["CalculateExpectedPodCountFailed"]["source"]["component"] == "controllermanager"
        c.delete("pods", "owned", grace_period_seconds=0)
        await c.wait_for(lambda: numbers(c) == (1, 0, 0, 1, 0), what="only the bare pod: nothing expected")
        unmanaged = next(e for e in c.events(name="web") if e["reason"] == "UnmanagedPods")
        assert unmanaged["type"] == "Warning" and unmanaged["message"].startswith(
            "Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: "
            "web,},MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged.")
    run(scenario)


def test_a_budget_without_pods_says_so():
    async def scenario(c):
        c.create(PDBS, budget(minAvailable=1))
        await c.wait_for(lambda: numbers(c) == (1, 0, 1, 0, 0), what="synced with no pods")
        await c.wait_for(lambda: any(e["reason"] == "NoPods" and e["message"] == "No matching pods found"
                                     for e in c.events(name="web")), what="the NoPods event")
    run(scenario)


def test_a_disruption_target_that_no_deletion_followed_is_cleared():
    async def scenario(c):
        c.create("pods", {"metadata": {"name": "kept"}, "spec": {"containers": [{"name": "main", "image": "nginx"}]}})
        pod = await c.wait_for(lambda: podutil.is_ready(p := c.get("pods", "kept")) and p, what="a running pod")
        marked = {"type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI",
                  "message": "Eviction API: evicting", "lastTransitionTime": c.clock.timestamp()}
        c.patch("pods", "kept", {"status": {"conditions": pod["status"]["conditions"] + [marked]}},
                subresource="status")
        cleared = await c.wait_for(lambda: (podutil.condition(c.get("pods", "kept"), "DisruptionTarget") or {}).get(
            "status") == "False" and podutil.condition(c.get("pods", "kept"), "DisruptionTarget"),
            what="the stale condition back to False (2 simulated minutes)")
        assert set(cleared) == {"type", "status", "lastTransitionTime"}
    run(scenario)


def test_a_stateful_sets_pods_count_by_the_sets_scale():
    async def scenario(c):
        template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
        c.create("statefulsets.apps", {"metadata": {"name": "web"}, "spec": {
            "replicas": 2, "serviceName": "web", "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": {"app": "web"}}, "template": template}})
        await c.wait_for(lambda: ready_pods(c, 2), what="2 ready pods")
        c.create(PDBS, budget(maxUnavailable="50%"))
        await c.wait_for(lambda: numbers(c) == (1, 2, 1, 2, 1), what="50% of the set's 2 replicas: one disruption")
    run(scenario)
