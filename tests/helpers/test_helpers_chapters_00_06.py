"""Chapters 00, 01, 02 and 06: their checkpoints fail on a wrong state with the sentence a learner reads, and the
waits of chapter 06 (metrics, an HPA's verdict, KEDA's idle target) end exactly when what follows can be shown.
All pure: dicts in, states and sentences out."""
import copy

import pytest
from helper_objects import deployment, pod, replicaset
from helpers import manifests
from helpers.checks import Snapshot, judge
from helpers.metrics import hpa_verdict, metrics_state, running_pods
from helpers.scaling import idle_target_state
from helpers.scaling_watch import time_axis_label
from helpers.setup_check import setup_report

MISSING_REQUEST = ("the HPA was unable to compute the replica count: failed to get cpu utilization: missing request "
                   "for cpu in container orders-api of Pod containo-orders-no-requests-78c949db7-48bp9")


def node(name, ready=True, taints=()):
    return {"metadata": {"name": name},
            "spec": {"taints": [{"key": key, "effect": "NoSchedule"} for key in taints]},
            "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


CONTROL_PLANE = node("sandbox-control-plane", taints=["node-role.kubernetes.io/control-plane"])
GROUPS = {"apps", "discovery.k8s.io", "autoscaling", "metrics.k8s.io", "keda.sh"}


# --- chapter 00: check_setup --------------------------------------------------------------------------------------

def test_setup_passes_with_a_ready_api_server_the_groups_and_two_workers():
    report = setup_report("ok", GROUPS, [CONTROL_PLANE, node("sandbox-worker"), node("sandbox-worker2")])
    assert report.splitlines()[-1] == "PASS  Setup checkpoint: connected, and 2 worker nodes accept pods."
    assert "[ ok ] every node is Ready (3 of 3)" in report


def test_setup_fails_when_every_node_is_tainted_and_names_why():
    report = setup_report("ok", GROUPS, [CONTROL_PLANE, node("w1", taints=["gpu"])])
    assert report.splitlines()[-2:] == [
        "NOT YET  Setup checkpoint:",
        "  - no Ready node accepts pods: every node is tainted NoSchedule, cordoned or not Ready"]
    assert "[FAIL] 0 Ready nodes accept pods (not tainted NoSchedule)" in report


def test_setup_fails_without_keda_and_an_unready_api_server():
    report = setup_report("[-]etcd failed: reason withheld", GROUPS - {"keda.sh"}, [node("w1")])
    assert "[FAIL] ScaledObjects (keda.sh, from KEDA), chapter 06" in report
    assert "  - the API server is not ready: /readyz says [-]etcd failed: reason withheld" in report
    assert "  - ScaledObjects (keda.sh, from KEDA), chapter 06" in report


def test_setup_fails_on_a_node_that_is_not_ready():
    report = setup_report("ok", GROUPS, [node("w1"), node("w2", ready=False)])
    assert "  - every node is Ready (1 of 2)" in report


# --- chapters 01, 02, 06: the checkpoints on a learner's wrong state ----------------------------------------------

def expected(chapter):
    return [manifests.localize(o, "containo", lambda obj: obj["kind"] != "Namespace")
            for o in manifests.chapter_objects(chapter)]


def snapshot(*objects, pods=()):
    snap = Snapshot("containo", pods=list(pods))
    for obj in objects:
        snap.objects.setdefault((obj["apiVersion"], obj["kind"]), {})[obj["metadata"]["name"]] = obj
    return snap


def test_chapter_1_names_a_missing_label_and_a_wrong_value():
    namespace = copy.deepcopy(expected(1)[0])
    namespace["metadata"]["labels"] = {"app": "containo-orders"}
    assert judge(expected(1), snapshot(namespace)) == [
        "namespace/containo: label app is 'containo-orders', expected 'containo'",
        "namespace/containo: label microservice=orders is missing"]


def test_chapter_2_says_a_deployment_scaled_to_zero_is_not_rolled_out_and_a_missing_container():
    api = deployment("containo-orders-frontend", "api", containers=("api",))
    api["status"].update(updatedReplicas=0, availableReplicas=0, readyReplicas=0)
    problems = judge(expected(2), snapshot(api))
    assert problems[0] == ("deployment/containo-orders-frontend: the pod template has no container 'orders-api' "
                           "(containers: api): is 'api' meant to be it? Name it orders-api")
    assert problems[1].startswith('deployment/containo-orders-frontend is not ready: Waiting for deployment '
                                  '"containo-orders-frontend" rollout to finish: 0 out of 2 new replicas')


def hpa(name="containo-orders-frontend", active=("True", "ValidMetricFound", "ok"), metrics=True):
    want = next(o for o in expected(6) if o["kind"] == "HorizontalPodAutoscaler")
    live = copy.deepcopy(want)
    live["metadata"]["name"] = name
    status, reason, message = active
    live["status"] = {"currentReplicas": 2, "desiredReplicas": 2,
                      "conditions": [{"type": "ScalingActive", "status": status, "reason": reason,
                                      "message": message}]}
    if metrics:
        live["status"]["currentMetrics"] = [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 3}}},
            {"type": "Resource", "resource": {"name": "memory", "current": {"averageUtilization": 33}}}]
    return live


def test_chapter_6_names_an_hpa_that_cannot_compute_and_a_missing_scaled_object():
    broken = hpa(active=("False", "FailedGetResourceMetric", MISSING_REQUEST))
    problems = judge(expected(6), snapshot(broken), "manifests/06-scaling")
    assert problems == [
        f"horizontalpodautoscaler/containo-orders-frontend cannot scale: FailedGetResourceMetric: {MISSING_REQUEST}",
        "scaledobject/containo-orders-queue-processor is missing (apply manifests/06-scaling)"]


def test_chapter_6_names_an_hpa_that_scales_the_copy():
    wrong = hpa()
    wrong["spec"]["scaleTargetRef"]["name"] = "containo-orders-no-requests"
    problems = judge([o for o in expected(6) if o["kind"] == "HorizontalPodAutoscaler"], snapshot(wrong))
    assert problems == ["horizontalpodautoscaler/containo-orders-frontend scales 'containo-orders-no-requests', "
                        "expected 'containo-orders-frontend'"]


# --- chapter 06: the waits ---------------------------------------------------------------------------------------

def test_metrics_wait_ends_when_every_running_pod_is_measured():
    api = deployment("containo-orders-frontend", "api")
    rs = replicaset("containo-orders-frontend-5d9c7", api, 1, 2, "api")
    pods = [pod("a", rs), pod("b", rs), pod("c", rs, ready=False)]
    pods[1]["metadata"]["deletionTimestamp"] = "2026-05-01T12:00:00Z"  # on its way out: no longer measured
    names = running_pods(pods)
    assert names == ["a"]
    assert not metrics_state(names, None, "service=api").done  # the metrics API does not answer yet
    assert not metrics_state(["a", "d"], {"a": {}}, "service=api").done
    done = metrics_state(names, {"a": {}, "b": {}}, "service=api")
    assert done.done and done.message == "metrics.k8s.io reports CPU and memory for 1 pod (service=api)"


def test_hpa_verdict_waits_for_the_first_sync_and_for_measured_pods():
    assert not hpa_verdict(None, "x").done
    unsynced = hpa()
    unsynced["status"]["conditions"] = []
    assert not hpa_verdict(unsynced, "x").done
    early = hpa(active=("False", "FailedGetResourceMetric", "the HPA was unable to compute the replica count: "
                        "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned "
                        "from resource metrics API"))
    assert not hpa_verdict(early, "x").done


def test_hpa_verdict_is_the_missing_request_or_the_metrics_read():
    failed = hpa_verdict(hpa(active=("False", "FailedGetResourceMetric", MISSING_REQUEST)), "copy")
    assert failed.done
    assert failed.message == ("horizontalpodautoscaler/copy cannot compute a replica count: ScalingActive=False "
                              f"FailedGetResourceMetric: {MISSING_REQUEST}")
    works = hpa_verdict(hpa(), "api")
    assert works.done and works.message == "horizontalpodautoscaler/api reads its metrics: cpu 3%/50%, memory 33%/80%"
    assert not hpa_verdict(hpa(metrics=False), "api").done  # True, but no value yet for every metric


def test_keda_idle_target_waits_until_wanted_and_counted_replicas_are_the_minimum():
    worker = deployment("containo-orders-queue-processor", "queue-processor", replicas=1)
    assert not idle_target_state(worker, "w", 0).done
    worker["spec"]["replicas"] = 0
    assert not idle_target_state(worker, "w", 0).done  # the pod is still counted
    worker["status"]["replicas"] = 0
    assert idle_target_state(worker, "w", 0).message == (
        "deployment/w is at minReplicaCount, 0 replicas: no event waits")


@pytest.mark.parametrize("scale, sandbox, label", [
    (1, True, "seconds (sandbox at time scale 1: real time)"),
    (10, True, "sandbox seconds (time scale 10: 10 per real second)"),
    (1, False, "seconds (real time)"),
])
def test_the_charts_time_axis_says_the_time_scale_of_the_run(scale, sandbox, label):
    assert time_axis_label(scale, sandbox) == label


def test_a_run_on_a_simulated_runtime_says_so_in_its_summary_and_chart():
    from helpers.scaling_watch import Metric, ScalingRun, Subject
    from helpers.scaling_goals import Sample

    subject = Subject("api", "containo", "api", None, Metric("cpu", "%", 50.0), (2, 8))
    run = ScalingRun(subject, time_scale=1, simulated=True)
    run.samples.append(Sample(0.0, 2, 2, 4.0, 2, 2, 1))
    assert run.summary_lines()[0].startswith("[simulation] deployment/api, scaled by")
    assert "[simulation: the sandbox workload model]" in run.chart_svg()
    assert "[simulation]" not in ScalingRun(subject, time_scale=1).summary_lines()[0]
