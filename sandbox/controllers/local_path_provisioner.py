"""kind's local-path provisioner (rancher.io/local-path, the `standard` StorageClass), simulated: a claim the PV
controller hands to it (the storage-provisioner annotation) once the scheduler has named a node
(volume.kubernetes.io/selected-node) gets, a moment later, a PersistentVolume `pvc-<claim uid>`: a hostPath
directory /var/local-path-provisioner/pvc-<uid>_<namespace>_<claim> on that node (DirectoryOrCreate), pinned to it
by nodeAffinity on kubernetes.io/hostname, pre-bound to the claim (claimRef), with the class's reclaim policy and
the annotations the provisioner writes (pv.kubernetes.io/provisioned-by, local.path.provisioner/selected-node);
the Provisioning and ProvisioningSucceeded events on the claim. A released volume of reclaim policy Delete is
deleted, its directory with it. With the process runtime the directory exists on this machine, under the run
directory's nodes/<node>/ (what a container of that pod sees at the volume's mountPath)."""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from sandbox.controllers import volume_binding
from sandbox.controllers.base import Controller, key_of, rt_of, split_key
from sandbox.machinery.errors import StatusError

CLAIMS, VOLUMES = rt_of("", "persistentvolumeclaims"), rt_of("", "persistentvolumes")
PROVISIONER = "rancher.io/local-path"
BASE_PATH = "/var/local-path-provisioner"
STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
SELECTED_NODE_ANNOTATION = "local.path.provisioner/selected-node"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
PROVISIONING_SECONDS = 1.5  # the helper pod that makes the directory
MANAGER = "local-path-provisioner"
# the provisioner's pod and its leader-election identity, as the events' source names them
IDENTITY = f"{PROVISIONER}_local-path-provisioner-7dc846544d-x8f2l_{uuid.uuid5(uuid.NAMESPACE_DNS, 'sandbox')}"


def volume_path(claim: dict) -> str:
    meta = claim["metadata"]
    return f"{BASE_PATH}/pvc-{meta['uid']}_{meta['namespace']}_{meta['name']}"


def provisioned_volume(claim: dict, storage_class: dict, node: dict) -> dict:
    meta, spec = claim["metadata"], claim.get("spec") or {}
    hostname = (node["metadata"].get("labels") or {}).get("kubernetes.io/hostname") or node["metadata"]["name"]
    return {"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": f"pvc-{meta['uid']}", "annotations": {
                SELECTED_NODE_ANNOTATION: node["metadata"]["name"], PROVISIONED_BY: PROVISIONER}},
            "spec": {"accessModes": list(spec.get("accessModes") or []),
                     "capacity": {"storage": ((spec.get("resources") or {}).get("requests") or {}).get("storage")},
                     "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": meta["namespace"],
                                  "name": meta["name"], "uid": meta["uid"], "resourceVersion": meta["resourceVersion"]},
                     "hostPath": {"path": volume_path(claim), "type": "DirectoryOrCreate"},
                     "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                         {"key": "kubernetes.io/hostname", "operator": "In", "values": [hostname]}]}]}},
                     "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy") or "Delete",
                     "storageClassName": storage_class["metadata"]["name"],
                     "volumeMode": spec.get("volumeMode") or "Filesystem"}}


class LocalPathProvisioner(Controller):
    name = "local-path-provisioner"

    def setup(self) -> None:
        self.claims = self.informer("", "persistentvolumeclaims")
        self.volumes = self.informer("", "persistentvolumes")
        self.classes = self.informer("storage.k8s.io", "storageclasses")
        self.nodes = self.informer("", "nodes")
        self.started_at: dict[str, float] = {}  # claim uid -> simulated moment provisioning began
        self.claims.add_handler(lambda kind, old, new: new is not None and self.queue.add("claim:" + key_of(new)))
        self.volumes.add_handler(lambda kind, old, new: new is not None and self.queue.add(
            "volume:" + new["metadata"]["name"]))

    def directory(self, node: str, path: str) -> Path | None:
        """Where a volume of `node` lives on this machine (None without the process runtime)."""
        runtime = self.ctx.runtime
        if runtime is None:
            return None
        return Path(runtime.run_directory) / "nodes" / node / path.lstrip("/")

    async def reconcile(self, key: str) -> None:
        kind, _, name = key.partition(":")
        if kind == "volume":
            volume = self.volumes.get(None, name)
            if volume is not None:
                self._reclaim(volume)
            return
        claim = self.claims.get(*split_key(name))
        if claim is None or (claim.get("spec") or {}).get("volumeName") or claim["metadata"].get("deletionTimestamp"):
            return
        annotations = claim["metadata"].get("annotations") or {}
        if annotations.get(STORAGE_PROVISIONER) != PROVISIONER:
            return
        if self.volumes.get(None, f"pvc-{claim['metadata']['uid']}") is not None:
            return
        storage_class = self.classes.get(None, volume_binding.class_of(claim))
        node_name = annotations.get(volume_binding.SELECTED_NODE)
        if storage_class is None:
            return
        if not node_name:
            self.recorder.event(claim, "Warning", "ProvisioningFailed", f'failed to provision volume with StorageClass '
                                f'"{storage_class["metadata"]["name"]}": configuration error, no node was specified',
                                component=IDENTITY, manager=MANAGER)
            return
        uid = claim["metadata"]["uid"]
        now = self.clock.now()
        if uid not in self.started_at:
            self.started_at[uid] = now
            self.recorder.event(claim, "Normal", "Provisioning", f'External provisioner is provisioning volume for '
                                f'claim "{claim["metadata"]["namespace"]}/{claim["metadata"]["name"]}"',
                                component=IDENTITY, manager=MANAGER)
        if now - self.started_at[uid] < PROVISIONING_SECONDS:
            self.enqueue_after(key, PROVISIONING_SECONDS - (now - self.started_at[uid]) + 0.01)
            return
        node = self.nodes.get(None, node_name) or {"metadata": {"name": node_name}}
        volume = provisioned_volume(claim, storage_class, node)
        real = self.directory(node_name, volume["spec"]["hostPath"]["path"])
        if real is not None:
            real.mkdir(parents=True, exist_ok=True)
        try:
            self.registry.create(VOLUMES, None, volume, field_manager=MANAGER)
        except StatusError as e:
            if e.code != 409:
                raise
        self.started_at.pop(uid, None)
        self.recorder.event(claim, "Normal", "ProvisioningSucceeded",
                            f"Successfully provisioned volume {volume['metadata']['name']}", component=IDENTITY,
                            manager=MANAGER)

    def _reclaim(self, volume: dict) -> None:
        """A released volume of ours with reclaim policy Delete: its directory, then the object."""
        meta, spec = volume["metadata"], volume.get("spec") or {}
        if (meta.get("annotations") or {}).get(PROVISIONED_BY) != PROVISIONER or meta.get("deletionTimestamp"):
            return
        if (volume.get("status") or {}).get("phase") != "Released" or \
                spec.get("persistentVolumeReclaimPolicy") != "Delete":
            return
        node = (meta.get("annotations") or {}).get(SELECTED_NODE_ANNOTATION, "")
        real = self.directory(node, (spec.get("hostPath") or {}).get("path") or "") if node else None
        if real is not None:
            shutil.rmtree(real, ignore_errors=True)
        try:
            self.registry.delete(VOLUMES, None, meta["name"], preconditions={"uid": meta["uid"]})
        except StatusError as e:
            if e.code not in (404, 409):
                raise
