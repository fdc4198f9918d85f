"""The StatefulSet controller's loop and writes (pkg/controller/statefulset/stateful_set_control.go): revisions
first (getStatefulSetRevisions), then the replicas in ordinal order (OrderedReady: create one, wait until it is
running and ready, then the next; Parallel: all at once), the condemned ordinals from the highest, the rolling
update from the highest ordinal down to the partition within maxUnavailable, the claims' owners as the retention
policy asks, the status, and the history trimmed to revisionHistoryLimit."""
from __future__ import annotations

import time

from sandbox.controllers import history
from sandbox.controllers.base import Controller, controller_ref, key_of, rt_of, spec_changed, split_key
from sandbox.controllers.selectors import selector_of
from sandbox.controllers.statefulset import pods as stateful
from sandbox.machinery import podutil
from sandbox.machinery.errors import StatusError

SETS, PODS = rt_of("apps", "statefulsets"), rt_of("", "pods")
REVISIONS, CLAIMS = rt_of("apps", "controllerrevisions"), rt_of("", "persistentvolumeclaims")
COMPONENT = "statefulset-controller"
MANAGER = "kube-controller-manager"


class StatefulSetController(Controller):
    name = "statefulset-controller"

    def setup(self) -> None:
        self.sets = self.informer("apps", "statefulsets")
        self.pods = self.informer("", "pods")
        self.revisions = self.informer("apps", "controllerrevisions")
        self.claims = self.informer("", "persistentvolumeclaims")
        self.sets.add_index("uid", lambda s: [s["metadata"]["uid"]])
        self.pods.add_index("controller", lambda p: [ref["uid"]] if (ref := controller_ref(p)) else [])
        self.pods.add_index("orphans", lambda p: [] if controller_ref(p) else [p["metadata"].get("namespace")])
        self.revisions.add_index("controller", lambda r: [ref["uid"]] if (ref := controller_ref(r)) else [])
        self.sets.add_handler(lambda kind, old, new: spec_changed(old, new) and self.queue.add(key_of(new or old)))
        self.pods.add_handler(self._on_pod)
        self.claims.add_handler(self._on_claim)

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        for pod in (old, new):
            ref = controller_ref(pod) if pod is not None else None
            if ref and ref.get("kind") == "StatefulSet":
                for found in self.sets.by_index("uid", ref["uid"]):
                    self.queue.add(key_of(found))
        if new is not None and controller_ref(new) is None and podutil.is_active(new):
            for sts in self.sets.list(new["metadata"]["namespace"]):
                if selector_of(sts).matches(new["metadata"].get("labels")):
                    self.queue.add(key_of(sts))

    def _on_claim(self, kind: str, old: dict | None, new: dict | None) -> None:
        if kind == "DELETED":  # a claim of a live pod went: the set makes it again on the pod's next creation
            for sts in self.sets.list((old or {})["metadata"].get("namespace")):
                self.queue.add(key_of(sts))

    # the ladder ---------------------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        sts = self.sets.get(namespace, name)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            return
        pods = self._claim_pods(sts)
        current, update, collisions = self._revisions(sts)
        self._sync_replicas(sts, pods, current, update)
        pods = [p for p in self.pods.by_index("controller", sts["metadata"]["uid"])]
        status = self._status(sts, pods, current, update, collisions)
        self._write_status(sts, status)
        self._truncate_history(sts, pods, current, update)
        wait = self._until_available(sts, pods)
        if wait is not None:
            self.enqueue_after(key, wait)

    def _claim_pods(self, sts: dict) -> list[dict]:
        """ClaimPods: owned pods, and orphans that match the selector and carry one of the set's ordinals."""
        uid, name = sts["metadata"]["uid"], sts["metadata"]["name"]
        selector = selector_of(sts)
        for pod in self.pods.by_index("orphans", sts["metadata"]["namespace"]):
            if podutil.is_active(pod) and selector.matches(pod["metadata"].get("labels")) and \
                    stateful.ordinal_of(pod, name) is not None:
                refs = list(pod["metadata"].get("ownerReferences") or []) + [{
                    "apiVersion": "apps/v1", "kind": "StatefulSet", "name": name, "uid": uid, "controller": True,
                    "blockOwnerDeletion": True}]
                self._write(PODS, {**pod, "metadata": {**pod["metadata"], "ownerReferences": refs}})
        return self.pods.by_index("controller", uid)

    def _revisions(self, sts: dict) -> tuple[dict, dict, int]:
        """getStatefulSetRevisions: the update revision (the template's, made or found), the current one."""
        revisions = history.sort_revisions(self.revisions.by_index("controller", sts["metadata"]["uid"]))
        collisions = int((sts.get("status") or {}).get("collisionCount") or 0)
        data = history.patch_data(sts)
        labels = ((sts["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        equal = [r for r in revisions if history.equal(r, data)]
        if equal and revisions[-1] is equal[-1]:
            update = equal[-1]
        elif equal:
            update = self._write(REVISIONS, {**equal[-1], "revision": history.next_number(revisions)}) or equal[-1]
        else:
            update = None
            while update is None:
                made = history.new_revision(sts, data, history.next_number(revisions), collisions, labels,
                                            sts["metadata"].get("annotations"))
                try:
                    update = self.registry.create(REVISIONS, sts["metadata"]["namespace"], made, field_manager=MANAGER)
                except StatusError as e:
                    if e.code != 409:
                        raise
                    existing = self.revisions.get(sts["metadata"]["namespace"], made["metadata"]["name"])
                    if existing is not None and history.equal(existing, data):
                        update = existing
                    else:
                        collisions += 1
        wanted = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == wanted), update)
        return current, update, collisions

    def _sync_replicas(self, sts: dict, pods: list[dict], current: dict, update: dict) -> None:
        start, count = stateful.start_ordinal(sts), stateful.replicas(sts)
        monotonic = (sts["spec"].get("podManagementPolicy") or "OrderedReady") != "Parallel"
        min_ready = sts["spec"].get("minReadySeconds") or 0
        now, scale = time.time(), self.clock.time_scale
        replicas: list[dict | None] = [None] * count
        condemned = []
        for pod in pods:
            ordinal = stateful.ordinal_of(pod, sts["metadata"]["name"])
            if ordinal is None:
                continue
            if start <= ordinal < start + count:
                replicas[ordinal - start] = pod
            else:
                condemned.append(pod)
        condemned.sort(key=lambda p: -stateful.ordinal_of(p, sts["metadata"]["name"]))
        current_replicas = int((sts.get("status") or {}).get("currentReplicas") or 0)
        for index, pod in enumerate(replicas):
            ordinal = start + index
            if pod is not None and (pod.get("status") or {}).get("phase") in podutil.TERMINAL:
                if not podutil.is_terminating(pod):
                    self._delete_pod(sts, pod)
                if monotonic:
                    return
                continue
            if pod is None:
                revision = stateful.revision_for_new_pod(sts, ordinal, current["metadata"]["name"],
                                                         update["metadata"]["name"], current_replicas)
                source = self._set_at(sts, current if revision == current["metadata"]["name"] else update)
                self._create_pod(sts, source, ordinal, revision)
                if monotonic:
                    return
                continue
            self._own_claims(sts, pod, condemned=False)
            if monotonic and (podutil.is_terminating(pod) or not stateful.available(pod, min_ready, now, scale)):
                return
        for pod in condemned:
            if podutil.is_terminating(pod):
                if monotonic:
                    return
                continue
            others = [p for p in replicas + condemned if p is not None and p is not pod]
            if monotonic and any(not stateful.healthy(p, min_ready, now, scale) for p in others):
                return
            self._own_claims(sts, pod, condemned=True)
            self._delete_pod(sts, pod)
            if monotonic:
                return
        unhealthy = sum(1 for p in replicas if p is None or not stateful.healthy(p, min_ready, now, scale))
        for pod in stateful.to_update(sts, replicas, update["metadata"]["name"], unhealthy):
            self._delete_pod(sts, pod)

    @staticmethod
    def _set_at(sts: dict, revision: dict) -> dict:
        """ApplyRevision: the set with the revision's template."""
        template = dict(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
        template.pop("$patch", None)
        return {**sts, "spec": {**sts["spec"], "template": template}}

    # writes -------------------------------------------------------------------------------------------------------
    def _write(self, rt, obj: dict) -> dict | None:
        meta = obj["metadata"]
        try:
            return self.registry.update(rt, meta.get("namespace"), meta["name"], obj, field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise
            return None

    def _event(self, sts: dict, kind: str, reason: str, message: str) -> None:
        self.recorder.event(sts, kind, reason, message, component=COMPONENT, manager=MANAGER)

    def _create_pod(self, sts: dict, source: dict, ordinal: int, revision: str) -> None:
        namespace, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
        pod = stateful.new_pod(source, ordinal, revision)
        for claim in stateful.claims_for(sts, ordinal):  # createPersistentVolumeClaims, then the pod
            if self.claims.get(namespace, claim["metadata"]["name"]) is not None:
                continue
            try:
                self.registry.create(CLAIMS, namespace, claim, field_manager=MANAGER)
            except StatusError as e:
                if e.code == 409:
                    continue
                self._event(sts, "Warning", "FailedCreate", f"create Claim {claim['metadata']['name']} for Pod "
                            f"{pod['metadata']['name']} in StatefulSet {name} failed error: {e.message}")
                return
            self._event(sts, "Normal", "SuccessfulCreate", f"create Claim {claim['metadata']['name']} Pod "
                        f"{pod['metadata']['name']} in StatefulSet {name} success")
        try:
            self.registry.create(PODS, namespace, pod, field_manager=MANAGER)
        except StatusError as e:
            if e.code != 409:
                self._event(sts, "Warning", "FailedCreate", f"create Pod {pod['metadata']['name']} in StatefulSet "
                            f"{name} failed error: {e.message}")
            return
        self._event(sts, "Normal", "SuccessfulCreate", f"create Pod {pod['metadata']['name']} in StatefulSet {name} "
                    "successful")

    def _delete_pod(self, sts: dict, pod: dict) -> None:
        meta = pod["metadata"]
        try:
            self.registry.delete(PODS, meta["namespace"], meta["name"], preconditions={"uid": meta["uid"]})
        except StatusError as e:
            if e.code in (404, 409):
                return
            self._event(sts, "Warning", "FailedDelete", f"delete Pod {meta['name']} in StatefulSet "
                        f"{sts['metadata']['name']} failed error: {e.message}")
            return
        self._event(sts, "Normal", "SuccessfulDelete", f"delete Pod {meta['name']} in StatefulSet "
                    f"{sts['metadata']['name']} successful")

    def _own_claims(self, sts: dict, pod: dict, *, condemned: bool) -> None:
        """updateClaimOwnerRefForSetAndPod: whenDeleted=Delete makes the set own a replica's claims, whenScaled=Delete
        makes a condemned pod own its claims (the garbage collector then deletes them after their owner)."""
        policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        ordinal = stateful.ordinal_of(pod, sts["metadata"]["name"])
        if ordinal is None:
            return
        owners = []
        if policy.get("whenScaled") == "Delete" and condemned:
            owners.append(pod)
        elif policy.get("whenDeleted") == "Delete":
            owners.append(sts)
        wanted_uids = {o["metadata"]["uid"] for o in owners}
        ours = {sts["metadata"]["uid"], pod["metadata"]["uid"]}
        for template in stateful.claims_for(sts, ordinal):
            claim = self.claims.get(sts["metadata"]["namespace"], template["metadata"]["name"])
            if claim is None:
                continue
            refs = [r for r in claim["metadata"].get("ownerReferences") or []
                    if r.get("uid") not in ours or r.get("uid") in wanted_uids]
            have = {r.get("uid") for r in refs}
            refs += [{"apiVersion": o["apiVersion"], "kind": o["kind"], "name": o["metadata"]["name"],
                      "uid": o["metadata"]["uid"]} for o in owners if o["metadata"]["uid"] not in have]
            if refs != (claim["metadata"].get("ownerReferences") or []):
                meta = {**claim["metadata"], "ownerReferences": refs}
                if not refs:
                    meta.pop("ownerReferences")
                self._write(CLAIMS, {**claim, "metadata": meta})

    # status and history -------------------------------------------------------------------------------------------
    def _status(self, sts: dict, pods: list[dict], current: dict, update: dict, collisions: int) -> dict:
        """computeReplicaStatus, then completeRollingUpdate."""
        min_ready = sts["spec"].get("minReadySeconds") or 0
        now, scale = time.time(), self.clock.time_scale
        counts = dict.fromkeys(("replicas", "readyReplicas", "availableReplicas", "currentReplicas",
                                "updatedReplicas"), 0)
        for pod in pods:
            created = bool((pod.get("status") or {}).get("phase"))
            counts["replicas"] += created
            if stateful.running_and_ready(pod):
                counts["readyReplicas"] += 1
                counts["availableReplicas"] += stateful.available(pod, min_ready, now, scale)
            if created and not podutil.is_terminating(pod):
                revision = stateful.revision_of(pod)
                counts["currentReplicas"] += revision == current["metadata"]["name"]
                counts["updatedReplicas"] += revision == update["metadata"]["name"]
        status = {"observedGeneration": sts["metadata"].get("generation", 1), **counts,
                  "currentRevision": current["metadata"]["name"], "updateRevision": update["metadata"]["name"],
                  "collisionCount": collisions}
        if sts["spec"]["updateStrategy"].get("type") == "RollingUpdate" and \
                counts["updatedReplicas"] == counts["replicas"] == counts["readyReplicas"]:
            status["currentReplicas"], status["currentRevision"] = counts["updatedReplicas"], status["updateRevision"]
        keep = ("replicas", "availableReplicas", "collisionCount")
        return {k: v for k, v in status.items() if v or k in keep}

    def _write_status(self, sts: dict, status: dict) -> None:
        fresh = self.sets.get(sts["metadata"]["namespace"], sts["metadata"]["name"]) or sts
        if (fresh.get("status") or {}) == status:
            return
        meta = fresh["metadata"]
        try:
            self.registry.update(SETS, meta["namespace"], meta["name"], {**fresh, "status": status},
                                 subresource="status", field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise

    def _truncate_history(self, sts: dict, pods: list[dict], current: dict, update: dict) -> None:
        live = {current["metadata"]["name"], update["metadata"]["name"]} | {stateful.revision_of(p) for p in pods}
        limit = sts["spec"].get("revisionHistoryLimit")
        revisions = self.revisions.by_index("controller", sts["metadata"]["uid"])
        for revision in history.to_truncate(revisions, live, 10 if limit is None else int(limit)):
            try:
                self.registry.delete(REVISIONS, revision["metadata"]["namespace"], revision["metadata"]["name"])
            except StatusError as e:
                if e.code != 404:
                    raise

    def _until_available(self, sts: dict, pods: list[dict]) -> float | None:
        min_ready = sts["spec"].get("minReadySeconds") or 0
        if not min_ready:
            return None
        now = time.time()
        waits = [min_ready - (now - (podutil.ready_since(p) or now)) * self.clock.time_scale for p in pods
                 if stateful.running_and_ready(p) and not stateful.available(p, min_ready, now, self.clock.time_scale)]
        return max(min(waits), 0.0) + 0.05 if waits else None
