"""kube-controller-manager's PersistentVolume controller (pkg/controller/volume/persistentvolume), the binder:

- an unbound claim gets the best matching available volume (volume_binding.best_match), the two bound to each
  other (the volume's claimRef, the claim's volumeName, `pv.kubernetes.io/bind-completed` and
  `pv.kubernetes.io/bound-by-controller`, both Bound with the claim's status carrying the volume's capacity and
  access modes). Without one: a claim of a WaitForFirstConsumer class waits for the scheduler (the
  WaitForFirstConsumer event, or WaitForPodScheduled naming its pods), then, once the scheduler has named a node,
  is handed to its class's external provisioner (the storage-provisioner annotations and the ExternalProvisioning
  event); a claim of an Immediate class is handed over at once; a claim without a class gets FailedBinding.
- a volume is Available without a claimRef, Bound with its claim, Released once the claim is gone; then its
  reclaim policy decides: Retain keeps it Released, Delete leaves it to the provisioner that made it (which
  deletes it) or, for a volume made by hand, fails it (VolumeFailedDelete), as the real controller does without a
  deleter plugin."""
from __future__ import annotations

from sandbox.controllers import volume_binding
from sandbox.controllers.base import DELETED, Controller, key_of, rt_of, split_key
from sandbox.machinery.errors import StatusError

CLAIMS, VOLUMES, PODS = rt_of("", "persistentvolumeclaims"), rt_of("", "persistentvolumes"), rt_of("", "pods")
COMPONENT = "persistentvolume-controller"
MANAGER = "kube-controller-manager"
BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
STORAGE_PROVISIONER = ("volume.beta.kubernetes.io/storage-provisioner", "volume.kubernetes.io/storage-provisioner")


class PersistentVolumeController(Controller):
    name = "persistentvolume-binder-controller"

    def setup(self) -> None:
        self.claims = self.informer("", "persistentvolumeclaims")
        self.volumes = self.informer("", "persistentvolumes")
        self.classes = self.informer("storage.k8s.io", "storageclasses")
        self.pods = self.informer("", "pods")
        self.announced: dict[str, tuple] = {}  # claim uid -> the last waiting event it got
        self.claims.add_handler(self._on_claim)
        self.volumes.add_handler(self._on_volume)
        self.pods.add_handler(self._on_pod)

    def _on_claim(self, kind: str, old: dict | None, new: dict | None) -> None:
        claim = new or old
        self.queue.add("claim:" + key_of(claim))
        if kind == DELETED:
            self.announced.pop(claim["metadata"]["uid"], None)
            name = (claim.get("spec") or {}).get("volumeName")
            if name:
                self.queue.add("volume:" + name)
        for volume in self.volumes.list():  # a volume that waits for this claim (by name) looks again
            ref = (volume.get("spec") or {}).get("claimRef") or {}
            if ref.get("name") == claim["metadata"]["name"] and ref.get("namespace") == claim["metadata"].get(
                    "namespace"):
                self.queue.add("volume:" + volume["metadata"]["name"])

    def _on_volume(self, kind: str, old: dict | None, new: dict | None) -> None:
        """A volume changed: it syncs, and unbound claims look again (the real controller's periodic resync)."""
        self.queue.add("volume:" + (new or old)["metadata"]["name"])
        if new is not None and (new.get("status") or {}).get("phase") == "Available":
            for claim in self.claims.list():
                if not (claim.get("spec") or {}).get("volumeName"):
                    self.queue.add("claim:" + key_of(claim))

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        if kind == "ADDED" and new is not None:
            for name in volume_binding.claim_names(new):
                self.queue.add(f"claim:{new['metadata']['namespace']}/{name}")

    async def reconcile(self, key: str) -> None:
        kind, _, name = key.partition(":")
        if kind == "claim":
            namespace, claim_name = split_key(name)
            claim = self.claims.get(namespace, claim_name)
            if claim is not None:
                self._sync_claim(claim)
        else:
            volume = self.volumes.get(None, name)
            if volume is not None:
                self._sync_volume(volume)

    # claims -----------------------------------------------------------------------------------------------------
    def _sync_claim(self, claim: dict) -> None:
        name = (claim.get("spec") or {}).get("volumeName")
        if name:
            volume = self.volumes.get(None, name)
            if volume is None:
                if (claim.get("status") or {}).get("phase") == "Bound":
                    self._claim_status(claim, "Lost")
                    self.recorder.event(claim, "Warning", "ClaimLost", "Bound claim has lost reference to "
                                        "PersistentVolume. Data on the volume is lost!", component=COMPONENT,
                                        manager=MANAGER)
                return
            if not (volume.get("spec") or {}).get("claimRef"):
                volume = self._bind_volume(volume, claim)
            if volume is not None and volume_binding.bound_to(volume, claim):
                self._bind_claim(claim, volume, by_controller=False)
            return
        classes = {c["metadata"]["name"]: c for c in self.classes.list()}
        delay = volume_binding.delayed(claim, classes)
        volume = volume_binding.best_match(claim, self.volumes.list(), None, delay)
        if volume is not None:
            if not (volume.get("spec") or {}).get("claimRef"):
                volume = self._bind_volume(volume, claim)
            if volume is not None:
                self._bind_claim(claim, volume, by_controller=True)
            return
        annotations = claim["metadata"].get("annotations") or {}
        provisioner = (classes.get(volume_binding.class_of(claim)) or {}).get("provisioner")
        if delay and volume_binding.SELECTED_NODE not in annotations:
            self._announce_waiting(claim)
        elif volume_binding.class_of(claim) and provisioner:
            self._hand_to_provisioner(claim, provisioner)
        elif not volume_binding.class_of(claim):
            self._announce(claim, "Normal", "FailedBinding",
                           "no persistent volumes available for this claim and no storage class is set")

    def _announce(self, claim: dict, kind: str, reason: str, message: str) -> None:
        """An event once per claim and message (the real controller repeats it every resync; the count would
        grow the same way)."""
        uid = claim["metadata"]["uid"]
        if self.announced.get(uid) != (reason, message):
            self.announced[uid] = (reason, message)
            self.recorder.event(claim, kind, reason, message, component=COMPONENT, manager=MANAGER)

    def _announce_waiting(self, claim: dict) -> None:
        """emitEventForUnboundDelayBindingClaim."""
        namespace, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        waiting = sorted(p["metadata"]["name"] for p in self.pods.list(namespace)
                         if not (p.get("spec") or {}).get("nodeName") and name in volume_binding.claim_names(p))
        if not waiting:
            self._announce(claim, "Normal", "WaitForFirstConsumer", "waiting for first consumer to be created before "
                           "binding")
        elif len(waiting) == 1:
            self._announce(claim, "Normal", "WaitForPodScheduled", f"waiting for pod {waiting[0]} to be scheduled")
        else:
            self._announce(claim, "Normal", "WaitForPodScheduled",
                           f"waiting for pods {','.join(waiting)} to be scheduled")

    def _hand_to_provisioner(self, claim: dict, provisioner: str) -> None:
        """provisionClaim for an external provisioner: the claim names it; the provisioner does the rest."""
        meta = claim["metadata"]
        annotations = meta.get("annotations") or {}
        if all(annotations.get(key) == provisioner for key in STORAGE_PROVISIONER):
            return
        annotations = {**annotations, **{key: provisioner for key in STORAGE_PROVISIONER}}
        try:
            claim = self.registry.update(CLAIMS, meta["namespace"], meta["name"], {
                **claim, "metadata": {**meta, "annotations": annotations}}, field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise
            return
        self._announce(claim, "Normal", "ExternalProvisioning", f"Waiting for a volume to be created either by the "
                       f"external provisioner '{provisioner}' or manually by the system administrator. If volume "
                       "creation is delayed, please verify that the provisioner is running and correctly registered.")

    def _bind_volume(self, volume: dict, claim: dict) -> dict | None:
        """bindVolumeToClaim: the volume's claimRef, `bound-by-controller` on it."""
        meta = claim["metadata"]
        ref = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": meta["namespace"],
               "name": meta["name"], "uid": meta["uid"], "resourceVersion": meta["resourceVersion"]}
        vmeta = volume["metadata"]
        annotations = {**(vmeta.get("annotations") or {}), BOUND_BY_CONTROLLER: "yes"}
        try:
            return self.registry.update(VOLUMES, None, vmeta["name"], {
                **volume, "metadata": {**vmeta, "annotations": annotations}, "spec": {**volume["spec"],
                                                                                      "claimRef": ref}},
                field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise
            return None

    def _bind_claim(self, claim: dict, volume: dict, *, by_controller: bool) -> None:
        """bindClaimToVolume, then both statuses Bound."""
        self._volume_phase(volume, "Bound")
        meta = claim["metadata"]
        annotations = dict(meta.get("annotations") or {})
        annotations[BIND_COMPLETED] = "yes"
        if by_controller or (claim.get("spec") or {}).get("volumeName") != volume["metadata"]["name"]:
            annotations[BOUND_BY_CONTROLLER] = "yes"
        spec = {**(claim.get("spec") or {}), "volumeName": volume["metadata"]["name"]}
        if annotations != (meta.get("annotations") or {}) or spec != claim.get("spec"):
            try:
                claim = self.registry.update(CLAIMS, meta["namespace"], meta["name"], {
                    **claim, "metadata": {**meta, "annotations": annotations}, "spec": spec}, field_manager=MANAGER)
            except StatusError as e:
                if e.code not in (404, 409):
                    raise
                return
        vspec = volume.get("spec") or {}
        self._claim_status(claim, "Bound", {"accessModes": vspec.get("accessModes") or [],
                                            "capacity": dict(vspec.get("capacity") or {})})

    def _claim_status(self, claim: dict, phase: str, extra: dict | None = None) -> None:
        status = {**(claim.get("status") or {}), "phase": phase, **(extra or {})}
        if status == claim.get("status"):
            return
        meta = claim["metadata"]
        try:
            self.registry.update(CLAIMS, meta["namespace"], meta["name"], {**claim, "status": status},
                                 subresource="status", field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise

    # volumes ----------------------------------------------------------------------------------------------------
    def _sync_volume(self, volume: dict) -> None:
        ref = (volume.get("spec") or {}).get("claimRef")
        if not ref:
            self._volume_phase(volume, "Available")
            return
        claim = self.claims.get(ref.get("namespace"), ref.get("name") or "")
        if claim is not None and ref.get("uid") and claim["metadata"]["uid"] != ref["uid"]:
            claim = None  # a new claim of the same name: not this volume's
        if claim is not None:
            if (claim.get("spec") or {}).get("volumeName") == volume["metadata"]["name"]:
                self._volume_phase(volume, "Bound")
            else:
                self.queue.add("claim:" + key_of(claim))
            return
        if not ref.get("uid"):
            self._volume_phase(volume, "Available")  # pre-bound to a claim that does not exist yet
            return
        if (volume.get("status") or {}).get("phase") in ("Bound", "Available", "Pending"):
            volume = self._volume_phase(volume, "Released")
        if volume is None or (volume.get("spec") or {}).get("persistentVolumeReclaimPolicy") != "Delete":
            return
        if (volume["metadata"].get("annotations") or {}).get(PROVISIONED_BY):
            return  # its provisioner deletes it (local_path_provisioner.py)
        message = "error getting deleter volume plugin for volume \"%s\": no deletable volume plugin matched" % \
                  volume["metadata"]["name"]
        if (volume.get("status") or {}).get("phase") != "Failed":
            self._volume_phase(volume, "Failed", message)
            self.recorder.event(volume, "Warning", "VolumeFailedDelete", message, component=COMPONENT,
                                manager=MANAGER)

    def _volume_phase(self, volume: dict, phase: str, message: str = "") -> dict | None:
        status = {k: v for k, v in (volume.get("status") or {}).items() if k not in ("message",)}
        status["phase"] = phase
        if message:
            status["message"] = message
        if status == volume.get("status"):
            return volume
        try:
            return self.registry.update(VOLUMES, None, volume["metadata"]["name"], {**volume, "status": status},
                                        subresource="status", field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise
            return None
