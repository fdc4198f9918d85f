"""Checkpoints judged from object dicts: PASS on the right state, each missing piece named on a wrong one."""
import copy

from helper_objects import deployment, endpointslice, event, pod, replicaset, service
from helpers import manifests
from helpers.checks import Snapshot, judge


def expected(chapter):
    return [manifests.localize(o, "containo", lambda obj: obj["kind"] != "Namespace")
            for o in manifests.chapter_objects(chapter)]


def snapshot(*objects, pods=(), slices=(), events=()):
    snap = Snapshot("containo", pods=list(pods), endpointslices=list(slices), events=list(events))
    for obj in objects:
        snap.objects.setdefault((obj["apiVersion"], obj["kind"]), {})[obj["metadata"]["name"]] = obj
    return snap


def cache_world(ready=True, selector_service="cache", labels_ok=True):
    cache = deployment("containo-orders-cache", "cache", replicas=1, ready=1 if ready else 0, containers=("redis",))
    cache["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 6379}]
    cache["metadata"]["labels"]["type"] = "infrastructure"
    rs = replicaset("containo-orders-cache-6b8d9f7c5", cache, 1, 1, "cache")
    p = pod("containo-orders-cache-6b8d9f7c5-qq7rt", rs, service="cache", ready=ready, containers=("redis",))
    svc = service("containo-orders-cache-service", selector_service)
    if not labels_ok:
        svc["metadata"]["labels"].pop("microservice")
    slices = [endpointslice("containo-orders-cache-service", ["10.244.1.5"], ready=ready)] \
        if selector_service == "cache" else []
    return cache, svc, p, slices


def test_chapter_4_passes_on_the_right_state():
    cache, svc, p, slices = cache_world()
    assert judge(expected(4), snapshot(cache, svc, pods=[p], slices=slices)) == []


def test_missing_objects_are_named_with_the_folder_to_apply():
    cache, _, p, _ = cache_world()
    problems = judge(expected(4), snapshot(cache, pods=[p]), "manifests/04-cache")
    assert problems == ["service/containo-orders-cache-service is missing (apply manifests/04-cache)"]


def test_wrong_selector_no_endpoints_and_missing_label_are_each_reported():
    cache, svc, p, slices = cache_world(selector_service="kache", labels_ok=False)
    problems = judge(expected(4), snapshot(cache, svc, pods=[p], slices=slices))
    assert "service/containo-orders-cache-service: label microservice=orders is missing" in problems
    assert ("service/containo-orders-cache-service selects app=containo,microservice=orders,service=kache, "
            "expected app=containo,microservice=orders,service=cache") in problems
    assert ("service/containo-orders-cache-service has no ready endpoints: no pod matches its selector "
            "(app=containo,microservice=orders,service=kache)") in problems


def test_a_pending_pod_explains_the_unready_deployment():
    cache, svc, p, slices = cache_world(ready=False)
    p["spec"].pop("nodeName")
    p["status"] = {"phase": "Pending"}
    events = [event(p["metadata"]["name"], "FailedScheduling",
                    "0/3 nodes are available: 3 Insufficient memory.")]
    problems = judge(expected(4), snapshot(cache, svc, pods=[p], slices=slices, events=events))
    rollout = next(line for line in problems if line.startswith("deployment/containo-orders-cache is not ready"))
    assert "0 of 1 updated replicas are available" in rollout
    assert ("pod containo-orders-cache-6b8d9f7c5-qq7rt: Pending, not scheduled: 0/3 nodes are available: "
            "3 Insufficient memory. (FailedScheduling)") in rollout
    assert any("none of the pods it selects is ready" in line for line in problems)


def test_sidecar_checkpoint_names_the_missing_container():
    api = deployment("containo-orders-frontend", "api", containers=("orders-api",))
    problems = judge(expected(3), snapshot(api))
    assert problems == ["deployment/containo-orders-frontend: the pod template has no container "
                        "'orders-validator' (containers: orders-api)"]
    both = deployment("containo-orders-frontend", "api", containers=("orders-api", "orders-validator"))
    assert judge(expected(3), snapshot(both)) == []
    assert judge(expected(2), snapshot(both)) == []  # chapter 2's checkpoint still holds after chapter 3


def test_service_type_ports_and_load_balancer_address():
    want = expected(5)
    lb = next(o for o in want if o["kind"] == "Service" and o["spec"].get("type") == "LoadBalancer")
    live = copy.deepcopy(lb)
    live["spec"]["type"] = "ClusterIP"
    live["spec"]["ports"][0]["port"] = 8080
    problems = judge([lb], snapshot(live))
    assert f"service/{lb['metadata']['name']} is of type ClusterIP, expected LoadBalancer" in problems
    assert any("does not forward port 1337 to 80/TCP" in line for line in problems)
    pending = copy.deepcopy(lb)
    assert f"service/{lb['metadata']['name']} has no external address yet (EXTERNAL-IP <pending>)" in judge(
        [lb], snapshot(pending))


def test_unserved_kind_says_the_add_on_is_missing():
    want = [o for o in expected(6) if o["kind"] == "ScaledObject"]
    snap = snapshot()
    snap.unserved.add(("keda.sh/v1alpha1", "ScaledObject"))
    assert "is its add-on installed?" in judge(want, snap)[0]
