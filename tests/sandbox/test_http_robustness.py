"""The HTTP layer: authentication, limits, malformed input, unknown paths; every answer a Status, never a 500."""
import json
import random
import string

import pytest

from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox


def status_of(response):
    body = response.json()
    assert body["kind"] == "Status" and body["apiVersion"] == "v1", body
    return body


def test_without_a_token_the_answer_is_401(http):
    for path in ("/api/v1/namespaces", "/version", "/readyz"):
        response = http.get(path, token=None)
        assert response.status_code == 401
        assert status_of(response)["reason"] == "Unauthorized"
    assert http.get("/api", token="wrong").status_code == 401
    assert http.get("/api", token=None, headers={"Authorization": "Basic " + http.token}).status_code == 401


def test_the_bearer_scheme_is_read_in_any_case_as_the_in_cluster_client_sends_it(http):
    """kubernetes.config.load_incluster_config() sends "bearer <token>"; kube-apiserver lowercases the scheme."""
    for scheme in ("bearer", "BEARER"):
        assert http.get("/version", token=None, headers={"Authorization": f"{scheme} {http.token}"}).status_code == 200


def test_oversized_bodies_get_413(http):
    body = json.dumps({"metadata": {"name": "big"}, "data": {"x": "a" * (3 * 1024 * 1024 + 10)}})
    response = http.post("/api/v1/namespaces/default/configmaps", data=body,
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert status_of(response)["reason"] == "RequestEntityTooLarge"


@pytest.mark.parametrize("content_type,body", [
    ("application/json", "{not json"),
    ("application/yaml", "a: [unclosed"),
    ("application/json", ""),
    ("application/yaml", "a: &x [*x]"),  # an alias that contains itself: no JSON can hold it
    ("application/yaml", "a: !!binary aGVsbG8="),
])
def test_malformed_bodies_get_400(http, content_type, body):
    response = http.post("/api/v1/namespaces/default/configmaps", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert status_of(response)["reason"] == "BadRequest"


@pytest.mark.parametrize("name,data", [
    ("from-yaml", {"a": "b"}),
    ("dated", {"since": "2026-01-01T00:00:00Z"}),  # a YAML timestamp stays a string, as in YAML-to-JSON
])
def test_yaml_bodies_are_accepted(http, fresh_namespace, name, data):
    key, value = next(iter(data.items()))
    body = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  {key}: {value}\n"
    response = http.post(f"/api/v1/namespaces/{fresh_namespace}/configmaps", data=body,
                         headers={"Content-Type": "application/yaml"})
    assert response.status_code == 201, response.text
    assert response.json()["data"] == data


def test_unknown_paths_are_404_status(http):
    for path in ("/api/v9/pods", "/apis/nope/v1/things", "/api/v1/widgets", "/api/v1/pods/a/b/c/d", "/nothing"):
        response = http.get(path)
        assert response.status_code == 404, path
        assert status_of(response)["message"] == "the server could not find the requested resource"


def test_verbs_a_resource_does_not_serve_are_405(http):
    response = http.post("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", json={"metadata": {"name": "x"}})
    assert response.status_code == 405
    assert status_of(response)["reason"] == "MethodNotAllowed"


def test_not_found_object(http):
    response = http.get("/api/v1/namespaces/default/configmaps/missing")
    assert response.status_code == 404
    body = status_of(response)
    assert body["message"] == 'configmaps "missing" not found'
    assert body["details"] == {"name": "missing", "kind": "configmaps"}


def test_health_and_version(http):
    for path in ("/healthz", "/livez", "/readyz"):
        response = http.get(path)
        assert (response.status_code, response.text) == (200, "ok")
    assert http.get("/version").json()["gitVersion"] == "v1.37.0"


def test_aggregated_discovery_is_served_when_asked_for(http):
    accept = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
    response = http.get("/apis", headers={"Accept": accept})
    assert response.headers["Content-Type"] == \
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    assert response.json()["kind"] == "APIGroupDiscoveryList"
    legacy = http.get("/apis", headers={"Accept": "application/json"})
    assert legacy.json()["kind"] == "APIGroupList"


def test_tables_are_served_when_asked_for(http):
    response = http.get("/api/v1/namespaces", headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    body = response.json()
    assert body["kind"] == "Table" and body["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in body["columnDefinitions"]][:2] == ["Name", "Status"]


_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
_PATHS = ["/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/pods/x",
          "/apis/apps/v1/namespaces/default/deployments/x/scale", "/api/v1/namespaces/default/pods/x/log",
          "/api/v1/namespaces/x/status", "/api/v1/watch/pods", "/apis/apps/v1/deployments",
          "/api/v1/nodes/x/status", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers",
          "/api/v1/namespaces/default/services/x", "/openapi/v3/apis/apps/v1", "/api/v1/namespaces/default/pods",
          "/api/v1/namespaces/default/pods/x/eviction", "/apis/authentication.k8s.io/v1/selfsubjectreviews"]
_CONTENT_TYPES = ["application/json", "application/yaml", "application/merge-patch+json",
                  "application/strategic-merge-patch+json", "application/json-patch+json",
                  "application/apply-patch+yaml", "text/plain", "application/vnd.kubernetes.protobuf", ""]
_QUERIES = ["", "?watch=true&timeoutSeconds=1", "?labelSelector=a%20in%20(", "?fieldSelector=spec.x=y",
            "?limit=-5", "?limit=abc", "?continue=%%%", "?resourceVersion=abc&watch=1&timeoutSeconds=1",
            "?dryRun=Sometimes", "?gracePeriodSeconds=x", "?fieldValidation=Loose", "?propagationPolicy=Now",
            "?fieldManager=" + "m" * 200, "?tailLines=x", "?resourceVersion=1&watch=1&timeoutSeconds=1"]


def _random_body(rng: random.Random) -> bytes:
    choices = [
        lambda: b"",
        lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64))),
        lambda: json.dumps(rng.choice([[], 1, "s", None, True, {"metadata": 5}, {"metadata": {"name": 7}},
                                       {"kind": "Pod", "apiVersion": "v9"}, {"spec": []},
                                       [{"op": "replace", "path": "/x"}], {"metadata": {"name": "x"}, "spec": 1},
                                       {"metadata": {"name": "x", "labels": {"a": 1}}}, {"status": "nope"},
                                       {"metadata": {"name": "x"}, "spec": {"containers": "c"}}])).encode(),
        lambda: "".join(rng.choice(string.printable) for _ in range(rng.randint(1, 80))).encode(),
        lambda: b"{" * 5000,
        lambda: b"a: &x [*x]\n",
    ]
    return rng.choice(choices)()


def test_random_bad_requests_never_get_a_500(http):
    # A fixed number of requests, not a time budget: on a loaded machine a time budget tests the machine.
    rng = random.Random(1337)
    for _ in range(100):
        query = rng.choice(_QUERIES)
        # any GET may turn out to be a watch: bound it so that the loop keeps moving
        query += ("&" if query else "?") + "timeoutSeconds=1"
        method, path = rng.choice(_METHODS), rng.choice(_PATHS) + query
        response = http.request(method, path, data=_random_body(rng),
                                headers={"Content-Type": rng.choice(_CONTENT_TYPES)}, timeout=60)
        assert response.status_code < 500, (method, path, response.status_code, response.text[:300])
        if method != "HEAD" and response.status_code >= 400:
            status_of(response)
    assert http.get("/readyz").status_code == 200


_VALID = {
    "/apis/apps/v1/namespaces/default/deployments": {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "fuzz", "labels": {"app": "fuzz"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "fuzz"}},
                 "strategy": {"rollingUpdate": {"maxSurge": "25%"}},
                 "template": {"metadata": {"labels": {"app": "fuzz"}}, "spec": {"containers": [
                     {"name": "c", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
                      "resources": {"requests": {"cpu": "100m"}}, "env": [{"name": "A", "value": "b"}]}]}}}},
    "/api/v1/namespaces/default/services": {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "fuzz"},
        "spec": {"type": "NodePort", "selector": {"app": "fuzz"}, "ports": [{"port": 80, "targetPort": "http"}]}},
    "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers": {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "fuzz"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "fuzz"},
                 "minReplicas": 1, "maxReplicas": 3, "metrics": [{"type": "Resource", "resource": {
                     "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}},
    "/apis/policy/v1/namespaces/default/poddisruptionbudgets": {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "fuzz"},
        "spec": {"maxUnavailable": "25%", "selector": {"matchExpressions": [{"key": "app", "operator": "In",
                                                                             "values": ["fuzz"]}]},
                 "unhealthyPodEvictionPolicy": "AlwaysAllow"}},
    "/apis/keda.sh/v1alpha1/namespaces/default/scaledobjects": {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "fuzz"},
        "spec": {"scaleTargetRef": {"name": "fuzz"}, "triggers": [{"type": "redis", "metadata": {"listName": "q"}}]}},
}
_ODD_VALUES = [None, True, -1, 0, 2 ** 63, 1.5, "", "x" * 300, "-", [], [None], {}, {"": None}, "100Gi", "50%"]


def _mutate(rng: random.Random, value):
    """A copy of value with one nested value replaced by an odd one (or a key dropped or added)."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        copy = dict(value)
        choice = rng.random()
        if choice < 0.15:
            del copy[key]
        elif choice < 0.3:
            copy[rng.choice(["extra", "status", "metadata", "spec"])] = rng.choice(_ODD_VALUES)
        else:
            copy[key] = _mutate(rng, value[key])
        return copy
    if isinstance(value, list) and value and rng.random() < 0.8:
        index = rng.randrange(len(value))
        return value[:index] + [_mutate(rng, value[index])] + value[index + 1:]
    return rng.choice(_ODD_VALUES)


def test_mutated_objects_never_get_a_500(http):
    rng = random.Random(42)
    for _ in range(150):  # a fixed number, as above
        path, valid = rng.choice(list(_VALID.items()))
        body = _mutate(rng, valid)
        method = rng.choice(["POST", "PUT", "PATCH", "PATCH-APPLY"])
        url = path if method == "POST" else f"{path}/fuzz"
        headers = {"Content-Type": "application/json"}
        if method == "PATCH":
            headers["Content-Type"] = rng.choice(["application/merge-patch+json",
                                                  "application/strategic-merge-patch+json"])
        elif method == "PATCH-APPLY":
            method, url = "PATCH", url + "?fieldManager=fuzz&force=true"
            headers["Content-Type"] = "application/apply-patch+yaml"
        response = http.request(method, url, data=json.dumps(body), headers=headers, timeout=60)
        assert response.status_code < 500, (method, url, json.dumps(body)[:400], response.text[:400])


_EVICTION = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "fuzz", "namespace": "default"},
             "deleteOptions": {"gracePeriodSeconds": 0, "preconditions": {"uid": "u", "resourceVersion": "1"},
                               "propagationPolicy": "Background", "dryRun": ["All"]}}


def test_mutated_evictions_never_get_a_500(http):
    rng = random.Random(7)
    for _ in range(100):
        query = rng.choice(["", "?dryRun=All", "?fieldValidation=Strict"])
        response = http.post("/api/v1/namespaces/default/pods/fuzz/eviction" + query,
                             data=json.dumps(_mutate(rng, _EVICTION)), headers={"Content-Type": "application/json"})
        assert response.status_code < 500, (query, response.text[:400])
        status_of(response)


def test_exec_says_why_it_is_not_available(sandbox_process, fresh_namespace):
    # the simulated node refuses, as a real kubelet refuses a container that is not running ("unable to upgrade
    # connection: container not found"), and kube-apiserver's v5 translator reports it after the switch
    sandbox_process.kubectl("run", "solo", "-n", fresh_namespace, "--image=nginx:1.27")
    wait_until(lambda: sandbox_process.kubectl("get", "pod", "solo", "-n", fresh_namespace, "-o",
                                               "jsonpath={.status.phase}").stdout == "Running", what="solo running")
    result = sandbox_process.kubectl("exec", "-n", fresh_namespace, "solo", "--", "true")
    assert result.returncode == 1
    assert result.stderr == ('error: Internal error occurred: unable to upgrade connection: container "solo" in pod '
                             '"solo" is simulated in the workshop sandbox and has no process (its image is not one '
                             'the sandbox runs)\n')


def test_verbose_health_lists_the_checks(http):
    text = http.get("/readyz?verbose").text
    assert text.startswith("[+]ping ok\n") and text.endswith("readyz check passed\n")
