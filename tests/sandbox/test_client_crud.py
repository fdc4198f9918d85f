"""Create, read, list, patch, replace and delete through the official Python client, for every resource the
sandbox serves (the client's pydantic models check each response's shape)."""
import uuid

import pytest
from kubernetes import client

pytestmark = pytest.mark.sandbox

POD_SPEC = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
TEMPLATE = {"metadata": {"labels": {"app": "crud"}}, "spec": POD_SPEC}
SELECTOR = {"matchLabels": {"app": "crud"}}
TARGET = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "crud"}

# (api class, snake-case kind in the client's method names, apiVersion, kind, body fields, namespaced)
CASES = [
    (client.CoreV1Api, "config_map", "v1", "ConfigMap", {"data": {"a": "1"}}, True),
    (client.CoreV1Api, "secret", "v1", "Secret", {"stringData": {"a": "1"}}, True),
    (client.CoreV1Api, "service", "v1", "Service", {"spec": {"ports": [{"port": 80}]}}, True),
    (client.CoreV1Api, "endpoints", "v1", "Endpoints", {"subsets": [{"addresses": [{"ip": "10.244.0.5"}],
                                                                      "ports": [{"port": 80}]}]}, True),
    (client.CoreV1Api, "event", "v1", "Event", {"involvedObject": {"kind": "Pod", "name": "p"}, "reason": "R",
                                                "message": "m", "type": "Normal"}, True),
    (client.CoreV1Api, "service_account", "v1", "ServiceAccount", {}, True),
    (client.CoreV1Api, "pod", "v1", "Pod", {"spec": POD_SPEC}, True),
    (client.AppsV1Api, "deployment", "apps/v1", "Deployment",
     {"spec": {"replicas": 0, "selector": SELECTOR, "template": TEMPLATE}}, True),
    (client.AppsV1Api, "replica_set", "apps/v1", "ReplicaSet",
     {"spec": {"replicas": 0, "selector": SELECTOR, "template": TEMPLATE}}, True),
    (client.AutoscalingV2Api, "horizontal_pod_autoscaler", "autoscaling/v2", "HorizontalPodAutoscaler",
     {"spec": {"scaleTargetRef": TARGET, "minReplicas": 1, "maxReplicas": 3}}, True),
    (client.AutoscalingV1Api, "horizontal_pod_autoscaler", "autoscaling/v1", "HorizontalPodAutoscaler",
     {"spec": {"scaleTargetRef": TARGET, "maxReplicas": 3, "targetCPUUtilizationPercentage": 50}}, True),
    (client.PolicyV1Api, "pod_disruption_budget", "policy/v1", "PodDisruptionBudget",
     {"spec": {"minAvailable": 1, "selector": SELECTOR}}, True),
    (client.DiscoveryV1Api, "endpoint_slice", "discovery.k8s.io/v1", "EndpointSlice",
     {"addressType": "IPv4", "endpoints": [{"addresses": ["10.244.0.5"]}]}, True),
    (client.CoreV1Api, "namespace", "v1", "Namespace", {}, False),
    (client.CoreV1Api, "node", "v1", "Node", {}, False),
]


@pytest.mark.parametrize("api_class,kind_name,api_version,kind,fields,namespaced", CASES,
                         ids=[f"{c[2]}/{c[3]}" for c in CASES])
def test_crud(sandbox_process, fresh_namespace, api_class, kind_name, api_version, kind, fields, namespaced):
    name = f"crud-{uuid.uuid4().hex[:6]}"
    scope = "namespaced_" if namespaced else ""
    args = (fresh_namespace,) if namespaced else ()
    with sandbox_process.api_client() as api_client:
        api = api_class(api_client)
        call = lambda verb, *rest, **kw: getattr(api, f"{verb}_{scope}{kind_name}")(*rest, **kw)
        body = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}, **fields}
        created = call("create", *args, body)
        assert created.metadata.name == name and created.metadata.uid
        assert call("read", name, *args).metadata.uid == created.metadata.uid
        listed = call("list", *args)
        assert name in [item.metadata.name for item in listed.items]
        patched = call("patch", name, *args, {"metadata": {"labels": {"patched": "yes"}}})
        assert patched.metadata.labels["patched"] == "yes"
        for _ in range(10):  # read-modify-write, retried on 409 as clients do (controllers may write meanwhile)
            current = call("read", name, *args)
            current.metadata.annotations = {"replaced": "yes"}
            try:
                replaced = call("replace", name, *args, current)
                break
            except client.ApiException as e:
                assert e.status == 409, e.body
        assert replaced.metadata.annotations["replaced"] == "yes"
        assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
        call("delete", name, *args, grace_period_seconds=0)
        if kind != "Namespace":  # a namespace terminates first (the namespace controller finishes it)
            with pytest.raises(client.ApiException) as raised:
                call("read", name, *args)
            assert raised.value.status == 404


def test_scaled_object_crud_through_custom_objects(sandbox_process, fresh_namespace):
    group, version, plural = "keda.sh", "v1alpha1", "scaledobjects"
    body = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "so"},
            "spec": {"scaleTargetRef": {"name": "worker"}, "triggers": [{"type": "cpu", "metricType": "Utilization",
                                                                        "metadata": {"value": "50"}}]}}
    with sandbox_process.api_client() as api_client:
        custom, ns = client.CustomObjectsApi(api_client), fresh_namespace
        custom.create_namespaced_custom_object(group, version, ns, plural, body)
        read = custom.get_namespaced_custom_object(group, version, ns, plural, "so")
        read["spec"]["maxReplicaCount"] = 7
        replaced = custom.replace_namespaced_custom_object(group, version, ns, plural, "so", read)
        assert replaced["spec"]["maxReplicaCount"] == 7 and replaced["metadata"]["generation"] == 2
        patched = custom.patch_namespaced_custom_object(group, version, ns, plural, "so",
                                                        {"metadata": {"labels": {"x": "y"}}})
        assert patched["metadata"]["labels"]["x"] == "y" and patched["metadata"]["generation"] == 2
        status = custom.patch_namespaced_custom_object_status(group, version, ns, plural, "so",
                                                              {"status": {"originalReplicaCount": 1}})
        assert status["status"]["originalReplicaCount"] == 1
        custom.delete_namespaced_custom_object(group, version, ns, plural, "so")
        assert custom.list_namespaced_custom_object(group, version, ns, plural)["items"] == []
