"""Checkpoints judged from object dicts: PASS on the right state, each missing piece named on a wrong one."""
import copy

from helper_objects import endpointslice, event, pod
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


def live(want, ready=True):
    """The manifest's object as the API server returns it once it runs (a Deployment with its status)."""
    obj = copy.deepcopy(want)
    obj["metadata"].update(uid=f"uid-{obj['metadata']['name']}", generation=1)
    if obj["kind"] == "Deployment":
        n = obj["spec"].get("replicas", 1)
        obj["status"] = {"observedGeneration": 1, "replicas": n, "updatedReplicas": n,
                         "readyReplicas": n if ready else 0, "availableReplicas": n if ready else 0}
    return obj


def pod_of(deployment, suffix="6b8d9f7c5-qq7rt", ready=True):
    """A pod of this Deployment: its template's labels and containers."""
    template = deployment["spec"]["template"]
    p = pod(f"{deployment['metadata']['name']}-{suffix}", ready=ready,
            containers=[c["name"] for c in template["spec"]["containers"]])
    p["metadata"]["labels"] = {**template["metadata"]["labels"], "pod-template-hash": suffix.split("-")[0]}
    p["spec"]["containers"] = copy.deepcopy(template["spec"]["containers"])
    return p


def cache_world(ready=True, selector_service="cache", labels_ok=True):
    want = {o["kind"]: o for o in expected(4)}
    cache, svc = live(want["Deployment"], ready), live(want["Service"])
    p = pod_of(cache, ready=ready)
    svc["spec"]["selector"]["service"] = selector_service
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
    assert ("service/containo-orders-cache-service selects app=containo,microservice=orders,service=kache, which "
            "matches no pod: the pods it should select carry app=containo, microservice=orders, service=cache, "
            "type=infrastructure (kubectl get pods --show-labels)") in problems
    assert not any("no ready endpoints" in line for line in problems)  # said once, by the selector's line
    assert len(problems) == 2


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
    one = live(next(o for o in expected(2) if o["kind"] == "Deployment"))
    problems = judge(expected(3), snapshot(one))
    assert problems == ["deployment/containo-orders-frontend: the pod template has no container "
                        "'orders-validator' (containers: orders-api)"]
    both = live(next(o for o in expected(3) if o["kind"] == "Deployment"))
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
    assert (f"service/{lb['metadata']['name']} has no port 1337/TCP (its ports: 8080/TCP): clients connect to port "
            "1337, which it forwards to 80") in problems
    pending = copy.deepcopy(lb)
    assert f"service/{lb['metadata']['name']} has no external address yet (EXTERNAL-IP <pending>)" in judge(
        [lb], snapshot(pending))


def test_unserved_kind_says_the_add_on_is_missing():
    want = [o for o in expected(6) if o["kind"] == "ScaledObject"]
    snap = snapshot()
    snap.unserved.add(("keda.sh/v1alpha1", "ScaledObject"))
    assert "is its add-on installed?" in judge(want, snap)[0]


def test_the_chapters_checkpoints_grade_every_container_field_and_a_health_check_only_the_shape():
    """check_chapter() and progress() judge in full (what the learner wrote in 03-05); chapter 08's health check
    does not, so that a learner's own fix of a request counts as well as the manifest's."""
    sidecar = live(next(o for o in expected(3) if o["kind"] == "Deployment"))
    validator = sidecar["spec"]["template"]["spec"]["containers"][1]
    validator["resources"]["requests"]["memory"] = "100Mi"
    assert judge(expected(3), snapshot(sidecar), full=True) == [
        "deployment/containo-orders-frontend: container orders-validator has resources.requests.memory 100Mi, "
        "expected 64Mi"]
    assert judge(expected(3), snapshot(sidecar)) == []
    del validator["ports"]
    assert judge(expected(3), snapshot(sidecar)) == [
        "deployment/containo-orders-frontend: container orders-validator does not declare port 81 (named validator) "
        "under ports"]
