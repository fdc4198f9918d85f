"""The garbage collector (pkg/controller/garbagecollector): objects whose owners are all gone are deleted
(background), an owner deleted with propagationPolicy=Foreground (finalizer `foregroundDeletion`) waits until
its blocking dependents are gone, and one deleted with Orphan (finalizer `orphan`) has its dependents' owner
references removed first. The graph is the informer caches: an index of dependents by owner uid and one of
objects by uid, across every stored type."""
from __future__ import annotations

import json

from sandbox.controllers.base import ADDED, DELETED, Controller, key_of, split_key
from sandbox.machinery import resources
from sandbox.machinery.errors import StatusError

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
MANAGER = "kube-controller-manager"
# GetDeletableResources: the types that can be listed, watched and deleted (not metrics, not the reviews)
DELETABLE = {"delete", "list", "watch"}
SKIPPED_KEYS = ("events",)  # nothing owns events; skipping them keeps the busiest type out of the graph


def storage_keys() -> list[str]:
    keys = []
    for rt in resources.served():
        if DELETABLE <= set(rt.verbs) and rt.storage_key not in SKIPPED_KEYS and rt.storage_key not in keys:
            keys.append(rt.storage_key)
    return keys


def _owner_uids(obj: dict) -> list[str]:
    return [ref["uid"] for ref in obj["metadata"].get("ownerReferences") or [] if ref.get("uid")]


def _finalizers(obj: dict) -> list[str]:
    return obj["metadata"].get("finalizers") or []


def _deleting(obj: dict) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


class GarbageCollector(Controller):
    name = "garbagecollector"

    def setup(self) -> None:
        self.caches = {}
        self._monitor_served_types()
        # the graph grows with the CRDs (the real collector's monitors follow discovery): custom resources may own
        # and be owned
        crds = self.informer("apiextensions.k8s.io", "customresourcedefinitions")
        crds.add_handler(lambda kind, old, new: self._monitor_served_types())

    def _monitor_served_types(self) -> None:
        for storage_key in storage_keys():
            if storage_key in self.caches:
                continue
            informer = self.ctx.informers.informer(resources.storage_type(storage_key))
            informer.add_index("owner", _owner_uids)
            informer.add_index("uid", lambda obj: [obj["metadata"]["uid"]])
            informer.add_handler(lambda kind, old, new, key=storage_key: self._on_change(key, kind, old, new))
            self.caches[storage_key] = informer

    # the graph ----------------------------------------------------------------------------------------------------
    def find(self, uid: str) -> tuple[str, dict] | None:
        for storage_key, informer in self.caches.items():
            found = informer.by_index("uid", uid)
            if found:
                return storage_key, found[0]
        return None

    def dependents(self, uid: str) -> list[tuple[str, dict]]:
        return [(key, obj) for key, informer in self.caches.items() for obj in informer.by_index("owner", uid)]

    def _on_change(self, storage_key: str, kind: str, old: dict | None, new: dict | None) -> None:
        obj = new or old
        if kind == DELETED:
            for dep_key, dep in self.dependents(obj["metadata"]["uid"]):
                self.queue.add(("delete", dep_key, key_of(dep)))
            for uid in _owner_uids(obj):  # a foreground owner may have been waiting for this one
                owner = self.find(uid)
                if owner is not None and FOREGROUND in _finalizers(owner[1]):
                    self.queue.add(("delete", owner[0], key_of(owner[1])))
            return
        meta, old_meta = new["metadata"], (old or {"metadata": {}})["metadata"]
        if kind == ADDED or meta.get("ownerReferences") != old_meta.get("ownerReferences"):
            if _owner_uids(new):
                self.queue.add(("delete", storage_key, key_of(new)))
        if _deleting(new) and (meta.get("finalizers") != old_meta.get("finalizers") or kind == ADDED):
            if ORPHAN in _finalizers(new):
                self.queue.add(("orphan", storage_key, key_of(new)))
            if FOREGROUND in _finalizers(new):
                self.queue.add(("delete", storage_key, key_of(new)))
                for dep_key, dep in self.dependents(meta["uid"]):
                    self.queue.add(("delete", dep_key, key_of(dep)))

    # work ---------------------------------------------------------------------------------------------------------
    async def reconcile(self, item: tuple) -> None:
        action, storage_key, key = item
        obj = self.caches[storage_key].get_by_key(key)
        if obj is None:
            return
        if action == "orphan":
            self._orphan(storage_key, obj)
        else:
            self._attempt_to_delete(storage_key, obj)

    def _attempt_to_delete(self, storage_key: str, obj: dict) -> None:
        if _deleting(obj):
            if FOREGROUND in _finalizers(obj):
                self._deleting_dependents(storage_key, obj)
            return
        refs = obj["metadata"].get("ownerReferences") or []
        if not refs:
            return
        solid, gone, waiting = [], [], []
        for ref in refs:
            found = self.find(ref.get("uid", ""))
            if found is None:
                gone.append(ref)
            elif _deleting(found[1]) and FOREGROUND in _finalizers(found[1]):
                waiting.append(ref)
            else:
                solid.append(ref)
        if solid:
            if gone or waiting:  # keep the object, forget the owners that are going away
                dropped = {r.get("uid") for r in gone + waiting}
                self._update(storage_key, obj, lambda meta: meta.__setitem__(
                    "ownerReferences", [r for r in refs if r.get("uid") not in dropped]))
            return
        if waiting and self.dependents(obj["metadata"]["uid"]):
            policy = "Foreground"  # the waiting owner must also wait for this object's own dependents
        elif ORPHAN in _finalizers(obj):
            policy = "Orphan"
        elif FOREGROUND in _finalizers(obj):
            policy = "Foreground"
        else:
            policy = "Background"
        self._delete(storage_key, obj, policy)

    def _deleting_dependents(self, storage_key: str, owner: dict) -> None:
        """An owner deleted in the foreground: gone once no dependent with blockOwnerDeletion is left."""
        uid = owner["metadata"]["uid"]
        blocking = [(key, dep) for key, dep in self.dependents(uid)
                    if any(r.get("uid") == uid and r.get("blockOwnerDeletion") for r in
                           dep["metadata"].get("ownerReferences") or [])]
        if not blocking:
            self._update(storage_key, owner, lambda meta: _drop_finalizer(meta, FOREGROUND))
            return
        for key, dep in blocking:
            if not _deleting(dep):
                self.queue.add(("delete", key, key_of(dep)))

    def _orphan(self, storage_key: str, owner: dict) -> None:
        uid = owner["metadata"]["uid"]
        for key, dep in self.dependents(uid):
            self._update(key, dep, lambda meta: meta.__setitem__(
                "ownerReferences", [r for r in meta.get("ownerReferences") or [] if r.get("uid") != uid]))
        self._update(storage_key, owner, lambda meta: _drop_finalizer(meta, ORPHAN))

    # writes -------------------------------------------------------------------------------------------------------
    def _update(self, storage_key: str, obj: dict, change) -> None:
        body = json.loads(json.dumps(obj))
        change(body["metadata"])
        if not body["metadata"].get("ownerReferences"):
            body["metadata"].pop("ownerReferences", None)
        namespace, name = split_key(key_of(obj))
        try:
            self.registry.update(resources.storage_type(storage_key), namespace, name, body, field_manager=MANAGER)
        except StatusError as e:
            if e.code != 404:  # a conflict fails the work item, which is retried with back-off
                raise

    def _delete(self, storage_key: str, obj: dict, policy: str) -> None:
        namespace, name = split_key(key_of(obj))
        try:
            self.registry.delete(resources.storage_type(storage_key), namespace, name, propagation_policy=policy,
                                 preconditions={"uid": obj["metadata"]["uid"]})
        except StatusError as e:
            if e.code not in (404, 409):
                raise


def _drop_finalizer(meta: dict, finalizer: str) -> None:
    remaining = [f for f in meta.get("finalizers") or [] if f != finalizer]
    if remaining:
        meta["finalizers"] = remaining
    else:
        meta.pop("finalizers", None)
