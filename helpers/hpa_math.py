"""The HorizontalPodAutoscaler's arithmetic in words, from its spec and a status it wrote (pure: dicts in, lines out).

For each metric the controller proposes

    desired replicas = ceil(current replicas * current value / target value)

except when current / target is within the tolerance (10% unless spec.behavior says otherwise) of 1: then it
keeps the current count. The highest proposal wins, then the bounds (minReplicas..maxReplicas), the scaling
policies and the stabilization windows may hold it back; the status's conditions say which.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from kubernetes.utils.quantity import parse_quantity

TOLERANCE = Fraction(1, 10)
UNITS = {"cpu": "of requests", "memory": "of requests"}


@dataclass(frozen=True)
class Proposal:
    label: str  # "cpu", "memory", "s0-redis-orders"
    current: Fraction
    target: Fraction
    percent: bool  # a utilization (percent of the pods' requests) rather than a quantity
    replicas: int  # the current replicas the proposal starts from
    tolerance: Fraction

    @property
    def ratio(self) -> Fraction:
        return self.current / self.target

    @property
    def within_tolerance(self) -> bool:
        return abs(self.ratio - 1) <= self.tolerance

    @property
    def proposed(self) -> int:
        return self.replicas if self.within_tolerance else math.ceil(self.ratio * self.replicas)


def number(value: Fraction) -> str:
    """2, 5.44, 0.96: whole numbers bare, others to two decimals (rounded half up, as people round)."""
    if value.denominator == 1:
        return str(value.numerator)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)).rstrip("0").rstrip(".")


def quantity(text) -> Fraction:
    return Fraction(parse_quantity(str(text)))


def _tolerance(behavior: dict | None, scale_up: bool) -> Fraction:
    rules = (behavior or {}).get("scaleUp" if scale_up else "scaleDown") or {}
    return TOLERANCE if rules.get("tolerance") is None else quantity(rules["tolerance"])


def source(metric: dict) -> tuple[str, dict]:
    """(name, the spec's source block) of one spec.metrics or status.currentMetrics entry."""
    kind = metric.get("type", "")
    block = metric.get({"Resource": "resource", "ContainerResource": "containerResource", "External": "external",
                        "Pods": "pods", "Object": "object"}.get(kind, ""), {}) or {}
    name = block.get("name") or (block.get("metric") or {}).get("name", "")
    return f"{kind}/{name}", block


def _values(target: dict, current: dict) -> tuple[Fraction, Fraction, bool] | None:
    """(current, target, percent?) for the kind of target the spec sets; None when the status lacks it."""
    for key, percent in (("averageUtilization", True), ("averageValue", False), ("value", False)):
        if target.get(key) is not None:
            if current.get(key) is None:
                return None
            convert = Fraction if percent else quantity
            return convert(current[key]), convert(target[key]), percent
    return None


def proposals(spec: dict, status: dict) -> list[Proposal]:
    """One Proposal per metric the status reports, in the spec's order."""
    replicas = status.get("currentReplicas") or 0
    reported = {source(m)[0]: source(m)[1] for m in status.get("currentMetrics") or []}
    out = []
    for metric in spec.get("metrics") or []:
        key, block = source(metric)
        current = (reported.get(key) or {}).get("current") or {}
        values = _values(block.get("target") or {}, current)
        if values is None or not values[1]:
            continue
        value, target, percent = values
        label = key.split("/", 1)[1]
        out.append(Proposal(label, value, target, percent, replicas,
                            _tolerance(spec.get("behavior"), value > target)))
    return out


def describe(p: Proposal) -> str:
    """`cpu: 136% of requests, target 50%  →  ceil(2 × 136 / 50) = ceil(5.44) = 6`, or the tolerance case."""
    unit = "%" if p.percent else ""
    what = f" {UNITS.get(p.label, '')}".rstrip() if p.percent else ""
    head = f"{p.label}: {number(p.current)}{unit}{what}, target {number(p.target)}{unit}"
    if p.within_tolerance:
        return (f"{head}  →  {number(p.current)} / {number(p.target)} = {number(p.ratio)}, within "
                f"{number(p.tolerance * 100)}% of 1: stays {p.replicas}")
    product = p.ratio * p.replicas
    return (f"{head}  →  ceil({p.replicas} × {number(p.current)} / {number(p.target)}) = ceil({number(product)}) "
            f"= {p.proposed}")


def _held_back(status: dict) -> str:
    """Why the HPA set fewer or more replicas than the highest proposal, from its conditions."""
    for condition in status.get("conditions") or []:
        if condition.get("type") == "ScalingLimited" and condition.get("status") == "True":
            return condition.get("message", "")
        if condition.get("type") == "AbleToScale" and condition.get("reason", "").endswith("Stabilized"):
            return condition.get("message", "")
    return ""


def explain(spec: dict, status: dict) -> list[str]:
    """The proposal of every metric, then the highest one and what the HPA set."""
    found = proposals(spec, status)
    current, low, high = status.get("currentReplicas") or 0, spec.get("minReplicas", 1), spec.get("maxReplicas")
    if current and (current < low or (high is not None and current > high)):
        where, bound = ("below minReplicas", low) if current < low else ("above maxReplicas", high)
        return [f"  {current} replicas is {where} {bound}: the HPA sets {bound} without reading any metric"]
    if not found:
        return ["  no metric values yet (TARGETS <unknown>): the HPA has not read its metrics"]
    lines = ["  " + describe(p) for p in found]
    highest = max(p.proposed for p in found)
    desired = status.get("desiredReplicas", highest)
    bounds = f"minReplicas {low}, maxReplicas {high}"
    if desired == highest:
        lines.append(f"  highest proposal: {highest}, within {bounds}: the HPA sets {desired}")
    else:
        why = _held_back(status) or (
            "pods still starting or without metrics yet count as using nothing when scaling up, and exactly "
            "the target when scaling down")
        lines.append(f"  highest proposal: {highest}; the HPA sets {desired} ({bounds}): {why}")
    return lines
