"""The official Python client (37, which validates every response with pydantic) against the sandbox: CRUD for
every served resource, watches, create_from_yaml, and the errors with their real status, reason and message."""
import json

import pytest
from kubernetes import client, utils, watch
from kubernetes.client import ApiException

pytestmark = pytest.mark.sandbox


@pytest.fixture
def api(sandbox_process):
    with sandbox_process.api_client() as api_client:
        yield api_client


def meta(name, **labels):
    return client.V1ObjectMeta(name=name, labels=labels or None)


def pod_template(app="web", image="nginx:1.27"):
    return client.V1PodTemplateSpec(
        metadata=meta(None, app=app),
        spec=client.V1PodSpec(containers=[client.V1Container(name="web", image=image)]))


def deployment(name="web", replicas=2):
    return client.V1Deployment(metadata=meta(name), spec=client.V1DeploymentSpec(
        replicas=replicas, selector=client.V1LabelSelector(match_labels={"app": name}),
        template=pod_template(name)))


def api_error(call, *args, **kwargs) -> tuple[int, dict]:
    with pytest.raises(ApiException) as raised:
        call(*args, **kwargs)
    return raised.value.status, json.loads(raised.value.body)


def test_configmaps_and_secrets_crud(api, fresh_namespace):
    core, ns = client.CoreV1Api(api), fresh_namespace
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("cfg"), data={"a": "1"}))
    patched = core.patch_namespaced_config_map("cfg", ns, {"data": {"b": "2"}})
    assert patched.data == {"a": "1", "b": "2"}
    patched.data = {"c": "3"}
    assert core.replace_namespaced_config_map("cfg", ns, patched).data == {"c": "3"}
    status = core.delete_namespaced_config_map("cfg", ns)  # typed "object" in the client: a plain dict
    assert (status["kind"], status["status"], status["details"]["name"]) == ("Status", "Success", "cfg")
    core.create_namespaced_secret(ns, client.V1Secret(metadata=meta("pw"), string_data={"p": "s3cret"}))
    assert core.read_namespaced_secret("pw", ns).data == {"p": "czNjcmV0"}
    assert [s.metadata.name for s in core.list_namespaced_secret(ns).items] == ["pw"]
    core.delete_namespaced_secret("pw", ns)


def test_services_endpoints_and_serviceaccounts(api, fresh_namespace):
    core, ns = client.CoreV1Api(api), fresh_namespace
    svc = core.create_namespaced_service(ns, client.V1Service(metadata=meta("web"), spec=client.V1ServiceSpec(
        type="NodePort", selector={"app": "web"}, ports=[client.V1ServicePort(port=80)])))
    assert svc.spec.cluster_ip.startswith("10.") and svc.spec.ports[0].target_port == 80
    assert 30000 <= svc.spec.ports[0].node_port <= 32767
    status = core.patch_namespaced_service_status("web", ns, {"status": {"loadBalancer": {"ingress": [
        {"ip": "172.18.0.9"}]}}})
    assert status.status.load_balancer.ingress[0].ip == "172.18.0.9"
    deleted = core.delete_namespaced_service("web", ns)
    assert deleted.metadata.name == "web", "services answer a delete with the object"
    core.create_namespaced_endpoints(ns, client.V1Endpoints(metadata=meta("manual"), subsets=[
        client.V1EndpointSubset(addresses=[client.V1EndpointAddress(ip="10.244.0.9")],
                                ports=[client.CoreV1EndpointPort(port=80)])]))
    assert core.read_namespaced_endpoints("manual", ns).subsets[0].addresses[0].ip == "10.244.0.9"
    core.create_namespaced_service_account(ns, client.V1ServiceAccount(metadata=meta("robot")))
    assert "robot" in [sa.metadata.name for sa in core.list_namespaced_service_account(ns).items]


def test_events_and_endpointslices(api, fresh_namespace):
    core, ns = client.CoreV1Api(api), fresh_namespace
    core.create_namespaced_event(ns, client.CoreV1Event(
        metadata=meta("hello.1"), involved_object=client.V1ObjectReference(kind="Pod", name="p", namespace=ns),
        reason="Testing", message="hello", type="Normal"))
    listed = core.list_namespaced_event(ns, field_selector="involvedObject.name=p")
    assert [e.reason for e in listed.items] == ["Testing"]
    discovery = client.DiscoveryV1Api(api)
    discovery.create_namespaced_endpoint_slice(ns, client.V1EndpointSlice(
        metadata=meta("web-abc", **{"kubernetes.io/service-name": "web"}), address_type="IPv4",
        endpoints=[client.V1Endpoint(addresses=["10.244.1.5"])]))
    slices = discovery.list_namespaced_endpoint_slice(ns, label_selector="kubernetes.io/service-name=web")
    assert slices.items[0].endpoints[0].addresses == ["10.244.1.5"]


def test_deployments_replicasets_and_scale(api, fresh_namespace):
    apps, ns = client.AppsV1Api(api), fresh_namespace
    created = apps.create_namespaced_deployment(ns, deployment())
    assert created.metadata.generation == 1
    assert created.spec.strategy.rolling_update.max_surge == "25%" and created.spec.revision_history_limit == 10
    scale = apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 4}})
    assert scale.spec.replicas == 4
    assert apps.read_namespaced_deployment_scale("web", ns).spec.replicas == 4
    assert apps.read_namespaced_deployment("web", ns).metadata.generation == 2
    apps.create_namespaced_replica_set(ns, client.V1ReplicaSet(metadata=meta("solo"), spec=client.V1ReplicaSetSpec(
        replicas=0, selector=client.V1LabelSelector(match_labels={"app": "solo"}), template=pod_template("solo"))))
    assert apps.read_namespaced_replica_set_scale("solo", ns).spec.replicas == 0
    apps.delete_namespaced_replica_set("solo", ns)


def test_strategic_merge_patch_merges_containers_by_name(api, fresh_namespace):
    apps, ns = client.AppsV1Api(api), fresh_namespace
    apps.create_namespaced_deployment(ns, deployment(replicas=0))
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "busybox:1.36"}]}}}}
    patched = apps.patch_namespaced_deployment("web", ns, patch)
    assert [c.name for c in patched.spec.template.spec.containers] == ["sidecar", "web"]
    json_patch = [{"op": "replace", "path": "/spec/replicas", "value": 1}]
    assert apps.patch_namespaced_deployment("web", ns, json_patch).spec.replicas == 1


def test_pods_and_nodes(api, fresh_namespace):
    core, ns = client.CoreV1Api(api), fresh_namespace
    pod = core.create_namespaced_pod(ns, client.V1Pod(metadata=meta("solo"), spec=client.V1PodSpec(
        containers=[client.V1Container(name="app", image="nginx:latest")])))
    assert pod.status.phase == "Pending" and pod.spec.containers[0].image_pull_policy == "Always"
    nodes = core.list_node().items
    assert nodes and all(n.metadata.name.startswith("sandbox-") for n in nodes)
    core.patch_node(nodes[0].metadata.name, {"metadata": {"labels": {"workshop": "yes"}}})
    assert core.read_node(nodes[0].metadata.name).metadata.labels["workshop"] == "yes"
    core.delete_namespaced_pod("solo", ns, grace_period_seconds=0)


def test_hpa_in_both_versions_shares_one_object(api, fresh_namespace):
    ns = fresh_namespace
    v2 = client.AutoscalingV2Api(api)
    v2.create_namespaced_horizontal_pod_autoscaler(ns, client.V2HorizontalPodAutoscaler(
        metadata=meta("web"), spec=client.V2HorizontalPodAutoscalerSpec(
            scale_target_ref=client.V2CrossVersionObjectReference(api_version="apps/v1", kind="Deployment",
                                                                  name="web"),
            min_replicas=1, max_replicas=5, metrics=[client.V2MetricSpec(type="Resource", resource=client.
                V2ResourceMetricSource(name="cpu", target=client.V2MetricTarget(type="Utilization",
                                                                               average_utilization=60)))])))
    v1 = client.AutoscalingV1Api(api).read_namespaced_horizontal_pod_autoscaler("web", ns)
    assert v1.spec.target_cpu_utilization_percentage == 60 and v1.spec.max_replicas == 5
    client.AutoscalingV1Api(api).patch_namespaced_horizontal_pod_autoscaler("web", ns, {"spec": {"maxReplicas": 7}})
    assert v2.read_namespaced_horizontal_pod_autoscaler("web", ns).spec.max_replicas == 7
    v2.delete_namespaced_horizontal_pod_autoscaler("web", ns)


def test_scaled_objects_and_metrics_as_custom_objects(api, fresh_namespace):
    custom, ns = client.CustomObjectsApi(api), fresh_namespace
    body = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "worker"},
            "spec": {"scaleTargetRef": {"name": "worker"}, "minReplicaCount": 0, "maxReplicaCount": 5,
                     "triggers": [{"type": "redis", "metadata": {"listName": "orders", "listLength": "5",
                                                                 "address": "queue:6379"}}]}}
    created = custom.create_namespaced_custom_object("keda.sh", "v1alpha1", ns, "scaledobjects", body)
    assert created["metadata"]["generation"] == 1
    listed = custom.list_namespaced_custom_object("keda.sh", "v1alpha1", ns, "scaledobjects")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["worker"]
    custom.delete_namespaced_custom_object("keda.sh", "v1alpha1", ns, "scaledobjects", "worker")
    metrics = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
    assert metrics["kind"] == "NodeMetricsList"


def test_watch_streams_events(api, fresh_namespace):
    core, ns = client.CoreV1Api(api), fresh_namespace
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("one", test="watch")))
    seen = []
    stream = watch.Watch()  # selected by label: every namespace also holds kube-root-ca.crt
    for event in stream.stream(core.list_namespaced_config_map, ns, label_selector="test=watch", timeout_seconds=10):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 1:
            core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("two", test="watch")))
        if len(seen) == 2:
            core.delete_namespaced_config_map("one", ns)
        if len(seen) == 3:
            stream.stop()
    assert seen == [("ADDED", "one"), ("ADDED", "two"), ("DELETED", "one")]


def test_create_from_yaml(api, fresh_namespace, tmp_path):
    manifest = tmp_path / "app.yaml"
    manifest.write_text("""\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: demo}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: nginx:1.27}]
""")
    created = utils.create_from_yaml(api, str(manifest), namespace=fresh_namespace)
    assert [o[0].metadata.name for o in created] == ["settings", "api"]


def test_errors_have_the_real_status_reason_and_message(api, fresh_namespace):
    core, apps, ns = client.CoreV1Api(api), client.AppsV1Api(api), fresh_namespace
    code, body = api_error(core.read_namespaced_pod, "ghost", ns)
    assert (code, body["reason"], body["message"]) == (404, "NotFound", 'pods "ghost" not found')

    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("cfg")))
    code, body = api_error(core.create_namespaced_config_map, ns, client.V1ConfigMap(metadata=meta("cfg")))
    assert (code, body["reason"], body["message"]) == (409, "AlreadyExists", 'configmaps "cfg" already exists')

    stale = core.read_namespaced_config_map("cfg", ns)
    core.patch_namespaced_config_map("cfg", ns, {"data": {"x": "1"}})
    code, body = api_error(core.replace_namespaced_config_map, "cfg", ns, stale)
    assert (code, body["reason"]) == (409, "Conflict")
    assert body["message"] == ('Operation cannot be fulfilled on configmaps "cfg": the object has been modified; '
                               'please apply your changes to the latest version and try again')

    bad = deployment("Bad_Name")
    code, body = api_error(apps.create_namespaced_deployment, ns, bad)
    assert (code, body["reason"]) == (422, "Invalid")
    assert body["message"].startswith('Deployment.apps "Bad_Name" is invalid: ')
    assert {"field": "metadata.name"}.items() <= body["details"]["causes"][0].items()

    mismatched = deployment("mismatch")
    mismatched.spec.template.metadata.labels = {"app": "other"}
    code, body = api_error(apps.create_namespaced_deployment, ns, mismatched)
    assert code == 422 and "`selector` does not match template `labels`" in body["message"]

    code, body = api_error(core.create_namespaced_config_map, "nowhere", client.V1ConfigMap(metadata=meta("x")))
    assert (code, body["message"]) == (404, 'namespaces "nowhere" not found')



def test_strict_field_validation_rejects_unknown_fields(http, fresh_namespace):
    # the client's own models refuse unknown fields before sending, so this goes over plain HTTPS
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "strict"}, "bogus": 1}
    path = f"/api/v1/namespaces/{fresh_namespace}/configmaps"
    response = http.post(path + "?fieldValidation=Strict", json=body)
    assert (response.status_code, response.json()["reason"]) == (400, "BadRequest")
    assert response.json()["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict '
                                          'decoding error: unknown field "bogus"')
    warned = http.post(path, json=body)  # the default, Warn: created, with a Warning header
    assert warned.status_code == 201 and "bogus" not in warned.json()
    assert warned.headers["Warning"] == '299 - "unknown field \\"bogus\\""'


def test_creating_in_a_terminating_namespace_is_forbidden(api):
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=meta("closing")))
    core.create_namespaced_config_map("closing", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="held", finalizers=["example.com/hold"])))
    core.delete_namespace("closing")
    code, body = api_error(core.create_namespaced_config_map, "closing", client.V1ConfigMap(metadata=meta("new")))
    assert (code, body["reason"]) == (403, "Forbidden")
    assert body["message"] == ('configmaps "new" is forbidden: unable to create new content in namespace closing '
                               'because it is being terminated')
    core.patch_namespaced_config_map("held", "closing", {"metadata": {"finalizers": None}})
