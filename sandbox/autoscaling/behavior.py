"""From the replicas the metrics ask for to the replicas the HPA sets: stabilization windows, scaling policies and
the min/max bounds, with the reasons and messages the controller writes into the AbleToScale and ScalingLimited
conditions (pkg/controller/podautoscaler/horizontal.go, autoscaling/v2 defaults).

Without spec.behavior the controller keeps the legacy rules: a scale-down stabilization window
(--horizontal-pod-autoscaler-downscale-stabilization, 300 s) and scale-up at most max(2 * current, 4).
All times are simulated seconds (Clock.now())."""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

from . import quantities
from .replica_calculator import DEFAULT_TOLERANCE, Tolerances

DOWNSCALE_STABILIZATION_WINDOW = 300
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0

_DEFAULT_SCALE_UP = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                     "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                  {"type": "Percent", "value": 100, "periodSeconds": 15}]}
_DEFAULT_SCALE_DOWN = {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}

WITHIN_RANGE = ("DesiredWithinRange", "the desired count is within the acceptable range")
TOO_FEW = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
TOO_MANY = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
SCALE_UP_LIMIT = ("ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
SCALE_DOWN_LIMIT = ("ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
READY_FOR_NEW_SCALE = ("ReadyForNewScale", "recommended size matches current size")
SCALE_DOWN_STABILIZED = ("ScaleDownStabilized", "recent recommendations were higher than current one, "
                                                "applying the highest recent recommendation")
SCALE_UP_STABILIZED = ("ScaleUpStabilized",
                       "recent recommendations were lower than current one, applying the lowest recent recommendation")


def scale_up_rules(rules: dict | None) -> dict:
    """The scaleUp rules with the API defaults filled in (GenerateHPAScaleUpRules)."""
    return _with_defaults(rules, _DEFAULT_SCALE_UP)


def scale_down_rules(rules: dict | None, window: int = DOWNSCALE_STABILIZATION_WINDOW) -> dict:
    """The scaleDown rules with the API defaults, and the controller's window when none is set."""
    filled = _with_defaults(rules, _DEFAULT_SCALE_DOWN)
    if filled.get("stabilizationWindowSeconds") is None:
        filled["stabilizationWindowSeconds"] = window
    return filled


def _with_defaults(rules: dict | None, defaults: dict) -> dict:
    filled = copy.deepcopy(rules or {})
    for key, value in defaults.items():
        if filled.get(key) is None:
            filled[key] = copy.deepcopy(value)
    return filled


def tolerances(behavior: dict | None) -> Tolerances:
    """Per-direction tolerances (spec.behavior.scaleUp/scaleDown.tolerance), else the cluster-wide 10%."""
    behavior = behavior or {}

    def pick(direction: str) -> float:
        value = (behavior.get(direction) or {}).get("tolerance")
        return DEFAULT_TOLERANCE if value is None else float(quantities.parse(value))
    return Tolerances(scale_down=pick("scaleDown"), scale_up=pick("scaleUp"))


@dataclass
class History:
    """What the controller remembers per HPA between syncs (lost on restart, as in kube-controller-manager)."""
    recommendations: list[tuple[int, float]] = field(default_factory=list)
    scale_up_events: list[tuple[int, float]] = field(default_factory=list)
    scale_down_events: list[tuple[int, float]] = field(default_factory=list)

    def record_initial(self, current: int, now: float) -> None:
        if not self.recommendations:
            self.recommendations.append((current, now))

    def _remember(self, desired: int, now: float, old_index: int | None) -> None:
        if old_index is None:
            self.recommendations.append((desired, now))
        else:
            self.recommendations[old_index] = (desired, now)

    def record_scale(self, behavior: dict | None, previous: int, new: int, now: float) -> None:
        """storeScaleEvent: kept only for HPAs with a behavior, pruned to the longest policy period."""
        if behavior is None:
            return
        if new > previous:
            events, rules, change = self.scale_up_events, scale_up_rules(behavior.get("scaleUp")), new - previous
        else:
            events, rules, change = self.scale_down_events, scale_down_rules(behavior.get("scaleDown")), previous - new
        longest = max((p["periodSeconds"] for p in rules.get("policies") or []), default=0)
        old = next((i for i, (_, t) in enumerate(events) if t < now - longest), None)
        if old is None:
            events.append((change, now))
        else:
            events[old] = (change, now)


@dataclass(frozen=True)
class Normalized:
    replicas: int
    able_reason: str  # AbleToScale stays True; these explain whether stabilization held the recommendation
    able_message: str
    limited: bool  # ScalingLimited status
    limited_reason: str
    limited_message: str


def normalize(history: History, behavior: dict | None, current: int, desired: int, min_replicas: int,
              max_replicas: int, now: float, window: int = DOWNSCALE_STABILIZATION_WINDOW) -> Normalized:
    """normalizeDesiredReplicas / normalizeDesiredReplicasWithBehaviors."""
    if behavior is None:
        stabilized = _stabilize_legacy(history, desired, now, window)
        able = SCALE_DOWN_STABILIZED if stabilized != desired else READY_FOR_NEW_SCALE
        replicas, reason, message = limit_legacy(current, stabilized, min_replicas, max_replicas)
    else:
        up, down = scale_up_rules(behavior.get("scaleUp")), scale_down_rules(behavior.get("scaleDown"), window)
        stabilized, stabilized_why = _stabilize(history, current, desired, up, down, now)
        able = stabilized_why if stabilized != desired else READY_FOR_NEW_SCALE
        replicas, reason, message = limit_with_policies(history, current, stabilized, min_replicas, max_replicas,
                                                         up, down, now)
    return Normalized(replicas, *able, replicas != stabilized, reason, message)


def _stabilize_legacy(history: History, desired: int, now: float, window: int) -> int:
    highest, old_index = desired, None
    for i, (recommendation, t) in enumerate(history.recommendations):
        if t < now - window:
            old_index = i
        elif recommendation > highest:
            highest = recommendation
    history._remember(desired, now, old_index)
    return highest


def _stabilize(history: History, current: int, desired: int, up: dict, down: dict,
               now: float) -> tuple[int, tuple[str, str]]:
    """Scale up to at most the lowest, and down to at least the highest, recommendation in each window."""
    up_cutoff = now - up["stabilizationWindowSeconds"]
    down_cutoff = now - down["stabilizationWindowSeconds"]
    up_limit, down_limit, old_index = desired, desired, None
    for i, (recommendation, t) in enumerate(history.recommendations):
        if t > up_cutoff:
            up_limit = min(up_limit, recommendation)
        if t > down_cutoff:
            down_limit = max(down_limit, recommendation)
        if t < up_cutoff and t < down_cutoff:
            old_index = i
    recommendation = min(max(current, up_limit), down_limit)
    history._remember(desired, now, old_index)
    return recommendation, (SCALE_UP_STABILIZED if desired >= current else SCALE_DOWN_STABILIZED)


def limit_legacy(current: int, desired: int, min_replicas: int, max_replicas: int) -> tuple[int, str, str]:
    """convertDesiredReplicasWithRules: the bounds, and scale-up at most max(2 * current, 4)."""
    scale_up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
    maximum, why = (scale_up_limit, SCALE_UP_LIMIT) if max_replicas > scale_up_limit else (max_replicas, TOO_MANY)
    if desired < min_replicas:
        return (min_replicas, *TOO_FEW)
    if desired > maximum:
        return (maximum, *why)
    return (desired, *WITHIN_RANGE)


def limit_with_policies(history: History, current: int, desired: int, min_replicas: int, max_replicas: int,
                        up: dict, down: dict, now: float) -> tuple[int, str, str]:
    """convertDesiredReplicasWithBehaviorRate: the bounds and the scaling policies."""
    if desired > current:
        limit = max(scale_up_limit(current, history, up, now), current)
        maximum, why = (limit, SCALE_UP_LIMIT) if max_replicas > limit else (max_replicas, TOO_MANY)
        if desired > maximum:
            return (maximum, *why)
    elif desired < current:
        limit = min(scale_down_limit(current, history, down, now), current)
        minimum, why = (limit, SCALE_DOWN_LIMIT) if min_replicas < limit else (min_replicas, TOO_FEW)
        if desired < minimum:
            return (minimum, *why)
    return (desired, *WITHIN_RANGE)


def _changed_within(period: int, events: list[tuple[int, float]], now: float) -> int:
    return sum(change for change, t in events if t > now - period)


def _period_start(current: int, policy: dict, history: History, now: float) -> int:
    added = _changed_within(policy["periodSeconds"], history.scale_up_events, now)
    removed = _changed_within(policy["periodSeconds"], history.scale_down_events, now)
    return current - added + removed


def scale_up_limit(current: int, history: History, rules: dict, now: float) -> int:
    """The most replicas the scaleUp policies allow now (Max: the most generous policy, Min: the strictest)."""
    if rules.get("selectPolicy") == "Disabled":
        return current
    proposals = []
    for policy in rules.get("policies") or []:
        start = _period_start(current, policy, history, now)
        if policy["type"] == "Pods":
            proposals.append(start + policy["value"])
        else:  # Percent, rounded up so that a small target can still grow
            proposals.append(math.ceil(start * (1 + policy["value"] / 100)))
    if not proposals:
        return current
    return min(proposals) if rules.get("selectPolicy") == "Min" else max(proposals)


def scale_down_limit(current: int, history: History, rules: dict, now: float) -> int:
    """The fewest replicas the scaleDown policies allow now."""
    if rules.get("selectPolicy") == "Disabled":
        return current
    proposals = []
    for policy in rules.get("policies") or []:
        start = _period_start(current, policy, history, now)
        if policy["type"] == "Pods":
            proposals.append(start - policy["value"])
        else:
            proposals.append(int(start * (1 - policy["value"] / 100)))
    if not proposals:
        return current
    return max(proposals) if rules.get("selectPolicy") == "Min" else min(proposals)
