"""StorageClasses (pkg/registry/storage/storageclass): cluster-scoped, no status; provisioner, parameters,
reclaimPolicy and volumeBindingMode fixed once created. The sandbox has kind's `standard` (registry/bootstrap.py)."""
from sandbox.machinery import fields, resources, storage_validation, volume_defaults
from sandbox.printers import storage
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("storage.k8s.io", "v1", "storageclasses"),),
    strategy=Strategy(return_deleted=True),
    defaults=volume_defaults.set_storage_class_defaults,
    validate=storage_validation.validate_storage_class,
    printer=storage.storage_class_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
