"""The HPA's replica calculation on the cases the Kubernetes documentation describes (horizontal-pod-autoscale,
"Algorithm details"): the ratio formula, the 0.1 tolerance, missing metrics, unready pods, missing requests."""
import math
from datetime import datetime, timedelta, timezone

import pytest

from sandbox.autoscaling import metrics_client
from sandbox.autoscaling.replica_calculator import (
    CalculationError, PodMetric, Tolerances, external_per_pod_replicas, external_value_replicas,
    plain_metric_replicas, pod_requests, resource_replicas)

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def stamp(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(name, cpu="100m", phase="Running", ready=True, started=600, ready_since=590, deleting=False, **extra):
    requests = {"cpu": cpu, "memory": "128Mi"} if cpu else {"memory": "128Mi"}
    p = {"metadata": {"name": name, "namespace": "containo"},
         "spec": {"containers": [{"name": "orders-api", "resources": {"requests": requests}}]},
         "status": {"phase": phase, "startTime": stamp(started),
                    "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                    "lastTransitionTime": stamp(ready_since)}]}}
    if deleting:
        p["metadata"]["deletionTimestamp"] = stamp(1)
    p["spec"].update(extra)
    return p


def sample(milli, seconds_ago=1, window=15):
    return PodMetric(milli, NOW.timestamp() - seconds_ago, window)


def cpu(current, target, pods, metrics, **kw):
    return resource_replicas(current, target, "cpu", pods, metrics, NOW.timestamp(), **kw)


def test_doubling_and_halving_follow_the_ratio():
    # "if the current metric value is 200m, and the desired value is 100m, the number of replicas will be doubled"
    pods = [pod("a"), pod("b")]
    assert plain_metric_replicas(2, 100, "cpu", pods, {"a": sample(200), "b": sample(200)}, NOW.timestamp()) \
        == (4, 200)
    # "if the current value is instead 50m, you'll halve the number of replicas"
    pods = [pod(n) for n in "abcd"]
    assert plain_metric_replicas(4, 100, "cpu", pods, {n: sample(50) for n in "abcd"}, NOW.timestamp())[0] == 2


def test_utilization_is_usage_over_requests_and_the_result_is_rounded_up():
    pods = [pod("a"), pod("b"), pod("c")]
    result = cpu(3, 50, pods, {"a": sample(90), "b": sample(80), "c": sample(70)})
    assert (result.utilization, result.raw_average) == (80, 80)
    assert result.replicas == math.ceil(3 * 80 / 50) == 5


def test_a_ratio_within_the_tolerance_keeps_the_replicas():
    pods = [pod(n) for n in "abcd"]
    # 54% of a 50% target: ratio 1.08, within 1 +- 0.1
    assert cpu(4, 50, pods, {n: sample(54) for n in "abcd"}).replicas == 4
    # 46%: ratio 0.92, within as well
    assert cpu(4, 50, pods, {n: sample(46) for n in "abcd"}).replicas == 4
    # 56%: ratio 1.12 is outside, so ceil(4 * 1.12) = 5
    assert cpu(4, 50, pods, {n: sample(56) for n in "abcd"}).replicas == 5


def test_tolerances_can_differ_per_direction():
    pods = [pod(n) for n in "abcd"]
    metrics = {n: sample(52) for n in "abcd"}  # ratio 1.04
    assert cpu(4, 50, pods, metrics).replicas == 4
    assert cpu(4, 50, pods, metrics, tolerances=Tolerances(scale_down=0.1, scale_up=0.01)).replicas == 5


def test_missing_metrics_count_as_the_full_request_on_a_scale_down():
    pods = [pod("a"), pod("b"), pod("c")]
    # a and b use 20% of their request, c has no metric yet: counted as 100%, (20+20+100)/300 = 46% -> 0.93
    assert cpu(3, 50, pods, {"a": sample(20), "b": sample(20)}).replicas == 3
    # without c's pessimistic 100% the same numbers would have scaled to ceil(2 * 0.4) = 1
    assert cpu(2, 50, pods[:2], {"a": sample(20), "b": sample(20)}).replicas == 1


def test_missing_metrics_count_as_zero_on_a_scale_up():
    pods = [pod("a"), pod("b"), pod("c")]
    # a, b at 90%: ratio 1.8; c counted as 0%: 180/300 = 60% -> 1.2 -> ceil(3 * 1.2) = 4
    result = cpu(3, 50, pods, {"a": sample(90), "b": sample(90)})
    assert result.replicas == 4
    assert result.utilization == 90  # the status reports what was measured, not the assumption


def test_unready_pods_count_as_zero_on_a_scale_up_and_are_ignored_on_a_scale_down():
    pods = [pod("a"), pod("b"), pod("c", phase="Pending", ready=False)]
    assert cpu(3, 50, pods, {"a": sample(90), "b": sample(90)}).replicas == 4
    assert cpu(3, 50, pods, {"a": sample(10), "b": sample(10)}).replicas == 1


def test_no_action_when_the_assumptions_would_reverse_the_direction():
    # measured 90% of a 50% target (scale up), but with the unready pod at 0% the average is 45%: a scale down.
    pods = [pod("a"), pod("b", phase="Pending", ready=False)]
    assert cpu(2, 50, pods, {"a": sample(90)}).replicas == 2


def test_deleting_and_failed_pods_are_ignored():
    pods = [pod("a"), pod("b"), pod("gone", deleting=True), pod("failed", phase="Failed")]
    metrics = {"a": sample(100), "b": sample(100), "gone": sample(1), "failed": sample(1)}
    assert cpu(4, 50, pods, metrics).replicas == 4  # 2 counted pods at 200% of target


def test_a_cpu_sample_taken_too_soon_after_readiness_is_set_aside():
    # started 60 s ago (inside the 5 minute initialization period), ready 5 s ago, metric window 15 s
    fresh = pod("fresh", started=60, ready_since=5)
    pods = [pod("a"), fresh]
    # fresh counts as unready, so as 0% on this scale-up: (150 + 0) / 200 = 75% -> ceil(2 * 1.5) = 3
    assert cpu(2, 50, pods, {"a": sample(150), "fresh": sample(10)}).replicas == 3
    # ready for longer than one metric window: its sample counts, (150 + 10) / 200 = 80% -> ceil(2 * 1.6) = 4
    settled = pod("fresh", started=60, ready_since=30)
    assert cpu(2, 50, [pod("a"), settled], {"a": sample(150), "fresh": sample(10)}).replicas == 4


def test_memory_is_not_subject_to_the_cpu_initialization_rules():
    fresh = pod("fresh", started=60, ready_since=5)
    result = resource_replicas(1, 50, "memory", [fresh], {"fresh": sample(128 * 2**20 * 1000)}, NOW.timestamp())
    assert (result.utilization, result.replicas) == (100, 2)


def test_a_container_without_a_request_is_reported_by_name():
    pods = [pod("containo-orders-frontend-7d9c-abcde", cpu=None)]
    with pytest.raises(CalculationError) as err:
        cpu(1, 50, pods, {"containo-orders-frontend-7d9c-abcde": sample(10)})
    assert str(err.value) == ("missing request for cpu in container orders-api of Pod "
                              "containo-orders-frontend-7d9c-abcde")


def test_requests_sum_containers_and_sidecars_or_take_one_container():
    p = pod("a")
    p["spec"]["containers"].append({"name": "orders-validator", "resources": {"requests": {"cpu": "50m"}}})
    p["spec"]["initContainers"] = [{"name": "proxy", "restartPolicy": "Always",
                                    "resources": {"requests": {"cpu": "0.05"}}},
                                   {"name": "init", "resources": {}}]
    assert pod_requests([p], "", "cpu") == {"a": 200}
    assert pod_requests([p], "orders-validator", "cpu") == {"a": 50}
    with pytest.raises(CalculationError, match="container nope not found in Pod a"):
        pod_requests([p], "nope", "cpu")


def test_errors_when_there_is_nothing_to_measure():
    with pytest.raises(CalculationError, match="^no pods returned by selector while calculating replica count$"):
        cpu(1, 50, [], {})
    with pytest.raises(CalculationError, match=r"did not receive metrics for targeted pods \(pods might be unready\)"):
        cpu(1, 50, [pod("a", phase="Pending", ready=False)], {"a": sample(10)})


def test_resource_metrics_client_wording_and_container_sums():
    with pytest.raises(CalculationError, match="^no metrics returned from resource metrics API$"):
        metrics_client.resource_metrics([], "cpu")
    item = {"metadata": {"name": "a", "namespace": "containo"}, "timestamp": stamp(0), "window": "15s",
            "containers": [{"name": "orders-api", "usage": {"cpu": "52000000n", "memory": "40Mi"}},
                           {"name": "orders-validator", "usage": {"cpu": "3m", "memory": "20Mi"}}]}
    samples, _ = metrics_client.resource_metrics([item], "cpu")
    assert samples["a"].value == 55 and samples["a"].window == 15
    samples, _ = metrics_client.resource_metrics([item], "cpu", "orders-validator")
    assert samples["a"].value == 3
    with pytest.raises(CalculationError, match="container nope not present in metrics for pod containo/a"):
        metrics_client.resource_metrics([item], "cpu", "nope")
    assert metrics_client.duration_seconds("1m0.5s") == 60.5


def test_external_average_value_is_total_over_target_per_pod():
    # KEDA's AverageValue target: 23 queued orders, 5 per replica -> ceil(23 / 5) = 5 whatever runs now
    assert external_per_pod_replicas(1, 5000, [23000]) == (5, 23000)
    # 10 orders over 3 replicas, 5 each: ratio 0.67 -> 2; the status shows the average, 3334m
    assert external_per_pod_replicas(3, 5000, [10000]) == (2, 3334)
    # 11 orders over 2 replicas: ratio 1.1 is within the tolerance
    assert external_per_pod_replicas(2, 5000, [11000]) == (2, 5500)


def test_external_value_target_scales_the_ready_pods_or_from_zero():
    pods = [pod("a"), pod("b"), pod("c", phase="Pending", ready=False)]
    assert external_value_replicas(3, 10000, [30000], pods) == (6, 30000)  # ratio 3 x 2 ready pods
    assert external_value_replicas(0, 10000, [25000], []) == (3, 25000)
