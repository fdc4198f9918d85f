"""PersistentVolumes, PersistentVolumeClaims, StorageClasses (printPersistentVolume, printPersistentVolumeClaim,
printStorageClass) and PriorityClasses (printPriorityClass)."""
from __future__ import annotations

import functools

from .common import Column, Printer, age_column, age_of, as_dict, dig, doc, name_column, name_of

_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP"))
DEFAULT_CLASS_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class",
                             "storageclass.beta.kubernetes.io/is-default-class")
_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"


def access_modes(modes) -> str:
    """helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order."""
    modes = modes if isinstance(modes, list) else []
    return ",".join(short for mode, short in _MODES if mode in modes)


def _class_of(obj: dict) -> str:
    """GetPersistentVolume(Claim)Class: the beta annotation first, then spec.storageClassName."""
    annotations = as_dict(obj, "metadata", "annotations")
    if _BETA_CLASS in annotations:
        return str(annotations[_BETA_CLASS])
    return str(dig(obj, "spec", "storageClassName", default=""))


def _phase(obj: dict) -> str:
    return "Terminating" if dig(obj, "metadata", "deletionTimestamp") else str(dig(obj, "status", "phase", default=""))


def _pv_row(pv: dict, now: float, wide: bool) -> list:
    spec = as_dict(pv, "spec")
    claim = as_dict(spec, "claimRef")
    return [name_of(pv), str(as_dict(spec, "capacity").get("storage", "0")), access_modes(spec.get("accessModes")),
            str(spec.get("persistentVolumeReclaimPolicy", "")), _phase(pv),
            f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "", _class_of(pv),
            spec.get("volumeAttributesClassName") or "<unset>", str(dig(pv, "status", "reason", default="")),
            age_of(pv, now), spec.get("volumeMode") or "<unset>"]


@functools.cache
def persistent_volume_printer() -> Printer:
    s, st = "io.k8s.api.core.v1.PersistentVolumeSpec", "io.k8s.api.core.v1.PersistentVolumeStatus"
    return Printer((
        name_column(), Column("Capacity", description=doc(s, "capacity")),
        Column("Access Modes", description=doc(s, "accessModes")),
        Column("Reclaim Policy", description=doc(s, "persistentVolumeReclaimPolicy")),
        Column("Status", description=doc(st, "phase")), Column("Claim", description=doc(s, "claimRef")),
        Column("StorageClass", description="StorageClass of the pv"),
        Column("VolumeAttributesClass", description="VolumeAttributesClass of the pv"),
        Column("Reason", description=doc(st, "reason")), age_column(),
        Column("VolumeMode", priority=1, description=doc(s, "volumeMode")),
    ), _pv_row)


def _pvc_row(pvc: dict, now: float, wide: bool) -> list:
    spec = as_dict(pvc, "spec")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(dig(pvc, "status", "accessModes"))
        capacity = str(as_dict(pvc, "status", "capacity").get("storage", "0"))
    return [name_of(pvc), _phase(pvc), spec.get("volumeName") or "", capacity, modes, _class_of(pvc),
            spec.get("volumeAttributesClassName") or "<unset>", age_of(pvc, now), spec.get("volumeMode") or "<unset>"]


@functools.cache
def persistent_volume_claim_printer() -> Printer:
    s, st = "io.k8s.api.core.v1.PersistentVolumeClaimSpec", "io.k8s.api.core.v1.PersistentVolumeClaimStatus"
    return Printer((
        name_column(), Column("Status", description=doc(st, "phase")),
        Column("Volume", description=doc(s, "volumeName")), Column("Capacity", description=doc(st, "capacity")),
        Column("Access Modes", description=doc(st, "accessModes")),
        Column("StorageClass", description="StorageClass of the pvc"),
        Column("VolumeAttributesClass", description="VolumeAttributesClass of the pvc"), age_column(),
        Column("VolumeMode", priority=1, description=doc(s, "volumeMode")),
    ), _pvc_row)


def is_default_class(sc: dict) -> bool:
    """storageutil.IsDefaultAnnotation: either annotation set to "true"."""
    annotations = as_dict(sc, "metadata", "annotations")
    return any(annotations.get(key) == "true" for key in DEFAULT_CLASS_ANNOTATIONS)


def _storage_class_row(sc: dict, now: float, wide: bool) -> list:
    name = str(name_of(sc)) + (" (default)" if is_default_class(sc) else "")
    return [name, str(sc.get("provisioner", "")), sc.get("reclaimPolicy") or "Delete",
            sc.get("volumeBindingMode") or "Immediate", sc.get("allowVolumeExpansion") is True, age_of(sc, now)]


@functools.cache
def storage_class_printer() -> Printer:
    d = "io.k8s.api.storage.v1.StorageClass"
    return Printer((
        name_column(), Column("Provisioner", description=doc(d, "provisioner")),
        Column("ReclaimPolicy", description=doc(d, "reclaimPolicy")),
        Column("VolumeBindingMode", description=doc(d, "volumeBindingMode")),
        Column("AllowVolumeExpansion", description=doc(d, "allowVolumeExpansion")), age_column(),
    ), _storage_class_row)


@functools.cache
def priority_class_printer() -> Printer:
    d = "io.k8s.api.scheduling.v1.PriorityClass"
    return Printer((
        name_column(), Column("Value", "integer", doc(d, "value")),
        Column("Global-Default", "boolean", doc(d, "globalDefault")), age_column(),
        Column("PreemptionPolicy", description=doc(d, "preemptionPolicy")),
    ), lambda pc, now, wide: [name_of(pc), pc.get("value") if isinstance(pc.get("value"), int) else 0,
                              pc.get("globalDefault") is True, age_of(pc, now), pc.get("preemptionPolicy") or ""])


