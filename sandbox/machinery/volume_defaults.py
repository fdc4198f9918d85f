"""What kube-apiserver 1.37 defaults on PersistentVolumes, PersistentVolumeClaims (pkg/apis/core/v1/defaults.go)
and StorageClasses (pkg/apis/storage/v1/defaults.go). The admission plugins that also touch them on create
(DefaultStorageClass, StorageObjectInUseProtection) are the kinds' storage hooks (registry/kinds/)."""
from __future__ import annotations


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def set_persistent_volume_defaults(pv: dict) -> None:
    status = pv.get("status")
    if not isinstance(status, dict):
        pv["status"] = status = {}
    if not status.get("phase"):
        status["phase"] = "Pending"
    spec = pv.get("spec")
    if not isinstance(spec, dict):
        return
    if not spec.get("persistentVolumeReclaimPolicy"):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    spec.setdefault("volumeMode", "Filesystem")
    host_path = spec.get("hostPath")
    if isinstance(host_path, dict):
        host_path.setdefault("type", "")  # HostPathUnset


def set_persistent_volume_claim_defaults(pvc: dict) -> None:
    status = pvc.get("status")
    if not isinstance(status, dict):
        pvc["status"] = status = {}
    if not status.get("phase"):
        status["phase"] = "Pending"
    spec = pvc.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("volumeMode", "Filesystem")


def set_storage_class_defaults(sc: dict) -> None:
    if not sc.get("reclaimPolicy"):
        sc["reclaimPolicy"] = "Delete"
    if not sc.get("volumeBindingMode"):
        sc["volumeBindingMode"] = "Immediate"
