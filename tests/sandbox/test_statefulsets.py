"""StatefulSets through real kubectl and the Python client, as kube-controller-manager runs them: ordered creation
with stable names and the pod-name and pod-index labels, claims from volumeClaimTemplates bound by the `standard`
class on first use and kept or deleted as the retention policy says, the headless Service's endpoints with the pods'
hostnames, rolling updates with a partition, OnDelete, ControllerRevisions behind `kubectl rollout history/undo`,
`kubectl scale`, and the tables."""
from __future__ import annotations

import pytest
from kubernetes import client, watch

from tests.sandbox.apps_kinds_harness import apply, events, get, header, items, kubectl_ok, names, wait_for
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox


def stateful_set(name="web", replicas=3, policy="OrderedReady", image="nginx:1.27", strategy="", retention="",
                 ready_delay=0) -> str:
    probe = (f"\n          readinessProbe: {{tcpSocket: {{port: 80}}, initialDelaySeconds: {ready_delay}, "
             "periodSeconds: 1}") if ready_delay else ""
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  clusterIP: None
  selector: {{app: {name}}}
  ports: [{{port: 80, name: http}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: {name}, labels: {{tier: data}}}}
spec:
  serviceName: {name}
  replicas: {replicas}
  podManagementPolicy: {policy}
  selector: {{matchLabels: {{app: {name}}}}}
{strategy}{retention}  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: web
          image: {image}
          ports: [{{containerPort: 80, name: http}}]
          volumeMounts: [{{name: data, mountPath: /usr/share/nginx/html}}]{probe}
  volumeClaimTemplates:
    - metadata: {{name: data}}
      spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
"""


def ready(sandbox, ns, name="web", replicas=3, timeout=120) -> dict:
    return wait_for(sandbox, ns, ("sts", name), lambda s: (s.get("status") or {}).get("readyReplicas") == replicas
                    and s["status"].get("replicas") == replicas and s["status"].get("currentRevision") ==
                    s["status"].get("updateRevision"), f"statefulset {name} with {replicas} ready pods", timeout)


def test_ordered_ready_creates_one_pod_at_a_time_with_stable_identity_and_bound_claims(sandbox_process,
                                                                                          fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    apply(sandbox, ns, stateful_set(ready_delay=40))  # readiness after 40 simulated seconds: 2 s here

    def check_order():
        pods = {p["metadata"]["name"]: p for p in items(sandbox, ns, "pods")}
        for i in (1, 2):  # a pod exists only once the one before it is ready
            if f"web-{i}" in pods:
                before = pods.get(f"web-{i - 1}")
                assert before is not None and any(c["type"] == "Ready" and c["status"] == "True"
                                                  for c in before["status"].get("conditions") or []), pods.keys()
        return len(pods) == 3 and all(any(c["type"] == "Ready" and c["status"] == "True" for c in
                                          p["status"].get("conditions") or []) for p in pods.values())
    wait_until(check_order, timeout=120, interval=0.1, what="three ready pods, made in order")
    sts = ready(sandbox, ns)
    status = sts["status"]
    assert status["currentRevision"].startswith("web-") and status["collisionCount"] == 0
    assert (status["availableReplicas"], status["currentReplicas"], status["updatedReplicas"],
            status["observedGeneration"]) == (3, 3, 3, 1)
    for i, pod in enumerate(sorted(items(sandbox, ns, "pods"), key=lambda p: p["metadata"]["name"])):
        assert pod["metadata"]["name"] == f"web-{i}"
        assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == f"web-{i}"
        assert pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == str(i)
        assert pod["metadata"]["labels"]["controller-revision-hash"] == status["currentRevision"]
        assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == (f"web-{i}", "web")
        assert {"name": "data", "persistentVolumeClaim": {"claimName": f"data-web-{i}"}} in pod["spec"]["volumes"]
        claim = get(sandbox, ns, "pvc", f"data-web-{i}")
        assert claim["status"]["phase"] == "Bound" and claim["metadata"]["labels"] == {"app": "web"}
        annotations = claim["metadata"]["annotations"]
        assert annotations["volume.kubernetes.io/selected-node"] == pod["spec"]["nodeName"]
        assert annotations["volume.kubernetes.io/storage-provisioner"] == "rancher.io/local-path"
        assert annotations["pv.kubernetes.io/bind-completed"] == "yes"
        volume = get(sandbox, None, "pv", claim["spec"]["volumeName"])
        assert volume["metadata"]["name"] == "pvc-" + claim["metadata"]["uid"]
        assert volume["spec"]["hostPath"] == {
            "path": f"/var/local-path-provisioner/pvc-{claim['metadata']['uid']}_{ns}_data-web-{i}",
            "type": "DirectoryOrCreate"}
        assert volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0][
            "values"] == [pod["spec"]["nodeName"]]
        assert volume["spec"]["claimRef"]["uid"] == claim["metadata"]["uid"]
        assert (volume["status"]["phase"], volume["spec"]["persistentVolumeReclaimPolicy"]) == ("Bound", "Delete")
    messages = [e["message"] for e in events(sandbox, ns, "StatefulSet")]
    assert "create Pod web-0 in StatefulSet web successful" in messages
    assert "create Claim data-web-1 Pod web-1 in StatefulSet web success" in messages
    endpoints = items(sandbox, ns, "endpointslices")[0]["endpoints"]
    assert sorted(e["hostname"] for e in endpoints) == ["web-0", "web-1", "web-2"]


def test_tables_of_statefulsets_claims_volumes_and_revisions(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    apply(sandbox, ns, stateful_set(replicas=1, policy="Parallel"))
    ready(sandbox, ns, replicas=1)
    table = kubectl_ok(sandbox, "-n", ns, "get", "sts")
    assert header(table) == ["NAME", "READY", "AGE"] and table.splitlines()[1].split()[:2] == ["web", "1/1"]
    assert header(kubectl_ok(sandbox, "-n", ns, "get", "sts", "-o", "wide")) == ["NAME", "READY", "AGE",
                                                                                 "CONTAINERS", "IMAGES"]
    pvc = kubectl_ok(sandbox, "-n", ns, "get", "pvc").splitlines()
    assert pvc[0].split() == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS", "MODES", "STORAGECLASS",
                              "VOLUMEATTRIBUTESCLASS", "AGE"]
    assert pvc[1].split()[:2] == ["data-web-0", "Bound"] and pvc[1].split()[3:7] == ["1Gi", "RWO", "standard",
                                                                                      "<unset>"]
    volume = get(sandbox, ns, "pvc", "data-web-0")["spec"]["volumeName"]
    pv = kubectl_ok(sandbox, "get", "pv", volume).splitlines()
    assert pv[0].split() == ["NAME", "CAPACITY", "ACCESS", "MODES", "RECLAIM", "POLICY", "STATUS", "CLAIM",
                             "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"]
    assert pv[1].split()[:7] == [volume, "1Gi", "RWO", "Delete", "Bound", f"{ns}/data-web-0", "standard"]
    revisions = kubectl_ok(sandbox, "-n", ns, "get", "controllerrevisions").splitlines()
    assert revisions[0].split() == ["NAME", "CONTROLLER", "REVISION", "AGE"]
    assert revisions[1].split()[1:3] == ["statefulset.apps/web", "1"]


def test_a_partitioned_rolling_update_rollout_history_and_undo(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    strategy = "  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}\n"
    apply(sandbox, ns, stateful_set(strategy=strategy))
    first = ready(sandbox, ns)["status"]["currentRevision"]
    kubectl_ok(sandbox, "-n", ns, "set", "image", "sts/web", "web=nginx:1.28")
    out = kubectl_ok(sandbox, "-n", ns, "rollout", "status", "sts/web", "--timeout=120s")
    assert "partitioned roll out complete: 1 new pods have been updated..." in out
    pods = {p["metadata"]["name"]: p for p in items(sandbox, ns, "pods")}
    images = {name: p["spec"]["containers"][0]["image"] for name, p in pods.items()}
    assert images == {"web-0": "nginx:1.27", "web-1": "nginx:1.27", "web-2": "nginx:1.28"}
    status = get(sandbox, ns, "sts", "web")["status"]
    assert status["currentRevision"] == first and status["updateRevision"] != first
    assert (status["currentReplicas"], status["updatedReplicas"]) == (2, 1)
    kubectl_ok(sandbox, "-n", ns, "patch", "sts", "web", "-p", '{"spec":{"updateStrategy":{"rollingUpdate":'
               '{"partition":0}}}}')
    kubectl_ok(sandbox, "-n", ns, "rollout", "status", "sts/web", "--timeout=120s")
    updated = wait_for(sandbox, ns, ("sts", "web"), lambda s: s["status"].get("updatedReplicas") == 3 and
                       s["status"].get("currentRevision") == s["status"].get("updateRevision") and
                       s["status"].get("readyReplicas") == 3, "every pod at the new revision")
    assert updated["status"]["currentRevision"] != first
    history = kubectl_ok(sandbox, "-n", ns, "rollout", "history", "sts/web")
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]
    assert "nginx:1.28" in kubectl_ok(sandbox, "-n", ns, "rollout", "history", "sts/web", "--revision=2")
    kubectl_ok(sandbox, "-n", ns, "rollout", "undo", "sts/web")
    back = wait_for(sandbox, ns, ("sts", "web"), lambda s: s["status"].get("updateRevision") == first and
                    s["status"].get("currentRevision") == first and s["status"].get("readyReplicas") == 3,
                    "the rollback to the first revision")
    assert back["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    history = kubectl_ok(sandbox, "-n", ns, "rollout", "history", "sts/web")
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3"]


def test_on_delete_waits_for_the_pod_to_be_deleted(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    apply(sandbox, ns, stateful_set(replicas=2, strategy="  updateStrategy: {type: OnDelete}\n"))
    ready(sandbox, ns, replicas=2)
    kubectl_ok(sandbox, "-n", ns, "set", "image", "sts/web", "web=nginx:1.28")
    wait_for(sandbox, ns, ("sts", "web"), lambda s: s["status"].get("observedGeneration") == 2, "the new spec seen")
    assert {p["spec"]["containers"][0]["image"] for p in items(sandbox, ns, "pods")} == {"nginx:1.27"}
    out = sandbox.kubectl("-n", ns, "rollout", "status", "sts/web")
    assert "rollout status is only available for RollingUpdate strategy type" in out.stderr
    kubectl_ok(sandbox, "-n", ns, "delete", "pod", "web-1")
    wait_for(sandbox, ns, ("pod", "web-1"), lambda p: p["spec"]["containers"][0]["image"] == "nginx:1.28" and
             p["status"].get("phase") == "Running", "web-1 made again at the new revision")
    assert get(sandbox, ns, "pod", "web-0")["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_scale_down_keeps_claims_unless_the_retention_policy_deletes_them(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    apply(sandbox, ns, stateful_set(name="keep", policy="Parallel"))
    retention = "  persistentVolumeClaimRetentionPolicy: {whenScaled: Delete, whenDeleted: Delete}\n"
    apply(sandbox, ns, stateful_set(name="drop", policy="Parallel", retention=retention))
    ready(sandbox, ns, "keep")
    ready(sandbox, ns, "drop")
    for name in ("keep", "drop"):
        assert "scaled" in kubectl_ok(sandbox, "-n", ns, "scale", f"sts/{name}", "--replicas=1")
    ready(sandbox, ns, "keep", replicas=1)
    ready(sandbox, ns, "drop", replicas=1)
    assert names(items(sandbox, ns, "pods")) == ["drop-0", "keep-0"]
    wait_until(lambda: names(items(sandbox, ns, "pvc")) == ["data-drop-0", "data-keep-0", "data-keep-1",
                                                             "data-keep-2"], timeout=90, interval=0.2,
               what="the scaled-down claims of drop deleted, those of keep kept")
    owners = get(sandbox, ns, "pvc", "data-drop-0")["metadata"]["ownerReferences"]
    assert [(o["kind"], o["name"]) for o in owners] == [("StatefulSet", "drop")]
    kubectl_ok(sandbox, "-n", ns, "delete", "sts", "drop", "keep")
    wait_until(lambda: names(items(sandbox, ns, "pvc")) == ["data-keep-0", "data-keep-1", "data-keep-2"] and
               not items(sandbox, ns, "pods"), timeout=90, interval=0.2,
               what="whenDeleted: Delete removing drop's last claim, keep's claims staying")


def test_the_python_client_creates_lists_watches_patches_scales_and_deletes(sandbox_process, fresh_namespace):
    ns = fresh_namespace
    with sandbox_process.api_client() as api:
        apps = client.AppsV1Api(api)
        labels = {"app": "db"}
        body = client.V1StatefulSet(
            metadata=client.V1ObjectMeta(name="db", labels={"tier": "data"}),
            spec=client.V1StatefulSetSpec(
                service_name="db", replicas=1, selector=client.V1LabelSelector(match_labels=labels),
                template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels), spec=client.V1PodSpec(
                    containers=[client.V1Container(name="db", image="postgres:16")]))))
        created = apps.create_namespaced_stateful_set(ns, body)
        assert created.spec.pod_management_policy == "OrderedReady"
        assert [s.metadata.name for s in apps.list_namespaced_stateful_set(ns, label_selector="tier=data").items] == [
            "db"]
        assert apps.list_namespaced_stateful_set(ns, label_selector="tier!=data").items == []
        stream = watch.Watch().stream(apps.list_namespaced_stateful_set, ns,
                                      resource_version=created.metadata.resource_version, timeout_seconds=30)
        apps.patch_namespaced_stateful_set_scale("db", ns, {"spec": {"replicas": 2}})
        for event in stream:
            if event["type"] == "MODIFIED" and (event["object"].status.ready_replicas or 0) == 2:
                break
        assert apps.read_namespaced_stateful_set_scale("db", ns).status.replicas == 2
        apps.patch_namespaced_stateful_set("db", ns, {"metadata": {"labels": {"tier": "db"}}})
        assert apps.read_namespaced_stateful_set("db", ns).metadata.labels == {"tier": "db"}
        revisions = apps.list_namespaced_controller_revision(ns).items
        assert [r.revision for r in revisions] == [1] and revisions[0].metadata.owner_references[0].name == "db"
        apps.delete_namespaced_stateful_set("db", ns, propagation_policy="Foreground")
        core = client.CoreV1Api(api)
        wait_until(lambda: not core.list_namespaced_pod(ns).items and not apps.list_namespaced_stateful_set(
            ns).items and not apps.list_namespaced_controller_revision(ns).items, timeout=90, interval=0.2,
            what="the set, its pods and its revisions gone")


def test_min_ready_seconds_holds_availability_back(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    apply(sandbox, ns, stateful_set(replicas=1).replace("  podManagementPolicy:", "  minReadySeconds: 60\n"
                                                                                  "  podManagementPolicy:"))
    early = wait_for(sandbox, ns, ("sts", "web"), lambda s: (s.get("status") or {}).get("readyReplicas") == 1,
                     "one ready pod")
    assert early["status"]["availableReplicas"] == 0  # ready for less than 60 simulated seconds (3 s here)
    wait_for(sandbox, ns, ("sts", "web"), lambda s: s["status"].get("availableReplicas") == 1,
             "the pod available once minReadySeconds have passed")
