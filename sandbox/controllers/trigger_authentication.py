"""KEDA's resolver for a trigger's `authenticationRef` (pkg/scaling/resolver, resolveAuthRef), for the parameters
the redis scaler reads (`password`, `username`).

    triggers:
      - type: redis
        metadata: {address: containo-orders-queue.containo:6379, listName: orders, listLength: "5"}
        authenticationRef: {name: containo-orders-queue-auth}       # kind: TriggerAuthentication (the default)
    ---
    kind: TriggerAuthentication
    spec:
      secretTargetRef: [{parameter: password, name: containo-orders-redis, key: redis-password}]

A TriggerAuthentication is read in the ScaledObject's namespace, a ClusterTriggerAuthentication (cluster-scoped)
with its Secrets and ConfigMaps in KEDA's own namespace (`keda`, KEDA's KEDA_CLUSTER_OBJECT_NAMESPACE). Each
`secretTargetRef` or `configMapTargetRef` entry sets one parameter from one key. As in KEDA, nothing here fails: a
missing TriggerAuthentication, Secret or key leaves the parameter out (KEDA logs it), so the scaler connects
without the password and Redis answers `NOAUTH Authentication required.`, which the ScaledObject's
KEDAScalerFailed events and Ready condition then show. Not resolved here: `env` (the scale target's container
environment), HashiCorp Vault, the cloud secret stores and pod identities."""
from __future__ import annotations

import base64

from sandbox.machinery import resources
from sandbox.machinery.errors import StatusError

TRIGGER_AUTHENTICATIONS = resources.lookup("keda.sh", "v1alpha1", "triggerauthentications")
CLUSTER_TRIGGER_AUTHENTICATIONS = resources.lookup("keda.sh", "v1alpha1", "clustertriggerauthentications")
SECRETS = resources.lookup("", "v1", "secrets")
CONFIG_MAPS = resources.lookup("", "v1", "configmaps")
CLUSTER_OBJECT_NAMESPACE = "keda"


def _get(registry, rt, namespace: str | None, name: str) -> dict | None:
    try:
        return registry.get(rt, namespace, name)
    except StatusError:
        return None


def _spec(registry, ref: dict, namespace: str) -> tuple[dict, str] | None:
    """(spec, the namespace its Secrets are read from) of the referenced object; None when KEDA would log an error."""
    kind, name = ref.get("kind") or "TriggerAuthentication", ref.get("name") or ""
    if kind == "TriggerAuthentication":
        found = _get(registry, TRIGGER_AUTHENTICATIONS, namespace, name)
        return (found.get("spec") or {}, namespace) if found else None
    if kind == "ClusterTriggerAuthentication":
        found = _get(registry, CLUSTER_TRIGGER_AUTHENTICATIONS, None, name)
        return (found.get("spec") or {}, CLUSTER_OBJECT_NAMESPACE) if found else None
    return None  # KEDA: "unknown trigger auth kind"


def parameters(registry, scaled_object: dict, trigger: dict) -> dict[str, str]:
    """The auth parameters of one trigger (a raw entry of spec.triggers): {} without an authenticationRef."""
    ref = trigger.get("authenticationRef") or {}
    if not ref.get("name"):
        return {}
    found = _spec(registry, ref, scaled_object["metadata"].get("namespace") or "default")
    if found is None:
        return {}
    spec, namespace = found
    params: dict[str, str] = {}
    for entry in spec.get("configMapTargetRef") or []:
        config_map = _get(registry, CONFIG_MAPS, namespace, entry.get("name") or "")
        value = ((config_map or {}).get("data") or {}).get(entry.get("key") or "")
        if value is not None:
            params[entry["parameter"]] = value
    for entry in spec.get("secretTargetRef") or []:  # after the ConfigMaps: a Secret wins a parameter, as in KEDA
        secret = _get(registry, SECRETS, namespace, entry.get("name") or "")
        value = ((secret or {}).get("data") or {}).get(entry.get("key") or "")
        if value is not None:
            params[entry["parameter"]] = base64.b64decode(value).decode("utf-8", "surrogateescape")
    return params
