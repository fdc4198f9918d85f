"""DaemonSets and ReplicationControllers through real kubectl and the Python client: a daemon pod on every node that
should run one (not the tainted control plane unless tolerated, only nodes its nodeSelector picks), pinned by node
affinity and given the controller's tolerations; rolling updates with maxUnavailable and maxSurge, `kubectl rollout
status/history/undo ds`, OnDelete; the replication manager with its equality selector and `kubectl scale rc`."""
from __future__ import annotations

import pytest
from kubernetes import client, watch

from tests.sandbox.apps_kinds_harness import apply, events, get, items, kubectl_ok, wait_for
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox
WORKERS = {"sandbox-worker", "sandbox-worker2"}


def daemon_set(name="agent", extra_spec="", pod_spec="", strategy="") -> str:
    return f"""
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: {name}, labels: {{tier: node}}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
{strategy}{extra_spec}  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
{pod_spec}      containers: [{{name: agent, image: "busybox:1.36", command: [sleep, "3600"]}}]
"""


def rolled_out(sandbox, ns, name, desired, timeout=120) -> dict:
    return wait_for(sandbox, ns, ("ds", name), lambda d: (s := d.get("status") or {}).get("desiredNumberScheduled")
                    == desired and s.get("numberAvailable") == desired and s.get("updatedNumberScheduled") == desired
                    and s.get("observedGeneration") == d["metadata"]["generation"]
                    and len([p for p in items(sandbox, ns, "pods") if p["metadata"]["labels"].get("app") == name
                             and not p["metadata"].get("deletionTimestamp")]) == desired,
                    f"daemon set {name} on {desired} nodes", timeout)


def pods_of(sandbox, ns, name):
    return [p for p in items(sandbox, ns, "pods") if p["metadata"]["labels"].get("app") == name]


def test_one_pod_per_eligible_node_with_the_controllers_tolerations_and_pin(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    apply(sandbox, ns, daemon_set())
    apply(sandbox, ns, daemon_set("everywhere", pod_spec="      tolerations: [{operator: Exists}]\n"))
    apply(sandbox, ns, daemon_set("picky", pod_spec="      nodeSelector: {kubernetes.io/hostname: sandbox-worker2}\n"))
    status = rolled_out(sandbox, ns, "agent", 2)["status"]
    assert (status["currentNumberScheduled"], status["numberReady"], status["numberMisscheduled"]) == (2, 2, 0)
    rolled_out(sandbox, ns, "everywhere", 3)
    rolled_out(sandbox, ns, "picky", 1)
    agents = pods_of(sandbox, ns, "agent")
    assert {p["spec"]["nodeName"] for p in agents} == WORKERS
    for pod in agents:
        terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert terms["nodeSelectorTerms"] == [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                                "values": [pod["spec"]["nodeName"]]}]}]
        tolerations = {(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]}
        assert {("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
                ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                ("node.kubernetes.io/pid-pressure", "NoSchedule"),
                ("node.kubernetes.io/unschedulable", "NoSchedule")} == tolerations
        assert not any(t.get("tolerationSeconds") for t in pod["spec"]["tolerations"])
        assert pod["metadata"]["labels"]["pod-template-generation"] == "1"
    assert {p["spec"]["nodeName"] for p in pods_of(sandbox, ns, "picky")} == {"sandbox-worker2"}
    table = kubectl_ok(sandbox, "-n", ns, "get", "ds", "agent").splitlines()
    assert table[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE", "SELECTOR",
                                "AGE"]
    assert table[1].split()[:7] == ["agent", "2", "2", "2", "2", "2", "<none>"]
    assert kubectl_ok(sandbox, "-n", ns, "get", "ds", "picky").splitlines()[1].split()[6] == \
        "kubernetes.io/hostname=sandbox-worker2"
    assert "Created pod: " in " ".join(e["message"] for e in events(sandbox, ns, "DaemonSet"))


def test_a_rolling_update_rollout_status_history_and_undo(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    apply(sandbox, ns, daemon_set(pod_spec="      tolerations: [{operator: Exists}]\n"))
    first = rolled_out(sandbox, ns, "agent", 3)
    assert first["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "1"
    kubectl_ok(sandbox, "-n", ns, "set", "image", "ds/agent", "agent=busybox:1.37")
    out = kubectl_ok(sandbox, "-n", ns, "rollout", "status", "ds/agent", "--timeout=120s")
    assert 'daemon set "agent" successfully rolled out' in out
    rolled_out(sandbox, ns, "agent", 3)
    assert {p["spec"]["containers"][0]["image"] for p in pods_of(sandbox, ns, "agent")
            if not p["metadata"].get("deletionTimestamp")} == {"busybox:1.37"}
    assert {p["metadata"]["labels"]["pod-template-generation"] for p in pods_of(sandbox, ns, "agent")
            if not p["metadata"].get("deletionTimestamp")} == {"2"}
    history = kubectl_ok(sandbox, "-n", ns, "rollout", "history", "ds/agent")
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]
    kubectl_ok(sandbox, "-n", ns, "rollout", "undo", "ds/agent")
    wait_for(sandbox, ns, ("ds", "agent"), lambda d: d["spec"]["template"]["spec"]["containers"][0]["image"] ==
             "busybox:1.36", "the template rolled back")
    rolled_out(sandbox, ns, "agent", 3)
    revisions = {r["revision"] for r in items(sandbox, ns, "controllerrevisions")}
    assert revisions == {2, 3}


def test_max_surge_starts_the_new_pod_before_the_old_one_goes(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    strategy = "  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n"
    apply(sandbox, ns, daemon_set(strategy=strategy))
    rolled_out(sandbox, ns, "agent", 2)
    with sandbox_process.api_client() as api:
        core = client.CoreV1Api(api)
        listed = core.list_namespaced_pod(ns)
        start = listed.metadata.resource_version
        kubectl_ok(sandbox, "-n", ns, "set", "image", "ds/agent", "agent=busybox:1.37")
        live = {p.metadata.name: p for p in listed.items if not p.metadata.deletion_timestamp}
        most_on_a_node = 0
        for event in watch.Watch().stream(core.list_namespaced_pod, ns, resource_version=start, timeout_seconds=90):
            pod = event["object"]
            if event["type"] == "DELETED" or pod.metadata.deletion_timestamp:
                live.pop(pod.metadata.name, None)
            else:
                live[pod.metadata.name] = pod
            per_node: dict[str, int] = {}
            for p in live.values():
                node = p.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution \
                    .node_selector_terms[0].match_fields[0].values[0]
                per_node[node] = per_node.get(node, 0) + 1
            most_on_a_node = max([most_on_a_node, *per_node.values()])
            assert len(per_node) == 2, "maxUnavailable 0: no node is ever without its pod"
            done = [p for p in live.values() if p.spec.containers[0].image == "busybox:1.37" and p.status.conditions
                    and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions)]
            if len(live) == 2 and len(done) == 2:
                break
        assert most_on_a_node == 2, "with maxSurge a new pod runs beside the old one until it is available"
    rolled_out(sandbox, ns, "agent", 2)


def test_on_delete_and_the_python_client(sandbox_process, fresh_namespace):
    ns = fresh_namespace
    with sandbox_process.api_client() as api:
        apps = client.AppsV1Api(api)
        labels = {"app": "agent"}
        body = client.V1DaemonSet(
            metadata=client.V1ObjectMeta(name="agent", labels={"tier": "node"}),
            spec=client.V1DaemonSetSpec(
                selector=client.V1LabelSelector(match_labels=labels),
                update_strategy=client.V1DaemonSetUpdateStrategy(type="OnDelete"),
                template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels), spec=client.V1PodSpec(
                    containers=[client.V1Container(name="agent", image="busybox:1.36")]))))
        created = apps.create_namespaced_daemon_set(ns, body)
        assert [d.metadata.name for d in apps.list_namespaced_daemon_set(ns, label_selector="tier in (node)").items] \
            == ["agent"]
        stream = watch.Watch().stream(apps.list_namespaced_daemon_set, ns,
                                      resource_version=created.metadata.resource_version, timeout_seconds=60)
        for event in stream:
            if (event["object"].status.number_ready or 0) == 2:
                break
        apps.patch_namespaced_daemon_set("agent", ns, {"spec": {"template": {"spec": {"containers": [
            {"name": "agent", "image": "busybox:1.37"}]}}}})
        core = client.CoreV1Api(api)
        wait_until(lambda: apps.read_namespaced_daemon_set("agent", ns).status.observed_generation == 2,
                   timeout=60, interval=0.1, what="the new template observed")
        pods = core.list_namespaced_pod(ns, label_selector="app=agent").items
        assert {p.spec.containers[0].image for p in pods} == {"busybox:1.36"}  # OnDelete: nothing replaced
        core.delete_namespaced_pod(pods[0].metadata.name, ns)
        wait_until(lambda: sorted(p.spec.containers[0].image for p in core.list_namespaced_pod(
            ns, label_selector="app=agent").items if not p.metadata.deletion_timestamp) == ["busybox:1.36",
                                                                                            "busybox:1.37"],
            timeout=90, interval=0.2, what="the deleted pod made again from the new template")
        wait_until(lambda: apps.read_namespaced_daemon_set("agent", ns).status.updated_number_scheduled == 1,
                   timeout=60, interval=0.1, what="one pod counted as updated")
        apps.delete_namespaced_daemon_set("agent", ns, propagation_policy="Background")
        wait_until(lambda: not core.list_namespaced_pod(ns).items, timeout=90, interval=0.2,
                   what="the daemon pods gone with their set")


def test_a_replication_controller_keeps_its_pods_scales_and_deletes_them(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    with sandbox_process.api_client() as api:
        core = client.CoreV1Api(api)
        rc = client.V1ReplicationController(
            metadata=client.V1ObjectMeta(name="legacy"),
            spec=client.V1ReplicationControllerSpec(replicas=2, template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "legacy", "tier": "web"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx:1.27")]))))
        created = core.create_namespaced_replication_controller(ns, rc)
        assert created.spec.selector == {"app": "legacy", "tier": "web"}
        assert created.metadata.labels == {"app": "legacy", "tier": "web"}
        stream = watch.Watch().stream(core.list_namespaced_replication_controller, ns, label_selector="app=legacy",
                                      resource_version=created.metadata.resource_version, timeout_seconds=60)
        for event in stream:
            if (event["object"].status.ready_replicas or 0) == 2:
                break
        table = kubectl_ok(sandbox, "-n", ns, "get", "rc", "-o", "wide").splitlines()
        assert table[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
        assert table[1].split()[:4] == ["legacy", "2", "2", "2"] and table[1].split()[-1] == "app=legacy,tier=web"
        assert "scaled" in kubectl_ok(sandbox, "-n", ns, "scale", "rc", "legacy", "--replicas=3")
        wait_for(sandbox, ns, ("rc", "legacy"), lambda r: r["status"].get("readyReplicas") == 3, "three ready")
        assert core.read_namespaced_replication_controller_scale("legacy", ns).status.selector == \
            "app=legacy,tier=web"
        core.patch_namespaced_replication_controller_scale("legacy", ns, {"spec": {"replicas": 1}})
        wait_for(sandbox, ns, ("rc", "legacy"), lambda r: r["status"].get("replicas") == 1, "one left")
        status = get(sandbox, ns, "rc", "legacy")["status"]
        assert set(status) == {"replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas",
                               "observedGeneration"}
        pods = items(sandbox, ns, "pods")
        assert pods[0]["metadata"]["ownerReferences"][0]["kind"] == "ReplicationController"
        assert any(e["source"]["component"] == "replication-controller" for e in events(sandbox, ns,
                                                                                        "ReplicationController"))
        core.patch_namespaced_replication_controller("legacy", ns, {"metadata": {"annotations": {"a": "b"}}})
        core.delete_namespaced_replication_controller("legacy", ns, propagation_policy="Foreground")
        wait_until(lambda: not items(sandbox, ns, "pods") and not items(sandbox, ns, "rc"), timeout=90,
                   interval=0.2, what="the controller and its pods gone")


def test_a_changed_node_selector_moves_the_pod_to_the_node_it_now_selects(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    apply(sandbox, ns, daemon_set(pod_spec="      nodeSelector: {kubernetes.io/hostname: sandbox-worker}\n"))
    rolled_out(sandbox, ns, "agent", 1)
    (first,) = pods_of(sandbox, ns, "agent")
    kubectl_ok(sandbox, "-n", ns, "patch", "ds", "agent", "-p",
               '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/hostname":"sandbox-worker2"}}}}}')
    rolled_out(sandbox, ns, "agent", 1)
    wait_until(lambda: [p["spec"]["nodeName"] for p in pods_of(sandbox, ns, "agent")] == ["sandbox-worker2"],
               timeout=90, interval=0.2, what="the pod moved to the newly selected node")
    assert first["metadata"]["name"] not in [p["metadata"]["name"] for p in pods_of(sandbox, ns, "agent")]
    assert get(sandbox, ns, "ds", "agent")["status"]["numberMisscheduled"] == 0
