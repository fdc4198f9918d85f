"""policy/v1 validation (pkg/apis/policy/validation): a PodDisruptionBudget's spec (minAvailable and maxUnavailable
exclusive, each a non-negative int or a percent up to 100%, a valid selector, a known unhealthyPodEvictionPolicy)
and, on its status subresource, ValidatePodDisruptionBudgetStatusUpdate (non-negative counts, sane conditions)."""
from __future__ import annotations

import zlib

from . import field_errors as fe, labels, names
from .errors import Cause
from .workload_validation import nonnegative, not_more_than_100_percent, positive_int_or_percent

UNHEALTHY_POD_EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")  # sets.NewString(...).List(): sorted
_CONDITION_STATUSES = ("False", "True", "Unknown")
_COUNTS = ("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods")
_POINTER_TYPES = {"minAvailable": "intstr.IntOrString", "selector": "v1.LabelSelector",  # the spec's fields, in order
                  "maxUnavailable": "intstr.IntOrString",
                  "unhealthyPodEvictionPolicy": "policy.UnhealthyPodEvictionPolicyType"}


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def validate_pdb(obj: dict, old: dict | None) -> list[Cause]:
    """ValidatePodDisruptionBudget, plus the status checks when `old` is given (an update: through the main
    resource the status is the stored one, so only a status write can fail them)."""
    causes = _spec(_d(obj.get("spec")), "spec")
    if old is not None:
        causes += _status(_d(obj.get("status")), "status")
    return causes


def _spec(spec: dict, path: str) -> list[Cause]:
    causes = []
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        causes.append(fe.invalid(path, go_spec(spec), "minAvailable and maxUnavailable cannot be both set"))
    for field in ("minAvailable", "maxUnavailable"):
        if spec.get(field) is not None:
            causes += positive_int_or_percent(spec[field], f"{path}.{field}")
            causes += not_more_than_100_percent(spec[field], f"{path}.{field}")
    causes += labels.validate_selector(spec.get("selector"), f"{path}.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in UNHEALTHY_POD_EVICTION_POLICIES:
        causes.append(fe.not_supported(f"{path}.unhealthyPodEvictionPolicy", policy, UNHEALTHY_POD_EVICTION_POLICIES))
    return causes


def go_spec(spec: dict) -> fe.GoRepr:
    """%#v of the internal policy.PodDisruptionBudgetSpec: Go prints each pointer field as its address, which
    differs on every request; the sandbox makes up a stable one per value."""
    fields = []
    for field, type_name in _POINTER_TYPES.items():
        value = spec.get(field)
        address = "nil" if value is None else f"0xc{zlib.crc32(repr((field, value)).encode()) & 0xfffffff0:09x}"
        fields.append(f"{field[0].upper()}{field[1:]}:(*{type_name})({address})")
    return fe.GoRepr(f"policy.PodDisruptionBudgetSpec{{{', '.join(fields)}}}")


def _status(status: dict, path: str) -> list[Cause]:
    causes = _conditions(status.get("conditions"), f"{path}.conditions")
    for field in _COUNTS:
        causes += nonnegative(status.get(field), f"{path}.{field}")
    return causes


def _conditions(conditions, path: str) -> list[Cause]:
    """metav1validation.ValidateConditions: unique types, then each condition (its reason's format and the
    lengths are not checked)."""
    causes, seen = [], set()
    for i, condition in enumerate(conditions if isinstance(conditions, list) else []):
        condition, at = _d(condition), f"{path}[{i}]"
        kind = condition.get("type") if isinstance(condition.get("type"), str) else ""
        if kind in seen:
            causes.append(fe.duplicate(f"{at}.type", kind))
        seen.add(kind)
        causes += [fe.invalid(f"{at}.type", kind, m) for m in names.qualified_name(kind)]
        if condition.get("status") not in _CONDITION_STATUSES:
            causes.append(fe.not_supported(f"{at}.status", condition.get("status") or "", _CONDITION_STATUSES))
        generation = condition.get("observedGeneration")
        if isinstance(generation, int) and generation < 0:
            causes.append(fe.invalid(f"{at}.observedGeneration", generation, "must be greater than or equal to zero"))
        if not condition.get("lastTransitionTime"):
            causes.append(fe.required(f"{at}.lastTransitionTime", "must be set"))
        if not condition.get("reason"):
            causes.append(fe.required(f"{at}.reason", "must be set"))
    return causes
