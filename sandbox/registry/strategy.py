"""Strategy: a kind's rules for the generic store, as kube-apiserver's rest.RESTCreateStrategy, RESTUpdateStrategy
and RESTDeleteStrategy define them. The Registry runs the sequence once for every kind (decode, prepare, default,
validate, record managed fields, store) and asks the kind's strategy at each step; a kind overrides only what
differs from the defaults here, and its status strategy only what differs for /status.

    prepare_for_create(obj)            what create resets and sets (status dropped, generation 1, a kind's own)
    prepare_for_update(rt, new, old)   what an update of the main resource keeps (the status) and moves (generation)
    prepare_for_status_update(new, old)  what /status takes from the request (status, and metadata for some kinds)
    prepare_for_subresource_update(subresource, new, old)  a kind's other writable subresource (namespaces/finalize)
    should_delete_during_update(new, old)  an update that removes the last finalizer completes a deletion
    validates_object_meta              False when the kind's Validate leaves ObjectMeta to the store (it is checked
                                       after the kind's own rules, and only if they pass, on create)
    graceful / return_deleted          deletion waits for a kubelet (pods) / DELETE answers with the object
"""
from __future__ import annotations

from sandbox.machinery.resources import ResourceType

# generation rules: when metadata.generation moves on an update of the main resource
SPEC = "spec"  # when spec changes (ReplicaSet, Pod, PodDisruptionBudget)
SPEC_OR_ANNOTATIONS = "spec+annotations"  # Deployment: its annotations are copied to its ReplicaSets
NOT_METADATA_OR_STATUS = "custom"  # custom resources: anything but metadata and status


class Strategy:
    """The generic store's behaviour: no generation, status kept as sent, immediate deletion answered with a
    Status. Kinds subclass it (or configure an instance) where kube-apiserver's strategy for them differs."""

    def __init__(self, *, generation: str | None = None, reset_status_on_create: bool = False,
                 graceful: bool = False, return_deleted: bool = False, validates_object_meta: bool = True,
                 status_keeps_metadata: tuple[str, ...] | None = None):
        self.generation = generation
        self.reset_status_on_create = reset_status_on_create  # whatever status a client sends on create is dropped
        self.graceful = graceful  # deletion sets deletionTimestamp and waits (pods: the kubelet finishes it)
        self.return_deleted = return_deleted  # DELETE answers with the object instead of a Status
        self.validates_object_meta = validates_object_meta
        # /status takes the request's metadata, bar these fields (kept from the stored object), instead of keeping
        # the stored metadata (ResetObjectMetaForStatus): the deployment controller writes its revision annotation
        # through /status so that the generation does not move.
        self.status_keeps_metadata = status_keeps_metadata

    # create -----------------------------------------------------------------------------------------------------
    def prepare_for_create(self, obj: dict) -> None:
        if self.reset_status_on_create:
            obj.pop("status", None)
        if self.generation:
            obj["metadata"]["generation"] = 1

    # update -----------------------------------------------------------------------------------------------------
    def prepare_for_update(self, rt: ResourceType, new: dict, old: dict) -> None:
        """Main-resource update: keep the stored status (when it is a subresource), move generation."""
        if "status" in rt.subresources:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        self.bump_generation(new, old)

    def prepare_for_status_update(self, new: dict, old: dict) -> dict:
        """/status writes status: everything else comes from the stored object (see status_keeps_metadata)."""
        merged = {k: v for k, v in old.items() if k not in ("metadata", "status")}
        new_meta = new.get("metadata") or {}
        kept = self.status_keeps_metadata
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

    def prepare_for_subresource_update(self, subresource: str, new: dict, old: dict) -> dict | None:
        """A writable subresource of the kind other than status and scale; None: the kind has no such subresource."""
        return None

    def bump_generation(self, new: dict, old: dict) -> None:
        old_generation = old["metadata"].get("generation")
        if self.generation is None:
            if old_generation is None:
                new["metadata"].pop("generation", None)
            else:
                new["metadata"]["generation"] = old_generation
            return
        changed = new.get("spec") != old.get("spec")
        if self.generation == SPEC_OR_ANNOTATIONS:
            changed = changed or new["metadata"].get("annotations") != old["metadata"].get("annotations")
        elif self.generation == NOT_METADATA_OR_STATUS:
            changed = ({k: v for k, v in new.items() if k not in ("metadata", "status")}
                       != {k: v for k, v in old.items() if k not in ("metadata", "status")})
        new["metadata"]["generation"] = (old_generation or 1) + (1 if changed else 0)

    # delete -----------------------------------------------------------------------------------------------------
    def should_delete_during_update(self, new: dict, old: dict) -> bool:
        """ShouldDeleteDuringUpdate: an object being deleted whose last finalizer this update removes goes now."""
        if new["metadata"].get("finalizers") or not old["metadata"].get("deletionTimestamp"):
            return False
        return not old["metadata"].get("deletionGracePeriodSeconds")
