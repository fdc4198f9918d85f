"""Real kubectl 1.37 against a stub server that serves only these documents: discovery, OpenAPI and tables.

This proves kubectl can read what the presentation modules produce before the sandbox's server exists."""
import json
import shutil

import pytest
import yaml

from . import fake_apiserver

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: api, image: "nginx:1.27", ports: [{containerPort: 80}]}
      - {name: sidecar, image: "busybox"}
"""

SCALED_OBJECT = """
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: worker, namespace: default}
spec:
  scaleTargetRef: {name: web}
  triggers: [{type: redis, metadata: {listName: orders}}]
"""


@pytest.fixture
def server():
    srv, stop = fake_apiserver.start()
    yield srv
    stop()


@pytest.fixture
def kubectl(server, tmp_path):
    def run(*args, stdin=None):
        result = server.kubectl(*args, home=str(tmp_path), stdin=stdin)
        assert result.returncode == 0, result.stderr
        return result
    return run


def paths(server, method="GET"):
    return [r.path for r in server.requests if r.method == method]


def test_api_resources_come_from_aggregated_discovery(server, kubectl):
    out = kubectl("api-resources").stdout.splitlines()
    assert out[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    rows = {tuple(line.split()) for line in out[1:]}
    assert ("deployments", "deploy", "apps/v1", "true", "Deployment") in rows
    assert ("horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler") in rows
    assert ("scaledobjects", "so", "keda.sh/v1alpha1", "true", "ScaledObject") in rows
    assert ("nodes", "metrics.k8s.io/v1beta1", "false", "NodeMetrics") in rows
    # one request each for /api and /apis: no per-group-version fallback
    assert set(paths(server)) == {"/api", "/apis"}


def test_server_version(kubectl):
    server_version = json.loads(kubectl("version", "-o", "json").stdout)["serverVersion"]
    assert server_version["gitVersion"] == "v1.37.0"


def test_explain_reads_openapi_v3(server, kubectl):
    out = kubectl("explain", "deployment.spec").stdout
    assert "KIND:       Deployment" in out and "FIELD: spec <DeploymentSpec>" in out
    assert "template\t<PodTemplateSpec> -required-" in out
    out = kubectl("explain", "pods.spec.containers.resources.limits").stdout
    assert "<map[string]Quantity>" in out
    out = kubectl("explain", "hpa.spec.metrics").stdout
    assert "VERSION:    v2" in out and "<[]MetricSpec>" in out
    assert "/openapi/v3/apis/apps/v1" in paths(server) and "/openapi/v2" not in paths(server)


def test_apply_uses_server_side_validation_and_a_strategic_merge_patch(server, kubectl):
    assert kubectl("apply", "-f", "-", stdin=DEPLOYMENT).stdout.strip() == "deployment.apps/web created"
    create = next(r for r in server.requests if r.method == "POST")
    assert create.query["fieldValidation"] == "Strict"

    live = yaml.safe_load(DEPLOYMENT)
    live["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(live)}
    server.objects[("deployments", "web")] = live
    server.requests.clear()
    changed = DEPLOYMENT.replace("replicas: 2", "replicas: 3").replace('"busybox"', '"busybox:1.36"')
    result = kubectl("apply", "-f", "-", stdin=changed)
    assert result.stdout.strip() == "deployment.apps/web configured" and "warning" not in result.stderr
    patch = next(r for r in server.requests if r.method == "PATCH")
    assert patch.content_type == "application/strategic-merge-patch+json"
    assert patch.query["fieldValidation"] == "Strict"
    body = json.loads(patch.body)
    assert body["spec"]["replicas"] == 3
    # the merge key from the schema: containers are patched by name, in order
    assert body["spec"]["template"]["spec"]["$setElementOrder/containers"] == [{"name": "api"}, {"name": "sidecar"}]
    assert not any(p.startswith("/openapi/v2") for p in paths(server))


def test_apply_of_a_custom_resource_is_validated_server_side(server, kubectl):
    kubectl("apply", "-f", "-", stdin=SCALED_OBJECT)
    create = next(r for r in server.requests if r.method == "POST")
    assert create.path == "/apis/keda.sh/v1alpha1/namespaces/default/scaledobjects"
    assert create.query["fieldValidation"] == "Strict"


def pod(name, phase, ready, node="sandbox-worker"):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"nodeName": node, "containers": [{"name": "api", "image": "nginx"}]},
            "status": {"phase": phase, "podIPs": [{"ip": "10.244.1.9"}],
                       "containerStatuses": [{"name": "api", "ready": ready, "restartCount": 0,
                                              "state": {"running": {}} if ready else
                                              {"waiting": {"reason": "ContainerCreating"}}}]}}


def test_get_prints_the_server_table(server, kubectl):
    server.objects[("pods", "web-1")] = pod("web-1", "Running", True)
    server.objects[("pods", "web-2")] = pod("web-2", "Pending", False)
    lines = kubectl("get", "pods").stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert lines[1].split()[:4] == ["web-1", "1/1", "Running", "0"]
    assert lines[2].split()[:3] == ["web-2", "0/1", "ContainerCreating"]
    wide = kubectl("get", "pods", "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE",
                               "READINESS", "GATES"]
    assert wide[1].split()[5:] == ["10.244.1.9", "sandbox-worker", "<none>", "<none>"]
    table_request = next(r for r in server.requests if r.path == "/api/v1/namespaces/default/pods")
    assert table_request.query.get("includeObject", "Metadata") == "Metadata"


def test_python_dynamic_client_discovers_resources_and_subresources(server):
    """kubernetes.dynamic reads the legacy documents (/apis, /api/v1, /apis/<g>/<v>)."""
    from kubernetes import client, dynamic
    config = client.Configuration()
    config.host = server.url
    with client.ApiClient(config) as api_client:
        resources = dynamic.DynamicClient(api_client).resources
        deployments = resources.get(api_version="apps/v1", kind="Deployment")
        assert deployments.namespaced and set(deployments.subresources) == {"scale", "status"}
        assert set(resources.get(api_version="v1", kind="Pod").subresources) == {"eviction", "log", "status"}
        assert resources.get(short_names=["so"]).group_version == "keda.sh/v1alpha1"
        assert resources.get(api_version="autoscaling/v1", kind="HorizontalPodAutoscaler").group_version == \
            "autoscaling/v1"
