"""The scheduler and the node controllers with Nodes a learner made (no kubelet behind them), in a sandbox of their
own: a node whose allocatable has no `pods` fits no pod ("Too many pods"); a new node is tainted
node.kubernetes.io/not-ready, then, with no kubelet posting its status, goes Unknown and unreachable; a pod bound to
it stays Pending with no container statuses and, once deleted, Terminating until the node is deleted and the pod GC
removes it; a NoExecute taint evicts pods once their toleration runs out."""
from __future__ import annotations

import json

import pytest

from tests.conftest import SandboxProcess
from tests.sandbox.apps_kinds_harness import events, get, items, kubectl_ok, wait_for
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    started = SandboxProcess(tmp_path_factory.mktemp("nodes"), ["--nodes", "2"], 20).start()
    yield started
    started.stop()


def node(name: str, allocatable: dict | None = None, ready: bool = False) -> str:
    body = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {
        "kubernetes.io/hostname": name}}}
    if allocatable is not None or ready:
        body["status"] = {"allocatable": allocatable or {}, "capacity": allocatable or {}}
        if ready:
            body["status"]["conditions"] = [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                             "message": "kubelet is posting ready status"}]
    return json.dumps(body)


def pod(name: str, extra: dict) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                       "spec": {"containers": [{"name": "c", "image": "nginx"}], **extra}})


def failed_scheduling(sandbox, name: str) -> str:
    return wait_until(lambda: next((e["message"] for e in events(sandbox, "default") if e["reason"] ==
                                    "FailedScheduling" and e["involvedObject"]["name"] == name), None),
                      timeout=60, interval=0.2, what=f"FailedScheduling for {name}")


def test_a_node_without_pods_allocatable_fits_no_pod(sandbox):
    kubectl_ok(sandbox, "create", "-f", "-", input=node("no-room", {"cpu": "4", "memory": "8Gi"}, ready=True))
    kubectl_ok(sandbox, "create", "-f", "-", input=pod("squeezed", {
        "nodeSelector": {"kubernetes.io/hostname": "no-room"}, "tolerations": [{"operator": "Exists"}]}))
    message = failed_scheduling(sandbox, "squeezed")
    assert message.startswith("0/3 nodes are available: 1 Too many pods, 2 node(s) didn't match Pod's node "
                              "affinity/selector.")
    assert get(sandbox, "default", "pod", "squeezed")["status"]["conditions"][0]["reason"] == "Unschedulable"
    kubectl_ok(sandbox, "delete", "pod", "squeezed")
    kubectl_ok(sandbox, "delete", "node", "no-room")


def test_a_node_without_a_kubelet_is_tainted_and_its_pods_wait_forever(sandbox):
    created = json.loads(kubectl_ok(sandbox, "create", "-o", "json", "-f", "-", input=node("lonely")))
    assert created["spec"]["taints"] == [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]
    kubectl_ok(sandbox, "create", "-f", "-", input=pod("drifter", {
        "nodeSelector": {"kubernetes.io/hostname": "lonely"}}))
    assert "had untolerated taint {node.kubernetes.io/" in failed_scheduling(sandbox, "drifter")
    kubectl_ok(sandbox, "create", "-f", "-", input=pod("stuck", {"nodeName": "lonely"}))
    kubectl_ok(sandbox, "create", "-f", "-", input=pod("control", {}))
    # the node controller sees no kubelet: Unknown after its startup grace, tainted unreachable both ways
    gone = wait_for(sandbox, None, ("node", "lonely"), lambda n: any(t["key"] == "node.kubernetes.io/unreachable"
                    and t["effect"] == "NoExecute" for t in n["spec"].get("taints") or []), "the unreachable taint")
    ready = next(c for c in gone["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == ("Unknown", "NodeStatusNeverUpdated",
                                                                    "Kubelet never posted node status.")
    assert {(t["key"], t["effect"]) for t in gone["spec"]["taints"]} == {
        ("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")}
    rows = {line.split()[0]: line.split()[1] for line in kubectl_ok(sandbox, "get", "nodes").splitlines()[1:]}
    assert rows["lonely"] == "NotReady"
    wait_for(sandbox, "default", ("pod", "control"), lambda p: p["status"].get("phase") == "Running",
             "a pod on a node with a kubelet running")
    stuck = get(sandbox, "default", "pod", "stuck")
    assert stuck["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    kubectl_ok(sandbox, "delete", "pod", "stuck", "--wait=false")
    assert get(sandbox, "default", "pod", "stuck")["metadata"]["deletionTimestamp"]
    assert "Terminating" in kubectl_ok(sandbox, "get", "pod", "stuck")
    kubectl_ok(sandbox, "delete", "node", "lonely")
    wait_until(lambda: sandbox.kubectl("get", "pod", "stuck").returncode != 0, timeout=60, interval=0.2,
               what="the pod GC removing the pod of the deleted node")
    kubectl_ok(sandbox, "delete", "pod", "drifter", "control")


def test_a_no_execute_taint_evicts_pods_once_their_toleration_runs_out(sandbox):
    kubectl_ok(sandbox, "create", "-f", "-", input=node("fading", {"pods": "110", "cpu": "4", "memory": "8Gi"},
                                                       ready=True))
    toleration = [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                   "tolerationSeconds": 5}, {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                             "effect": "NoSchedule"}]
    kubectl_ok(sandbox, "create", "-f", "-", input=pod("brief", {"nodeName": "fading", "tolerations": toleration}))
    # no lease: after node-monitor-grace-period its Ready condition goes Unknown, then the 5 s toleration runs out
    evicted = wait_for(sandbox, "default", ("pod", "brief"), lambda p: p["metadata"].get("deletionTimestamp"),
                       "the taint eviction of the pod", timeout=90)
    condition = next(c for c in evicted["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert (condition["reason"], condition["message"]) == ("DeletionByTaintManager",
                                                           "Taint manager: deleting due to NoExecute taint")
    event = next(e for e in events(sandbox, "default") if e["reason"] == "TaintManagerEviction")
    assert event["message"] == "Marking for deletion Pod default/brief"
    kubectl_ok(sandbox, "delete", "node", "fading")
    wait_until(lambda: not [p for p in items(sandbox, "default", "pods") if p["metadata"]["name"] == "brief"],
               timeout=60, interval=0.2, what="the evicted pod gone with its node")
