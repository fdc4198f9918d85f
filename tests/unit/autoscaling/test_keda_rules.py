"""KEDA's rules: the redis list trigger, the keda-hpa-<name> HPA, activation 0 <-> 1 and the cooldown."""
import pytest

from sandbox.autoscaling import keda
from sandbox.autoscaling.metric_names import external_metric, go_label_selector, resource_metric


def scaled_object(**spec):
    trigger = spec.pop("trigger", {"address": "containo-orders-queue.containo:6379", "listName": "orders",
                                   "listLength": "5"})
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": "worker", "namespace": "learner-1", "uid": "u-1", "labels": {"app": "containo"}},
            "spec": {"scaleTargetRef": {"name": "containo-orders-queue-processor"},
                     "triggers": [{"type": "redis", "metadata": trigger}], **spec}}


def test_redis_trigger_defaults_and_address():
    t = keda.parse_redis_trigger({"address": "containo-orders-queue.containo:6379", "listName": "orders"}, 0,
                                 "learner-1")
    assert (t.metric_name, t.list_length, t.activation_list_length) == ("s0-redis-orders", 5, 0)
    assert (t.service, t.namespace, t.port) == ("containo-orders-queue", "containo", 6379)
    local = keda.parse_redis_trigger({"host": "queue", "port": "6380", "listName": "jobs.high",
                                      "activationListLength": "10"}, 2, "learner-1")
    assert (local.metric_name, local.namespace, local.port, local.activation_list_length) == (
        "s2-redis-jobs-high", "learner-1", 6380, 10)
    fqdn = keda.parse_redis_trigger({"address": "q.other.svc.cluster.local:6379", "listName": "x"}, 0, "ns")
    assert fqdn.namespace == "other"


def test_redis_trigger_errors_use_kedas_wording():
    with pytest.raises(keda.TriggerError, match="^error parsing redis metadata: no list name given$"):
        keda.parse_redis_trigger({"address": "q:6379"}, 0, "ns")
    with pytest.raises(keda.TriggerError, match="listLength parsing error"):
        keda.parse_redis_trigger({"address": "q:6379", "listName": "o", "listLength": "five"}, 0, "ns")
    with pytest.raises(keda.TriggerError, match="no scaler found for type: kafka"):
        keda.triggers({"metadata": {"namespace": "ns"}, "spec": {"triggers": [{"type": "kafka"}]}})


def test_the_hpa_keda_owns():
    so = scaled_object(minReplicaCount=0, maxReplicaCount=5, advanced={"horizontalPodAutoscalerConfig": {
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 30}}}})
    hpa = keda.desired_hpa(so, keda.triggers(so))
    assert hpa["metadata"]["name"] == "keda-hpa-worker"
    assert hpa["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "keda-operator"
    assert hpa["metadata"]["labels"]["app"] == "containo"
    assert hpa["metadata"]["ownerReferences"] == [{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
                                                   "name": "worker", "uid": "u-1", "controller": True,
                                                   "blockOwnerDeletion": True}]
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                      "name": "containo-orders-queue-processor"}
    assert (spec["minReplicas"], spec["maxReplicas"]) == (1, 5)  # the HPA never goes below 1: KEDA does 1 -> 0
    assert spec["metrics"] == [{"type": "External", "external": {
        "metric": {"name": "s0-redis-orders", "selector": {"matchLabels": {"scaledobject.keda.sh/name": "worker"}}},
        "target": {"type": "AverageValue", "averageValue": "5"}}}]
    assert spec["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": 30}}
    assert keda.desired_hpa(scaled_object(), keda.triggers(scaled_object()))["spec"]["maxReplicas"] == 100


def test_activation_is_strictly_above_activation_list_length():
    t = keda.parse_redis_trigger({"address": "q:6379", "listName": "o"}, 0, "ns")
    assert not keda.is_active(t, 0) and keda.is_active(t, 1)
    t = keda.parse_redis_trigger({"address": "q:6379", "listName": "o", "activationListLength": "10"}, 0, "ns")
    assert not keda.is_active(t, 10) and keda.is_active(t, 11)


def test_activation_scales_from_zero_to_one_or_to_min_replica_count():
    decision = keda.decide(scaled_object(), 0, True, None)
    assert (decision.replicas, decision.touch_last_active) == (1, True)
    assert decision.active == ("True", "ScalerActive", "Scaling is performed because triggers are active")
    assert keda.decide(scaled_object(minReplicaCount=3), 0, True, None).replicas == 3


def test_active_with_replicas_leaves_scaling_to_the_hpa():
    so = scaled_object()
    so["status"] = {"conditions": keda.set_condition([], "Active", "True", *keda.ACTIVE)}
    decision = keda.decide(so, 4, True, 2.0)
    assert (decision.replicas, decision.active, decision.touch_last_active) == (None, None, True)


def test_deactivation_waits_for_the_cooldown_period():
    so = scaled_object(cooldownPeriod=30)
    so["status"] = {"conditions": keda.set_condition([], "Active", "True", *keda.ACTIVE)}
    cooling = keda.decide(so, 2, False, 10.0)
    assert cooling.replicas is None
    assert cooling.active == ("False", "ScalerCooldown", "Scaler cooling down because triggers are not active")
    so["status"]["conditions"] = keda.set_condition(so["status"]["conditions"], "Active", *cooling.active)
    assert keda.decide(so, 2, False, 20.0).active is None  # already cooling: nothing to write
    done = keda.decide(so, 2, False, 31.0)
    assert done.replicas == 0
    assert done.active == ("False", "ScalerNotActive", "Scaling is not performed because triggers are not active")
    assert keda.decide(scaled_object(), 2, False, 299.0).replicas is None  # default cooldown: 300 s
    assert keda.decide(scaled_object(), 2, False, None).replicas == 0  # never active: no cooldown to wait


def test_inactive_keeps_min_replica_count():
    assert keda.decide(scaled_object(minReplicaCount=2), 1, False, None).replicas == 2
    assert keda.decide(scaled_object(minReplicaCount=2), 3, False, None).replicas is None
    assert keda.decide(scaled_object(), 0, False, None).replicas is None


def test_conditions_start_unknown_and_keep_their_order():
    conditions = keda.set_condition([], "Ready", "True", *keda.READY)
    assert [c["type"] for c in conditions] == ["Ready", "Active", "Fallback", "Paused"]
    assert conditions[0] == {"type": "Ready", "status": "True", "reason": "ScaledObjectReady",
                             "message": "ScaledObject is defined correctly and is ready for scaling"}
    assert conditions[3] == {"type": "Paused", "status": "Unknown"}


def test_metric_names_as_the_hpa_controller_prints_them():
    selector = {"matchLabels": {"scaledobject.keda.sh/name": "worker"}}
    assert go_label_selector(selector) == ("&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: "
                                           "worker,},MatchExpressions:[]LabelSelectorRequirement{},}")
    assert external_metric({"name": "s0-redis-orders", "selector": selector}).startswith(
        "external metric s0-redis-orders(&LabelSelector{")
    assert external_metric({"name": "qps"}) == "external metric qps(nil)"
    expr = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}
    assert go_label_selector(expr).endswith(
        "MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:tier,Operator:In,Values:[a b],},},}")
    assert resource_metric("cpu", {"averageUtilization": 50}) == "cpu resource utilization (percentage of request)"
    assert resource_metric("memory", {"averageValue": "100Mi"}) == "memory resource"
