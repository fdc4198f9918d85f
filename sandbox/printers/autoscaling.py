"""HorizontalPodAutoscalers (printHorizontalPodAutoscaler, v2 and v1) and KEDA ScaledObjects (the CRD's
additionalPrinterColumns, rendered the way the apiextensions table convertor renders them)."""
from __future__ import annotations

import functools

from .common import Column, Printer, age_column, age_of, as_dict, as_int, as_list, dig, doc, name_column, name_of


def _v1_metrics(hpa: dict) -> tuple[list, list]:
    """autoscaling/v1 keeps one CPU target; read it as the v2 metric it converts to."""
    target = dig(hpa, "spec", "targetCPUUtilizationPercentage")
    current = dig(hpa, "status", "currentCPUUtilizationPercentage")
    specs = [] if target is None else [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}]
    statuses = [] if current is None else [{"type": "Resource", "resource": {
        "name": "cpu", "current": {"averageUtilization": current}}}]
    return specs, statuses


def _metric_target(source: dict, status: dict | None, prefix: str = "") -> str:
    target, current = as_dict(source, "target"), as_dict(status, "current")
    if target.get("averageValue") is not None:
        value = str(current["averageValue"]) if status is not None and "averageValue" in current else "<unknown>"
        return f"{prefix}{value}/{target['averageValue']}"
    value = "<unknown>"
    if current.get("averageUtilization") is not None:
        value = f"{current['averageUtilization']}%"
    goal = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
    return f"{prefix}{value}/{goal}"


def _value_target(source: dict, status: dict | None) -> str:
    target, current = as_dict(source, "target"), as_dict(status, "current")
    if target.get("averageValue") is not None:
        value = str(current["averageValue"]) if current.get("averageValue") is not None else "<unknown>"
        return f"{value}/{target['averageValue']} (avg)"
    value = str(current.get("value", "<unknown>")) if status is not None else "<unknown>"
    return f"{value}/{target.get('value', '')}"


def _format_metric(spec: dict, status) -> str:
    kind = spec.get("type")
    field_name = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
                  "Object": "object", "External": "external"}.get(kind) if isinstance(kind, str) else None
    if field_name is None:
        return "<unknown type>"
    source = as_dict(spec, field_name)
    current = as_dict(status, field_name) if isinstance(status, dict) and field_name in status else None
    if kind in ("Resource", "ContainerResource"):
        return _metric_target(source, current, f"{source.get('name', '')}: ")
    if kind == "Pods":
        value = str(dig(current, "current", "averageValue", default="<unknown>")) if current else "<unknown>"
        return f"{value}/{dig(source, 'target', 'averageValue', default='')}"
    return _value_target(source, current)


def _hpa_targets(hpa: dict, api_version: str) -> str:
    if api_version == "autoscaling/v1":
        specs, statuses = _v1_metrics(hpa)
    else:
        specs, statuses = as_list(hpa, "spec", "metrics"), as_list(hpa, "status", "currentMetrics")
    if not specs:
        return "<none>"
    shown = [_format_metric(s if isinstance(s, dict) else {}, statuses[i] if i < len(statuses) else None)
             for i, s in enumerate(specs)]
    if len(shown) > 2:
        return f"{', '.join(shown[:2])} + {len(shown) - 2} more..."
    return ", ".join(shown)


def _hpa_printer(api_version: str) -> Printer:
    spec, status = "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec", \
        "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus"

    def row(hpa: dict, now: float, wide: bool) -> list:
        ref = as_dict(hpa, "spec", "scaleTargetRef")
        minimum = dig(hpa, "spec", "minReplicas")
        return [name_of(hpa), f"{ref.get('kind', '')}/{ref.get('name', '')}", _hpa_targets(hpa, api_version),
                "<unset>" if minimum is None else str(minimum), as_int(dig(hpa, "spec", "maxReplicas")),
                as_int(dig(hpa, "status", "currentReplicas")), age_of(hpa, now)]

    return Printer((
        name_column(), Column("Reference", description=doc(spec, "scaleTargetRef")),
        Column("Targets", description=doc(spec, "metrics")),
        Column("MinPods", description=doc(spec, "minReplicas")),
        Column("MaxPods", description=doc(spec, "maxReplicas")),
        Column("Replicas", description=doc(status, "currentReplicas")), age_column(),
    ), row)


@functools.cache
def hpa_v2_printer() -> Printer:
    return _hpa_printer("autoscaling/v2")


@functools.cache
def hpa_v1_printer() -> Printer:
    return _hpa_printer("autoscaling/v1")
