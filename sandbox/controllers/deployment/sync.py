"""What the Deployment controller writes (sync.go and progress.go's writing half), as a mixin of the controller:
the new ReplicaSet created and its revision kept current, ReplicaSets scaled with a ScalingReplicaSet event each,
the history beyond revisionHistoryLimit deleted, and the Deployment's revision annotation and status."""
from __future__ import annotations

import json
import time

from sandbox.controllers.base import controller_ref, key_of, owner_reference, rt_of
from sandbox.controllers.deployment import progress, revisions
from sandbox.controllers.deployment.replica_sets import REVISION, ReplicaSetPlan
from sandbox.controllers.deployment.rolling import new_rs_replicas
from sandbox.machinery import conditions
from sandbox.machinery.errors import StatusError

DEPLOYMENTS = rt_of("apps", "deployments")
REPLICASETS = rt_of("apps", "replicasets")
COMPONENT = "deployment-controller"
MANAGER = "kube-controller-manager"


def _copy(obj: dict) -> dict:
    return json.loads(json.dumps(obj))


class SyncMixin:
    """The DeploymentController's writes (it provides registry, clock, recorder, the informers and enqueue_after)."""

    # ReplicaSets ----------------------------------------------------------------------------------------------
    def _sync_revision(self, d: dict, plans: list[ReplicaSetPlan],
                       create: bool) -> tuple[ReplicaSetPlan | None, list[ReplicaSetPlan]]:
        """getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created when `create` and there is none) and the
        old ones. Writes the new ReplicaSet's annotations and minReadySeconds when they fell behind the Deployment's,
        and the Deployment's revision annotation and Progressing/FoundNewReplicaSet when they did."""
        new = revisions.find_new(d, plans)
        olds = [rs for rs in plans if rs is not new]
        revision = revisions.max_revision(olds) + 1
        if new is not None:
            annotations = dict(new.annotations)
            changed = revisions.set_new_rs_annotations(d, annotations, revision, exists=True)
            min_ready = (d.get("spec") or {}).get("minReadySeconds") or 0
            if changed or ((new.obj.get("spec") or {}).get("minReadySeconds") or 0) != min_ready:
                body = _copy(new.obj)
                body["metadata"]["annotations"] = annotations
                body["spec"]["minReadySeconds"] = min_ready
                updated = self.registry.update(REPLICASETS, body["metadata"]["namespace"], body["metadata"]["name"],
                                               body, field_manager=MANAGER)
                return ReplicaSetPlan.of(updated), olds
            status = d.setdefault("status", {})
            dirty = self._set_deployment_revision(d, new.annotations.get(REVISION, ""))
            if progress.has_progress_deadline(d) and conditions.find(status.get("conditions"), "Progressing") is None:
                conditions.set_deployment_condition(status, conditions.new_deployment_condition(
                    "Progressing", "True", progress.FOUND_NEW_RS, f'Found new replica set "{new.name}"',
                    self.clock.timestamp()))
                dirty = True
            if dirty:
                self._write_status_and_revision(d, d["status"])
            return new, olds
        if not create:
            return None, olds
        return self._create_new_replica_set(d, olds, revision), olds

    def _create_new_replica_set(self, d: dict, olds: list[ReplicaSetPlan], revision: int) -> ReplicaSetPlan | None:
        """getNewReplicaSet's creation: `<deployment>-<pod-template-hash>`, sized as maxSurge allows, with its
        ScalingReplicaSet event, the Deployment's revision and Progressing/NewReplicaSetCreated. A name taken by a
        ReplicaSet with another template is a hash collision: status.collisionCount goes up and the sync fails, so
        that the next one tries another hash."""
        status = d.setdefault("status", {})
        template = _copy((d.get("spec") or {}).get("template") or {})
        pod_hash = revisions.pod_template_hash(template, status.get("collisionCount"))
        template.setdefault("metadata", {}).setdefault("labels", {})[revisions.HASH_LABEL] = pod_hash
        selector = _copy((d.get("spec") or {}).get("selector") or {})
        selector.setdefault("matchLabels", {})[revisions.HASH_LABEL] = pod_hash
        annotations: dict = {}
        revisions.set_new_rs_annotations(d, annotations, revision, exists=False)
        replicas = new_rs_replicas(d, olds, None)
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
            if created is None or not ref or ref.get("uid") != d["metadata"]["uid"] or \
                    not revisions.equal_ignore_hash(created["spec"]["template"], d["spec"]["template"]):
                status["collisionCount"] = (status.get("collisionCount") or 0) + 1
                self._write_status_and_revision(d, status)
                raise
            existed = True  # ours already (a sync that failed after creating it): adopt it as it is
        if not existed and replicas > 0:
            self.recorder.event(d, "Normal", "ScalingReplicaSet", f"Scaled up replica set "
                                f"{created['metadata']['name']} from 0 to {replicas}", component=COMPONENT,
                                manager=MANAGER)
        dirty = self._set_deployment_revision(d, str(revision))
        if not existed and progress.has_progress_deadline(d):
            conditions.set_deployment_condition(status, conditions.new_deployment_condition(
                "Progressing", "True", progress.NEW_RS_CREATED,
                f'Created new replica set "{created["metadata"]["name"]}"', self.clock.timestamp()))
            dirty = True
        if dirty:
            self._write_status_and_revision(d, status)
        return ReplicaSetPlan.of(created)

    def _scale_replica_sets_and_record_events(self, d: dict, plans: list[ReplicaSetPlan]) -> None:
        """scaleReplicaSetAndRecordEvent for each plan: write spec.replicas where the plan changed it (and the size
        annotations where they lag the Deployment), with a ScalingReplicaSet event for each size change."""
        for rs in plans:
            annotations = dict(rs.annotations)
            sized = revisions.set_replicas_annotations(annotations, d)
            if not rs.rescaled and not sized:
                continue
            before = rs.spec_replicas
            body = _copy(rs.obj)
            body["spec"]["replicas"] = rs.planned
            body["metadata"]["annotations"] = annotations
            updated = self.registry.update(REPLICASETS, body["metadata"]["namespace"], body["metadata"]["name"], body,
                                           field_manager=MANAGER)
            if before != rs.planned:
                direction = "up" if rs.planned > before else "down"
                self.recorder.event(d, "Normal", "ScalingReplicaSet", f"Scaled {direction} replica set {rs.name} "
                                    f"from {before} to {rs.planned}", component=COMPONENT, manager=MANAGER)
            rs.obj = updated

    def _cleanup_old_replica_sets(self, d: dict, olds: list[ReplicaSetPlan]) -> None:
        """cleanupDeployment: delete the old ReplicaSets revisionHistoryLimit no longer keeps."""
        for rs in revisions.cleanup_candidates(d, olds):
            meta = rs.obj["metadata"]
            try:
                self.registry.delete(REPLICASETS, meta["namespace"], meta["name"],
                                     preconditions={"uid": meta["uid"]})
            except StatusError as e:
                if e.code != 404:
                    raise

    # the Deployment's revision and status -----------------------------------------------------------------------
    @staticmethod
    def _set_deployment_revision(d: dict, revision: str) -> bool:
        """SetDeploymentRevision on `d`'s annotations; True when it changed."""
        annotations = d["metadata"].setdefault("annotations", {})
        if not revision or annotations.get(REVISION) == revision:
            return False
        annotations[REVISION] = revision
        return True

    def _check_paused_conditions(self, d: dict) -> dict:
        """checkPausedConditions: Progressing Unknown/DeploymentPaused when paused, DeploymentResumed after, so that
        the time spent paused never counts against the progress deadline; the Deployment as written."""
        if not progress.has_progress_deadline(d):
            return d
        status = d.setdefault("status", {})
        cond = conditions.find(status.get("conditions"), "Progressing")
        paused_cond = cond is not None and cond.get("reason") == progress.PAUSED
        paused = bool((d.get("spec") or {}).get("paused"))
        if paused and not paused_cond:
            conditions.set_deployment_condition(status, conditions.new_deployment_condition(
                "Progressing", "Unknown", progress.PAUSED, "Deployment is paused", self.clock.timestamp()))
        elif not paused and paused_cond:
            conditions.set_deployment_condition(status, conditions.new_deployment_condition(
                "Progressing", "Unknown", progress.RESUMED, "Deployment is resumed", self.clock.timestamp()))
        else:
            return d
        return self._write_status_and_revision(d, status)

    def _sync_deployment_status(self, d: dict, new: ReplicaSetPlan | None, olds: list[ReplicaSetPlan]) -> None:
        """syncDeploymentStatus: the counts and Available, without estimating progress (paused, scaling, deleting)."""
        status = progress.calculate_status(d, olds + ([new] if new else []), new, self.clock.timestamp())
        self._write_status_and_revision(d, status)

    def _sync_rollout_status(self, d: dict, new: ReplicaSetPlan | None, olds: list[ReplicaSetPlan]) -> None:
        """syncRolloutStatus and requeueStuckDeployment: the status from the ReplicaSets as the informer has them
        now (the writes of this sync included), then a look again when the progress deadline would pass."""
        all_plans = olds + ([new] if new else [])
        all_plans = [ReplicaSetPlan.of(self.rss.get_by_key(key_of(rs.obj)) or rs.obj) for rs in all_plans]
        new = next((rs for rs in all_plans if new is not None and rs.name == new.name), None)
        status = progress.rollout_status(d, all_plans, new, self.clock.timestamp(), time.time(),
                                         self.clock.time_scale)
        d = self._write_status_and_revision(d, status)
        wait = progress.seconds_until_deadline(d, d.get("status") or {}, time.time(), self.clock.time_scale)
        if wait is not None:
            self.enqueue_after(key_of(d), wait)

    def _write_status_and_revision(self, d: dict, status: dict) -> dict:
        """Write the status and the revision annotation where they changed; the Deployment as stored. Like
        deploymentStatusStrategy, /status takes annotations too; where the registry drops them, they are written
        through the main resource instead."""
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
