"""Grading what a learner wrote (helpers.grading), from object dicts: what the starting points of chapters 03-05
get wrong, said precisely, and harmless variants (a named targetPort, a fourth selector label, appended
arguments, quantities written another way, values from a ConfigMap) accepted."""
import copy

import pytest
import yaml

from helpers import grading, manifests
from helpers.chapters import reset_patch


def expected(chapter, kind):
    return next(manifests.localize(o, "containo", lambda obj: obj["kind"] != "Namespace")
                for o in manifests.chapter_objects(chapter) if o["kind"] == kind)


def pod_of(deployment, name):
    template = deployment["spec"]["template"]
    return {"metadata": {"name": name, "labels": {**template["metadata"]["labels"], "pod-template-hash": "84c6ccd5fc"}},
            "spec": copy.deepcopy(template["spec"])}


CACHE_SERVICE = expected(4, "Service")
CACHE_POD = pod_of(expected(4, "Deployment"), "containo-orders-cache-84c6ccd5fc-nw2sk")
API_PODS = [pod_of(expected(3, "Deployment"), f"containo-orders-frontend-76f4686cdf-{s}") for s in ("fktkg", "gjxjm")]
FRONTEND = expected(5, "Service")
SIDECAR_DEPLOYMENT = expected(3, "Deployment")

# What `kubectl create service clusterip containo-orders-cache-service --tcp=6666 --dry-run=client -o yaml` writes.
CREATED = yaml.safe_load("""
apiVersion: v1
kind: Service
metadata:
  labels: {app: containo-orders-cache-service}
  name: containo-orders-cache-service
spec:
  ports: [{name: "6666", port: 6666, protocol: TCP, targetPort: 6666}]
  selector: {app: containo-orders-cache-service}
  type: ClusterIP
""")


def service_lines(want, live, pods):
    wanted = [p for p in pods if all((p["metadata"]["labels"]).get(k) == v for k, v in want["spec"]["selector"].items())]
    return (grading.label_problems(want, live) + grading.selector_problems(want, live, pods)
            + grading.port_problems(want, live, wanted))


def test_the_skeleton_kubectl_create_service_writes_gets_one_line_per_mistake():
    assert service_lines(CACHE_SERVICE, CREATED, [CACHE_POD, *API_PODS]) == [
        "service/containo-orders-cache-service: label app is 'containo-orders-cache-service', expected 'containo'",
        "service/containo-orders-cache-service: labels microservice=orders, service=cache and type=infrastructure "
        "are missing",
        "service/containo-orders-cache-service selects app=containo-orders-cache-service, which matches no pod: the "
        "pods it should select carry app=containo, microservice=orders, service=cache, type=infrastructure "
        "(kubectl get pods --show-labels)",
        "service/containo-orders-cache-service: port 6666 is named '6666', expected 'redis'",
        "service/containo-orders-cache-service: port 6666 forwards to targetPort 6666, but the pods it should select "
        "listen on 6379 (container redis declares it as 'redis'): set targetPort: 6379",
    ]
    assert service_lines(CACHE_SERVICE, CACHE_SERVICE, [CACHE_POD, *API_PODS]) == []


@pytest.mark.parametrize("target, problem", [
    ("redis", ""),  # the port's name reaches 6379 too
    (6379, ""),
    ("6379", ""),
    ("rediss", "port 6666 forwards to targetPort 'rediss', a port name no container of the pods it should select "
               "declares (named ports: redis=6379): set targetPort: 6379"),
    (6380, "port 6666 forwards to targetPort 6380, but the pods it should select listen on 6379"),
])
def test_a_target_port_is_judged_by_the_port_it_reaches(target, problem):
    live = copy.deepcopy(CACHE_SERVICE)
    live["spec"]["ports"][0]["targetPort"] = target
    lines = grading.port_problems(CACHE_SERVICE, live, [CACHE_POD])
    assert (problem in lines[0]) if problem else lines == []


def test_without_the_pods_a_target_port_is_compared_as_written():
    live = copy.deepcopy(CACHE_SERVICE)
    live["spec"]["ports"][0]["targetPort"] = 6380
    assert grading.port_problems(CACHE_SERVICE, live, []) == [
        "service/containo-orders-cache-service: port 6666 forwards to targetPort 6380, expected 6379"]


def test_a_wrong_port_is_named_with_the_ports_the_service_has():
    live = copy.deepcopy(CACHE_SERVICE)
    live["spec"]["ports"][0]["port"] = 6379
    assert grading.port_problems(CACHE_SERVICE, live, [CACHE_POD]) == [
        "service/containo-orders-cache-service has no port 6666/TCP (its ports: 6379/TCP): clients connect to port "
        "6666, which it forwards to 6379"]


@pytest.mark.parametrize("selector, problem", [
    ({"app": "containo", "microservice": "orders", "service": "cache", "type": "infrastructure"}, None),
    ({"app": "containo"}, "selects app=containo, which also matches 2 pods it should not (service=api): select "
                          "app=containo,microservice=orders,service=cache"),
    ({}, "has no selector, so Kubernetes lists no endpoints for it: select app=containo,microservice=orders,"
         "service=cache"),
    ({"service": "kache"}, "selects service=kache, which matches no pod"),
    ({"service": "cache", "pod-template-hash": "84c6ccd5fc"},
     "selects on pod-template-hash, which changes with every pod template (the next rollout's pods have another): "
     "select app=containo,microservice=orders,service=cache"),
])
def test_a_selector_is_judged_by_the_pods_it_chooses(selector, problem):
    live = copy.deepcopy(CACHE_SERVICE)
    live["spec"]["selector"] = selector
    lines = grading.selector_problems(CACHE_SERVICE, live, [CACHE_POD, *API_PODS])
    assert lines == [] if problem is None else problem in lines[0]


def test_a_selector_that_leaves_out_pods_and_one_without_pods_to_compare():
    live = copy.deepcopy(FRONTEND)
    live["spec"]["selector"] = {"service": "api", "type": "platform"}
    one = copy.deepcopy(API_PODS[1])
    one["metadata"]["labels"]["type"] = "other"
    assert grading.selector_problems(FRONTEND, live, [API_PODS[0], one]) == [
        "service/containo-orders-frontend selects service=api,type=platform, which leaves out 1 of the 2 pods it "
        "should select (app=containo,microservice=orders,service=api)"]
    live["spec"]["selector"] = {"app": "containo"}
    assert grading.selector_problems(FRONTEND, live, []) == [
        "service/containo-orders-frontend selects app=containo, expected app=containo,microservice=orders,service=api"]
    gone = copy.deepcopy(API_PODS[0])  # a terminating pod is not chosen by anything any more
    gone["metadata"].update(deletionTimestamp="2026-05-01T12:00:00Z")
    gone["metadata"]["labels"]["app"] = "x"
    live["spec"]["selector"] = {"app": "x", "service": "api"}
    assert "which matches no pod" in grading.selector_problems(FRONTEND, live, [gone, API_PODS[1]])[0]


def test_what_kubectl_expose_writes_for_the_api_misses_the_port_name_and_the_target_port():
    exposed = yaml.safe_load("""
    apiVersion: v1
    kind: Service
    metadata:
      labels: {app: containo, microservice: orders, service: api, type: platform}
      name: containo-orders-frontend
    spec:
      ports: [{port: 1337, protocol: TCP, targetPort: 1337}]
      selector: {app: containo, microservice: orders, service: api}
      type: LoadBalancer
    """)
    assert service_lines(FRONTEND, exposed, API_PODS) == [
        "service/containo-orders-frontend: port 1337 has no name, expected 'http'",
        "service/containo-orders-frontend: port 1337 forwards to targetPort 1337, but the pods it should select listen "
        "on 80 (container orders-api declares it as 'http'): set targetPort: 80",
    ]


def sidecar(**fields):
    """Chapter 03's Deployment with the validator container changed: a field set to None is left out."""
    live = copy.deepcopy(SIDECAR_DEPLOYMENT)
    container = live["spec"]["template"]["spec"]["containers"][1]
    for key, value in fields.items():
        if value is None:
            container.pop(key, None)
        else:
            container[key] = value
    return live


def test_the_first_lines_of_the_sidecar_get_one_line_per_missing_part():
    start = sidecar(ports=None, env=None, resources=None, readinessProbe=None, livenessProbe=None)
    prefix = "deployment/containo-orders-frontend: container orders-validator "
    assert grading.template_problems(SIDECAR_DEPLOYMENT, start) == [prefix + line for line in [
        "does not declare port 81 (named validator) under ports",
        "does not set VALIDATOR_PORT=81 and ORDER_LIMIT=100 (under env)",
        "has no resources.requests (expected cpu: 50m, memory: 64Mi): the scheduler reserves nothing for it, and "
        "chapter 06's HPA needs a cpu request on every container",
        "has no resources.limits (expected cpu: 200m, memory: 128Mi): nothing caps the CPU and memory it may use",
        "has no readinessProbe (expected httpGet /healthz on port 81): the pod counts as ready, and gets traffic, "
        "before orders-validator answers",
        "has no livenessProbe (expected httpGet /healthz on port 81): if orders-validator hangs, it is never restarted",
    ]]
    assert grading.template_problems(SIDECAR_DEPLOYMENT, SIDECAR_DEPLOYMENT) == []


def test_a_sidecar_without_its_port_has_probes_that_name_nothing():
    lines = grading.template_problems(SIDECAR_DEPLOYMENT, sidecar(ports=None))
    assert lines[0].endswith("container orders-validator does not declare port 81 (named validator) under ports")
    assert lines[1].endswith("container orders-validator: its readinessProbe asks httpGet /healthz on port "
                             "'validator' (a name the container does not declare), expected httpGet /healthz on port 81")
    assert len(lines) == 3  # and the liveness probe


@pytest.mark.parametrize("fields, problem", [
    ({"command": None}, "has no command: it runs its image's default, expected python -m app.validator"),
    ({"command": ["python", "-m", "app.api"]}, "runs python -m app.api, expected python -m app.validator"),
    ({"image": "containo-orders:v2"}, "runs image containo-orders:v2, expected containo-orders:dev"),
    ({"imagePullPolicy": "Always"}, "has imagePullPolicy Always, expected IfNotPresent"),
    ({"ports": [{"name": "http", "containerPort": 81}]}, "declares port 81 as 'http', expected 'validator'"),
    ({"env": [{"name": "VALIDATOR_PORT", "value": "81"}, {"name": "ORDER_LIMIT", "value": "1000"}]},
     "sets ORDER_LIMIT=1000, expected 100"),
    ({"resources": {"requests": {"cpu": "50m"}, "limits": {"cpu": "200m", "memory": "128Mi"}}},
     "has no resources.requests.memory (expected 64Mi)"),
    ({"resources": {"requests": {"cpu": "0.1", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}},
     "has resources.requests.cpu 0.1, expected 50m"),
    ({"livenessProbe": {"tcpSocket": {"port": 81}}},
     "its livenessProbe asks tcpSocket on port 81, expected httpGet /healthz on port 81"),
])
def test_each_wrong_part_of_a_container_is_named(fields, problem):
    lines = grading.template_problems(SIDECAR_DEPLOYMENT, sidecar(**fields))
    assert lines[0].startswith("deployment/containo-orders-frontend: container orders-validator") and \
        lines[0].endswith(problem)
    if "port 81 as 'http'" in problem:  # and the probes, which name the port 'validator', name nothing now
        assert len(lines) == 3 and "(a name the container does not declare)" in lines[1]
    else:
        assert len(lines) == 1


@pytest.mark.parametrize("fields", [
    {"args": ["--verbose"]},  # appended to the expected command
    {"command": ["python"], "args": ["-m", "app.validator"]},
    {"resources": {"requests": {"cpu": "0.05", "memory": "67108864"}, "limits": {"cpu": "200m", "memory": "128Mi"}}},
    {"readinessProbe": {"httpGet": {"path": "/healthz", "port": 81}, "periodSeconds": 2}},  # a number, its timing
    {"env": [{"name": "VALIDATOR_PORT", "value": "81"},
             {"name": "ORDER_LIMIT", "valueFrom": {"configMapKeyRef": {"name": "orders", "key": "ORDER_LIMIT"}}}]},
    {"env": None, "envFrom": [{"configMapRef": {"name": "orders"}}]},
])
def test_harmless_variants_pass(fields):
    assert grading.template_problems(SIDECAR_DEPLOYMENT, sidecar(**fields)) == []


def test_a_sidecar_under_another_name_is_pointed_at():
    live = sidecar(name="validator")
    assert grading.template_problems(SIDECAR_DEPLOYMENT, live) == [
        "deployment/containo-orders-frontend: the pod template has no container 'orders-validator' (containers: "
        "orders-api, validator): is 'validator' meant to be it? Name it orders-validator"]


def test_ensure_chapter_puts_back_exactly_what_learners_write():
    assert reset_patch(CACHE_SERVICE) == [
        {"op": "add", "path": "/spec/selector", "value": CACHE_SERVICE["spec"]["selector"]},
        {"op": "add", "path": "/spec/ports", "value": CACHE_SERVICE["spec"]["ports"]}]
    [containers] = reset_patch(SIDECAR_DEPLOYMENT)
    assert containers["path"] == "/spec/template/spec/containers" and len(containers["value"]) == 2
    assert reset_patch({"kind": "Namespace", "metadata": {"name": "containo"}}) == []
