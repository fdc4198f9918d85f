"""HorizontalPodAutoscalers (printHorizontalPodAutoscaler, v2 and v1) and KEDA ScaledObjects (the CRD's
additionalPrinterColumns, rendered the way the apiextensions table convertor renders them)."""
from __future__ import annotations

import functools

from .common import Column, Printer, age_column, age_of, as_dict, as_int, as_list, dig, doc, name_column, name_of, since


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


def _condition_status(obj: dict, kind: str):
    for condition in as_list(obj, "status", "conditions"):
        if isinstance(condition, dict) and condition.get("type") == kind:
            return condition.get("status")
    return None


def _crd_cell(value, column_type: str):
    """How the CRD table convertor turns a JSONPath result into a cell (missing values stay null)."""
    if value is None:
        return None
    if column_type == "integer":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if column_type == "string":
        return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return value


@functools.cache
def scaled_object_printer() -> Printer:
    """KEDA 2.16's additionalPrinterColumns for scaledobjects.keda.sh (Age is their `date` column)."""
    columns = [
        ("ScaleTargetKind", "string", lambda o: dig(o, "status", "scaleTargetKind")),
        ("ScaleTargetName", "string", lambda o: dig(o, "spec", "scaleTargetRef", "name")),
        ("Min", "integer", lambda o: dig(o, "spec", "minReplicaCount")),
        ("Max", "integer", lambda o: dig(o, "spec", "maxReplicaCount")),
        ("Ready", "string", lambda o: _condition_status(o, "Ready")),
        ("Active", "string", lambda o: _condition_status(o, "Active")),
        ("Fallback", "string", lambda o: _condition_status(o, "Fallback")),
        ("Paused", "string", lambda o: _condition_status(o, "Paused")),
        ("Triggers", "string", lambda o: dig(o, "status", "triggersTypes")),
        ("Authentications", "string", lambda o: dig(o, "status", "authenticationsTypes")),
    ]

    def row(obj: dict, now: float, wide: bool) -> list:
        cells = [name_of(obj)] + [_crd_cell(get(obj), kind) for _, kind, get in columns]
        created = dig(obj, "metadata", "creationTimestamp")
        return cells + [None if created is None else since(created, now)]

    return Printer((name_column(), *(Column(name, kind) for name, kind, _ in columns), Column("Age", "date")), row)


@functools.cache
def hpa_v2_printer() -> Printer:
    return _hpa_printer("autoscaling/v2")


@functools.cache
def hpa_v1_printer() -> Printer:
    return _hpa_printer("autoscaling/v1")
