"""What the waits wait for (rollout status, ready pods, endpoints) and why a pod is not ready."""
from helper_objects import deployment, endpointslice, event, pod
from helpers.diagnose import not_ready_report, why_not_ready
from helpers.selectors import matches, to_query
from helpers.wait import pods_state, ready_endpoints, rollout_state


def test_rollout_messages_follow_kubectl_rollout_status():
    d = deployment("web", "api", replicas=3)
    assert rollout_state(d, "web").done and rollout_state(d, "web").message == 'deployment "web" successfully rolled out'
    d["metadata"]["generation"] = 2
    assert rollout_state(d, "web").message == "Waiting for deployment spec update to be observed..."
    d["status"].update(observedGeneration=2, updatedReplicas=1)
    assert rollout_state(d, "web").message.endswith("1 out of 3 new replicas have been updated...")
    d["status"].update(updatedReplicas=3, replicas=4)
    assert rollout_state(d, "web").message.endswith("1 old replicas are pending termination...")
    d["status"].update(replicas=3, availableReplicas=2)
    state = rollout_state(d, "web")
    assert state.message.endswith("2 of 3 updated replicas are available...") and (state.count, state.total) == (2, 3)
    d["status"]["conditions"] = [{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]
    assert rollout_state(d, "web").failed == 'deployment "web" exceeded its progress deadline'
    assert not rollout_state(None, "web").done


def test_pods_state_counts_ready_pods_and_ignores_terminating_ones():
    pods = {p["metadata"]["name"]: p for p in [pod("a"), pod("b", ready=False)]}
    assert not pods_state(pods, None, "service=api").done
    assert pods_state(pods, 1, "service=api").done
    pods["b"]["metadata"]["deletionTimestamp"] = "2026-05-01T12:00:00Z"
    state = pods_state(pods, None, "service=api")
    assert state.done and state.message == "1 pod ready (service=api)"
    assert not pods_state({}, None, "service=api").done


def test_an_exact_pod_count_waits_for_the_terminating_pods_to_go():
    pods = {p["metadata"]["name"]: p for p in [pod("a"), pod("b"), pod("c")]}
    pods["c"]["metadata"]["deletionTimestamp"] = "2026-05-01T12:00:00Z"
    assert pods_state(pods, 2, "service=api").done  # at least two ready: the leaving one does not count
    state = pods_state(pods, 2, "service=api", exact=True)
    assert not state.done and state.message == "2 of 2 pods ready; 1 terminating pod still there (service=api)"
    del pods["c"]
    assert pods_state(pods, 2, "service=api", exact=True).done
    state = pods_state(pods, 1, "service=api", exact=True)
    assert not state.done and state.message == "2 pods where 1 is wanted (service=api)"  # one too many
    assert pods_state(pods, None, "service=api", exact=True).done  # all of them, none leaving


def test_ready_endpoints_treat_a_missing_condition_as_ready():
    slices = [endpointslice("s", ["10.0.0.1"], ready=True), endpointslice("s", ["10.0.0.2"], ready=False),
              {"endpoints": [{"addresses": ["10.0.0.3"]}]}]
    assert ready_endpoints(slices) == ["10.0.0.1", "10.0.0.3"]


def test_why_not_ready():
    pending = pod("p1", ready=False)
    pending["spec"].pop("nodeName")
    pending["status"] = {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "from condition"}]}
    assert why_not_ready(pending, []) == "Pending, not scheduled: from condition (FailedScheduling)"
    events = [event("p1", "FailedScheduling", "old", "2026-05-01T11:00:00Z"),
              event("p1", "FailedScheduling", "0/3 nodes are available: 1 node(s) had untolerated taint "
                    "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.")]
    assert "2 Insufficient cpu. (FailedScheduling)" in why_not_ready(pending, events)

    crashing = pod("p2")
    crashing["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    crashing["status"]["containerStatuses"] = [{"name": "orders-api", "ready": False, "restartCount": 4, "state": {
        "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}}}]
    assert why_not_ready(crashing, []) == ("CrashLoopBackOff (0/1 ready): container orders-api is waiting: "
                                           "CrashLoopBackOff: back-off 40s restarting failed container")
    probing = pod("p3")
    probing["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    probing["status"]["containerStatuses"][0]["ready"] = False
    assert why_not_ready(probing, [event("p3", "Unhealthy", "Readiness probe failed: HTTP probe failed with "
                                         "statuscode: 503")]).endswith(
        "container orders-api is running but not ready (Readiness probe failed: HTTP probe failed with statuscode: 503)")
    assert not_ready_report([pod("ok"), probing], []) == [f"pod p3: {why_not_ready(probing, [])}"]


def test_selectors():
    assert to_query({"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["x", "y"]}, {"key": "gone", "operator": "DoesNotExist"}]}) == \
        "a=1,b=2,tier in (x,y),!gone"
    assert to_query({"service": "cache"}) == "service=cache" and to_query("a=b") == "a=b" and to_query(None) == ""
    assert matches({"service": "cache"}, {"service": "cache", "app": "x"})
    assert not matches({}, {"a": "b"})  # a Service without a selector selects nothing
    assert matches({"matchLabels": {}}, {"a": "b"}) is True
    assert not matches({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["b"]}]}, {"a": "b"})
