"""The facts every room reads the same way: timestamps, pod readiness and availability, condition setters."""
import pytest

from sandbox.machinery import conditions, podutil, timestamps


@pytest.mark.parametrize("text, expected", [
    ("2026-01-01T00:00:00Z", 1767225600.0), ("2026-01-01T00:00:00.5Z", 1767225600.5),
    ("2026-01-01T01:00:00+01:00", 1767225600.0), ("2026-01-01T00:00:00", 1767225600.0),
    ("", None), (None, None), ("yesterday", None), (42, None)])
def test_one_parser_reads_rfc3339_and_never_raises(text, expected):
    assert timestamps.epoch(text) == expected


def test_formats_round_trip():
    assert timestamps.rfc3339(1767225600) == "2026-01-01T00:00:00Z"
    assert timestamps.rfc3339_micro(1767225600.25) == "2026-01-01T00:00:00.250000Z"
    assert timestamps.epoch(timestamps.rfc3339(1767225601)) == 1767225601.0


def pod(ready="True", since="2026-01-01T00:00:00Z", phase="Running", **meta):
    return {"metadata": {"name": "p", **meta}, "status": {"phase": phase, "conditions": [
        {"type": "Ready", "status": ready, "lastTransitionTime": since}]}}


def test_readiness_and_availability_after_min_ready_seconds_in_simulated_time():
    start = 1767225600.0
    assert podutil.is_ready(pod()) and not podutil.is_ready(pod("False"))
    assert podutil.ready_since(pod()) == start and podutil.ready_since(pod("False")) is None
    # minReadySeconds 60 at time scale 6: ten wall seconds are the simulated minute
    assert not podutil.is_available(pod(), 60, start + 9, time_scale=6)
    assert podutil.is_available(pod(), 60, start + 10, time_scale=6)
    assert podutil.is_available(pod(), 0, start) and not podutil.is_available(pod("False"), 0, start)
    assert podutil.is_running_and_ready(pod()) and not podutil.is_running_and_ready(pod(phase="Pending"))


def test_active_terminating_and_finished():
    assert podutil.is_active(pod())
    assert not podutil.is_active(pod(phase="Succeeded"))
    leaving = pod(deletionTimestamp="2026-01-01T00:00:09Z")
    assert not podutil.is_active(leaving) and podutil.is_terminating_replica(leaving)
    assert not podutil.is_terminating_replica(pod(phase="Failed", deletionTimestamp="2026-01-01T00:00:09Z"))


def test_each_setter_keeps_its_originals_rule():
    listed = conditions.set_condition_in_list(None, "AbleToScale", "True", "Ok", "m", "T1")
    listed = conditions.set_condition_in_list(listed, "AbleToScale", "True", "Other", "m2", "T2")
    assert listed == [{"type": "AbleToScale", "status": "True", "lastTransitionTime": "T1", "reason": "Other",
                       "message": "m2"}]
    status = {"observedGeneration": 3}
    conditions.set_status_condition(status, "DisruptionAllowed", "False", "InsufficientPods", "", "T1")
    conditions.set_status_condition(status, "DisruptionAllowed", "True", "SufficientPods", "", "T2")
    assert status["conditions"] == [{"type": "DisruptionAllowed", "status": "True", "observedGeneration": 3,
                                     "lastTransitionTime": "T2", "reason": "SufficientPods", "message": ""}]
    deployment = {}
    conditions.set_deployment_condition(deployment, conditions.new_deployment_condition(
        "Progressing", "True", "ReplicaSetUpdated", "m", "T1"))
    conditions.set_deployment_condition(deployment, conditions.new_deployment_condition(
        "Progressing", "True", "ReplicaSetUpdated", "m", "T2"))  # same status and reason: unchanged
    assert deployment["conditions"][0]["lastUpdateTime"] == "T1"
    conditions.remove_deployment_condition(deployment, "Progressing")
    assert "conditions" not in deployment
    keda = conditions.set_keda_condition([], "Active", "True", "ScalerActive", initial=[{"type": "Ready",
                                                                                          "status": "Unknown"}])
    assert keda == [{"type": "Ready", "status": "Unknown"}, {"type": "Active", "status": "True",
                                                              "reason": "ScalerActive"}]
