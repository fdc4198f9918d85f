"""kube-controller-manager's pvc-protection and pv-protection controllers: a claim being deleted keeps its
`kubernetes.io/pvc-protection` finalizer while a scheduled pod names it in its volumes (so deleting a claim in use
leaves it Terminating until the pod goes); a volume being deleted keeps `kubernetes.io/pv-protection` while it is
Bound."""
from __future__ import annotations

from sandbox.controllers import volume_binding
from sandbox.controllers.base import Controller, key_of, rt_of, split_key
from sandbox.machinery.errors import StatusError

CLAIMS, VOLUMES = rt_of("", "persistentvolumeclaims"), rt_of("", "persistentvolumes")
PVC_PROTECTION, PV_PROTECTION = "kubernetes.io/pvc-protection", "kubernetes.io/pv-protection"
MANAGER = "kube-controller-manager"


class VolumeProtectionController(Controller):
    name = "volume-protection-controller"

    def setup(self) -> None:
        self.claims = self.informer("", "persistentvolumeclaims")
        self.volumes = self.informer("", "persistentvolumes")
        self.pods = self.informer("", "pods")
        self.claims.add_handler(lambda kind, old, new: new is not None and self.queue.add("claim:" + key_of(new)))
        self.volumes.add_handler(lambda kind, old, new: new is not None and self.queue.add(
            "volume:" + new["metadata"]["name"]))
        self.pods.add_handler(self._on_pod)

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        pod = new or old
        for name in volume_binding.claim_names(pod):
            self.queue.add(f"claim:{pod['metadata']['namespace']}/{name}")

    def _in_use(self, namespace: str, name: str) -> bool:
        """podUsesPVC: a pod bound to a node whose volumes name the claim."""
        return any((p.get("spec") or {}).get("nodeName") and name in volume_binding.claim_names(p)
                   for p in self.pods.list(namespace))

    async def reconcile(self, key: str) -> None:
        kind, _, name = key.partition(":")
        if kind == "claim":
            namespace, claim_name = split_key(name)
            obj, rt, finalizer = self.claims.get(namespace, claim_name), CLAIMS, PVC_PROTECTION
            if obj is None or not obj["metadata"].get("deletionTimestamp") or self._in_use(namespace, claim_name):
                return
        else:
            obj, rt, finalizer = self.volumes.get(None, name), VOLUMES, PV_PROTECTION
            if obj is None or not obj["metadata"].get("deletionTimestamp") or \
                    (obj.get("status") or {}).get("phase") == "Bound":
                return
        finalizers = obj["metadata"].get("finalizers") or []
        if finalizer not in finalizers:
            return
        meta = {**obj["metadata"], "finalizers": [f for f in finalizers if f != finalizer]}
        try:
            self.registry.update(rt, meta.get("namespace"), meta["name"], {**obj, "metadata": meta},
                                 field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise
