"""PriorityClasses (pkg/registry/scheduling/priorityclass): cluster-scoped, no status. Their REST storage refuses to
delete the two system classes; the Priority admission plugin lets only one class be the global default (it also
resolves pods' priorityClassName: registry/kinds/pod.py)."""
from __future__ import annotations

from sandbox.machinery import errors, fields, priority_classes, resources
from sandbox.machinery.resources import ResourceType
from sandbox.printers import storage
from sandbox.registry.kind import Kind, Storage
from sandbox.registry.strategy import Strategy

SYSTEM = {name for name, _, _ in priority_classes.SYSTEM_CLASSES}


class PriorityClassStorage(Storage):
    def admit(self, rt: ResourceType, obj: dict, old: dict | None, dry_run: bool) -> None:
        if obj.get("globalDefault") is not True:
            return
        for other in self.registry.list(rt)["items"]:
            if other.get("globalDefault") is True and other["metadata"]["name"] != obj["metadata"].get("name"):
                raise errors.forbidden(rt.group, rt.plural, obj["metadata"].get("name", ""),
                                       f"PriorityClass {other['metadata']['name']} is already marked as default. "
                                       "Only one default can exist")

    def delete(self, rt: ResourceType, obj: dict, changed: bool, dry_run: bool) -> dict:
        registry, name = self.registry, obj["metadata"]["name"]
        if name in SYSTEM:
            raise errors.forbidden(rt.group, rt.plural, name, "this is a system priority class and cannot be deleted")
        if obj["metadata"].get("finalizers"):
            if not obj["metadata"].get("deletionTimestamp"):
                obj["metadata"]["deletionTimestamp"] = registry.clock.timestamp()
                obj["metadata"]["deletionGracePeriodSeconds"] = 0
                changed = True
            if changed:
                registry._put_unless_dry(rt, "", name, obj, dry_run)
            return obj
        if dry_run:
            return registry._deleted_response(rt, obj)
        return registry._deleted_response(rt, registry._remove(rt, "", name, obj))


KIND = Kind(
    types=(resources.lookup("scheduling.k8s.io", "v1", "priorityclasses"),),
    strategy=Strategy(),
    defaults=priority_classes.set_priority_class_defaults,
    validate=priority_classes.validate_priority_class,
    printer=storage.priority_class_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=PriorityClassStorage,
)
