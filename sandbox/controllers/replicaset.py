"""The ReplicaSet controller (pkg/controller/replicaset): keep spec.replicas pods matching the selector, create
them from the template in slow-start batches (1, 2, 4, ... at most 500 a sync), delete the cheapest ones first
when there are too many, adopt matching orphans and release pods that stopped matching, and report status
(replicas, fullyLabeledReplicas, readyReplicas, availableReplicas after minReadySeconds, terminatingReplicas,
ReplicaFailure)."""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from sandbox.machinery import podutil, timestamps
from sandbox.controllers.base import (Controller, controller_ref, key_of, owner_reference, rt_of,
                                      spec_changed, split_key)
from sandbox.controllers.selectors import selector_of
from sandbox.machinery.errors import StatusError

PODS = rt_of("", "pods")
REPLICASETS = rt_of("apps", "replicasets")
BURST = 500  # burstReplicas: at most this many creations or deletions per sync
COMPONENT = "replicaset-controller"
MANAGER = "kube-controller-manager"


def batch_window(owner: dict | None) -> float:
    """Real seconds to wait for more pod changes before a sync: longer for big sets, whose sync costs more."""
    replicas = ((owner or {}).get("spec") or {}).get("replicas") or 0
    return 0.02 + 0.0002 * min(replicas, 5000)


def _copy(obj: dict) -> dict:
    return json.loads(json.dumps(obj))


def pod_from_template(rs: dict) -> dict:
    """controller.GetPodFromTemplate: template labels, annotations and finalizers, generateName `<rs>-`, and a
    controller reference to the ReplicaSet."""
    template = _copy((rs.get("spec") or {}).get("template") or {})
    meta = template.get("metadata") or {}
    pod_meta = {"generateName": rs["metadata"]["name"] + "-", "namespace": rs["metadata"]["namespace"],
                "ownerReferences": [owner_reference(rs)]}
    for key in ("labels", "annotations", "finalizers"):
        if meta.get(key):
            pod_meta[key] = meta[key]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": template.get("spec") or {}}


@dataclass(slots=True)
class PodFacts:
    """What the status needs from a pod, worked out once per pod update instead of once per sync."""
    active: bool
    ready: bool
    terminating: bool  # counted in terminatingReplicas
    labels: dict
    ready_since: float | None  # wall clock


def _owner_uid(pod: dict, kind: str = "ReplicaSet") -> str | None:
    ref = controller_ref(pod)
    return ref["uid"] if ref and ref.get("kind") == kind else None


def _learn(pod: dict, before: PodFacts | None) -> PodFacts:
    ready = podutil.is_ready(pod)
    since = None
    if ready:  # when this controller first saw it ready: finer than the condition's whole seconds
        since = before.ready_since if before and before.ready_since else time.time()
    return PodFacts(podutil.is_active(pod), ready, podutil.is_terminating_replica(pod),
                    pod["metadata"].get("labels") or {}, since)


class ReplicaSetController(Controller):
    """The ReplicationManager (replication.py) is this controller over ReplicationControllers, as in kube."""
    name = "replicaset-controller"
    owner_kind, owner_rt, component = "ReplicaSet", REPLICASETS, COMPONENT
    status_fields = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "terminatingReplicas",
                     "observedGeneration")

    def selector(self, owner: dict):
        return selector_of(owner)

    def setup(self) -> None:
        self.rss = self.informer(self.owner_rt.group, self.owner_rt.plural)
        self.pods = self.informer("", "pods")
        self.rss.add_index("uid", lambda rs: [rs["metadata"]["uid"]])
        self.pods.add_index("controller", lambda p: [ref["uid"]] if (ref := controller_ref(p)) else [])
        self.pods.add_index("orphans", lambda p: [] if controller_ref(p) else [p["metadata"].get("namespace")])
        self.owned: dict[str, dict[str, PodFacts]] = {}  # controller uid -> pod uid -> facts
        self.relabelled: dict[str, set[str]] = {}  # controller uid -> pod keys relabelled since its last sync
        self.claimed: dict[str, str] = {}  # ReplicaSet uid -> the selector its pods were last checked against
        self.rss.add_handler(self._on_rs)
        self.pods.add_handler(self._on_pod)

    # event handlers ---------------------------------------------------------------------------------------------
    def _on_rs(self, kind: str, old: dict | None, new: dict | None) -> None:
        if spec_changed(old, new):
            self.queue.add(key_of(new or old))

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        pod = new or old
        uid = pod["metadata"]["uid"]
        old_owner = _owner_uid(old, self.owner_kind) if old is not None else None
        new_owner = _owner_uid(new, self.owner_kind) if new is not None else None
        if old_owner and old_owner != new_owner:
            self.owned.get(old_owner, {}).pop(uid, None)
        if new_owner:
            before = self.owned.get(new_owner, {}).get(uid)
            self.owned.setdefault(new_owner, {})[uid] = _learn(new, before)
            if old is not None and old["metadata"].get("labels") != new["metadata"].get("labels"):
                self.relabelled.setdefault(new_owner, set()).add(key_of(new))
        for owner in {old_owner, new_owner} - {None}:  # pod bursts fold into one sync (and one status write)
            found = self.rss.by_index("uid", owner)
            if found:
                self.queue.add_after(key_of(found[0]), batch_window(found[0]))
        if new is not None and new_owner is None and podutil.is_active(new):
            for rs in self.rss.list(new["metadata"]["namespace"]):  # an orphan: who may adopt it?
                if self.selector(rs).matches(new["metadata"].get("labels")):
                    self.queue.add(key_of(rs))

    # reconcile --------------------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        rs = self.rss.get(namespace, name)
        if rs is None:
            return
        uid = rs["metadata"]["uid"]
        self._claim(rs)
        error = None
        if not rs["metadata"].get("deletionTimestamp"):
            active = sum(1 for f in self.owned.get(uid, {}).values() if f.active)
            error = await self._manage(rs, active)
            rs = self.rss.get(namespace, name) or rs
        facts = list(self.owned.get(uid, {}).values())
        self._update_status(rs, facts, error)
        wait = self._until_available(rs, facts)
        if wait is not None:
            self.enqueue_after(key, wait)

    def _claim(self, rs: dict) -> None:
        """ControllerRefManager.ClaimPods: adopt matching orphans, release owned pods that no longer match (only
        pods relabelled since the last sync, unless the selector itself changed)."""
        selector = self.selector(rs)
        uid = rs["metadata"]["uid"]
        relabelled = self.relabelled.pop(uid, set())
        if self.claimed.get(uid) != str(selector):
            self.claimed[uid] = str(selector)
            candidates = self.pods.by_index("controller", uid)
        else:
            candidates = [p for key in relabelled if (p := self.pods.get_by_key(key)) is not None]
        for pod in candidates:
            if _owner_uid(pod, self.owner_kind) == uid and podutil.is_active(pod) and not selector.matches(
                    pod["metadata"].get("labels")):
                self._set_owner(pod, None, uid)
        if not rs["metadata"].get("deletionTimestamp") and not selector.empty:
            for pod in self.pods.by_index("orphans", rs["metadata"]["namespace"]):
                if podutil.is_active(pod) and selector.matches(pod["metadata"].get("labels")):
                    self._set_owner(pod, rs, None)

    def _set_owner(self, pod: dict, owner: dict | None, release_uid: str | None) -> None:
        body = _copy(pod)
        refs = [r for r in body["metadata"].get("ownerReferences") or [] if r.get("uid") != release_uid]
        if owner is not None:
            refs.append(owner_reference(owner))
        body["metadata"]["ownerReferences"] = refs
        try:
            self.registry.update(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"], body,
                                 field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409, 422):
                raise

    async def _manage(self, rs: dict, active: int) -> StatusError | None:
        diff = active - _replicas(rs)
        if diff < 0:
            return await self._create(rs, min(-diff, BURST))
        if diff > 0:
            pods = [p for p in self.pods.by_index("controller", rs["metadata"]["uid"]) if podutil.is_active(p)]
            return self._delete(rs, pods, min(diff, BURST))
        return None

    async def _create(self, rs: dict, count: int) -> StatusError | None:
        """slowStartBatch: 1, 2, 4, ... pods at a time; the first failure stops the rest."""
        batch, created = 1, 0
        namespace = rs["metadata"]["namespace"]
        while created < count:
            size = min(batch, count - created)
            for i in range(size):
                try:
                    pod = self.registry.create(PODS, namespace, pod_from_template(rs), field_manager=MANAGER)
                except StatusError as e:
                    self.recorder.event(rs, "Warning", "FailedCreate", f"Error creating: {e.message}",
                                        component=self.component, manager=MANAGER)
                    return e
                created += 1
                self.recorder.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}",
                                    component=self.component, manager=MANAGER)
                if i % 16 == 15:
                    await asyncio.sleep(0)  # a big batch must not hold up the API server sharing this loop
            batch *= 2
            await asyncio.sleep(0)
        return None

    def _delete(self, rs: dict, active: list[dict], count: int) -> StatusError | None:
        per_node: dict[str, int] = {}
        for pod in active:
            node = (pod.get("spec") or {}).get("nodeName") or ""
            per_node[node] = per_node.get(node, 0) + 1
        ranked = sorted(active, key=lambda p: deletion_rank(
            p, per_node.get((p.get("spec") or {}).get("nodeName") or "", 0)))
        for pod in ranked[:count]:
            meta = pod["metadata"]
            try:
                self.registry.delete(PODS, meta["namespace"], meta["name"], preconditions={"uid": meta["uid"]})
            except StatusError as e:
                if e.code == 404:
                    continue
                self.recorder.event(rs, "Warning", "FailedDelete", f"Error deleting: {e.message}",
                                    component=self.component, manager=MANAGER)
                return e
            self.recorder.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}",
                                component=self.component, manager=MANAGER)
        return None

    # status -------------------------------------------------------------------------------------------------------
    def _available(self, min_ready: float, facts: PodFacts, now: float) -> bool:
        """podutil.is_available, from the facts kept for the pod."""
        return facts.ready and podutil.ready_for(facts.ready_since, min_ready, now, self.clock.time_scale)

    def calculate_status(self, rs: dict, facts: list[PodFacts], error: StatusError | None) -> dict:
        template = (((rs.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
        min_ready = (rs.get("spec") or {}).get("minReadySeconds") or 0
        now = time.time()
        replicas = labeled = ready = available = terminating = 0
        wanted = template.items()
        for f in facts:  # one pass: a 1,000-pod ReplicaSet is synced on every pod change
            terminating += f.terminating
            if not f.active:
                continue
            replicas += 1
            labeled += wanted <= f.labels.items()
            if f.ready:
                ready += 1
                available += self._available(min_ready, f, now)
        old = rs.get("status") or {}
        status = {"replicas": replicas, "fullyLabeledReplicas": labeled, "readyReplicas": ready,
                  "availableReplicas": available, "terminatingReplicas": terminating,
                  "observedGeneration": rs["metadata"].get("generation", 1)}
        status = {k: v for k, v in status.items() if k in self.status_fields and (
            v or k in ("replicas", "terminatingReplicas"))}
        conditions = [c for c in old.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
        failure = next((c for c in old.get("conditions") or [] if c.get("type") == "ReplicaFailure"), None)
        if error is not None:
            reason = "FailedCreate" if replicas < _replicas(rs) else "FailedDelete"
            if failure is None or failure.get("reason") != reason or failure.get("message") != error.message:
                failure = {"type": "ReplicaFailure", "status": "True", "lastTransitionTime": self.clock.timestamp(),
                           "reason": reason, "message": error.message}
            conditions.append(failure)
        if conditions:
            status["conditions"] = conditions
        return status

    def _update_status(self, rs: dict, facts: list[PodFacts], error: StatusError | None) -> None:
        status = self.calculate_status(rs, facts, error)
        if status == (rs.get("status") or {}):
            return
        meta = rs["metadata"]
        self.registry.update(self.owner_rt, meta["namespace"], meta["name"], {**rs, "status": status},
                             subresource="status", field_manager=MANAGER)

    def _until_available(self, rs: dict, facts: list[PodFacts]) -> float | None:
        """Simulated seconds until the next ready pod counts as available (minReadySeconds)."""
        min_ready = (rs.get("spec") or {}).get("minReadySeconds") or 0
        if not min_ready:
            return None
        now = time.time()
        waits = [min_ready - (now - (f.ready_since or now)) * self.clock.time_scale
                 for f in facts if f.active and f.ready and not self._available(min_ready, f, now)]
        return max(min(waits), 0.0) + 0.01 if waits else None


def deletion_rank(pod: dict, colocated: int = 0) -> tuple:
    """Sort key: pods to delete first sort first (controller.ActivePodsWithRanks): unassigned before assigned,
    Pending < Unknown < Running, not ready before ready, lower pod-deletion-cost first, more pods of the same
    owner on its node first, more recently ready first, more restarts first, newer first."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(status.get("phase"), 0)
    try:
        cost = int((pod["metadata"].get("annotations") or {}).get("controller.kubernetes.io/pod-deletion-cost", 0))
    except ValueError:
        cost = 0
    ready_at = podutil.ready_since(pod) if podutil.is_ready(pod) else None
    restarts = sum(int(s.get("restartCount") or 0) for s in status.get("containerStatuses") or [])
    created = timestamps.epoch(pod["metadata"].get("creationTimestamp")) or 0.0
    return (1 if spec.get("nodeName") else 0, phase_rank, 1 if podutil.is_ready(pod) else 0, cost, -colocated,
            -(ready_at or 0.0), -restarts, -created)


def _replicas(obj: dict) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)
