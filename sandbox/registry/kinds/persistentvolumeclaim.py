"""PersistentVolumeClaims (pkg/registry/core/persistentvolumeclaim): created Pending; on create the
DefaultStorageClass admission plugin gives a claim that names no class the default StorageClass (the newest of
those annotated default), and StorageObjectInUseProtection the `kubernetes.io/pvc-protection` finalizer (the
pvc-protection controller lifts it once no pod uses the claim)."""
from __future__ import annotations

from sandbox.machinery import fields, resources, storage_validation, volume_defaults
from sandbox.machinery.resources import ResourceType
from sandbox.printers import storage
from sandbox.registry.kind import Kind, Storage
from sandbox.registry.kinds.persistentvolume import add_finalizer
from sandbox.registry.strategy import Strategy

PROTECTION = "kubernetes.io/pvc-protection"
BETA_CLASS = "volume.beta.kubernetes.io/storage-class"
STORAGE_CLASSES = resources.lookup("storage.k8s.io", "v1", "storageclasses")


def default_class(classes: list[dict]) -> dict | None:
    """util.GetDefaultClass: of the classes annotated default, the newest (then the name)."""
    found = [c for c in classes if storage.is_default_class(c)]
    found.sort(key=lambda c: (c["metadata"].get("creationTimestamp") or "", c["metadata"]["name"]))
    return found[-1] if found else None


class PersistentVolumeClaimStorage(Storage):
    def admit(self, rt: ResourceType, obj: dict, old: dict | None, dry_run: bool) -> None:
        if old is not None:
            return
        spec = obj.get("spec")
        if isinstance(spec, dict) and spec.get("storageClassName") is None and \
                BETA_CLASS not in (obj["metadata"].get("annotations") or {}):
            found = default_class(self.registry.list(STORAGE_CLASSES)["items"])
            if found is not None:
                spec["storageClassName"] = found["metadata"]["name"]
        add_finalizer(obj, PROTECTION)


KIND = Kind(
    types=(resources.lookup("", "v1", "persistentvolumeclaims"),),
    strategy=Strategy(reset_status_on_create=True, return_deleted=True),
    defaults=volume_defaults.set_persistent_volume_claim_defaults,
    validate=storage_validation.validate_persistent_volume_claim,
    printer=storage.persistent_volume_claim_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=PersistentVolumeClaimStorage,
)
