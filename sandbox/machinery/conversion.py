"""Conversion between the versions the sandbox serves of one stored kind: HorizontalPodAutoscaler autoscaling/v1
<-> autoscaling/v2 (v2 is stored), following pkg/apis/autoscaling/v1/conversion.go. What v1 cannot express
(other metrics, their statuses, conditions, behavior) travels in the `autoscaling.alpha.kubernetes.io/*`
annotations, so a v2 object read and written back through v1 loses nothing. Everything else is the identity."""
from __future__ import annotations

import copy
import json

from . import defaults, errors

METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior"
_ROUND_TRIP = (METRICS_ANNOTATION, CURRENT_METRICS_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION)
V1, V2 = "autoscaling/v1", "autoscaling/v2"


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value) -> list:
    return value if isinstance(value, list) else []


def convert(obj: dict, api_version: str) -> dict:
    """`obj` in `api_version` (a new dict): an HPA changing between v1 and v2 is converted, any other object (a
    custom resource whose CRD converts with strategy None) only changes its apiVersion."""
    if not isinstance(obj, dict):
        raise errors.bad_request("the object to convert must be a JSON object")
    source = obj.get("apiVersion")
    try:
        if obj.get("kind") != "HorizontalPodAutoscaler" or source == api_version or \
                {source, api_version} != {V1, V2}:
            out = copy.deepcopy(obj)
            if source and source != api_version:  # a custom resource's versions (conversion strategy None)
                out["apiVersion"] = api_version
            return out
        return _to_v2(obj) if api_version == V2 else _to_v1(obj)
    except RecursionError:
        raise errors.bad_request("the object is nested too deeply") from None
    except (TypeError, ValueError, AttributeError, KeyError) as e:
        raise errors.bad_request(f"unable to convert HorizontalPodAutoscaler to {api_version}: {e}") from None


def _meta_without_round_trip(obj: dict) -> dict:
    meta = copy.deepcopy(_d(obj.get("metadata")))
    annotations = {k: v for k, v in _d(meta.get("annotations")).items() if k not in _ROUND_TRIP}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return meta


def _is_cpu_utilization(metric: dict) -> bool:
    resource = _d(metric.get("resource"))
    return (metric.get("type") == "Resource" and resource.get("name") == "cpu"
            and _d(resource.get("target")).get("averageUtilization") is not None)


# --- v2 -> v1 ----------------------------------------------------------------------------------------------------
def _to_v1(obj: dict) -> dict:
    spec, status = _d(obj.get("spec")), _d(obj.get("status"))
    meta = _meta_without_round_trip(obj)
    annotations = dict(_d(meta.get("annotations")))
    metrics = _l(spec.get("metrics"))
    cpu = next((m for m in metrics if _is_cpu_utilization(_d(m))), None)
    others = [_metric_spec_to_v1(_d(m)) for m in metrics if not _is_cpu_utilization(_d(m))]
    if others:
        annotations[METRICS_ANNOTATION] = _compact(others)
    if status.get("currentMetrics"):
        annotations[CURRENT_METRICS_ANNOTATION] = _compact([_metric_status_to_v1(_d(m))
                                                             for m in _l(status["currentMetrics"])])
    if spec.get("behavior") is not None:
        annotations[BEHAVIOR_ANNOTATION] = _compact(_behavior_to_internal(_d(spec["behavior"])))
    if status.get("conditions"):
        annotations[CONDITIONS_ANNOTATION] = _compact(_l(status["conditions"]))
    if annotations:
        meta["annotations"] = annotations
    out_spec = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    if cpu is not None:
        out_spec["targetCPUUtilizationPercentage"] = cpu["resource"]["target"]["averageUtilization"]
    out_status = {k: status[k] for k in ("observedGeneration", "lastScaleTime") if k in status}
    out_status["currentReplicas"] = status.get("currentReplicas", 0)
    out_status["desiredReplicas"] = status.get("desiredReplicas", 0)
    current_cpu = next((m for m in _l(status.get("currentMetrics"))
                        if _d(m).get("type") == "Resource" and _d(_d(m).get("resource")).get("name") == "cpu"
                        and _d(_d(m)["resource"].get("current")).get("averageUtilization") is not None), None)
    if current_cpu is not None:
        out_status["currentCPUUtilizationPercentage"] = current_cpu["resource"]["current"]["averageUtilization"]
    return {"kind": "HorizontalPodAutoscaler", "apiVersion": V1, "metadata": meta, "spec": out_spec,
            "status": out_status}


def _compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _target_to_v1(target: dict, utilization_key: str, average_key: str, value_key: str | None = None) -> dict:
    out = {}
    if target.get("averageUtilization") is not None:
        out[utilization_key] = target["averageUtilization"]
    if target.get("averageValue") is not None:
        out[average_key] = target["averageValue"]
    if value_key and target.get("value") is not None:
        out[value_key] = target["value"]
    return out


def _metric_spec_to_v1(metric: dict) -> dict:
    kind = metric.get("type")
    out: dict = {"type": kind}
    if kind in ("Resource", "ContainerResource"):
        key = "resource" if kind == "Resource" else "containerResource"
        source = _d(metric.get(key))
        body = {"name": source.get("name")}
        if kind == "ContainerResource":
            body["container"] = source.get("container")
        body.update(_target_to_v1(_d(source.get("target")), "targetAverageUtilization", "targetAverageValue"))
        out[key] = body
    elif kind == "Pods":
        source = _d(metric.get("pods"))
        metric_id = _d(source.get("metric"))
        body = {"metricName": metric_id.get("name"),
                **_target_to_v1(_d(source.get("target")), "", "targetAverageValue")}
        if metric_id.get("selector") is not None:
            body["selector"] = metric_id["selector"]
        out["pods"] = {k: v for k, v in body.items() if k}
    elif kind == "Object":
        source = _d(metric.get("object"))
        metric_id = _d(source.get("metric"))
        target = _d(source.get("target"))
        body = {"target": source.get("describedObject"), "metricName": metric_id.get("name"),
                "targetValue": target.get("value")}
        if metric_id.get("selector") is not None:
            body["selector"] = metric_id["selector"]
        if target.get("averageValue") is not None:
            body["averageValue"] = target["averageValue"]
        out["object"] = body
    elif kind == "External":
        source = _d(metric.get("external"))
        metric_id = _d(source.get("metric"))
        target = _d(source.get("target"))
        body = {"metricName": metric_id.get("name")}
        if metric_id.get("selector") is not None:
            body["metricSelector"] = metric_id["selector"]
        if target.get("value") is not None:
            body["targetValue"] = target["value"]
        if target.get("averageValue") is not None:
            body["targetAverageValue"] = target["averageValue"]
        out["external"] = body
    return out


def _metric_status_to_v1(metric: dict) -> dict:
    kind = metric.get("type")
    out: dict = {"type": kind}
    for key, v1_key in (("resource", "resource"), ("containerResource", "containerResource")):
        if metric.get(key) is not None:
            source = _d(metric[key])
            current = _d(source.get("current"))
            body = {"name": source.get("name")}
            if key == "containerResource":
                body["container"] = source.get("container")
            if current.get("averageUtilization") is not None:
                body["currentAverageUtilization"] = current["averageUtilization"]
            body["currentAverageValue"] = current.get("averageValue", "0")
            out[v1_key] = body
    if metric.get("pods") is not None:
        source = _d(metric["pods"])
        body = {"metricName": _d(source.get("metric")).get("name"),
                "currentAverageValue": _d(source.get("current")).get("averageValue", "0")}
        if _d(source.get("metric")).get("selector") is not None:
            body["selector"] = source["metric"]["selector"]
        out["pods"] = body
    if metric.get("object") is not None:
        source = _d(metric["object"])
        current = _d(source.get("current"))
        body = {"target": source.get("describedObject"), "metricName": _d(source.get("metric")).get("name"),
                "currentValue": current.get("value", "0")}
        if current.get("averageValue") is not None:
            body["averageValue"] = current["averageValue"]
        out["object"] = body
    if metric.get("external") is not None:
        source = _d(metric["external"])
        current = _d(source.get("current"))
        body = {"metricName": _d(source.get("metric")).get("name"), "currentValue": current.get("value", "0")}
        if current.get("averageValue") is not None:
            body["currentAverageValue"] = current["averageValue"]
        out["external"] = body
    return out


def _behavior_to_internal(behavior: dict) -> dict:
    """The annotation holds the internal Go type, which has no json tags: its fields keep their Go names."""
    def rules(r):
        if r is None:
            return None
        r = _d(r)
        return {"StabilizationWindowSeconds": r.get("stabilizationWindowSeconds"),
                "SelectPolicy": r.get("selectPolicy"),
                "Policies": [{"Type": p.get("type"), "Value": p.get("value"), "PeriodSeconds": p.get("periodSeconds")}
                             for p in (_d(x) for x in _l(r.get("policies")))] if r.get("policies") is not None
                else None,
                "Tolerance": r.get("tolerance")}
    return {"ScaleUp": rules(behavior.get("scaleUp")), "ScaleDown": rules(behavior.get("scaleDown"))}


# --- v1 -> v2 ----------------------------------------------------------------------------------------------------
def _to_v2(obj: dict) -> dict:
    spec, status = _d(obj.get("spec")), _d(obj.get("status"))
    annotations = _d(_d(obj.get("metadata")).get("annotations"))
    meta = _meta_without_round_trip(obj)
    out_spec = {k: copy.deepcopy(spec[k]) for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    metrics = [_metric_spec_to_v2(_d(m)) for m in _json_list(annotations.get(METRICS_ANNOTATION))]
    if spec.get("targetCPUUtilizationPercentage") is not None:
        metrics.append({"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": spec["targetCPUUtilizationPercentage"]}}})
    if metrics:
        out_spec["metrics"] = metrics
    behavior = _json_value(annotations.get(BEHAVIOR_ANNOTATION))
    if isinstance(behavior, dict):
        out_spec["behavior"] = _behavior_from_internal(behavior)
    out_status = {k: status[k] for k in ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas")
                  if k in status}
    current = _json_list(annotations.get(CURRENT_METRICS_ANNOTATION))
    if current:
        out_status["currentMetrics"] = [_metric_status_to_v2(_d(m)) for m in current]
    elif status.get("currentCPUUtilizationPercentage") is not None:
        out_status["currentMetrics"] = [{"type": "Resource", "resource": {"name": "cpu", "current": {
            "averageUtilization": status["currentCPUUtilizationPercentage"]}}}]
    conditions = _json_list(annotations.get(CONDITIONS_ANNOTATION))
    if conditions:
        out_status["conditions"] = conditions
    out = {"kind": "HorizontalPodAutoscaler", "apiVersion": V2, "metadata": meta, "spec": out_spec}
    if status or out_status:
        out["status"] = out_status
    defaults.apply_hpa_defaults(out, "v2")  # v1's implicit 80% CPU target becomes explicit
    return out


def _json_value(text):
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None  # like the Go code: a broken annotation is ignored


def _json_list(text) -> list:
    value = _json_value(text)
    return value if isinstance(value, list) else []


def _target_v2(utilization=None, average=None, value=None) -> dict:
    if utilization is not None:
        return {"type": "Utilization", "averageUtilization": utilization}
    if average is not None:
        return {"type": "AverageValue", "averageValue": average}
    return {"type": "Value", "value": value}


def _metric_spec_to_v2(metric: dict) -> dict:
    kind = metric.get("type")
    out: dict = {"type": kind}
    if kind in ("Resource", "ContainerResource"):
        key = "resource" if kind == "Resource" else "containerResource"
        source = _d(metric.get(key))
        body = {"name": source.get("name"),
                "target": _target_v2(source.get("targetAverageUtilization"), source.get("targetAverageValue"))}
        if kind == "ContainerResource":
            body["container"] = source.get("container")
        out[key] = body
    elif kind == "Pods":
        source = _d(metric.get("pods"))
        metric_id = {"name": source.get("metricName")}
        if source.get("selector") is not None:
            metric_id["selector"] = source["selector"]
        out["pods"] = {"metric": metric_id, "target": _target_v2(average=source.get("targetAverageValue"))}
    elif kind == "Object":
        source = _d(metric.get("object"))
        metric_id = {"name": source.get("metricName")}
        if source.get("selector") is not None:
            metric_id["selector"] = source["selector"]
        target = _target_v2(average=source.get("averageValue"), value=source.get("targetValue")) \
            if source.get("averageValue") is not None else _target_v2(value=source.get("targetValue"))
        out["object"] = {"describedObject": source.get("target"), "metric": metric_id, "target": target}
    elif kind == "External":
        source = _d(metric.get("external"))
        metric_id = {"name": source.get("metricName")}
        if source.get("metricSelector") is not None:
            metric_id["selector"] = source["metricSelector"]
        out["external"] = {"metric": metric_id, "target": _target_v2(average=source.get("targetAverageValue"),
                                                                     value=source.get("targetValue"))}
    return out


def _metric_status_to_v2(metric: dict) -> dict:
    kind = metric.get("type")
    out: dict = {"type": kind}
    for key in ("resource", "containerResource"):
        if metric.get(key) is not None:
            source = _d(metric[key])
            current = {"averageValue": source.get("currentAverageValue")}
            if source.get("currentAverageUtilization") is not None:
                current["averageUtilization"] = source["currentAverageUtilization"]
            body = {"name": source.get("name"), "current": current}
            if key == "containerResource":
                body["container"] = source.get("container")
            out[key] = body
    if metric.get("pods") is not None:
        source = _d(metric["pods"])
        metric_id = {"name": source.get("metricName")}
        if source.get("selector") is not None:
            metric_id["selector"] = source["selector"]
        out["pods"] = {"metric": metric_id, "current": {"averageValue": source.get("currentAverageValue")}}
    if metric.get("object") is not None:
        source = _d(metric["object"])
        current = {"value": source.get("currentValue")}
        if source.get("averageValue") is not None:
            current["averageValue"] = source["averageValue"]
        out["object"] = {"describedObject": source.get("target"), "metric": {"name": source.get("metricName")},
                         "current": current}
    if metric.get("external") is not None:
        source = _d(metric["external"])
        current = {"value": source.get("currentValue")}
        if source.get("currentAverageValue") is not None:
            current["averageValue"] = source["currentAverageValue"]
        out["external"] = {"metric": {"name": source.get("metricName")}, "current": current}
    return out


def _behavior_from_internal(behavior: dict) -> dict:
    def rules(r):
        r = _d(r)
        out = {}
        if r.get("StabilizationWindowSeconds") is not None:
            out["stabilizationWindowSeconds"] = r["StabilizationWindowSeconds"]
        if r.get("SelectPolicy") is not None:
            out["selectPolicy"] = r["SelectPolicy"]
        if r.get("Policies") is not None:
            out["policies"] = [{"type": p.get("Type"), "value": p.get("Value"), "periodSeconds": p.get("PeriodSeconds")}
                               for p in (_d(x) for x in _l(r["Policies"]))]
        if r.get("Tolerance") is not None:
            out["tolerance"] = r["Tolerance"]
        return out
    return {key: rules(behavior[go]) for key, go in (("scaleUp", "ScaleUp"), ("scaleDown", "ScaleDown"))
            if behavior.get(go) is not None}
