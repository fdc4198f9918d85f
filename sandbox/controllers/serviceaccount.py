"""The service account controller: every active namespace has a `default` ServiceAccount; one that is deleted
is made again."""
from __future__ import annotations

from sandbox.controllers.base import DELETED, Controller, rt_of
from sandbox.machinery.errors import StatusError

SERVICE_ACCOUNTS = rt_of("", "serviceaccounts")
DEFAULT = "default"
MANAGER = "kube-controller-manager"


class ServiceAccountController(Controller):
    name = "serviceaccount-controller"

    def setup(self) -> None:
        self.namespaces = self.informer("", "namespaces")
        self.accounts = self.informer("", "serviceaccounts")
        self.namespaces.add_handler(lambda kind, old, new: new and self.queue.add(new["metadata"]["name"]))
        self.accounts.add_handler(self._on_account)

    def _on_account(self, kind: str, old: dict | None, new: dict | None) -> None:
        if kind == DELETED and old["metadata"]["name"] == DEFAULT:
            self.queue.add(old["metadata"]["namespace"])

    async def reconcile(self, namespace: str) -> None:
        ns = self.namespaces.get(None, namespace)
        if ns is None or ns["metadata"].get("deletionTimestamp") or (ns.get("status") or {}).get("phase") == \
                "Terminating":
            return
        if self.accounts.get(namespace, DEFAULT) is not None:
            return
        body = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": DEFAULT, "namespace": namespace}}
        try:
            self.registry.create(SERVICE_ACCOUNTS, namespace, body, field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (403, 404, 409):  # terminating, gone, or made meanwhile
                raise
