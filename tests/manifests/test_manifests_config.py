"""Chapter 07's manifests (manifests/07-config): every reference to the ConfigMap and the Secret resolves to a key
they hold, the ConfigMap's addresses reach the Services, both Redises start with the password and every client
of theirs (the API, the worker, their probes, redis-cli, KEDA) has it, and the Deployments and the ScaledObject
are the earlier chapters' with only their configuration changed."""
from __future__ import annotations

import base64
import copy
from urllib.parse import urlsplit

import pytest

import manifest_rules as rules

CONFIG = rules.MANIFESTS / "07-config"
CONFIG_MAP, SECRET, PASSWORD_KEY = "containo-orders-config", "containo-orders-redis", "redis-password"
EARLIER = {"containo-orders-frontend": "03-sidecar", "containo-orders-cache": "04-cache",
           "containo-orders-queue": "05-queue", "containo-orders-queue-processor": "05-queue"}
REDISES = ("containo-orders-cache", "containo-orders-queue")
CLIENTS = {"containo-orders-frontend": "orders-api", "containo-orders-queue-processor": "queue-processor"}


@pytest.fixture(scope="module")
def chapter() -> list[dict]:
    return rules.render(CONFIG)


@pytest.fixture(scope="module")
def whole_app() -> list[dict]:
    return rules.render(rules.MANIFESTS)


def containers(doc: dict) -> dict[str, dict]:
    return {c["name"]: c for c in rules.pod_spec(doc)["containers"]}


def deployments(docs: list[dict]) -> list[dict]:
    return [d for d in docs if d["kind"] == "Deployment"]


def test_every_reference_resolves_to_a_key_the_config_map_or_secret_holds(chapter):
    config_map = rules.by_name(chapter, "ConfigMap", CONFIG_MAP)
    secret = rules.by_name(chapter, "Secret", SECRET)
    secret_keys = set(secret["data"])
    for doc in deployments(chapter):
        for c in containers(doc).values():
            for source in c.get("envFrom") or []:
                assert source == {"configMapRef": {"name": CONFIG_MAP}}, (rules.name_of(doc), source)
            for variable in c.get("env") or []:
                ref = (variable.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    assert (ref["name"], ref["key"] in secret_keys) == (SECRET, True), (rules.name_of(doc), ref)
            # `env` wins over envFrom: a key set in both would hide the ConfigMap's value
            hidden = {v["name"] for v in c.get("env") or []} & set(config_map["data"])
            assert not hidden, f"{rules.name_of(doc)} {c['name']} sets {hidden} itself, hiding the ConfigMap's"
    auth = rules.by_name(chapter, "TriggerAuthentication", "containo-orders-queue-auth")
    assert auth["spec"]["secretTargetRef"] == [{"parameter": "password", "name": SECRET, "key": PASSWORD_KEY}]
    assert all(isinstance(v, str) for v in config_map["data"].values())
    assert base64.b64decode(secret["data"][PASSWORD_KEY]).decode()  # a password, base64 as `data` wants


def test_the_config_map_reaches_the_services_and_the_queue_keda_watches(chapter, whole_app):
    data = rules.by_name(chapter, "ConfigMap", CONFIG_MAP)["data"]
    for key, service in (("QUEUE_REDIS_URL", "containo-orders-queue"),
                         ("CACHE_REDIS_URL", "containo-orders-cache-service")):
        svc = rules.by_name(whole_app, "Service", service)
        parts = urlsplit(data[key])
        assert (parts.scheme, parts.hostname, parts.port, parts.password) == (
            "redis", service, svc["spec"]["ports"][0]["port"], None), data[key]  # the password is not in the URL
    trigger = rules.by_name(chapter, "ScaledObject", "containo-orders-queue-processor")["spec"]["triggers"][0]
    assert trigger["metadata"]["listName"] == data["QUEUE_NAME"]
    assert data["ORDER_LIMIT"] == "100"  # what helpers/orders.py and helpers/load_jobs.py count on


def test_both_redises_require_the_password_and_their_cli_sends_it(chapter):
    for name in REDISES:
        redis = containers(rules.by_name(chapter, "Deployment", name))["redis"]
        args = redis["args"]
        assert args[args.index("--requirepass") + 1] == "$(REDIS_PASSWORD)", name
        env = [v["name"] for v in redis["env"]]
        # the kubelet expands $(REDIS_PASSWORD) in a value only if the variable is declared before it
        assert env == ["REDIS_PASSWORD", "REDISCLI_AUTH"], name
        assert redis["env"][0]["valueFrom"]["secretKeyRef"] == {"name": SECRET, "key": PASSWORD_KEY}
        assert redis["env"][1]["value"] == "$(REDIS_PASSWORD)"
        assert "redis-cli ping" in " ".join(redis["readinessProbe"]["exec"]["command"])


def test_the_api_and_the_worker_read_their_config_and_the_password(chapter):
    for name, container in CLIENTS.items():
        c = containers(rules.by_name(chapter, "Deployment", name))[container]
        assert c["envFrom"] == [{"configMapRef": {"name": CONFIG_MAP}}], name
        password = [v for v in c["env"] if v["name"] == "REDIS_PASSWORD"]
        assert password == [{"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": SECRET,
                                                                                     "key": PASSWORD_KEY}}}]
    api = containers(rules.by_name(chapter, "Deployment", "containo-orders-frontend"))
    assert api["orders-api"]["readinessProbe"]["httpGet"]["path"] == "/readyz"  # a refused password: not ready
    assert api["orders-validator"]["envFrom"] == [{"configMapRef": {"name": CONFIG_MAP}}]  # ORDER_LIMIT
    worker = containers(rules.by_name(chapter, "Deployment", "containo-orders-queue-processor"))["queue-processor"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert 'password=os.environ.get("REDIS_PASSWORD")' in worker[probe]["exec"]["command"][-1], probe


CONFIGURATION = ("env", "envFrom", "args", "readinessProbe", "livenessProbe")


def without_configuration(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    for c in rules.pod_spec(doc)["containers"]:
        for key in CONFIGURATION:
            c.pop(key, None)
    doc["metadata"].pop("namespace", None)
    return doc


@pytest.mark.parametrize("name", sorted(EARLIER))
def test_the_deployments_are_the_earlier_chapters_with_only_their_configuration_changed(chapter, name):
    earlier = rules.by_name(rules.render(rules.MANIFESTS / EARLIER[name]), "Deployment", name)
    assert without_configuration(rules.by_name(chapter, "Deployment", name)) == without_configuration(earlier)


def test_the_scaled_object_is_chapter_06s_with_an_authentication_ref(chapter):
    earlier = rules.by_name(rules.render(rules.MANIFESTS / "06-scaling"), "ScaledObject",
                            "containo-orders-queue-processor")
    now = copy.deepcopy(rules.by_name(chapter, "ScaledObject", "containo-orders-queue-processor"))
    assert now["spec"]["triggers"][0].pop("authenticationRef") == {"name": "containo-orders-queue-auth"}
    assert now == earlier
