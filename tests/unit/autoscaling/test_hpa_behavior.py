"""Stabilization windows, scaling policies and min/max bounds, on the examples of the Kubernetes documentation
(horizontal-pod-autoscale, "Configurable scaling behavior") and the controller's legacy rules."""
from sandbox.autoscaling import behavior
from sandbox.autoscaling.behavior import History, normalize


def run(history, spec_behavior, current, desired, now, minimum=1, maximum=100, window=300):
    return normalize(history, spec_behavior, current, desired, minimum, maximum, now, window)


def scale(history, spec_behavior, current, desired, now, **kw):
    """One sync that scales like the controller: normalize, then remember the scale event."""
    result = run(history, spec_behavior, current, desired, now, **kw)
    if result.replicas != current:
        history.record_scale(spec_behavior, current, result.replicas, now)
    return result


# --- without spec.behavior: the legacy rules -------------------------------------------------------------------

def test_legacy_scale_up_is_limited_to_twice_the_replicas_or_four():
    result = run(History(), None, 1, 10, now=0)
    assert (result.replicas, result.limited, result.limited_reason) == (4, True, "ScaleUpLimit")
    assert result.limited_message == "the desired replica count is increasing faster than the maximum scale rate"
    assert run(History(), None, 3, 10, now=0).replicas == 6


def test_legacy_bounds_name_the_limit_that_applied():
    result = run(History(), None, 3, 5, now=0, maximum=4)
    assert (result.replicas, result.limited_reason) == (4, "TooManyReplicas")
    result = run(History(), None, 3, 1, now=0, minimum=2)
    assert (result.replicas, result.limited_reason) == (2, "TooFewReplicas")
    assert result.limited_message == "the desired replica count is less than the minimum replica count"
    result = run(History(), None, 3, 4, now=0)
    assert (result.replicas, result.limited, result.limited_reason) == (4, False, "DesiredWithinRange")
    assert result.limited_message == "the desired count is within the acceptable range"


def test_legacy_scale_down_waits_for_the_highest_recommendation_of_the_window():
    history = History()
    history.record_initial(5, now=0)
    held = run(history, None, 5, 2, now=100)
    assert (held.replicas, held.able_reason) == (5, "ScaleDownStabilized")
    assert held.able_message == ("recent recommendations were higher than current one, applying the highest "
                                 "recent recommendation")
    # 301 s after the first recommendation only the lower ones remain in the 300 s window
    done = run(history, None, 5, 2, now=301)
    assert (done.replicas, done.able_reason) == (2, "ReadyForNewScale")
    assert done.able_message == "recommended size matches current size"


# --- with spec.behavior ---------------------------------------------------------------------------------------

def test_default_behavior_adds_four_pods_or_doubles_every_15_seconds():
    spec = {}  # behavior present but empty: every rule takes its default
    history = History()
    assert scale(history, spec, 1, 10, now=0).replicas == 5  # max(1 + 4, 1 * 200%)
    held = scale(history, spec, 5, 10, now=5)  # same 15 s period: the period started at 1 replica
    assert (held.replicas, held.limited_reason) == (5, "ScaleUpLimit")
    assert scale(history, spec, 5, 10, now=16).replicas == 10  # a new period: max(5 + 4, 5 * 200%)


def test_docs_scale_down_policies_take_the_biggest_change_by_default():
    # Pods: 4 per minute and Percent: 10 per minute; "when the number of pods is more than 40, the second
    # policy will be used": 80 -> 72, then 72 - 10% = 64.8 rounded to 64; below 40 the Pods policy wins.
    spec = {"scaleDown": {"stabilizationWindowSeconds": 0,
                          "policies": [{"type": "Pods", "value": 4, "periodSeconds": 60},
                                       {"type": "Percent", "value": 10, "periodSeconds": 60}]}}
    history = History()
    first = scale(history, spec, 80, 10, now=0)
    assert (first.replicas, first.limited_reason) == (72, "ScaleDownLimit")
    assert first.limited_message == "the desired replica count is decreasing faster than the maximum scale rate"
    assert scale(history, spec, 72, 10, now=30).replicas == 72  # still inside the same minute
    assert scale(history, spec, 72, 10, now=61).replicas == 64
    assert scale(History(), spec, 30, 10, now=0).replicas == 26


def test_docs_select_policy_min_limits_to_the_smallest_change():
    # "no more than 5 Pods are removed per minute": Percent 10 and Pods 5 with selectPolicy Min
    spec = {"scaleDown": {"stabilizationWindowSeconds": 0, "selectPolicy": "Min",
                          "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60},
                                       {"type": "Pods", "value": 5, "periodSeconds": 60}]}}
    assert scale(History(), spec, 80, 10, now=0).replicas == 75
    assert scale(History(), spec, 20, 10, now=0).replicas == 18


def test_docs_disabled_scale_down():
    spec = {"scaleDown": {"selectPolicy": "Disabled"}}
    result = scale(History(), spec, 6, 2, now=400)
    assert (result.replicas, result.limited, result.limited_reason) == (6, True, "ScaleDownLimit")


def test_docs_percent_900_allows_ten_times_the_replicas():
    spec = {"scaleUp": {"policies": [{"type": "Percent", "value": 900, "periodSeconds": 60}]}}
    assert scale(History(), spec, 1, 50, now=0).replicas == 10


def test_scale_down_stabilization_window_from_the_behavior():
    spec = {"scaleDown": {"stabilizationWindowSeconds": 60}}
    history = History()
    history.record_initial(5, now=0)
    held = scale(history, spec, 5, 2, now=30)
    assert (held.replicas, held.able_reason) == (5, "ScaleDownStabilized")
    assert scale(history, spec, 5, 2, now=61).replicas == 2


def test_scale_up_stabilization_window_uses_the_lowest_recommendation():
    spec = {"scaleUp": {"stabilizationWindowSeconds": 60}}
    history = History()
    history.record_initial(3, now=0)
    held = scale(history, spec, 3, 8, now=10)
    assert (held.replicas, held.able_reason) == (3, "ScaleUpStabilized")
    assert held.able_message == ("recent recommendations were lower than current one, applying the lowest recent "
                                 "recommendation")
    assert scale(history, spec, 3, 8, now=61).replicas == 7  # only 8s in the window; the policies allow +4


def test_unset_scale_down_window_is_the_controllers_300_seconds():
    rules = behavior.scale_down_rules({"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]})
    assert rules["stabilizationWindowSeconds"] == 300 and rules["selectPolicy"] == "Max"
    assert behavior.scale_up_rules(None)["policies"][0] == {"type": "Pods", "value": 4, "periodSeconds": 15}


def test_max_replicas_wins_over_a_more_generous_policy():
    result = scale(History(), {}, 2, 20, now=0, maximum=5)
    assert (result.replicas, result.limited_reason) == (5, "TooManyReplicas")
    result = scale(History(), {"scaleDown": {"stabilizationWindowSeconds": 0}}, 6, 1, now=0, minimum=2)
    assert (result.replicas, result.limited_reason) == (2, "TooFewReplicas")


def test_configurable_tolerance():
    tolerances = behavior.tolerances({"scaleUp": {"tolerance": "0.05"}, "scaleDown": {"tolerance": "500m"}})
    assert (tolerances.scale_up, tolerances.scale_down) == (0.05, 0.5)
    assert behavior.tolerances(None).within(1.1) and not behavior.tolerances(None).within(1.11)
