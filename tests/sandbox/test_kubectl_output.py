"""`kubectl get` against a running sandbox prints the columns a real 1.37 cluster prints (server-side tables),
and kubectl's discovery and OpenAPI readers (api-resources, explain, apply) work against it."""
import json
import uuid

import pytest

from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

WORKLOAD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: api, image: "nginx:1.27", ports: [{containerPort: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello}
"""

HEADERS = {
    "pods": "NAME READY STATUS RESTARTS AGE",
    "deployments": "NAME READY UP-TO-DATE AVAILABLE AGE",
    "replicasets": "NAME DESIRED CURRENT READY AGE",
    "services": "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE",
    "endpoints": "NAME ENDPOINTS AGE",
    "endpointslices": "NAME ADDRESSTYPE PORTS ENDPOINTS AGE",
    "events": "LAST SEEN TYPE REASON OBJECT MESSAGE",
    "configmaps": "NAME DATA AGE",
    "serviceaccounts": "NAME SECRETS AGE",
}
WIDE_HEADERS = {
    "pods": "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES",
    "deployments": "NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR",
    "services": "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR",
}


def kubectl(sandbox, *args, stdin=None) -> str:
    result = sandbox.kubectl(*args, input=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def lines(sandbox, *args) -> list[list[str]]:
    return [line.split() for line in kubectl(sandbox, *args).splitlines()]


def wait_for(condition, timeout=90.0, what="condition"):
    return wait_until(condition, timeout=timeout, interval=0.2, what=what)


@pytest.fixture(scope="module")
def workload(sandbox_process):
    """One namespace with a ready 2-replica deployment, a service and a configmap, shared by this module."""
    namespace = f"kubectl-output-{uuid.uuid4().hex[:6]}"
    kubectl(sandbox_process, "apply", "-f", "-",
            stdin=f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {namespace}}}\n")
    kubectl(sandbox_process, "apply", "-n", namespace, "-f", "-", stdin=WORKLOAD)

    def ready():
        pods = json.loads(kubectl(sandbox_process, "get", "pods", "-n", namespace, "-o", "json"))["items"]
        return len(pods) == 2 and all(
            any(c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions", []))
            for p in pods)
    wait_for(ready, what="two ready pods")
    yield namespace
    sandbox_process.kubectl("delete", "namespace", namespace, "--wait=false")


@pytest.mark.parametrize("resource", sorted(HEADERS))
def test_headers_match_a_real_cluster(sandbox_process, workload, resource):
    out = lines(sandbox_process, "get", resource, "-n", workload)
    assert " ".join(out[0]) == HEADERS[resource]


def test_cluster_scoped_headers(sandbox_process):
    assert " ".join(lines(sandbox_process, "get", "nodes")[0]) == "NAME STATUS ROLES AGE VERSION"
    assert " ".join(lines(sandbox_process, "get", "namespaces")[0]) == "NAME STATUS AGE"


def test_pods_and_deployments_show_their_state(sandbox_process, workload):
    pods = lines(sandbox_process, "get", "pods", "-n", workload)[1:]
    assert [p[1:4] for p in pods] == [["1/1", "Running", "0"]] * 2
    deploy = lines(sandbox_process, "get", "deployments", "-n", workload)[1]
    assert deploy[:4] == ["web", "2/2", "2", "2"]
    service = lines(sandbox_process, "get", "services", "web", "-n", workload)[1]
    assert service[1] == "ClusterIP" and service[3:5] == ["<none>", "80/TCP"]


@pytest.mark.parametrize("resource", sorted(WIDE_HEADERS))
def test_wide_headers(sandbox_process, workload, resource):
    out = lines(sandbox_process, "get", resource, "-n", workload, "-o", "wide")
    assert " ".join(out[0]) == WIDE_HEADERS[resource]


def test_api_resources_and_explain(sandbox_process):
    rows = {tuple(r) for r in lines(sandbox_process, "api-resources")[1:]}
    assert ("deployments", "deploy", "apps/v1", "true", "Deployment") in rows
    assert ("scaledobjects", "so", "keda.sh/v1alpha1", "true", "ScaledObject") in rows
    out = kubectl(sandbox_process, "explain", "deployment.spec.template.spec.containers")
    assert "FIELD: containers <[]Container>" in out


def test_apply_twice_is_unchanged_without_warnings(sandbox_process, fresh_namespace):
    first = sandbox_process.kubectl("apply", "-n", fresh_namespace, "-f", "-", input=WORKLOAD)
    assert first.returncode == 0 and "warning" not in first.stderr.lower(), first.stderr
    again = sandbox_process.kubectl("apply", "-n", fresh_namespace, "-f", "-", input=WORKLOAD)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == ["deployment.apps/web", "unchanged", "service/web", "unchanged",
                                    "configmap/settings", "unchanged"]
