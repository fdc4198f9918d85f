"""Namespaces (pkg/registry/core/namespace): created Active with the `kubernetes` finalizer; spec.finalizers change
only through /finalize; DELETE marks them Terminating, and they go once the namespace controller has emptied them
and removed the finalizer (their own REST storage's Delete). default, kube-system and kube-public may not be
deleted (403, as the NamespaceLifecycle admission plugin refuses it)."""
from __future__ import annotations

from sandbox.machinery import defaults, errors, resources
from sandbox.machinery.resources import ResourceType
from sandbox.printers import cluster
from sandbox.registry.kind import Kind, Storage
from sandbox.registry.strategy import Strategy


IMMORTAL = ("default", "kube-system", "kube-public")  # NamespaceLifecycle's immortalNamespaces


class NamespaceStrategy(Strategy):
    def prepare_for_create(self, obj: dict) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"phase": "Active"}
        obj.setdefault("spec", {})["finalizers"] = ["kubernetes"]

    def prepare_for_update(self, rt: ResourceType, new: dict, old: dict) -> None:
        super().prepare_for_update(rt, new, old)
        new["spec"] = old.get("spec", {})  # spec.finalizers only change through /finalize

    def prepare_for_subresource_update(self, subresource: str, new: dict, old: dict) -> dict | None:
        """namespaces/<n>/finalize writes only spec.finalizers."""
        if subresource != "finalize":
            return None
        merged = dict(old)
        merged["metadata"] = dict(old["metadata"])
        merged["metadata"]["resourceVersion"] = new.get("metadata", {}).get("resourceVersion", "")
        merged["spec"] = dict(old.get("spec") or {})
        merged["spec"]["finalizers"] = list((new.get("spec") or {}).get("finalizers") or [])
        return merged

    def should_delete_during_update(self, new: dict, old: dict) -> bool:
        """A Terminating namespace also waits for its spec.finalizers (the namespace controller's)."""
        if (new.get("spec") or {}).get("finalizers"):
            return False
        return super().should_delete_during_update(new, old)


class NamespaceStorage(Storage):
    """The namespace REST's Delete: the first DELETE only marks it Terminating; it goes once no finalizer is left."""

    def delete(self, rt: ResourceType, obj: dict, changed: bool, dry_run: bool) -> dict:
        registry = self.registry  # this storage is part of the Registry: it writes through the Registry's helpers
        meta = obj["metadata"]
        if meta["name"] in IMMORTAL:  # the NamespaceLifecycle admission plugin, before the storage
            raise errors.forbidden("", "namespaces", meta["name"], "this namespace may not be deleted")
        if not meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = registry.clock.timestamp()
            meta["deletionGracePeriodSeconds"] = 0
            obj.setdefault("status", {})["phase"] = "Terminating"
            registry._put_unless_dry(rt, "", meta["name"], obj, dry_run)
            return obj
        if meta.get("finalizers") or (obj.get("spec") or {}).get("finalizers"):
            if changed:
                registry._put_unless_dry(rt, "", meta["name"], obj, dry_run)
            return obj
        if dry_run:
            return registry._deleted_response(rt, obj)
        return registry._deleted_response(rt, registry._remove(rt, "", meta["name"], obj))


KIND = Kind(
    types=(resources.lookup("", "v1", "namespaces"),),
    strategy=NamespaceStrategy(),
    defaults=defaults.set_namespace_defaults,
    validate=None,
    printer=cluster.namespace_printer,
    field_labels=("metadata.name", "status.phase"),
    scale=False,
    storage=NamespaceStorage,
    unlisted_subresources=("finalize",),  # the namespace controller's write
)
