"""kube-controller-manager's node lifecycle controller and taint eviction controller, for the nodes a kubelet of the
sandbox does not run (a Node a learner created) and for every node's taints:

- health: a node without a kubelet never renews a lease, so once its grace period has passed since it was created
  (nodeStartupGracePeriod, 60 s, for a node that never posted a Ready condition; node-monitor-grace-period, 50 s,
  otherwise) its Ready, MemoryPressure, DiskPressure and PIDPressure conditions turn Unknown (NodeStatusNeverUpdated
  "Kubelet never posted node status." / NodeStatusUnknown "Kubelet stopped posting node status."). The sandbox's
  own nodes renew theirs: they stay as their kubelet reports them.
- NoSchedule taints from the conditions (doNoScheduleTaintingPass): Ready False -> node.kubernetes.io/not-ready,
  Ready Unknown -> node.kubernetes.io/unreachable, MemoryPressure/DiskPressure/PIDPressure True -> memory-pressure,
  disk-pressure, pid-pressure, NetworkUnavailable True -> network-unavailable, spec.unschedulable ->
  node.kubernetes.io/unschedulable. A new node carries not-ready until this pass has seen it Ready (the
  TaintNodesByCondition admission plugin puts it there: registry/kinds/node.py).
- NoExecute taints (markNodeAsNotReady/Unreachable): Ready False -> not-ready, Unknown -> unreachable, with timeAdded.
- taint eviction: a pod on a node with a NoExecute taint it does not tolerate is deleted at once; one that tolerates
  them for tolerationSeconds (every pod does for 300 s: DefaultTolerationSeconds) is deleted when the shortest of
  them has passed since the taint was added; with the DisruptionTarget condition (DeletionByTaintManager) and the
  TaintManagerEviction event."""
from __future__ import annotations

import time

from sandbox.controllers.base import DELETED, Controller, key_of, rt_of
from sandbox.controllers.clockutil import simulated_since
from sandbox.controllers.scheduling import tolerates
from sandbox.machinery import podutil, timestamps
from sandbox.machinery.errors import StatusError

NODES, PODS = rt_of("", "nodes"), rt_of("", "pods")
MANAGER = "kube-controller-manager"
STARTUP_GRACE = 60.0  # --node-startup-grace-period
MONITOR_GRACE = 50.0  # --node-monitor-grace-period
NOT_READY, UNREACHABLE = "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
CONDITION_TAINTS = {("Ready", "False"): NOT_READY, ("Ready", "Unknown"): UNREACHABLE,
                    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
                    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
                    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure",
                    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable"}
MANAGED_KEYS = set(CONDITION_TAINTS.values()) | {UNSCHEDULABLE}
HEALTH_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")


def _ready(node: dict) -> dict | None:
    return next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)


def wanted_taints(node: dict, now: str) -> list[dict]:
    """The node's taints once the lifecycle controller has looked at it: the ones it does not manage kept, its own
    NoSchedule and NoExecute taints from the conditions (an existing taint keeps its timeAdded)."""
    spec, conditions = node.get("spec") or {}, (node.get("status") or {}).get("conditions") or []
    current = [t for t in spec.get("taints") or [] if isinstance(t, dict)]
    keep = [t for t in current if t.get("key") not in MANAGED_KEYS]
    no_schedule = [CONDITION_TAINTS[(c.get("type"), c.get("status"))] for c in conditions
                   if (c.get("type"), c.get("status")) in CONDITION_TAINTS]
    ready = _ready(node)
    if ready is None:
        no_schedule.append(NOT_READY)  # not yet seen Ready: the admission plugin's taint stays
    if spec.get("unschedulable"):
        no_schedule.append(UNSCHEDULABLE)
    out = keep + [{"key": key, "effect": "NoSchedule"} for key in dict.fromkeys(no_schedule)]
    status = (ready or {}).get("status")
    execute = NOT_READY if status == "False" else UNREACHABLE if status == "Unknown" else None
    if execute:
        before = next((t for t in current if t.get("key") == execute and t.get("effect") == "NoExecute"), None)
        out.append({"key": execute, "effect": "NoExecute", "timeAdded": (before or {}).get("timeAdded") or now})
    return out


def eviction_time(pod: dict, taints: list[dict]) -> float | None:
    """When the taint eviction deletes the pod (Unix seconds, 0 for now), or None: it tolerates the node's
    NoExecute taints for good (or there are none)."""
    execute = [t for t in taints if t.get("effect") == "NoExecute"]
    if not execute:
        return None
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    used = []
    for taint in execute:
        matching = [t for t in tolerations if tolerates(t, taint)]
        if not matching:
            return 0.0
        used += matching
    seconds = [max(int(t["tolerationSeconds"]), 0) for t in used if t.get("tolerationSeconds") is not None]
    if not seconds:
        return None
    added = min((timestamps.epoch(t.get("timeAdded")) or time.time()) for t in execute)
    return added + min(seconds)


class NodeLifecycleController(Controller):
    name = "node-lifecycle-controller"

    def setup(self) -> None:
        self.nodes = self.informer("", "nodes")
        self.pods = self.informer("", "pods")
        self.pods.add_index("node-lifecycle/node", lambda p: [n] if (n := (p.get("spec") or {}).get("nodeName"))
                            else [])
        self.own = {spec.name for spec in self.ctx.nodes}
        self.nodes.add_handler(lambda kind, old, new: kind != DELETED and self.queue.add(key_of(new)))
        self.pods.add_handler(self._on_pod)

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        node = ((new or {}).get("spec") or {}).get("nodeName")
        if node and kind != DELETED and not ((old or {}).get("spec") or {}).get("nodeName"):
            found = self.nodes.get(None, node)
            if found is not None and any(t.get("effect") == "NoExecute" for t in (found.get("spec") or {}).get(
                    "taints") or []):
                self.queue.add(node)

    def started(self) -> None:
        """Before the scheduler's first pass: the nodes the kubelets registered just now lose the not-ready taint."""
        for node in self.nodes.list():
            self._taint(node)

    async def reconcile(self, name: str) -> None:
        node = self.nodes.get(None, name)
        if node is None:
            return
        if name not in self.own:
            node = self._monitor_health(node)
        node = self._taint(node)
        self._evict(node)

    def _monitor_health(self, node: dict) -> dict:
        """tryUpdateNodeHealth for a node whose kubelet never renews its lease."""
        conditions = (node.get("status") or {}).get("conditions") or []
        ready = _ready(node)
        if ready is not None and ready.get("status") == "Unknown":
            return node
        grace = STARTUP_GRACE if ready is None else MONITOR_GRACE
        created = timestamps.epoch(node["metadata"].get("creationTimestamp")) or time.time()
        waited = simulated_since(self.clock, created)
        if waited < grace:
            self.enqueue_after(name := node["metadata"]["name"], grace - waited + 0.01)
            return node
        now = self.clock.timestamp()
        by_type = {c.get("type"): c for c in conditions}
        updated = [c for c in conditions if c.get("type") not in HEALTH_CONDITIONS]
        for kind in HEALTH_CONDITIONS:
            before = by_type.get(kind)
            if before is None:
                updated.append({"type": kind, "status": "Unknown", "lastHeartbeatTime": node["metadata"].get(
                    "creationTimestamp"), "lastTransitionTime": now, "reason": "NodeStatusNeverUpdated",
                    "message": "Kubelet never posted node status."})
            else:
                updated.append({**before, "status": "Unknown", "reason": "NodeStatusUnknown",
                                "message": "Kubelet stopped posting node status.",
                                "lastTransitionTime": now if before.get("status") != "Unknown" else
                                before.get("lastTransitionTime")})
        name = node["metadata"]["name"]
        try:
            return self.registry.update(NODES, None, name, {**node, "status": {**(node.get("status") or {}),
                                        "conditions": updated}}, subresource="status", field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise
            return node

    def _taint(self, node: dict) -> dict:
        taints = wanted_taints(node, self.clock.timestamp())
        if taints == [t for t in (node.get("spec") or {}).get("taints") or [] if isinstance(t, dict)]:
            return node
        spec = {**(node.get("spec") or {}), "taints": taints}
        if not taints:
            spec.pop("taints")
        try:
            return self.registry.update(NODES, None, node["metadata"]["name"], {**node, "spec": spec},
                                        field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise
            return node

    def _evict(self, node: dict) -> None:
        taints = (node.get("spec") or {}).get("taints") or []
        now, later = time.time(), []
        for pod in self.pods.by_index("node-lifecycle/node", node["metadata"]["name"]):
            if podutil.is_terminating(pod) or (pod.get("status") or {}).get("phase") in podutil.TERMINAL:
                continue
            when = eviction_time(pod, taints)
            if when is None:
                continue
            if when > now:
                later.append(when)
                continue
            self._delete(pod)
        if later:
            self.enqueue_after(node["metadata"]["name"], (min(later) - now) * self.clock.time_scale + 0.01)

    def _delete(self, pod: dict) -> None:
        meta = pod["metadata"]
        status = dict(pod.get("status") or {})
        status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"] + [
            {"type": "DisruptionTarget", "status": "True", "lastTransitionTime": self.clock.timestamp(),
             "reason": "DeletionByTaintManager", "message": "Taint manager: deleting due to NoExecute taint"}]
        self.recorder.event(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {meta['namespace']}/"
                            f"{meta['name']}", component="taint-eviction-controller", manager=MANAGER)
        try:
            self.registry.update(PODS, meta["namespace"], meta["name"], {**pod, "status": status},
                                 subresource="status", field_manager=MANAGER)
            self.registry.delete(PODS, meta["namespace"], meta["name"], preconditions={"uid": meta["uid"]})
        except StatusError as e:
            if e.code not in (404, 409):
                raise
