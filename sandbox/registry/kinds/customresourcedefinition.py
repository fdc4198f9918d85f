"""CustomResourceDefinitions (apiextensions-apiserver's pkg/registry/customresourcedefinition): validated as
ValidateCustomResourceDefinition words it, created with an empty status and their storage version recorded in
status.storedVersions; the naming and establishing controllers accept their names (controllers/crd_naming.py).
Their own storage keeps the served types in step with the stored CRDs (a CRD whose names are accepted serves its
custom resources; a deleted one stops), and answers DELETE as the CRD REST does: the first DELETE marks it
Terminating with the customresourcecleanup finalizer, which the finalizer controller removes once every custom
resource is gone (controllers/crd_finalizer.py)."""
from __future__ import annotations

from sandbox.machinery import conditions, crd_definition_validation, fields, resources
from sandbox.machinery.resources import ResourceType
from sandbox.printers import extensions
from sandbox.registry.custom_resources import CLEANUP_FINALIZER, condition_true
from sandbox.registry.kind import Kind, Storage
from sandbox.registry.strategy import SPEC, Strategy

CRDS = resources.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")


def _storage_version(crd: dict) -> str | None:
    for version in (crd.get("spec") or {}).get("versions") or []:
        if isinstance(version, dict) and version.get("storage") is True:
            return version.get("name")
    return None


class CustomResourceDefinitionStrategy(Strategy):
    def __init__(self):
        super().__init__(generation=SPEC)

    def prepare_for_create(self, obj: dict) -> None:
        super().prepare_for_create(obj)
        storage = _storage_version(obj)
        obj["status"] = {"acceptedNames": {"kind": "", "plural": ""},
                         "storedVersions": [storage] if storage else []}

    def prepare_for_update(self, rt: ResourceType, new: dict, old: dict) -> None:
        super().prepare_for_update(rt, new, old)
        storage = _storage_version(new)
        stored = list(((new.get("status") or {}).get("storedVersions")) or [])
        if storage and storage not in stored:
            new.setdefault("status", {})["storedVersions"] = stored + [storage]


class CustomResourceDefinitionStorage(Storage):
    """Serving follows the stored CRDs; DELETE marks a CRD Terminating first."""

    def __init__(self, registry):
        super().__init__(registry)
        registry.subscribe(self._on_write, {CRDS.storage_key})
        for crd in registry.list(CRDS)["items"]:
            self._on_write("ADDED", CRDS.storage_key, crd)

    @staticmethod
    def _on_write(event_type: str, storage_key: str, crd: dict) -> None:
        name = crd["metadata"]["name"]
        if event_type == "DELETED":
            resources.stop_serving_custom(name)
        elif condition_true(crd, "NamesAccepted") or condition_true(crd, "Established"):
            resources.serve_custom(crd)
        elif name in {c["metadata"]["name"] for c in resources.served_crds()}:
            resources.serve_custom(crd)  # served already (KEDA's, from the start): the new object, same names

    def delete(self, rt: ResourceType, obj: dict, changed: bool, dry_run: bool) -> dict:
        registry, meta = self.registry, obj["metadata"]
        if not meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = registry.clock.timestamp()
            meta["deletionGracePeriodSeconds"] = 0
            changed = True
        if CLEANUP_FINALIZER not in (meta.get("finalizers") or []):
            meta["finalizers"] = list(meta.get("finalizers") or []) + [CLEANUP_FINALIZER]
            status = obj.setdefault("status", {})
            status["conditions"] = conditions.set_condition_in_list(
                status.get("conditions"), "Terminating", "True", "InstanceDeletionPending",
                "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
                registry.clock.timestamp())
            changed = True
        if changed:
            registry._put_unless_dry(rt, "", meta["name"], obj, dry_run)
        return obj


KIND = Kind(
    types=(CRDS,),
    strategy=CustomResourceDefinitionStrategy(),
    defaults=crd_definition_validation.set_crd_defaults,
    validate=crd_definition_validation.validate_crd,
    printer=extensions.default_table_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=CustomResourceDefinitionStorage,
)
