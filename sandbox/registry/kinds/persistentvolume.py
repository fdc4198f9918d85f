"""PersistentVolumes (pkg/registry/core/persistentvolume): cluster-scoped, created Pending with the time of that
phase, which /status moves whenever the phase changes; the StorageObjectInUseProtection admission plugin gives
each one the `kubernetes.io/pv-protection` finalizer (the pv-protection controller lifts it once unbound)."""
from __future__ import annotations

import time

from sandbox.machinery import fields, resources, storage_validation, timestamps, volume_defaults
from sandbox.machinery.resources import ResourceType
from sandbox.printers import storage
from sandbox.registry.kind import Kind, Storage
from sandbox.registry.strategy import Strategy

PROTECTION = "kubernetes.io/pv-protection"


def add_finalizer(obj: dict, finalizer: str) -> None:
    finalizers = list(obj["metadata"].get("finalizers") or [])
    if finalizer not in finalizers:
        obj["metadata"]["finalizers"] = finalizers + [finalizer]


class PersistentVolumeStrategy(Strategy):
    def prepare_for_create(self, obj: dict) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"phase": "Pending", "lastPhaseTransitionTime": timestamps.rfc3339(int(time.time()))}

    def prepare_for_status_update(self, new: dict, old: dict) -> dict:
        merged = super().prepare_for_status_update(new, old)
        status, old_status = merged.get("status") or {}, old.get("status") or {}
        if status.get("phase") != old_status.get("phase") and status.get("lastPhaseTransitionTime") in (
                None, old_status.get("lastPhaseTransitionTime")):
            merged["status"] = {**status, "lastPhaseTransitionTime": timestamps.rfc3339(int(time.time()))}
        return merged


class PersistentVolumeStorage(Storage):
    def admit(self, rt: ResourceType, obj: dict, old: dict | None, dry_run: bool) -> None:
        """StorageObjectInUseProtection, on create."""
        if old is None:
            add_finalizer(obj, PROTECTION)


KIND = Kind(
    types=(resources.lookup("", "v1", "persistentvolumes"),),
    strategy=PersistentVolumeStrategy(reset_status_on_create=True, return_deleted=True),
    defaults=volume_defaults.set_persistent_volume_defaults,
    validate=storage_validation.validate_persistent_volume,
    printer=storage.persistent_volume_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=PersistentVolumeStorage,
)
