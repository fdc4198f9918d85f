"""The root CA certificate publisher: a `kube-root-ca.crt` ConfigMap with the cluster's CA in every active
namespace (the projected service account volume every pod gets refers to it), put back if deleted or edited."""
from __future__ import annotations

from sandbox.controllers.base import Controller, rt_of
from sandbox.machinery.errors import StatusError

CONFIG_MAPS = rt_of("", "configmaps")
NAME = "kube-root-ca.crt"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
               "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
               "distributions of Kubernetes clusters.")
MANAGER = "kube-controller-manager"


class RootCAPublisher(Controller):
    name = "root-ca-cert-publisher"

    def setup(self) -> None:
        self.namespaces = self.informer("", "namespaces")
        self.config_maps = self.informer("", "configmaps")
        self.namespaces.add_handler(lambda kind, old, new: new and self.queue.add(new["metadata"]["name"]))
        self.config_maps.add_handler(self._on_config_map)

    def _on_config_map(self, kind: str, old: dict | None, new: dict | None) -> None:
        obj = new or old
        if obj["metadata"]["name"] == NAME:
            self.queue.add(obj["metadata"]["namespace"])

    async def reconcile(self, namespace: str) -> None:
        ns = self.namespaces.get(None, namespace)
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            return
        data = {"ca.crt": self.ctx.root_ca}
        current = self.config_maps.get(namespace, NAME)
        if current is not None and current.get("data") == data:
            return
        meta = {"name": NAME, "namespace": namespace, "annotations": {"kubernetes.io/description": DESCRIPTION}}
        try:
            if current is None:
                self.registry.create(CONFIG_MAPS, namespace, {"apiVersion": "v1", "kind": "ConfigMap",
                                                              "metadata": meta, "data": data}, field_manager=MANAGER)
            else:
                self.registry.update(CONFIG_MAPS, namespace, NAME, {**current, "data": data}, field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (403, 404, 409):  # terminating, gone, or changed meanwhile (a new event follows)
                raise
