"""The scenario's rules: labels, resources, probes, selectors, Services reaching real container ports, and the
names that tie the pieces together (Redis URLs, the queue name KEDA watches, the autoscalers' targets)."""
from __future__ import annotations

import copy
from urllib.parse import urlsplit

import pytest
import yaml

import manifest_rules as rules

FILE_DOCS = [(path, doc) for path in rules.app_yaml_files() for doc in rules.load(path)]


def doc_id(item) -> str:
    path, doc = item
    return f"{path.parent.name}:{rules.name_of(doc)}"


@pytest.fixture(scope="module")
def whole_app() -> list[dict]:
    return rules.render(rules.MANIFESTS)


@pytest.mark.parametrize("item", FILE_DOCS, ids=doc_id)
def test_object_follows_the_rules(item):
    _, doc = item
    problems = (rules.label_problems(doc) + rules.container_problems(doc) + rules.selector_problems(doc))
    assert problems == []


@pytest.mark.parametrize("folder", ["02-deployment", "03-sidecar"])
def test_chapter_deployments_services_reach_their_pods(folder, whole_app):
    api = rules.load(rules.MANIFESTS / folder / "api-deployment.yaml")
    frontend = rules.by_name(whole_app, "Service", "containo-orders-frontend")
    assert rules.service_problems(frontend, api) == []


def test_every_service_selects_one_deployment_on_a_real_port(whole_app):
    deployments = [d for d in whole_app if d["kind"] == "Deployment"]
    services = [d for d in whole_app if d["kind"] == "Service"]
    assert len(services) == 3
    for service in services:
        assert rules.service_problems(service, deployments) == []
        assert service["metadata"]["labels"]["service"] == service["spec"]["selector"]["service"]


def test_the_scenario_names_and_ports(whole_app):
    def shape(name):
        spec = rules.by_name(whole_app, "Service", name)["spec"]
        return spec["type"], spec["ports"][0]["port"], spec["ports"][0]["targetPort"]
    assert shape("containo-orders-cache-service") == ("ClusterIP", 6666, 6379)
    assert shape("containo-orders-frontend") == ("LoadBalancer", 1337, 80)
    assert shape("containo-orders-queue") == ("ClusterIP", 6379, 6379)
    api = rules.by_name(whole_app, "Deployment", "containo-orders-frontend")
    containers = {c["name"]: c for c in rules.pod_spec(api)["containers"]}
    assert list(containers) == ["orders-api", "orders-validator"]
    assert [p["containerPort"] for p in containers["orders-api"]["ports"]] == [80]
    assert [p["containerPort"] for p in containers["orders-validator"]["ports"]] == [81]


def test_app_containers_run_the_local_image():
    for _, doc in FILE_DOCS:
        for c in (rules.pod_spec(doc) or {}).get("containers", []):
            if c["image"].startswith("containo-orders"):
                assert (c["image"], c["imagePullPolicy"]) == ("containo-orders:dev", "IfNotPresent")
                assert c["command"][:2] == ["python", "-m"] and c["command"][2] in (
                    "app.api", "app.validator", "app.worker")
            else:
                assert c["image"] == "redis:7.4-alpine"


def redis_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.scheme == "redis", url
    return parts.hostname, parts.port


def service_address(service: dict) -> tuple[str, int]:
    return service["metadata"]["name"], service["spec"]["ports"][0]["port"]


def test_the_redis_urls_and_queue_name_agree_everywhere(whole_app):
    queue = service_address(rules.by_name(whole_app, "Service", "containo-orders-queue"))
    cache = service_address(rules.by_name(whole_app, "Service", "containo-orders-cache-service"))
    api = rules.env_of(rules.by_name(whole_app, "Deployment", "containo-orders-frontend"), "orders-api")
    worker = rules.env_of(rules.by_name(whole_app, "Deployment", "containo-orders-queue-processor"),
                          "queue-processor")
    validator = rules.env_of(rules.by_name(whole_app, "Deployment", "containo-orders-frontend"), "orders-validator")
    for env in (api, worker):
        assert redis_address(env["QUEUE_REDIS_URL"]) == queue
        assert redis_address(env["CACHE_REDIS_URL"]) == cache
    assert api["VALIDATOR_URL"] == f"http://localhost:{validator['VALIDATOR_PORT']}"
    assert (api["ORDERS_PORT"], validator["VALIDATOR_PORT"], validator["ORDER_LIMIT"]) == ("80", "81", "100")
    trigger = rules.by_name(whole_app, "ScaledObject", "containo-orders-queue-processor")["spec"]["triggers"][0]
    assert trigger["type"] == "redis"
    assert trigger["metadata"]["listName"] == api["QUEUE_NAME"] == worker["QUEUE_NAME"] == "orders"
    assert trigger["metadata"]["address"] == f"{queue[0]}.containo:{queue[1]}"


def test_the_autoscalers_target_deployments_with_requests(whole_app):
    hpa = rules.by_name(whole_app, "HorizontalPodAutoscaler", "containo-orders-frontend")
    so = rules.by_name(whole_app, "ScaledObject", "containo-orders-queue-processor")
    for ref in (hpa["spec"]["scaleTargetRef"], so["spec"]["scaleTargetRef"]):
        target = rules.by_name(whole_app, ref["kind"], ref["name"])
        assert ref["apiVersion"] == target["apiVersion"]
        # the HPA computes utilization from requests: every container needs them for every metric
        for metric in hpa["spec"]["metrics"]:
            for c in rules.pod_spec(target)["containers"]:
                assert metric["resource"]["name"] in c["resources"]["requests"]
        assert "replicas" not in target["spec"], "the whole app leaves autoscaled replicas to the autoscaler"
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu", "memory"]
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] < 300
    assert (so["spec"]["minReplicaCount"], so["spec"]["cooldownPeriod"] < 300) == (0, True)
    assert (so["spec"]["triggers"][0]["metadata"]["listLength"],
            so["spec"]["triggers"][0]["metadata"]["activationListLength"]) == ("5", "0")


def test_the_whole_app_puts_the_namespace_first(whole_app):
    # The whole app is chapters 01-06 (03 replaces 02's Deployment); 07-config goes on top of it (its own tests).
    assert whole_app[0]["kind"] == "Namespace"
    assert sorted(rules.name_of(d) for d in whole_app) == sorted(
        rules.name_of(d) for path, d in FILE_DOCS if path.parent.name not in ("02-deployment", "07-config"))


@pytest.mark.parametrize("directory", rules.kustomization_dirs(), ids=lambda d: d.name)
def test_a_learner_overlay_moves_everything_to_the_learner_namespace(directory, tmp_path):
    docs = rules.learner_overlay("containo-alice", [directory], tmp_path)
    for doc in docs:
        rules.validate(doc, "1.37.0")
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["name"] == "containo-alice"
        else:
            assert doc["metadata"]["namespace"] == "containo-alice", rules.name_of(doc)
        if doc["kind"] == "ScaledObject":
            assert doc["spec"]["triggers"][0]["metadata"]["address"] == "containo-orders-queue.containo-alice:6379"
    assert "containo-alice" not in yaml.safe_dump(rules.render(directory))  # the base is untouched


# The rules catch what they are meant to catch.

def api_deployment() -> dict:
    return copy.deepcopy(rules.load(rules.MANIFESTS / "03-sidecar" / "api-deployment.yaml")[0])


def test_rules_catch_a_selector_that_does_not_match():
    broken = api_deployment()
    broken["spec"]["selector"]["matchLabels"]["service"] = "apii"
    assert rules.selector_problems(broken)


def test_rules_catch_a_missing_label_limit_and_probe():
    broken = api_deployment()
    del broken["metadata"]["labels"]["type"]
    container = broken["spec"]["template"]["spec"]["containers"][1]
    del container["resources"]["limits"]["memory"], container["livenessProbe"]
    problems = rules.label_problems(broken) + rules.container_problems(broken)
    assert len(problems) == 3, problems


def test_rules_catch_a_service_on_the_wrong_port_or_pods(whole_app):
    deployments = [d for d in whole_app if d["kind"] == "Deployment"]
    service = copy.deepcopy(rules.by_name(whole_app, "Service", "containo-orders-cache-service"))
    service["spec"]["ports"][0]["targetPort"] = 6666
    assert rules.service_problems(service, deployments)
    service["spec"]["selector"] = {"app": "containo"}
    assert "matches 4 Deployments" in rules.service_problems(service, deployments)[0]
