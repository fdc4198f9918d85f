"""Per-kind rules of the generic REST store, as kube-apiserver's registry strategies define them: which part of an
object the main resource may write and which the status subresource, when metadata.generation moves, what create
resets, which kinds delete gracefully and which return the deleted object."""
from __future__ import annotations

import base64
from dataclasses import dataclass

from sandbox.machinery.resources import ResourceType

# generation rules
SPEC = "spec"  # bump when spec changes (ReplicaSet, Pod)
SPEC_OR_ANNOTATIONS = "spec+annotations"  # Deployment: annotations are copied to its ReplicaSets
NOT_METADATA_OR_STATUS = "custom"  # custom resources: anything but metadata and status


@dataclass(frozen=True)
class Strategy:
    generation: str | None = None
    reset_status_on_create: bool = False  # whatever status a client sends on create is dropped
    graceful: bool = False  # deletion sets deletionTimestamp and waits (pods: the kubelet finishes it)
    return_deleted: bool = False  # DELETE answers with the object instead of a Status


_DEFAULT = Strategy()
STRATEGIES: dict[str, Strategy] = {
    "pods": Strategy(SPEC, True, graceful=True, return_deleted=True),
    "services": Strategy(None, True, return_deleted=True),
    "apps/deployments": Strategy(SPEC_OR_ANNOTATIONS, True),
    "apps/replicasets": Strategy(SPEC, True),
    "autoscaling/horizontalpodautoscalers": Strategy(None, True),
    "policy/poddisruptionbudgets": Strategy(SPEC, True),
    "keda.sh/scaledobjects": Strategy(NOT_METADATA_OR_STATUS, True),
}


def strategy(rt: ResourceType) -> Strategy:
    return STRATEGIES.get(rt.storage_key, _DEFAULT)


def has_status(rt: ResourceType) -> bool:
    """Types with a status subresource: the main resource ignores status writes, /status writes only status."""
    return "status" in rt.subresources


def prepare_create(rt: ResourceType, obj: dict) -> None:
    rules = strategy(rt)
    if rules.reset_status_on_create:
        obj.pop("status", None)
    if rules.generation:
        obj["metadata"]["generation"] = 1
    if rt.storage_key == "namespaces":
        obj["status"] = {"phase": "Active"}
        obj.setdefault("spec", {})["finalizers"] = ["kubernetes"]
    elif rt.storage_key == "pods":
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}
    elif rt.storage_key == "services":
        obj["status"] = {"loadBalancer": {}}
    elif rt.storage_key == "secrets":
        merge_string_data(obj)
    elif rt.storage_key == "policy/poddisruptionbudgets":
        obj["status"] = dict(EMPTY_PDB_STATUS)


# A PodDisruptionBudgetStatus{} as Go encodes it: its four counts have no omitempty.
EMPTY_PDB_STATUS = {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}


def prepare_update(rt: ResourceType, new: dict, old: dict) -> None:
    """Main-resource update: keep the stored status (when it is a subresource), move generation."""
    if has_status(rt):
        if "status" in old:
            new["status"] = old["status"]
        else:
            new.pop("status", None)
    if rt.storage_key == "namespaces":  # spec.finalizers only change through /finalize
        new["spec"] = old.get("spec", {})
    elif rt.storage_key == "secrets":
        merge_string_data(new)
    bump_generation(rt, new, old)


def merge_string_data(secret: dict) -> None:
    """stringData is write-only: the apiserver folds it into data (base64), stringData winning."""
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = secret.get("data") if isinstance(secret.get("data"), dict) else {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        secret["data"] = data


# Status strategies that take the client's metadata (bar these fields) instead of resetting it: the deployment
# controller writes its revision annotation through /status so that the generation does not move.
_STATUS_KEEPS_OLD_METADATA = {"apps/deployments": ("labels",), "apps/replicasets": ("labels",),
                              "pods": ("ownerReferences",)}


def prepare_status_update(rt: ResourceType, new: dict, old: dict) -> dict:
    """/status writes status (ResetObjectMetaForStatus): everything else comes from the stored object, except
    that some kinds let it change metadata too (see _STATUS_KEEPS_OLD_METADATA)."""
    merged = {k: v for k, v in old.items() if k not in ("metadata", "status")}
    new_meta = new.get("metadata") or {}
    kept = _STATUS_KEEPS_OLD_METADATA.get(rt.storage_key)
    if kept is None:
        merged["metadata"] = dict(old["metadata"])
        merged["metadata"]["resourceVersion"] = new_meta.get("resourceVersion", "")
        if "managedFields" in new_meta:
            merged["metadata"]["managedFields"] = new_meta["managedFields"]
    else:
        merged["metadata"] = dict(new_meta)
        for key in kept:
            if key in old["metadata"]:
                merged["metadata"][key] = old["metadata"][key]
            else:
                merged["metadata"].pop(key, None)
    if "status" in new:
        merged["status"] = new["status"]
    return merged


def prepare_finalize_update(new: dict, old: dict) -> dict:
    """namespaces/<n>/finalize writes only spec.finalizers."""
    merged = dict(old)
    merged["metadata"] = dict(old["metadata"])
    merged["metadata"]["resourceVersion"] = new.get("metadata", {}).get("resourceVersion", "")
    merged["spec"] = dict(old.get("spec") or {})
    merged["spec"]["finalizers"] = list((new.get("spec") or {}).get("finalizers") or [])
    return merged


def bump_generation(rt: ResourceType, new: dict, old: dict) -> None:
    rule = strategy(rt).generation
    old_generation = old["metadata"].get("generation")
    if rule is None:
        if old_generation is None:
            new["metadata"].pop("generation", None)
        else:
            new["metadata"]["generation"] = old_generation
        return
    changed = new.get("spec") != old.get("spec")
    if rule == SPEC_OR_ANNOTATIONS:
        changed = changed or new["metadata"].get("annotations") != old["metadata"].get("annotations")
    elif rule == NOT_METADATA_OR_STATUS:
        changed = ({k: v for k, v in new.items() if k not in ("metadata", "status")}
                   != {k: v for k, v in old.items() if k not in ("metadata", "status")})
    new["metadata"]["generation"] = (old_generation or 1) + (1 if changed else 0)


def qos_class(spec: dict) -> str:
    """The pod's QoS class (pkg/apis/core/helper/qos): BestEffort without any request or limit, Guaranteed when
    every container's cpu and memory limits are set and requests equal them, Burstable otherwise."""
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    any_set, guaranteed = False, True
    for container in containers:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        if requests or limits:
            any_set = True
        for name in ("cpu", "memory"):
            limit = limits.get(name)
            if limit is None or str(requests.get(name, limit)) != str(limit):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"
