"""ValidateHorizontalPodAutoscaler (pkg/apis/autoscaling/validation), for the v2 shape and the v1 shape."""
from __future__ import annotations

from . import field_errors as fe
from .errors import Cause

METRIC_TYPES = ("ContainerResource", "External", "Object", "Pods", "Resource")
TARGET_TYPES = ("AverageValue", "Utilization", "Value")
_SOURCE_FIELDS = {"Resource": "resource", "Pods": "pods", "Object": "object", "External": "external",
                  "ContainerResource": "containerResource"}


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def validate_hpa(hpa: dict, old: dict | None) -> list[Cause]:
    spec = hpa.get("spec")
    if not isinstance(spec, dict):
        return [fe.required("spec.scaleTargetRef", "")]
    causes = _scale_target_ref(_d(spec.get("scaleTargetRef")), "spec.scaleTargetRef")
    minimum, maximum = spec.get("minReplicas"), spec.get("maxReplicas")
    if isinstance(minimum, int) and minimum < 1:
        causes.append(fe.invalid("spec.minReplicas", minimum, "must be greater than or equal to 1"))
    if isinstance(maximum, int) and maximum < 1:
        causes.append(fe.invalid("spec.maxReplicas", maximum, "must be greater than 0"))
    if isinstance(minimum, int) and isinstance(maximum, int) and maximum < minimum:
        causes.append(fe.invalid("spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`"))
    target_cpu = spec.get("targetCPUUtilizationPercentage")  # the v1 shape
    if isinstance(target_cpu, int) and target_cpu < 1:
        causes.append(fe.invalid("spec.targetCPUUtilizationPercentage", target_cpu, "must be greater than 0"))
    for i, metric in enumerate(spec.get("metrics") or [] if isinstance(spec.get("metrics"), list) else []):
        causes += _metric(_d(metric), f"spec.metrics[{i}]")
    return causes


def _scale_target_ref(ref: dict, path: str) -> list[Cause]:
    causes = []
    if not ref.get("kind"):
        causes.append(fe.required(f"{path}.kind", ""))
    elif not isinstance(ref["kind"], str) or "/" in ref["kind"] or "%" in ref["kind"]:
        causes.append(fe.invalid(f"{path}.kind", ref["kind"], "may not contain '/'"))
    name = ref.get("name")
    if not name:
        causes.append(fe.required(f"{path}.name", ""))
    else:
        for ch in "/%":
            if ch in str(name):
                causes.append(fe.invalid(f"{path}.name", name, f"may not contain '{ch}'"))
    return causes


def _metric(metric: dict, path: str) -> list[Cause]:
    kind = metric.get("type")
    if not kind:
        return [fe.required(f"{path}.type", "must specify a metric source type")]
    if kind not in METRIC_TYPES:
        return [fe.not_supported(f"{path}.type", kind, METRIC_TYPES)]
    key = _SOURCE_FIELDS[kind]
    source = metric.get(key)
    causes = []
    for other in _SOURCE_FIELDS.values():
        if other != key and metric.get(other) is not None:
            causes.append(fe.forbidden(f"{path}.{other}", "must populate information for the given metric source "
                                       "(only allowed when type is " + next(k for k, v in _SOURCE_FIELDS.items()
                                                                           if v == other) + ")"))
    if not isinstance(source, dict):
        return causes + [fe.required(f"{path}.{key}", "must populate information for the given metric source")]
    spath = f"{path}.{key}"
    if kind in ("Resource", "ContainerResource"):
        if not source.get("name"):
            causes.append(fe.required(f"{spath}.name", "must specify a resource name"))
        if kind == "ContainerResource" and not source.get("container"):
            causes.append(fe.required(f"{spath}.container", "must specify a container"))
    else:
        metric_id = _d(source.get("metric"))
        if not metric_id.get("name"):
            causes.append(fe.required(f"{spath}.metric.name", "must specify a metric name"))
    target = source.get("target")
    if not isinstance(target, dict):
        return causes + [fe.required(f"{spath}.target", "must specify a metric target")]
    return causes + _target(target, f"{spath}.target", kind)


def _target(target: dict, path: str, kind: str) -> list[Cause]:
    kind_of_target = target.get("type")
    causes = []
    if not kind_of_target:
        causes.append(fe.required(f"{path}.type", "must specify a metric target type"))
    elif kind_of_target not in TARGET_TYPES:
        causes.append(fe.not_supported(f"{path}.type", kind_of_target, TARGET_TYPES))
    utilization = target.get("averageUtilization")
    if isinstance(utilization, int) and utilization < 1:
        causes.append(fe.invalid(f"{path}.averageUtilization", utilization, "must be greater than 0"))
    if kind_of_target == "Utilization" and utilization is None:
        causes.append(fe.required(f"{path}.averageUtilization", "must set either a target raw value or a target "
                                  "utilization"))
    if kind_of_target == "Value" and target.get("value") is None:
        causes.append(fe.required(f"{path}.value", "must set either a target value for metric"))
    if kind_of_target == "AverageValue" and target.get("averageValue") is None:
        causes.append(fe.required(f"{path}.averageValue", "must set either a target value for metric"))
    return causes
