"""The Deployment controller's loop (deployment_controller.go): informers on Deployments, ReplicaSets and pods, the
events that requeue a Deployment, the ReplicaSets it claims, and reconcile(), which reads like syncDeployment: a
ladder of cases, each handing over to one strategy. What the strategies write is in sync.py; what they decide, in
the pure modules beside it."""
from __future__ import annotations

import json

from sandbox.controllers.base import (DELETED, Controller, controller_ref, key_of, owner_reference, spec_changed,
                                      split_key)
from sandbox.controllers.deployment import progress, proportional, rolling
from sandbox.controllers.deployment.replica_sets import ReplicaSetPlan, active, replicas_of
from sandbox.controllers.deployment.sync import COMPONENT, MANAGER, REPLICASETS, SyncMixin
from sandbox.controllers.replicaset import batch_window
from sandbox.controllers.selectors import selector_of
from sandbox.machinery.errors import StatusError


def _copy(obj: dict) -> dict:
    return json.loads(json.dumps(obj))


class DeploymentController(SyncMixin, Controller):
    name = COMPONENT

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

    # reconcile: syncDeployment ------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        cached = self.deployments.get(namespace, name)
        if cached is None:
            return
        d = _copy(cached)
        if selector_of(d).empty:
            # An empty selector would claim every ReplicaSet and pod in the namespace: say so and do nothing else.
            self.recorder.event(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty "
                                "selector is required.", component=COMPONENT, manager=MANAGER)
            if (d.get("status") or {}).get("observedGeneration") != d["metadata"].get("generation"):
                self._write_status_and_revision(d, {**(d.get("status") or {}),
                                                    "observedGeneration": d["metadata"].get("generation")})
            return
        plans = [ReplicaSetPlan.of(rs) for rs in self._claim_replica_sets(d)]
        if d["metadata"].get("deletionTimestamp"):
            # Being deleted: only the status is kept current, nothing is created or scaled.
            new, olds = self._sync_revision(d, plans, create=False)
            self._sync_deployment_status(d, new, olds)
            return
        d = self._check_paused_conditions(d)
        spec = d.get("spec") or {}
        if spec.get("paused") or proportional.is_scaling_event(d, plans):
            # Paused, or spec.replicas changed: scale what exists, in proportion; start no rollout.
            self._sync(d, plans)
        elif (spec.get("strategy") or {}).get("type") == "Recreate":
            self._rollout_recreate(d, plans)
        else:
            self._rollout_rolling(d, plans)

    def _claim_replica_sets(self, d: dict) -> list[dict]:
        """getReplicaSetsForDeployment: adopt orphaned ReplicaSets the selector matches, release owned ones it no
        longer matches (neither while the Deployment is being deleted); the ReplicaSets it then owns."""
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
        """Write the ReplicaSet's controller reference: to `owner` (adopt) or without `release_uid` (release)."""
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

    # strategies ---------------------------------------------------------------------------------------------------
    def _rollout_rolling(self, d: dict, plans: list[ReplicaSetPlan]) -> None:
        """rolloutRolling: grow the new ReplicaSet if maxSurge allows; else shrink old ones if maxUnavailable
        allows; else, complete, clean up the history. One step per sync: each step waits for the pods it changed."""
        new, olds = self._sync_revision(d, plans, create=True)
        all_plans = olds + ([new] if new else [])
        if new is not None and rolling.plan_new_replica_set(d, all_plans, new):
            self._scale_replica_sets_and_record_events(d, [new])
        elif rolling.plan_old_replica_sets(d, all_plans, active(olds), new):
            self._scale_replica_sets_and_record_events(d, olds)
        elif progress.complete(d, d.get("status") or {}):
            self._cleanup_old_replica_sets(d, olds)
        self._sync_rollout_status(d, new, olds)

    def _rollout_recreate(self, d: dict, plans: list[ReplicaSetPlan]) -> None:
        """rolloutRecreate: scale every old ReplicaSet to 0, wait until their pods are gone, then create the new
        ReplicaSet at full size."""
        new, olds = self._sync_revision(d, plans, create=False)
        live_olds = active(olds)
        if live_olds:
            for rs in live_olds:
                rs.planned = 0
            self._scale_replica_sets_and_record_events(d, live_olds)
            self._sync_rollout_status(d, new, olds)
            return
        old_pods = [p for rs in olds for p in self.pods.by_index("controller", rs.obj["metadata"]["uid"])]
        if rolling.old_pods_running(olds, old_pods):
            self._sync_rollout_status(d, new, olds)
            return
        if new is None:
            new, olds = self._sync_revision(d, plans, create=True)
        if new is not None and new.planned != replicas_of(d):
            new.planned = replicas_of(d)
            self._scale_replica_sets_and_record_events(d, [new])
        if progress.complete(d, d.get("status") or {}):
            self._cleanup_old_replica_sets(d, olds)
        self._sync_rollout_status(d, new, olds)

    def _sync(self, d: dict, plans: list[ReplicaSetPlan]) -> None:
        """sync: paused, or scaled mid-rollout: proportional scaling only (no new ReplicaSet), then the status."""
        new, olds = self._sync_revision(d, plans, create=False)
        proportional.plan_proportional_scale(d, new, olds)
        self._scale_replica_sets_and_record_events(d, olds + ([new] if new else []))
        if (d.get("spec") or {}).get("paused"):
            self._cleanup_old_replica_sets(d, olds)
        self._sync_deployment_status(d, new, olds)
