"""Scheduler and kubelet simulation together: a pod's way from Pending to Running and Ready, and out again."""
from sandbox.machinery import podutil
from tests.unit.controllers.harness import run


def naked(name="solo", image="nginx:1.27", **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": [{"name": "main", "image": image}], **spec}}


def test_a_pod_is_scheduled_started_and_ready_with_a_full_status():
    async def scenario(c):
        c.create("pods", naked(terminationGracePeriodSeconds=5))
        pod = await c.wait_for(lambda: (p := c.get("pods", "solo")) and podutil.is_ready(p) and p, what="ready")
        status = pod["status"]
        node = pod["spec"]["nodeName"]
        assert node in ("sandbox-worker", "sandbox-worker2")
        assert status["phase"] == "Running" and status["qosClass"] == "BestEffort" and status["startTime"]
        index = 1 if node == "sandbox-worker" else 2
        assert status["podIP"].startswith(f"10.244.{index}.") and status["podIPs"] == [{"ip": status["podIP"]}]
        assert status["hostIP"] == f"172.18.0.{2 + index}"
        [container] = status["containerStatuses"]
        assert container["ready"] and container["started"] and container["restartCount"] == 0
        assert "running" in container["state"]
        events = c.events(name="solo")
        assert [e["reason"] for e in events][:1] == ["Scheduled"]
        assert events[0]["message"] == f"Successfully assigned default/solo to {node}"
        assert events[0]["source"]["component"] == "default-scheduler"
        kubelet = [e for e in events if e["source"]["component"] == "kubelet"]
        assert [e["reason"] for e in kubelet] == ["Pulling", "Pulled", "Created", "Started"]
        assert kubelet[0]["source"]["host"] == node
        assert kubelet[0]["involvedObject"]["fieldPath"] == "spec.containers{main}"
        c.delete("pods", "solo")
        deleting = c.get("pods", "solo")
        assert deleting["metadata"]["deletionGracePeriodSeconds"] == 5
        await c.wait_for(lambda: c.get("pods", "solo") is None, what="pod removed after its grace period")
        killing = [e for e in c.events(name="solo") if e["reason"] == "Killing"]
        assert killing and killing[0]["message"] == "Stopping container main"
    run(scenario)


def test_a_pod_too_big_for_any_node_stays_pending_with_failed_scheduling():
    async def scenario(c):
        body = naked("huge")
        body["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "8"}}
        c.create("pods", body)
        pod = await c.wait_for(lambda: (p := c.get("pods", "huge")) and podutil.condition(p, "PodScheduled") and p,
                               what="PodScheduled condition")
        condition = podutil.condition(pod, "PodScheduled")
        message = ("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: "
                   "}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for "
                   "scheduling, 2 No preemption victims found for incoming pod.")
        assert (condition["status"], condition["reason"], condition["message"]) == ("False", "Unschedulable", message)
        assert pod["status"]["phase"] == "Pending" and not pod["spec"].get("nodeName")
        failed = await c.wait_for(lambda: [e for e in c.events(name="huge") if e["reason"] == "FailedScheduling"],
                                  what="FailedScheduling event")
        assert failed[0]["type"] == "Warning" and failed[0]["message"] == message
    run(scenario)


def test_an_image_that_cannot_be_pulled_backs_off():
    async def scenario(c):
        c.create("pods", naked("broken", image="nginx:doesnotexist"))
        await c.wait_for(lambda: (p := c.get("pods", "broken")) and p["status"].get("containerStatuses") and
                         p["status"]["containerStatuses"][0]["state"].get("waiting", {}).get("reason") ==
                         "ImagePullBackOff", what="ImagePullBackOff")
        messages = [e["message"] for e in c.events(name="broken")]
        assert "Error: ErrImagePull" in messages and 'Back-off pulling image "nginx:doesnotexist"' in messages
        assert c.get("pods", "broken")["status"]["phase"] == "Pending"
    run(scenario)


def test_nodes_and_default_service_accounts_exist():
    async def scenario(c):
        nodes = c.list("nodes", None)
        assert sorted(n["metadata"]["name"] for n in nodes) == ["sandbox-control-plane", "sandbox-worker",
                                                                 "sandbox-worker2"]
        ready = [x for x in nodes[0]["status"]["conditions"] if x["type"] == "Ready"][0]
        assert ready["status"] == "True" and ready["reason"] == "KubeletReady"
        reasons = [e["reason"] for e in c.events(name="sandbox-worker")]
        assert reasons[0] == "Starting" and "NodeReady" in reasons and "RegisteredNode" in reasons
        c.create("namespaces", {"metadata": {"name": "team"}}, None)
        await c.wait_for(lambda: c.get("serviceaccounts", "default", "team"), what="default service account")
        c.delete("serviceaccounts", "default", "team")
        await c.wait_for(lambda: c.get("serviceaccounts", "default", "team"), what="service account recreated")
        c.delete("nodes", "sandbox-worker2", None)
        await c.wait_for(lambda: c.get("nodes", "sandbox-worker2", None), what="node re-registered")
    run(scenario)


def test_every_namespace_gets_the_root_ca_config_map():
    async def scenario(c):
        cm = await c.wait_for(lambda: c.get("configmaps", "kube-root-ca.crt", "kube-system"), what="kube-system CA")
        assert cm["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")
        c.create("namespaces", {"metadata": {"name": "team"}}, None)
        await c.wait_for(lambda: c.get("configmaps", "kube-root-ca.crt", "team"), what="CA in a new namespace")
        c.patch("configmaps", "kube-root-ca.crt", {"data": {"ca.crt": "tampered"}}, "team")
        await c.wait_for(lambda: c.get("configmaps", "kube-root-ca.crt", "team")["data"] == cm["data"],
                         what="CA restored")
    run(scenario)
