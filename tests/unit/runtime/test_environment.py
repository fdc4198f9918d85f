"""The container environment as the kubelet builds it: service links, envFrom, env with every valueFrom, the
precedence between them, and the kubelet's messages for what is missing."""
import base64

import pytest

from sandbox.runtime.environment import ContainerConfigError, container_environment, service_links, \
    service_variables, variable_name

KUBERNETES = {"metadata": {"name": "kubernetes", "namespace": "default"},
              "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP"}]}}
CACHE = {"metadata": {"name": "containo-orders-cache-service", "namespace": "shop"},
         "spec": {"clusterIP": "10.96.12.7", "ports": [{"port": 6666, "protocol": "TCP"}]}}
HEADLESS = {"metadata": {"name": "workers", "namespace": "shop"}, "spec": {"clusterIP": "None", "ports": [
    {"port": 80}]}}
ELSEWHERE = {"metadata": {"name": "other", "namespace": "default"},
             "spec": {"clusterIP": "10.96.3.3", "ports": [{"port": 80}]}}
SERVICES = [KUBERNETES, CACHE, HEADLESS, ELSEWHERE]


def pod(*containers, namespace="shop", **spec):
    return {"metadata": {"name": "web-1", "namespace": namespace, "uid": "u-1", "labels": {"app": "web",
                                                                                          "tier": "front"},
                         "annotations": {"note": 'say "hi"'}},
            "spec": {"nodeName": "sandbox-worker", "serviceAccountName": "default", "containers": list(containers),
                     **spec}}


def env_of(container, *, spec=None, services=SERVICES, config_maps=None, secrets=None, allocatable=None):
    p = pod(container, **(spec or {}))
    return container_environment(p, container, pod_ip="10.244.1.5", host_ip="172.18.0.3", services=services,
                                 config_maps=config_maps or {}, secrets=secrets or {},
                                 node_allocatable=allocatable or {"cpu": "4", "memory": "8Gi"})


def b64(text):
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("name, expected", [("containo-orders-cache", "CONTAINO_ORDERS_CACHE"),
                                            ("my.svc", "MY_SVC"), ("3scale", "_3SCALE")])
def test_variable_names(name, expected):
    assert variable_name(name) == expected


def test_one_service_gives_host_ports_and_docker_link_variables_in_order():
    service = {"metadata": {"name": "web"}, "spec": {"clusterIP": "10.96.0.9", "ports": [
        {"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]}}
    assert service_variables(service) == [
        ("WEB_SERVICE_HOST", "10.96.0.9"), ("WEB_SERVICE_PORT", "80"), ("WEB_SERVICE_PORT_HTTP", "80"),
        ("WEB_SERVICE_PORT_DNS", "53"), ("WEB_PORT", "tcp://10.96.0.9:80"),
        ("WEB_PORT_80_TCP", "tcp://10.96.0.9:80"), ("WEB_PORT_80_TCP_PROTO", "tcp"), ("WEB_PORT_80_TCP_PORT", "80"),
        ("WEB_PORT_80_TCP_ADDR", "10.96.0.9"), ("WEB_PORT_53_UDP", "udp://10.96.0.9:53"),
        ("WEB_PORT_53_UDP_PROTO", "udp"), ("WEB_PORT_53_UDP_PORT", "53"), ("WEB_PORT_53_UDP_ADDR", "10.96.0.9")]


@pytest.mark.parametrize("enabled, expected_prefixes", [
    (True, {"KUBERNETES", "CONTAINO_ORDERS_CACHE_SERVICE"}),  # own namespace, cluster IP only; not `other`
    (False, {"KUBERNETES"}),  # the kubernetes Service always
])
def test_service_links_follow_enable_service_links(enabled, expected_prefixes):
    variables = service_links(SERVICES, "shop", enabled)
    prefixes = {name.split("_SERVICE_HOST")[0] for name in variables if name.endswith("_SERVICE_HOST")}
    assert prefixes == expected_prefixes
    assert variables["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"
    assert variables["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"
    assert variables["KUBERNETES_PORT_443_TCP"] == "tcp://10.96.0.1:443"


def test_env_from_then_env_then_services_with_precedence():
    config_maps = {("shop", "settings"): {"data": {"LOG_LEVEL": "debug", "MODE": "a", "PORT": "1"}},
                   ("shop", "more"): {"data": {"MODE": "b"}}}
    secrets = {("shop", "creds"): {"data": {"password": b64("s3cret")}}}
    container = {"name": "api", "envFrom": [{"configMapRef": {"name": "settings"}},
                                            {"configMapRef": {"name": "more"}},
                                            {"prefix": "DB_", "secretRef": {"name": "creds"}}],
                 "env": [{"name": "PORT", "value": "80"},
                         {"name": "URL", "value": "http://$(CONTAINO_ORDERS_CACHE_SERVICE_SERVICE_HOST):$(PORT)"},
                         {"name": "EARLY", "value": "$(LATER)"}, {"name": "LATER", "value": "x"},
                         {"name": "KUBERNETES_SERVICE_HOST", "value": "mine"}]}
    env = env_of(container, config_maps=config_maps, secrets=secrets)
    names = [name for name, _ in env]
    assert names[:8] == ["LOG_LEVEL", "MODE", "PORT", "DB_password", "URL", "EARLY", "LATER",
                         "KUBERNETES_SERVICE_HOST"]
    values = dict(env)
    assert values["MODE"] == "b"  # a later envFrom source wins
    assert values["PORT"] == "80"  # env wins over envFrom
    assert values["DB_password"] == "s3cret"
    assert values["URL"] == "http://10.96.12.7:80"
    assert values["EARLY"] == "$(LATER)"  # declared after it: not yet known
    assert values["KUBERNETES_SERVICE_HOST"] == "mine" and names.count("KUBERNETES_SERVICE_HOST") == 1
    assert values["KUBERNETES_SERVICE_PORT"] == "443"  # the rest of the service variables follow


@pytest.mark.parametrize("field_path, expected", [
    ("metadata.name", "web-1"), ("metadata.namespace", "shop"), ("metadata.uid", "u-1"),
    ("metadata.labels['app']", "web"), ("metadata.labels['missing']", ""),
    ("metadata.annotations['note']", 'say "hi"'),
    ("metadata.labels", 'app="web"\ntier="front"'), ("metadata.annotations", 'note="say \\"hi\\""'),
    ("spec.nodeName", "sandbox-worker"), ("spec.serviceAccountName", "default"),
    ("status.podIP", "10.244.1.5"), ("status.podIPs", "10.244.1.5"),
    ("status.hostIP", "172.18.0.3"), ("status.hostIPs", "172.18.0.3"),
])
def test_field_refs(field_path, expected):
    container = {"name": "c", "env": [{"name": "V", "valueFrom": {"fieldRef": {"fieldPath": field_path}}}]}
    assert dict(env_of(container))["V"] == expected


@pytest.mark.parametrize("resources, ref, expected", [
    ({"requests": {"cpu": "250m"}}, {"resource": "requests.cpu"}, "1"),  # rounded up to whole cores
    ({"requests": {"cpu": "250m"}}, {"resource": "requests.cpu", "divisor": "1m"}, "250"),
    ({"limits": {"memory": "128Mi"}}, {"resource": "limits.memory", "divisor": "1Mi"}, "128"),
    ({"limits": {"memory": "100M"}}, {"resource": "limits.memory", "divisor": "1Mi"}, "96"),
    ({}, {"resource": "limits.cpu"}, "4"),  # no limit: the node's allocatable
    ({}, {"resource": "limits.memory", "divisor": "1Gi"}, "8"),
    ({}, {"resource": "requests.memory"}, "0"),
    ({"limits": {"cpu": "2"}}, {"resource": "limits.cpu", "containerName": "other"}, "1"),
])
def test_resource_field_refs(resources, ref, expected):
    container = {"name": "c", "resources": resources,
                 "env": [{"name": "V", "valueFrom": {"resourceFieldRef": ref}}]}
    other = {"name": "other", "resources": {"limits": {"cpu": "500m"}}}
    p = pod(container, other)
    env = container_environment(p, container, pod_ip="", host_ip="", services=[], config_maps={}, secrets={},
                                node_allocatable={"cpu": "4", "memory": "8Gi"})
    assert dict(env)["V"] == expected


@pytest.mark.parametrize("source, message", [
    ({"configMapKeyRef": {"name": "nope", "key": "k"}}, 'configmap "nope" not found'),
    ({"secretKeyRef": {"name": "nope", "key": "k"}}, 'secret "nope" not found'),
    ({"configMapKeyRef": {"name": "settings", "key": "nokey"}}, "couldn't find key nokey in ConfigMap shop/settings"),
    ({"secretKeyRef": {"name": "creds", "key": "nokey"}}, "couldn't find key nokey in Secret shop/creds"),
])
def test_missing_sources_fail_with_the_kubelets_words(source, message):
    container = {"name": "c", "env": [{"name": "V", "valueFrom": source}]}
    with pytest.raises(ContainerConfigError) as caught:
        env_of(container, config_maps={("shop", "settings"): {"data": {"k": "v"}}},
               secrets={("shop", "creds"): {"data": {"k": b64("v")}}})
    assert caught.value.message == message and caught.value.reason == "CreateContainerConfigError"


@pytest.mark.parametrize("env_from, message", [
    ([{"configMapRef": {"name": "gone"}}], 'configmap "gone" not found'),
    ([{"secretRef": {"name": "gone"}}], 'secret "gone" not found'),
])
def test_missing_env_from_sources(env_from, message):
    with pytest.raises(ContainerConfigError, match=f"^{message}$"):
        env_of({"name": "c", "envFrom": env_from}, services=[])


def test_optional_sources_leave_the_variable_out():
    container = {"name": "c", "envFrom": [{"configMapRef": {"name": "gone", "optional": True}},
                                          {"secretRef": {"name": "gone", "optional": True}}],
                 "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "gone", "key": "k",
                                                                          "optional": True}}},
                         {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "no",
                                                                          "optional": True}}},
                         {"name": "C", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k",
                                                                       "optional": True}}},
                         {"name": "D", "value": ""}]}
    env = env_of(container, services=[], config_maps={("shop", "settings"): {"data": {}}})
    assert env == [("D", "")]


def test_keys_that_are_no_identifiers_pass_as_they_are():
    config_maps = {("shop", "odd"): {"data": {"1st.key": "x", "with-dash": "y"}}}
    env = env_of({"name": "c", "envFrom": [{"configMapRef": {"name": "odd"}, "prefix": "P_"}]}, services=[],
                 config_maps=config_maps)
    assert env == [("P_1st.key", "x"), ("P_with-dash", "y")]
