"""The disruption controller's arithmetic (pkg/controller/disruption), case by case, as pure functions."""
import pytest

from sandbox.controllers import disruption_status as arithmetic

NOW = 1_800_000_000.0
TIMEOUT = 120.0


def stamp(seconds_ago: float) -> str:
    from datetime import datetime, timezone
    return datetime.fromtimestamp(NOW - seconds_ago, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(name, ready=True, terminating=False, owner="rs-uid"):
    meta = {"name": name, "namespace": "shop"}
    if terminating:
        meta["deletionTimestamp"] = stamp(1)
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": owner,
                                    "controller": True}]
    return {"metadata": meta, "status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "True" if ready else "False"}]}}


def scale_of(replicas, unmanaged=()):
    def expected_scale(pods):
        return replicas, list(unmanaged)
    return expected_scale


def failing_scale(pods):
    raise arithmetic.ExpectedScaleError("found no controllers for pod \"web\"")


def budget_numbers(spec, pods, replicas=3):
    """(expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed) as a sync would write them."""
    expected, desired, _ = arithmetic.expected_and_desired(spec, pods, scale_of(replicas))
    current = arithmetic.count_healthy(pods, {}, NOW, TIMEOUT)
    status = arithmetic.updated_status({"metadata": {"generation": 1}}, current, desired, expected, {}, stamp(0))
    return status["expectedPods"], status["desiredHealthy"], status["currentHealthy"], status["disruptionsAllowed"]


@pytest.mark.parametrize("spec,ready,replicas,numbers", [
    ({"minAvailable": 2}, [True, True, True], 3, (3, 2, 3, 1)),   # minAvailable 2 of 3 ready: one may go
    ({"minAvailable": 2}, [True, True, False], 3, (3, 2, 2, 0)),  # one unready: none may go
    ({"minAvailable": 3}, [True, True, True], 3, (3, 3, 3, 0)),
    ({"minAvailable": 5}, [True, True, True], 3, (3, 5, 3, 0)),   # never negative
    ({"maxUnavailable": "25%"}, [True] * 4, 4, (4, 3, 4, 1)),     # 25% of 4 is 1
    ({"maxUnavailable": "25%"}, [True] * 3, 3, (3, 2, 3, 1)),     # 0.75 rounds up: 1
    ({"maxUnavailable": "25%"}, [True] * 3 + [False], 4, (4, 3, 3, 0)),
    ({"maxUnavailable": 0}, [True] * 3, 3, (3, 3, 3, 0)),
    ({"maxUnavailable": 5}, [True] * 3, 3, (3, 0, 3, 3)),         # desired never below 0
    ({"minAvailable": "50%"}, [True] * 3, 3, (3, 2, 3, 1)),       # 1.5 rounds up: 2
    ({"minAvailable": "100%"}, [True] * 3, 3, (3, 3, 3, 0)),
    ({}, [True] * 3, 3, (0, 0, 3, 0)),                            # nothing expected: nothing allowed
])
def test_budget_arithmetic(spec, ready, replicas, numbers):
    pods = [pod(f"web-{i}", r) for i, r in enumerate(ready)]
    assert budget_numbers(spec, pods, replicas) == numbers


def test_an_integer_minimum_counts_the_selected_pods_terminating_ones_included():
    pods = [pod("a"), pod("b"), pod("c", terminating=True), pod("d")]
    expected, desired, unmanaged = arithmetic.expected_and_desired({"minAvailable": 2}, pods, failing_scale)
    assert (expected, desired, unmanaged) == (4, 2, [])
    assert arithmetic.count_healthy(pods, {}, NOW, TIMEOUT) == 3


def test_the_scale_is_asked_for_percentages_and_max_unavailable_only():
    with pytest.raises(arithmetic.ExpectedScaleError):
        arithmetic.expected_and_desired({"maxUnavailable": 1}, [pod("a")], failing_scale)
    assert arithmetic.expected_and_desired({"minAvailable": "50%"}, [pod("a")], scale_of(4, ["bare"])) == (
        4, 2, ["bare"])


def test_recently_evicted_pods_are_not_healthy_until_the_timeout():
    pods = [pod("a"), pod("b"), pod("c")]
    recorded = {"a": stamp(30), "b": stamp(200), "gone": stamp(10)}
    disrupted, recheck, expired = arithmetic.disrupted_pod_map(pods, recorded, NOW, TIMEOUT)
    assert disrupted == {"a": stamp(30)}  # b's deletion never came; gone is gone
    assert recheck == pytest.approx(NOW - 30 + TIMEOUT, abs=1)
    assert [p["metadata"]["name"] for p in expired] == ["b"]
    assert arithmetic.count_healthy(pods, disrupted, NOW, TIMEOUT) == 2


def test_an_evicted_pod_seen_terminating_leaves_the_map():
    pods = [pod("a", terminating=True), pod("b")]
    disrupted, recheck, expired = arithmetic.disrupted_pod_map(pods, {"a": stamp(5)}, NOW, TIMEOUT)
    assert (disrupted, recheck, expired) == ({}, None, [])


def test_the_status_is_written_only_when_something_changed():
    pdb = {"metadata": {"generation": 2}, "status": {}}
    status = arithmetic.updated_status(pdb, 3, 2, 3, {}, stamp(0))
    assert status == {"observedGeneration": 2, "disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2,
                      "expectedPods": 3, "conditions": [{
                          "type": "DisruptionAllowed", "status": "True", "observedGeneration": 2,
                          "lastTransitionTime": stamp(0), "reason": "SufficientPods", "message": ""}]}
    synced = {"metadata": {"generation": 2}, "status": status}
    assert arithmetic.updated_status(synced, 3, 2, 3, {}, stamp(-5)) is None
    fewer = arithmetic.updated_status(synced, 2, 2, 3, {}, stamp(-5))
    assert fewer["disruptionsAllowed"] == 0
    assert fewer["conditions"][0] | {"lastTransitionTime": None} == {
        "type": "DisruptionAllowed", "status": "False", "observedGeneration": 2, "lastTransitionTime": None,
        "reason": "InsufficientPods", "message": ""}
    assert fewer["conditions"][0]["lastTransitionTime"] == stamp(-5)
    newer = {"metadata": {"generation": 3}, "status": status}  # a spec change alone needs a new status
    assert arithmetic.updated_status(newer, 3, 2, 3, {}, stamp(-5))["observedGeneration"] == 3


def test_fail_safe_allows_nothing_and_says_why():
    status = arithmetic.fail_safe_status({"metadata": {"generation": 1}, "status": {
        "observedGeneration": 1, "disruptionsAllowed": 2, "currentHealthy": 3, "desiredHealthy": 1,
        "expectedPods": 3}}, 'found no controllers for pod "web"', stamp(0))
    assert status["disruptionsAllowed"] == 0 and status["currentHealthy"] == 3
    assert status["conditions"] == [{"type": "DisruptionAllowed", "status": "False", "observedGeneration": 1,
                                     "lastTransitionTime": stamp(0), "reason": "SyncFailed",
                                     "message": 'found no controllers for pod "web"'}]


def test_a_disruption_target_without_deletion_goes_stale():
    marked = pod("a")
    marked["status"]["conditions"].append({"type": "DisruptionTarget", "status": "True",
                                           "reason": "EvictionByEvictionAPI", "lastTransitionTime": stamp(100)})
    assert arithmetic.stale_disruption_wait(marked, NOW, TIMEOUT) == pytest.approx(20, abs=1)
    assert arithmetic.stale_disruption_wait(marked, NOW + 60, TIMEOUT) == 0
    marked["status"]["conditions"][-1]["reason"] = "TerminationByKubelet"
    assert arithmetic.stale_disruption_wait(marked, NOW, TIMEOUT) is None
    assert arithmetic.stale_disruption_wait(pod("b"), NOW, TIMEOUT) is None
