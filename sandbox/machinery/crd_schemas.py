"""Schemas for the kinds the sandbox serves that are not built into Kubernetes: KEDA's ScaledObject (the spec and
status of the keda.sh_scaledobjects.yaml CRD of KEDA 2.x, as its openAPIV3Schema has them; keda_crds.py makes the
CRDs) and the metrics.k8s.io PodMetrics/NodeMetrics (metrics-server, in the `$defs` style of kubernetes-validate).
crd_object() writes a one-version apiextensions.k8s.io/v1 CustomResourceDefinition the way controller-gen does."""
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
SCALED_OBJECT_SPEC = _SO_SPEC = _obj({
    "advanced": _ADVANCED, "cooldownPeriod": _I,
    "fallback": _obj({"failureThreshold": _I, "replicas": _I, "useCurrentReplicas": _B},
                     ("failureThreshold", "replicas")),
    "idleReplicaCount": _I, "initialCooldownPeriod": _I, "maxReplicaCount": _I, "minReplicaCount": _I,
    "pollingInterval": _I,
    "scaleTargetRef": _obj({"apiVersion": _S, "envSourceContainerName": _S, "kind": _S, "name": _S}, ("name",)),
    "triggers": _arr(_TRIGGER),
}, ("scaleTargetRef", "triggers"))
SCALED_OBJECT_STATUS = _SO_STATUS = _obj({
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
    "io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics": _obj(
        _top("metrics.k8s.io/v1beta1", "PodMetrics", metadata=_META, timestamp=_TIME, window=_S,
             containers=_arr(_CONTAINER_METRICS)), ("timestamp", "window", "containers"),
        **{"x-kubernetes-group-version-kind": _gvk("metrics.k8s.io", "v1beta1", "PodMetrics")}),
    "io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics": _obj(
        _top("metrics.k8s.io/v1beta1", "NodeMetrics", metadata=_META, timestamp=_TIME, window=_S, usage=_USAGE),
        ("timestamp", "window", "usage"),
        **{"x-kubernetes-group-version-kind": _gvk("metrics.k8s.io", "v1beta1", "NodeMetrics")}),
}

_API_VERSION_DOC = ("APIVersion defines the versioned schema of this representation of an object. Servers should "
                    "convert recognized schemas to the latest internal value, and may reject unrecognized values. "
                    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
                    "api-conventions.md#resources")
_KIND_DOC = ("Kind is a string value representing the REST resource this object represents. Servers may infer this "
             "from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: "
             "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds")


def crd_object(*, group: str, kind: str, plural: str, short_names: list[str], scope: str, spec: dict,
               status: dict, required: list[str], columns: list[dict], version: str = "v1alpha1",
               labels: dict | None = None, annotations: dict | None = None) -> dict:
    """A CustomResourceDefinition with one served and stored version, a status subresource and printer columns."""
    schema = {"type": "object", "description": f"{kind} is the Schema for the {plural} API", "properties": {
        "apiVersion": {"type": "string", "description": _API_VERSION_DOC},
        "kind": {"type": "string", "description": _KIND_DOC},
        "metadata": {"type": "object"}, "spec": spec, "status": status}}
    if required:
        schema["required"] = list(required)
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}", "labels": dict(labels or {}),
                     "annotations": dict(annotations or {})},
        "spec": {"group": group, "scope": scope,
                 "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "shortNames": short_names,
                           "singular": kind.lower()},
                 "versions": [{"name": version, "served": True, "storage": True, "schema": {"openAPIV3Schema": schema},
                               "subresources": {"status": {}}, "additionalPrinterColumns": columns}],
                 "conversion": {"strategy": "None"}},
    }
