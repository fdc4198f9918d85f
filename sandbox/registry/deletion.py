"""Deletion as the generic registry store does it: preconditions, graceful deletion where the kind's strategy asks
for it (pods: the simulated kubelet finishes it), finalizers, propagation policies recorded as the garbage
collector's finalizers, a kind's own deletion where its storage has one (namespaces terminate until finalized), and
the answer (the object, or a Status) a DELETE gets."""
from __future__ import annotations

import json
import time

from sandbox.machinery import errors, timestamps
from sandbox.machinery.errors import Cause, StatusError
from sandbox.machinery.resources import ResourceType
from sandbox.registry.options import DeleteOptions


class DeletionMixin:
    """Registry.delete and delete_collection (mixed into Registry, whose helpers they use)."""

    def delete(self, rt: ResourceType, namespace: str | None, name: str, options: DeleteOptions | None = None, *,
               grace_period_seconds: int | None = None, propagation_policy: str | None = None,
               preconditions: dict | None = None, dry_run: bool = False) -> dict:
        if options is not None:
            grace_period_seconds, propagation_policy = options.grace_period_seconds, options.propagation_policy
            preconditions, dry_run = options.preconditions, options.dry_run
        self.check_verb(rt, "delete")
        kind = self.kind(rt)
        obj = self._stored(rt, namespace, name)
        meta = obj["metadata"]
        check_preconditions(rt.group, rt.kind, meta, preconditions or {})
        if propagation_policy not in (None, "", "Background", "Foreground", "Orphan"):
            raise errors.invalid("meta.k8s.io", "DeleteOptions", "", [Cause(
                "propagationPolicy", f'Unsupported value: "{propagation_policy}": supported values: "Foreground", '
                '"Background", "Orphan", "nil"', "FieldValueNotSupported")])
        if grace_period_seconds is not None and grace_period_seconds < 0:
            grace_period_seconds = 0
        ns = self._ns(rt, namespace)
        changed = _propagation_finalizers(meta, propagation_policy)
        own = self._own["delete"].get(rt.storage_key)
        if own is not None:
            return own(rt, obj, changed, dry_run)
        if kind.strategy.graceful:
            pending = self._graceful(obj, grace_period_seconds)
            if pending is not None:
                if pending or changed:
                    self._put_unless_dry(rt, ns, name, obj, dry_run)
                return self._out(rt, obj)
            if meta.get("deletionGracePeriodSeconds"):  # the kubelet's final delete: finalizers may now finish it
                meta["deletionGracePeriodSeconds"] = 0
                changed = True
        if meta.get("finalizers"):
            if not meta.get("deletionTimestamp"):
                meta["deletionTimestamp"] = self.clock.timestamp()
                meta["deletionGracePeriodSeconds"] = 0
                changed = True
            if changed:
                self._put_unless_dry(rt, ns, name, obj, dry_run)
            return self._out(rt, obj)
        if dry_run:
            return self._deleted_response(rt, obj)
        return self._deleted_response(rt, self._remove(rt, ns, name, obj))

    def _graceful(self, pod: dict, grace: int | None) -> bool | None:
        """Pod graceful deletion (BeforeDelete): None when the pod may go now, else whether deletionTimestamp
        was set or shortened (False: already pending with a shorter grace period)."""
        meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            grace = 0  # nothing runs it: no kubelet has to stop anything
        current = meta.get("deletionGracePeriodSeconds")
        if meta.get("deletionTimestamp") and current is not None and current <= grace:
            return False if current > 0 else None
        if grace == 0:
            return None
        meta["deletionTimestamp"] = _now_plus(grace)
        meta["deletionGracePeriodSeconds"] = grace
        return True

    def _put_unless_dry(self, rt: ResourceType, ns: str, name: str, obj: dict, dry_run: bool) -> None:
        if not dry_run:
            self.store.put(rt.storage_key, ns, name, obj)

    def _remove(self, rt: ResourceType, ns: str, name: str, obj: dict) -> dict:
        raw = self.store.remove(rt.storage_key, ns, name)
        after = self._own["after_delete"].get(rt.storage_key)
        if after is not None:
            after(obj)
        return json.loads(raw) if raw else obj

    def _deleted_response(self, rt: ResourceType, obj: dict) -> dict:
        if self.kind(rt).strategy.return_deleted:
            return self._out(rt, obj)
        details = {"name": obj["metadata"]["name"], "kind": rt.plural, "uid": obj["metadata"].get("uid", "")}
        if rt.group:
            details = {"name": details["name"], "group": rt.group, "kind": rt.plural, "uid": details["uid"]}
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def delete_collection(self, rt: ResourceType, namespace: str | None, label_selector: str = "",
                          field_selector: str = "", options: DeleteOptions | None = None, **delete_options) -> dict:
        self.check_verb(rt, "deletecollection")
        listed = self.list(rt, namespace, label_selector, field_selector)
        deleted = []
        for item in listed["items"]:
            meta = item["metadata"]
            try:
                self.delete(rt, meta.get("namespace"), meta["name"], options, **delete_options)
            except StatusError as e:
                if e.code != 404:  # gone meanwhile is fine, as in the apiserver
                    raise
            deleted.append(item)
        listed["items"] = deleted
        return listed


def _now_plus(seconds: int) -> str:
    return timestamps.rfc3339(int(time.time() + seconds))


def _propagation_finalizers(meta: dict, policy: str | None) -> bool:
    """Record the propagation policy as the garbage collector's finalizers; True when they changed."""
    finalizers = list(meta.get("finalizers") or [])
    before = list(finalizers)
    if policy == "Orphan":
        finalizers = [f for f in finalizers if f != "foregroundDeletion"]
        if "orphan" not in finalizers:
            finalizers.append("orphan")
    elif policy == "Foreground":
        finalizers = [f for f in finalizers if f != "orphan"]
        if "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
    elif policy == "Background":
        finalizers = [f for f in finalizers if f not in ("orphan", "foregroundDeletion")]
    if finalizers == before:
        return False
    if finalizers:
        meta["finalizers"] = finalizers
    else:
        meta.pop("finalizers", None)
    return True


def check_preconditions(group: str, kind: str, meta: dict, preconditions: dict) -> None:
    """rest.BeforeDelete's early check (the eviction handler words its own alike): the conflict names the kind."""
    uid, rv = preconditions.get("uid"), preconditions.get("resourceVersion")
    if uid and uid != meta.get("uid"):
        raise errors.conflict(group, kind, meta["name"], f"the UID in the precondition ({uid}) does not match the "
                              f"UID in record ({meta.get('uid')}). The object might have been deleted and then "
                              "recreated")
    if rv and rv != meta.get("resourceVersion"):
        raise errors.conflict(group, kind, meta["name"], f"the ResourceVersion in the precondition ({rv}) does not "
                              f"match the ResourceVersion in record ({meta.get('resourceVersion')}). The object "
                              "might have been modified")
