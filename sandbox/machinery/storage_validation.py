"""Validation of PersistentVolumes, PersistentVolumeClaims (pkg/apis/core/validation) and StorageClasses
(pkg/apis/storage/validation), with kube-apiserver's paths and messages. Only the volume sources a workshop meets
are checked in depth (hostPath, local); any other source counts as one source."""
from __future__ import annotations

from . import field_errors as fe, labels, names, quantity
from .errors import Cause

ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")  # sorted, as the set lists
RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")
CLASS_RECLAIM_POLICIES = ("Delete", "Retain")
BINDING_MODES = ("Immediate", "WaitForFirstConsumer")
_NOT_SOURCES = {"accessModes", "capacity", "claimRef", "persistentVolumeReclaimPolicy", "storageClassName",
                "mountOptions", "volumeMode", "nodeAffinity", "volumeAttributesClassName"}
CLAIM_UPDATE_FORBIDDEN = "spec is immutable after creation except resources.requests and volumeAttributesClassName " \
                         "for bound claims"


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _access_modes(modes, path: str, required_detail: str) -> list[Cause]:
    if not isinstance(modes, list) or not modes:
        return [fe.required(path, required_detail)]
    return [fe.not_supported(path, m, ACCESS_MODES) for m in modes if m not in ACCESS_MODES]


def _class_name(value, path: str) -> list[Cause]:
    if isinstance(value, str) and value:
        return [fe.invalid(path, value, m) for m in names.dns1123_subdomain(value)]
    return []


def _positive_storage(value, path: str) -> list[Cause]:
    try:
        if quantity.parse_quantity(value) <= 0:
            return [fe.invalid(path, value, "must be greater than zero")]
    except (quantity.QuantityError, TypeError):
        return [fe.invalid(path, value, "must be a quantity")]
    return []


# PersistentVolumes ---------------------------------------------------------------------------------------------
def validate_persistent_volume(obj: dict, old: dict | None) -> list[Cause]:
    spec = _d(obj.get("spec"))
    causes = _access_modes(spec.get("accessModes"), "spec.accessModes", "")
    capacity = spec.get("capacity")
    if not isinstance(capacity, dict) or not capacity:
        causes.append(fe.required("spec.capacity", ""))
    elif "storage" not in capacity or len(capacity) > 1:
        causes.append(fe.not_supported("spec.capacity", fe.GoRepr(fe.go_syntax(capacity)), ("storage",)))
    else:
        causes += _positive_storage(capacity["storage"], "spec.capacity[storage]")
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy not in RECLAIM_POLICIES:
        causes.append(fe.not_supported("spec.persistentVolumeReclaimPolicy", policy or "", RECLAIM_POLICIES))
    causes += _class_name(spec.get("storageClassName"), "spec.storageClassName")
    sources = [k for k in spec if k not in _NOT_SOURCES]
    if not sources:
        causes.append(fe.required("spec", "must specify a volume type"))
    for extra in sources[1:]:
        causes.append(fe.forbidden(f"spec.{extra}", "may not specify more than 1 volume type"))
    host_path = spec.get("hostPath")
    if isinstance(host_path, dict) and not host_path.get("path"):
        causes.append(fe.required("spec.hostPath.path", ""))
    local = spec.get("local")
    if isinstance(local, dict):
        if not local.get("path"):
            causes.append(fe.required("spec.local.path", ""))
        if not spec.get("nodeAffinity"):
            causes.append(fe.required("spec.nodeAffinity", "Local volume requires node affinity"))
    if old is not None:
        old_spec = _d(old.get("spec"))
        if {k: spec.get(k) for k in sources} != {k: old_spec.get(k) for k in old_spec if k not in _NOT_SOURCES}:
            causes.append(fe.forbidden("spec.persistentvolumesource",
                                       "spec.persistentvolumesource is immutable after creation"))
        for key in ("volumeMode", "nodeAffinity"):
            if old_spec.get(key) is not None and spec.get(key) != old_spec.get(key):
                causes.append(fe.invalid(f"spec.{key}", fe.GoRepr(fe.go_syntax(spec.get(key))),
                                         "field is immutable"))
    return causes


# PersistentVolumeClaims ----------------------------------------------------------------------------------------
def claim_spec(spec: dict, path: str) -> list[Cause]:
    causes = _access_modes(spec.get("accessModes"), f"{path}.accessModes", "at least 1 access mode is required")
    if spec.get("selector") is not None:
        causes += labels.validate_selector(spec["selector"], f"{path}.selector")
    storage = _d(_d(spec.get("resources")).get("requests")).get("storage")
    if storage is None:
        causes.append(fe.required(f"{path}.resources[storage]", ""))
    else:
        causes += _positive_storage(storage, f"{path}.resources[storage]")
    return causes + _class_name(spec.get("storageClassName"), f"{path}.storageClassName")


def claim_template(claim: dict, path: str) -> list[Cause]:
    """A StatefulSet's volumeClaimTemplates entry: a name and a claim's spec."""
    causes = []
    if not _d(claim.get("metadata")).get("name"):
        causes.append(fe.required(f"{path}.metadata.name", "name or generateName is required"))
    return causes + claim_spec(_d(claim.get("spec")), f"{path}.spec")


def validate_persistent_volume_claim(obj: dict, old: dict | None) -> list[Cause]:
    spec = _d(obj.get("spec"))
    causes = claim_spec(spec, "spec")
    if old is None:
        return causes
    old_spec = dict(_d(old.get("spec")))
    new_spec = dict(spec)
    if not old_spec.get("volumeName"):
        old_spec["volumeName"] = new_spec.get("volumeName")
    for view in (old_spec, new_spec):  # a bound claim may grow; its volumeAttributesClassName may change
        view.pop("volumeAttributesClassName", None)
        view["resources"] = {**_d(view.get("resources")), "requests": {
            k: v for k, v in _d(_d(view.get("resources")).get("requests")).items() if k != "storage"}}
    if {k: v for k, v in new_spec.items() if v is not None} != {k: v for k, v in old_spec.items() if v is not None}:
        changed = sorted(k for k in set(new_spec) | set(old_spec) if new_spec.get(k) != old_spec.get(k))
        diff = "\n".join(f"  \t{k}: changed" for k in changed)
        causes.append(fe.forbidden("spec", f"{CLAIM_UPDATE_FORBIDDEN}\n  core.PersistentVolumeClaimSpec{{\n{diff}\n  }}\n"))
    return causes


# StorageClasses ------------------------------------------------------------------------------------------------
def validate_storage_class(obj: dict, old: dict | None) -> list[Cause]:
    causes = []
    provisioner = obj.get("provisioner")
    if not provisioner:
        causes.append(fe.required("provisioner", ""))
    else:
        causes += [fe.invalid("provisioner", str(provisioner).lower(), m)
                   for m in names.qualified_name(str(provisioner).lower())]
    policy = obj.get("reclaimPolicy")
    if policy not in CLASS_RECLAIM_POLICIES:
        causes.append(fe.not_supported("reclaimPolicy", policy or "", CLASS_RECLAIM_POLICIES))
    mode = obj.get("volumeBindingMode")
    if mode is None:
        causes.append(fe.required("volumeBindingMode", ""))
    elif mode not in BINDING_MODES:
        causes.append(fe.not_supported("volumeBindingMode", mode, BINDING_MODES))
    if old is not None:
        if (obj.get("parameters") or None) != (old.get("parameters") or None):
            causes.append(fe.forbidden("parameters", "updates to parameters are forbidden."))
        if obj.get("provisioner") != old.get("provisioner"):
            causes.append(fe.forbidden("provisioner", "updates to provisioner are forbidden."))
        if obj.get("reclaimPolicy") != old.get("reclaimPolicy"):
            causes.append(fe.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
        if obj.get("volumeBindingMode") != old.get("volumeBindingMode"):
            causes.append(fe.invalid("volumeBindingMode", mode, "field is immutable"))
    return causes
