"""The apps controllers in process, with every controller write checked to be what decoding would produce
(check_trusted): a StatefulSet's claims provisioned and bound, a DaemonSet's rolling update, a ReplicationController
scaled, a Node made by hand going Unknown and tainted, and its pods removed by the pod GC once it is deleted."""
from sandbox.machinery import podutil
from tests.unit.controllers.harness import run

TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def live(c, label="app=web"):
    return [p for p in c.list("pods", label_selector=label) if not podutil.is_terminating(p)]


def test_a_stateful_set_with_claims_a_daemon_set_update_and_a_replication_controller():
    async def scenario(c):
        c.create("statefulsets.apps", {"metadata": {"name": "web"}, "spec": {
            "replicas": 2, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE,
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
        await c.wait_for(lambda: (c.get("statefulsets.apps", "web").get("status") or {}).get("readyReplicas") == 2,
                         what="two ready pods")
        claims = c.list("persistentvolumeclaims")
        assert sorted(x["metadata"]["name"] for x in claims) == ["data-web-0", "data-web-1"]
        assert all(x["status"]["phase"] == "Bound" for x in claims)
        assert len(c.list("persistentvolumes", None)) == 2

        agent = {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": "busybox"}]}}
        c.create("daemonsets.apps", {"metadata": {"name": "agent"}, "spec": {
            "selector": {"matchLabels": {"app": "agent"}}, "template": agent}})
        await c.wait_for(lambda: (c.get("daemonsets.apps", "agent").get("status") or {}).get("numberAvailable") == 2,
                         what="a daemon pod on each worker")
        c.patch("daemonsets.apps", "agent", {"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "busybox:2"}]}}}})
        await c.wait_for(lambda: sorted(p["spec"]["containers"][0]["image"] for p in live(c, "app=agent"))
                         == ["busybox:2", "busybox:2"] and (c.get("daemonsets.apps", "agent")["status"]).get(
                             "updatedNumberScheduled") == 2, what="the rolling update done")

        rc = {"metadata": {"labels": {"app": "old"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
        c.create("replicationcontrollers", {"metadata": {"name": "old"}, "spec": {"replicas": 1, "template": rc}})
        c.patch("replicationcontrollers", "old", {"spec": {"replicas": 3}}, subresource="scale")
        await c.wait_for(lambda: len(live(c, "app=old")) == 3, what="three pods of the controller")
    run(scenario)


def test_a_node_without_a_kubelet_goes_unknown_and_its_pods_go_with_it():
    async def scenario(c):
        c.create("nodes", {"metadata": {"name": "mine"}}, None)
        c.create("pods", {"metadata": {"name": "stuck"}, "spec": {"nodeName": "mine", "containers": [
            {"name": "c", "image": "nginx"}]}})

        def unreachable():
            node = c.get("nodes", "mine", None)
            return any(t["key"] == "node.kubernetes.io/unreachable" for t in node["spec"].get("taints") or [])
        await c.wait_for(unreachable, what="the unreachable taint")
        assert c.get("pods", "stuck")["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
        c.delete("pods", "stuck")
        assert c.get("pods", "stuck")["metadata"]["deletionTimestamp"]
        c.delete("nodes", "mine", None)
        await c.wait_for(lambda: c.get("pods", "stuck") is None, what="the pod GC removing the pod")
    run(scenario)
