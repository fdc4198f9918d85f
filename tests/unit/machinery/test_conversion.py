import copy

from sandbox.machinery import conversion

V1 = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
      "metadata": {"name": "api", "namespace": "containo"},
      "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
               "minReplicas": 2, "maxReplicas": 10, "targetCPUUtilizationPercentage": 60}}


def test_v1_to_v2_and_back():
    v2 = conversion.convert(V1, "autoscaling/v2")
    assert v2["apiVersion"] == "autoscaling/v2"
    assert v2["spec"]["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 60}}}]
    back = conversion.convert(v2, "autoscaling/v1")
    assert back["spec"] == V1["spec"]
    assert back["status"] == {"currentReplicas": 0, "desiredReplicas": 0}


def test_v1_without_target_gets_the_implicit_80_percent():
    body = copy.deepcopy(V1)
    del body["spec"]["targetCPUUtilizationPercentage"]
    assert conversion.convert(body, "autoscaling/v2")["spec"]["metrics"][0]["resource"]["target"][
        "averageUtilization"] == 80


def test_what_v1_cannot_say_travels_in_annotations():
    v2 = conversion.convert(V1, "autoscaling/v2")
    v2["spec"]["metrics"].append({"type": "Resource", "resource": {"name": "memory", "target": {
        "type": "AverageValue", "averageValue": "100Mi"}}})
    v2["status"] = {"currentReplicas": 2, "desiredReplicas": 3, "currentMetrics": [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 75,
                                                                      "averageValue": "150m"}}}]}
    v1 = conversion.convert(v2, "autoscaling/v1")
    annotations = v1["metadata"]["annotations"]
    assert annotations[conversion.METRICS_ANNOTATION] == (
        '[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"100Mi"}}]')
    assert v1["status"]["currentCPUUtilizationPercentage"] == 75
    again = conversion.convert(v1, "autoscaling/v2")
    assert sorted(m["resource"]["name"] for m in again["spec"]["metrics"]) == ["cpu", "memory"]
    assert again["status"]["currentMetrics"] == v2["status"]["currentMetrics"]
    assert "annotations" not in again["metadata"]


def test_other_kinds_are_unchanged_copies():
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 1}}
    out = conversion.convert(deploy, "apps/v1")
    assert out == deploy and out is not deploy
