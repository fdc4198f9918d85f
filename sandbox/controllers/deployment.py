"""The Deployment controller (pkg/controller/deployment): one ReplicaSet per pod template (named
`<deployment>-<pod-template-hash>`), rolling updates within maxSurge/maxUnavailable or Recreate, proportional
scaling mid-rollout, pause, revisions (so `kubectl rollout history/undo` work), revisionHistoryLimit cleanup,
and status with the Available and Progressing conditions. The decisions live in rollout.py; this file reads
the caches, applies them, and records the ScalingReplicaSet events."""
from __future__ import annotations

import json
import time

from sandbox.controllers import rollout
from sandbox.controllers.replicaset import batch_window
from sandbox.controllers.base import (DELETED, Controller, controller_ref, key_of, owner_reference, rt_of,
                                      spec_changed, split_key)
from sandbox.controllers.rollout import RS
from sandbox.controllers.selectors import selector_of
from sandbox.machinery import conditions
from sandbox.machinery.errors import StatusError

DEPLOYMENTS = rt_of("apps", "deployments")
REPLICASETS = rt_of("apps", "replicasets")
COMPONENT = "deployment-controller"
MANAGER = "kube-controller-manager"


def _copy(obj: dict) -> dict:
    return json.loads(json.dumps(obj))


class DeploymentController(Controller):
    name = "deployment-controller"

    def setup(self) -> None:
        self.deployments = self.informer("apps", "deployments")
        self.rss = self.informer("apps", "replicasets")
        self.pods = self.informer("", "pods")
        self.deployments.add_index("uid", lambda d: [d["metadata"]["uid"]])
        self.rss.add_index("controller", lambda rs: [ref["uid"]] if (ref := controller_ref(rs)) else [])
        self.rss.add_index("uid", lambda rs: [rs["metadata"]["uid"]])
        self.pods.add_index("controller", lambda p: [ref["uid"]] if (ref := controller_ref(p)) else [])
        self.deployments.add_handler(lambda kind, old, new: spec_changed(old, new) and self.queue.add(key_of(new or old)))
        self.rss.add_handler(self._on_rs)
        self.pods.add_handler(self._on_pod)

    # event handlers ---------------------------------------------------------------------------------------------
    def _owner_key(self, rs: dict) -> str | None:
        ref = controller_ref(rs)
        if not ref or ref.get("kind") != "Deployment":
            return None
        found = self.deployments.by_index("uid", ref["uid"])
        return key_of(found[0]) if found else None

    def _on_rs(self, kind: str, old: dict | None, new: dict | None) -> None:
        for rs in (old, new):
            if rs is None:
                continue
            key = self._owner_key(rs)
            if key:  # status changes of its ReplicaSets arrive in bursts: fold them into one sync
                self.queue.add_after(key, batch_window(self.deployments.get_by_key(key)))
            elif controller_ref(rs) is None and kind != DELETED:
                for d in self.deployments.list(rs["metadata"]["namespace"]):
                    if selector_of(d).matches(rs["metadata"].get("labels")):
                        self.queue.add(key_of(d))

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        """Recreate waits for the old pods to be gone: a deleted pod may unblock it."""
        if kind != DELETED or old is None:
            return
        ref = controller_ref(old)
        if not ref or ref.get("kind") != "ReplicaSet":
            return
        for rs in self.rss.by_index("uid", ref["uid"]):
            key = self._owner_key(rs)
            d = self.deployments.get_by_key(key) if key else None
            if d and ((d.get("spec") or {}).get("strategy") or {}).get("type") == "Recreate":
                self.queue.add(key)

    # reconcile --------------------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        cached = self.deployments.get(namespace, name)
        if cached is None:
            return
        d = _copy(cached)
        if selector_of(d).empty:
            self.recorder.event(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty "
                                "selector is required.", component=COMPONENT, manager=MANAGER)
            if (d.get("status") or {}).get("observedGeneration") != d["metadata"].get("generation"):
                self._write(d, {**(d.get("status") or {}), "observedGeneration": d["metadata"].get("generation")})
            return
        rss = [RS.of(rs) for rs in self._claim(d)]
        if d["metadata"].get("deletionTimestamp"):
            new, olds = self._revisions(d, rss, create=False)
            self._sync_status(d, new, olds)
            return
        d = self._paused_conditions(d)
        spec = d.get("spec") or {}
        if spec.get("paused") or rollout.is_scaling_event(d, rss):
            self._sync(d, rss)
        elif (spec.get("strategy") or {}).get("type") == "Recreate":
            self._recreate(d, rss)
        else:
            self._rolling(d, rss)

    def _claim(self, d: dict) -> list[dict]:
        """Adopt orphaned ReplicaSets the selector matches; release owned ones it no longer matches."""
        selector, uid = selector_of(d), d["metadata"]["uid"]
        deleting = bool(d["metadata"].get("deletionTimestamp"))
        for rs in self.rss.list(d["metadata"]["namespace"]):
            ref = controller_ref(rs)
            matches = selector.matches(rs["metadata"].get("labels"))
            if ref and ref.get("uid") == uid and not matches and not deleting:
                self._set_owner(rs, None, uid)
            elif ref is None and matches and not deleting and not rs["metadata"].get("deletionTimestamp"):
                self._set_owner(rs, d, None)
        return self.rss.by_index("controller", uid)

    def _set_owner(self, rs: dict, owner: dict | None, release_uid: str | None) -> None:
        body = _copy(rs)
        refs = [r for r in body["metadata"].get("ownerReferences") or [] if r.get("uid") != release_uid]
        if owner is not None:
            refs.append(owner_reference(owner))
        body["metadata"]["ownerReferences"] = refs
        try:
            self.registry.update(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"], body,
                                 field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise

    # strategies -----------------------------------------------------------------------------------------------
    def _rolling(self, d: dict, rss: list[RS]) -> None:
        new, olds = self._revisions(d, rss, create=True)
        all_rss = olds + ([new] if new else [])
        if new is not None and rollout.reconcile_new(d, all_rss, new):
            self._apply(d, [new])
        elif rollout.reconcile_old(d, all_rss, rollout.active(olds), new):
            self._apply(d, olds)
        elif rollout.complete(d, d.get("status") or {}):
            self._cleanup(d, olds)
        self._sync_rollout_status(d, new, olds)

    def _recreate(self, d: dict, rss: list[RS]) -> None:
        new, olds = self._revisions(d, rss, create=False)
        live_olds = rollout.active(olds)
        if live_olds:
            for rs in live_olds:
                rs.replicas = 0
            self._apply(d, live_olds)
            self._sync_rollout_status(d, new, olds)
            return
        old_pods = [p for rs in olds for p in self.pods.by_index("controller", rs.obj["metadata"]["uid"])]
        if rollout.old_pods_running(olds, old_pods):
            self._sync_rollout_status(d, new, olds)
            return
        if new is None:
            new, olds = self._revisions(d, rss, create=True)
        if new is not None and new.replicas != rollout.replicas_of(d):
            new.replicas = rollout.replicas_of(d)
            self._apply(d, [new])
        if rollout.complete(d, d.get("status") or {}):
            self._cleanup(d, olds)
        self._sync_rollout_status(d, new, olds)

    def _sync(self, d: dict, rss: list[RS]) -> None:
        """Paused, or scaled mid-rollout: proportional scaling only (no new ReplicaSet), then the status."""
        new, olds = self._revisions(d, rss, create=False)
        rollout.scale(d, new, olds)
        self._apply(d, olds + ([new] if new else []))
        if (d.get("spec") or {}).get("paused"):
            self._cleanup(d, olds)
        self._sync_status(d, new, olds)

    # ReplicaSets ----------------------------------------------------------------------------------------------
    def _revisions(self, d: dict, rss: list[RS], create: bool) -> tuple[RS | None, list[RS]]:
        """getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created when asked) and the old ones, with the
        revision annotations brought up to date."""
        new = rollout.find_new(d, rss)
        olds = [rs for rs in rss if rs is not new]
        revision = rollout.max_revision(olds) + 1
        if new is not None:
            annotations = dict(new.annotations)
            changed = rollout.set_new_rs_annotations(d, annotations, revision, exists=True)
            min_ready = (d.get("spec") or {}).get("minReadySeconds") or 0
            if changed or ((new.obj.get("spec") or {}).get("minReadySeconds") or 0) != min_ready:
                body = _copy(new.obj)
                body["metadata"]["annotations"] = annotations
                body["spec"]["minReadySeconds"] = min_ready
                updated = self.registry.update(REPLICASETS, body["metadata"]["namespace"], body["metadata"]["name"],
                                               body, field_manager=MANAGER)
                new = RS.of(updated)
                return new, olds
            status = d.setdefault("status", {})
            dirty = self._set_revision(d, new.annotations.get(rollout.REVISION, ""))
            if self._has_deadline(d) and conditions.find(status.get("conditions"), "Progressing") is None:
                conditions.set_deployment_condition(status, conditions.new_deployment_condition(
                    "Progressing", "True", rollout.FOUND_NEW_RS, f'Found new replica set "{new.name}"',
                    self.clock.timestamp()))
                dirty = True
            if dirty:
                self._write(d, d["status"])
            return new, olds
        if not create:
            return None, olds
        return self._create_new(d, olds, revision), olds

    def _create_new(self, d: dict, olds: list[RS], revision: int) -> RS | None:
        status = d.setdefault("status", {})
        template = _copy((d.get("spec") or {}).get("template") or {})
        pod_hash = rollout.pod_template_hash(template, status.get("collisionCount"))
        template.setdefault("metadata", {}).setdefault("labels", {})[rollout.HASH_LABEL] = pod_hash
        selector = _copy((d.get("spec") or {}).get("selector") or {})
        selector.setdefault("matchLabels", {})[rollout.HASH_LABEL] = pod_hash
        annotations: dict = {}
        rollout.set_new_rs_annotations(d, annotations, revision, exists=False)
        replicas = rollout.new_rs_replicas(d, olds, None)
        body = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": f"{d['metadata']['name']}-{pod_hash}", "namespace": d["metadata"]["namespace"],
                             "labels": template["metadata"]["labels"], "annotations": annotations,
                             "ownerReferences": [owner_reference(d)]},
                "spec": {"replicas": replicas, "minReadySeconds": (d.get("spec") or {}).get("minReadySeconds") or 0,
                         "selector": selector, "template": template}}
        existed = False
        try:
            created = self.registry.create(REPLICASETS, d["metadata"]["namespace"], body, field_manager=MANAGER)
        except StatusError as e:
            if e.code != 409:
                raise
            created = self.rss.get(d["metadata"]["namespace"], body["metadata"]["name"])
            ref = controller_ref(created) if created else None
            if created is None or not ref or ref.get("uid") != d["metadata"]["uid"] or not rollout.equal_ignore_hash(
                    created["spec"]["template"], d["spec"]["template"]):
                status["collisionCount"] = (status.get("collisionCount") or 0) + 1  # hash collision: try again
                self._write(d, status)
                raise
            existed = True
        if not existed and replicas > 0:
            self.recorder.event(d, "Normal", "ScalingReplicaSet", f"Scaled up replica set "
                                f"{created['metadata']['name']} from 0 to {replicas}", component=COMPONENT,
                                manager=MANAGER)
        dirty = self._set_revision(d, str(revision))
        if not existed and self._has_deadline(d):
            conditions.set_deployment_condition(status, conditions.new_deployment_condition(
                "Progressing", "True", rollout.NEW_RS_CREATED, f'Created new replica set "{created["metadata"]["name"]}"',
                self.clock.timestamp()))
            dirty = True
        if dirty:
            self._write(d, status)
        return RS.of(created)

    def _apply(self, d: dict, rss: list[RS]) -> None:
        """Write every ReplicaSet whose planned size or size annotations changed (scaleReplicaSet)."""
        for rs in rss:
            annotations = dict(rs.annotations)
            sized = rollout.set_replicas_annotations(annotations, d)
            if not rs.scaled and not sized:
                continue
            before = rs.spec_replicas
            body = _copy(rs.obj)
            body["spec"]["replicas"] = rs.replicas
            body["metadata"]["annotations"] = annotations
            updated = self.registry.update(REPLICASETS, body["metadata"]["namespace"], body["metadata"]["name"], body,
                                           field_manager=MANAGER)
            if before != rs.replicas:
                direction = "up" if rs.replicas > before else "down"
                self.recorder.event(d, "Normal", "ScalingReplicaSet", f"Scaled {direction} replica set {rs.name} "
                                    f"from {before} to {rs.replicas}", component=COMPONENT, manager=MANAGER)
            rs.obj = updated

    def _cleanup(self, d: dict, olds: list[RS]) -> None:
        for rs in rollout.cleanup_candidates(d, olds):
            meta = rs.obj["metadata"]
            try:
                self.registry.delete(REPLICASETS, meta["namespace"], meta["name"],
                                     preconditions={"uid": meta["uid"]})
            except StatusError as e:
                if e.code != 404:
                    raise

    # deployment status -------------------------------------------------------------------------------------------
    @staticmethod
    def _has_deadline(d: dict) -> bool:
        deadline = (d.get("spec") or {}).get("progressDeadlineSeconds")
        return deadline is not None and deadline != 2 ** 31 - 1

    @staticmethod
    def _set_revision(d: dict, revision: str) -> bool:
        annotations = d["metadata"].setdefault("annotations", {})
        if not revision or annotations.get(rollout.REVISION) == revision:
            return False
        annotations[rollout.REVISION] = revision
        return True

    def _paused_conditions(self, d: dict) -> dict:
        if not self._has_deadline(d):
            return d
        status = d.setdefault("status", {})
        cond = conditions.find(status.get("conditions"), "Progressing")
        paused_cond = cond is not None and cond.get("reason") == rollout.PAUSED
        paused = bool((d.get("spec") or {}).get("paused"))
        if paused and not paused_cond:
            conditions.set_deployment_condition(status, conditions.new_deployment_condition("Progressing", "Unknown", rollout.PAUSED,
                                                                "Deployment is paused", self.clock.timestamp()))
        elif not paused and paused_cond:
            conditions.set_deployment_condition(status, conditions.new_deployment_condition("Progressing", "Unknown", rollout.RESUMED,
                                                                "Deployment is resumed", self.clock.timestamp()))
        else:
            return d
        return self._write(d, status)

    def _sync_status(self, d: dict, new: RS | None, olds: list[RS]) -> None:
        status = rollout.calculate_status(d, olds + ([new] if new else []), new, self.clock.timestamp())
        self._write(d, status)

    def _sync_rollout_status(self, d: dict, new: RS | None, olds: list[RS]) -> None:
        all_rss = olds + ([new] if new else [])
        all_rss = [RS.of(self.rss.get_by_key(key_of(rs.obj)) or rs.obj) for rs in all_rss]
        new = next((rs for rs in all_rss if new is not None and rs.name == new.name), None)
        status = rollout.rollout_status(d, all_rss, new, self.clock.timestamp(), time.time(), self.clock.time_scale)
        d = self._write(d, status)
        wait = rollout.seconds_until_deadline(d, d.get("status") or {}, time.time(), self.clock.time_scale)
        if wait is not None:
            self.enqueue_after(key_of(d), wait)

    def _write(self, d: dict, status: dict) -> dict:
        """Write annotations (the revision) and status where they changed; returns the deployment as stored.
        Like deploymentStatusStrategy, /status takes annotations too; where the registry drops them, they are
        written through the main resource instead."""
        namespace, name = d["metadata"]["namespace"], d["metadata"]["name"]
        stored = self.deployments.get(namespace, name)
        if stored is None:
            return d
        annotations = d["metadata"].get("annotations") or {}
        stored_annotations = stored["metadata"].get("annotations") or {}
        if status == (stored.get("status") or {}) and annotations == stored_annotations:
            return stored
        body = {**_copy(stored), "status": status}
        body["metadata"]["annotations"] = annotations
        written = self.registry.update(DEPLOYMENTS, namespace, name, body, subresource="status",
                                       field_manager=MANAGER)
        if (written["metadata"].get("annotations") or {}) != annotations:
            body = _copy(written)
            body["metadata"]["annotations"] = annotations
            written = self.registry.update(DEPLOYMENTS, namespace, name, body, field_manager=MANAGER)
        d["metadata"] = written["metadata"]
        d["status"] = written.get("status") or {}
        return written
