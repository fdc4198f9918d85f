"""The namespace controller (pkg/controller/namespace/deletion): a deleted namespace stays Terminating while it
deletes everything in it, reporting progress in its five deletion conditions; when nothing is left it removes
the `kubernetes` finalizer through /finalize and the apiserver lets the namespace go."""
from __future__ import annotations

from sandbox.controllers.base import Controller, rt_of
from sandbox.machinery import resources
from sandbox.machinery.errors import StatusError

NAMESPACES = rt_of("", "namespaces")
FINALIZER = "kubernetes"
MANAGER = "kube-controller-manager"
RECHECK = 1.0  # simulated seconds between passes while content remains (pods take their grace period)

CONDITION_TYPES = ("NamespaceDeletionDiscoveryFailure", "NamespaceDeletionGroupVersionParsingFailure",
                   "NamespaceDeletionContentFailure", "NamespaceContentRemaining", "NamespaceFinalizersRemaining")
OK = {
    "NamespaceDeletionDiscoveryFailure": ("ResourcesDiscovered", "All resources successfully discovered"),
    "NamespaceDeletionGroupVersionParsingFailure": ("ParsedGroupVersions", "All legacy kube types successfully parsed"),
    "NamespaceDeletionContentFailure": ("ContentDeleted",
                                        "All content successfully deleted, may be waiting on finalization"),
    "NamespaceContentRemaining": ("ContentRemoved", "All content successfully removed"),
    "NamespaceFinalizersRemaining": ("ContentHasNoFinalizers", "All content-preserving finalizers finished"),
}


def namespaced_types() -> list:
    """What a terminating namespace is emptied of: every namespaced type that can be deleted (the custom resources
    of the CRDs served now included)."""
    out, seen = [], set()
    for rt in resources.served():
        if rt.namespaced and "delete" in rt.verbs and rt.storage_key not in seen:
            seen.add(rt.storage_key)
            out.append(resources.storage_type(rt.storage_key))
    return out


def conditions(old: list[dict], failures: dict[str, tuple[str, str]], now: str) -> list[dict]:
    """updateConditions: every deletion condition, False with its OK reason unless failing; lastTransitionTime
    moves only when the status does."""
    current = {c.get("type"): c for c in old or []}
    out = [c for c in old or [] if c.get("type") not in CONDITION_TYPES]
    for kind in CONDITION_TYPES:
        status, (reason, message) = ("True", failures[kind]) if kind in failures else ("False", OK[kind])
        previous = current.get(kind)
        since = previous["lastTransitionTime"] if previous and previous.get("status") == status else now
        out.append({"type": kind, "status": status, "lastTransitionTime": since, "reason": reason,
                    "message": message})
    return out


def remaining_failures(remaining: dict[str, int], finalizers: dict[str, int]) -> dict[str, tuple[str, str]]:
    failures = {}
    if remaining:
        parts = sorted(f"{resource} has {count} resource instances" for resource, count in remaining.items())
        failures["NamespaceContentRemaining"] = ("SomeResourcesRemain",
                                                 f"Some resources are remaining: {', '.join(parts)}")
    if finalizers:
        parts = sorted(f"{name} in {count} resource instances" for name, count in finalizers.items())
        failures["NamespaceFinalizersRemaining"] = (
            "SomeFinalizersRemain", f"Some content in the namespace has finalizers remaining: {', '.join(parts)}")
    return failures


class NamespaceController(Controller):
    name = "namespace-controller"

    def setup(self) -> None:
        self.namespaces = self.informer("", "namespaces")
        self.namespaces.add_handler(self._on_namespace)

    def _on_namespace(self, kind: str, old: dict | None, new: dict | None) -> None:
        if new is not None and new["metadata"].get("deletionTimestamp"):
            self.queue.add(new["metadata"]["name"])

    async def reconcile(self, name: str) -> None:
        namespace = self.namespaces.get(None, name)
        if namespace is None or not namespace["metadata"].get("deletionTimestamp"):
            return
        if FINALIZER not in ((namespace.get("spec") or {}).get("finalizers") or []):
            return
        remaining, finalizers, errors = self._delete_content(name)
        failures = remaining_failures(remaining, finalizers)
        if errors:
            failures["NamespaceDeletionContentFailure"] = (
                "ContentDeletionFailed", f"Failed to delete all resource types, {len(errors)} remaining: "
                                         f"{', '.join(sorted(errors))}")
        namespace = self._set_conditions(namespace, failures)
        if remaining or errors:
            self.enqueue_after(name, RECHECK)
            return
        body = {**namespace, "spec": {**(namespace.get("spec") or {}), "finalizers": [
            f for f in (namespace.get("spec") or {}).get("finalizers") or [] if f != FINALIZER]}}
        self.registry.update(NAMESPACES, None, name, body, subresource="finalize", field_manager=MANAGER)

    def _delete_content(self, namespace: str) -> tuple[dict, dict, list]:
        remaining: dict[str, int] = {}
        finalizers: dict[str, int] = {}
        errors: list[str] = []
        for rt in namespaced_types():
            items = self.registry.list(rt, namespace)["items"]
            for item in items:
                meta = item["metadata"]
                for finalizer in meta.get("finalizers") or []:
                    finalizers[finalizer] = finalizers.get(finalizer, 0) + 1
                if meta.get("deletionTimestamp"):
                    continue
                try:
                    self.registry.delete(rt, namespace, meta["name"], propagation_policy="Background")
                except StatusError as e:
                    if e.code != 404:
                        errors.append(e.message)
            left = len(self.registry.list(rt, namespace)["items"]) if items else 0
            if left:  # pods wait for their kubelet, objects with finalizers for whoever owns them
                remaining[f"{rt.plural}.{rt.group}"] = left
        return remaining, finalizers, errors

    def _set_conditions(self, namespace: dict, failures: dict) -> dict:
        status = namespace.get("status") or {}
        wanted = conditions(status.get("conditions") or [], failures, self.clock.timestamp())
        if wanted == status.get("conditions"):
            return namespace
        body = {**namespace, "status": {**status, "conditions": wanted}}
        return self.registry.update(NAMESPACES, None, namespace["metadata"]["name"], body, subresource="status",
                                    field_manager=MANAGER)
