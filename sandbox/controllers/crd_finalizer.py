"""apiextensions-apiserver's finalizer controller: a CustomResourceDefinition marked for deletion has every one of
its custom resources deleted (Terminating: InstanceDeletionInProgress), then, none left, its
customresourcecleanup.apiextensions.k8s.io finalizer removed (InstanceDeletionCompleted), which lets it go."""
from __future__ import annotations

from sandbox.controllers.base import Controller, rt_of
from sandbox.machinery import conditions, resources
from sandbox.machinery.errors import StatusError
from sandbox.registry.custom_resources import CLEANUP_FINALIZER

CRDS = rt_of("apiextensions.k8s.io", "customresourcedefinitions")
MANAGER = "kube-apiserver"


class CRDFinalizerController(Controller):
    name = "crd-finalizer-controller"

    def setup(self) -> None:
        self.crds = self.informer("apiextensions.k8s.io", "customresourcedefinitions")
        self.crds.add_handler(lambda kind, old, new: new and self.queue.add(new["metadata"]["name"]))

    async def reconcile(self, name: str) -> None:
        crd = self.crds.get(None, name)
        if crd is None or not crd["metadata"].get("deletionTimestamp") or \
                CLEANUP_FINALIZER not in (crd["metadata"].get("finalizers") or []):
            return
        try:
            await self._finalize(crd)
        except StatusError as e:
            if e.code == 409:
                self.queue.add(name)
            elif e.code != 404:
                raise

    async def _finalize(self, crd: dict) -> None:
        name = crd["metadata"]["name"]
        crd = self._condition(crd, "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress")
        types = resources.custom_types(crd)
        if types:
            rt = next((t for t in types if t.version == t.storage_version), types[0])
            if resources.custom_definition(rt) is not None:
                for item in self.registry.list(rt)["items"]:
                    meta = item["metadata"]
                    try:
                        self.registry.delete(rt, meta.get("namespace"), meta["name"])
                    except StatusError as e:
                        if e.code != 404:
                            raise
                if self.registry.list(rt)["items"]:  # some wait for their own finalizers: come back
                    self.enqueue_after(name, 5)
                    return
        crd = self._condition(crd, "False", "InstanceDeletionCompleted", "removed all instances")
        body = dict(crd, metadata=dict(crd["metadata"], finalizers=[
            f for f in crd["metadata"].get("finalizers") or [] if f != CLEANUP_FINALIZER]))
        self.registry.update(CRDS, None, name, body, field_manager=MANAGER)

    def _condition(self, crd: dict, status: str, reason: str, message: str) -> dict:
        current = conditions.find((crd.get("status") or {}).get("conditions"), "Terminating")
        if current and (current.get("status"), current.get("reason")) == (status, reason):
            return crd
        new_status = dict(crd.get("status") or {})
        new_status["conditions"] = conditions.set_condition_in_list(
            new_status.get("conditions"), "Terminating", status, reason, message, self.ctx.clock.timestamp())
        return self.registry.update(CRDS, None, crd["metadata"]["name"], dict(crd, status=new_status),
                                    subresource="status", field_manager=MANAGER)
