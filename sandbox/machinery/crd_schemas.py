"""Schemas for the kinds the sandbox serves that are not built into Kubernetes: KEDA's ScaledObject (the
keda.sh_scaledobjects.yaml CRD of KEDA 2.x, openAPIV3Schema, no patch strategies since CRDs have none) and the
metrics.k8s.io PodMetrics/NodeMetrics (metrics-server). Written in the `$defs` style of kubernetes-validate."""
from __future__ import annotations

_S = {"type": "string"}
_I = {"type": "integer", "format": "int32"}
_B = {"type": "boolean"}
_TIME = {"type": "string", "format": "date-time"}
_QUANTITY = {"$ref": "#/$defs/io.k8s.apimachinery.pkg.api.resource.Quantity"}
_META = {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
_LIST_META = {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"}


def _obj(props: dict, required: tuple = (), **extra) -> dict:
    schema = {"type": "object", "properties": props, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def _arr(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


def _gvk(group: str, version: str, kind: str) -> list[dict]:
    return [{"group": group, "version": version, "kind": kind}]


def _top(api_version: str, kind: str, **props) -> dict:
    return {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, **props}


_POLICY = _obj({"periodSeconds": _I, "type": _S, "value": _I}, ("periodSeconds", "type", "value"))
_RULES = _obj({"policies": _arr(_POLICY, **{"x-kubernetes-list-type": "atomic"}), "selectPolicy": _S,
               "stabilizationWindowSeconds": _I})
_ADVANCED = _obj({
    "horizontalPodAutoscalerConfig": _obj({
        "behavior": _obj({"scaleDown": _RULES, "scaleUp": _RULES}), "name": _S}),
    "restoreToOriginalReplicaCount": _B,
    "scalingModifiers": _obj({"activationTarget": _S, "formula": _S, "metricType": _S, "target": _S}),
})
_TRIGGER = _obj({
    "authenticationRef": _obj({"kind": _S, "name": _S}, ("name",)),
    "metadata": {"type": "object", "additionalProperties": _S},
    "metricType": _S, "name": _S, "type": _S, "useCachedMetrics": _B,
}, ("metadata", "type"))
_SO_SPEC = _obj({
    "advanced": _ADVANCED, "cooldownPeriod": _I,
    "fallback": _obj({"failureThreshold": _I, "replicas": _I, "useCurrentReplicas": _B},
                     ("failureThreshold", "replicas")),
    "idleReplicaCount": _I, "initialCooldownPeriod": _I, "maxReplicaCount": _I, "minReplicaCount": _I,
    "pollingInterval": _I,
    "scaleTargetRef": _obj({"apiVersion": _S, "envSourceContainerName": _S, "kind": _S, "name": _S}, ("name",)),
    "triggers": _arr(_TRIGGER),
}, ("scaleTargetRef", "triggers"))
_SO_STATUS = _obj({
    "authenticationsTypes": _S, "compositeScalerName": _S,
    "conditions": _arr(_obj({"message": _S, "reason": _S, "status": _S, "type": _S}, ("status", "type"))),
    "externalMetricNames": _arr(_S),
    "health": {"type": "object", "additionalProperties": _obj({"numberOfFailures": _I, "status": _S})},
    "hpaName": _S, "lastActiveTime": _TIME, "originalReplicaCount": _I, "pausedReplicaCount": _I,
    "resourceMetricNames": _arr(_S),
    "scaleTargetGVKR": _obj({"group": _S, "kind": _S, "resource": _S, "version": _S},
                            ("group", "kind", "resource", "version")),
    "scaleTargetKind": _S, "triggersTypes": _S,
})

_USAGE = {"type": "object", "additionalProperties": _QUANTITY}
_CONTAINER_METRICS = _obj({"name": _S, "usage": _USAGE}, ("name", "usage"))

DEFINITIONS: dict[str, dict] = {
    "sh.keda.v1alpha1.ScaledObject": _obj(
        _top("keda.sh/v1alpha1", "ScaledObject", metadata=_META, spec=_SO_SPEC, status=_SO_STATUS), ("spec",),
        **{"x-kubernetes-group-version-kind": _gvk("keda.sh", "v1alpha1", "ScaledObject")}),
    "sh.keda.v1alpha1.ScaledObjectList": _obj(
        _top("keda.sh/v1alpha1", "ScaledObjectList", metadata=_LIST_META,
             items=_arr({"$ref": "#/$defs/sh.keda.v1alpha1.ScaledObject"})), ("items",),
        **{"x-kubernetes-group-version-kind": _gvk("keda.sh", "v1alpha1", "ScaledObjectList")}),
    "io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics": _obj(
        _top("metrics.k8s.io/v1beta1", "PodMetrics", metadata=_META, timestamp=_TIME, window=_S,
             containers=_arr(_CONTAINER_METRICS)), ("timestamp", "window", "containers"),
        **{"x-kubernetes-group-version-kind": _gvk("metrics.k8s.io", "v1beta1", "PodMetrics")}),
    "io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics": _obj(
        _top("metrics.k8s.io/v1beta1", "NodeMetrics", metadata=_META, timestamp=_TIME, window=_S, usage=_USAGE),
        ("timestamp", "window", "usage"),
        **{"x-kubernetes-group-version-kind": _gvk("metrics.k8s.io", "v1beta1", "NodeMetrics")}),
}

# Kinds served from a CRD: no strategic merge patch, unknown fields are pruned (or rejected when Strict).
CUSTOM_RESOURCE_GROUPS = frozenset({"keda.sh"})
