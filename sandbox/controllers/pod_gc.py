"""kube-controller-manager's pod garbage collector (pkg/controller/podgc), the parts a workshop meets:

- orphaned pods: a pod bound to a node that no longer exists is found every gcCheckPeriod (20 s); once the node has
  stayed missing for the quarantine (40 s), the pod is marked Failed with the DisruptionTarget condition
  (DeletionByPodGC, "PodGC: node no longer exists") and force-deleted. This is how a pod left Terminating on a
  node without a kubelet goes away: delete the node.
- unscheduled terminating pods: a pod being deleted that was never bound is force-deleted."""
from __future__ import annotations

from sandbox.controllers.base import DELETED, Controller, key_of, rt_of
from sandbox.machinery import podutil
from sandbox.machinery.errors import StatusError

PODS = rt_of("", "pods")
MANAGER = "kube-controller-manager"
CHECK_PERIOD = 20.0  # gcCheckPeriod
QUARANTINE = 40.0  # quarantineTime


class PodGarbageCollector(Controller):
    name = "pod-garbage-collector"

    def setup(self) -> None:
        self.nodes = self.informer("", "nodes")
        self.pods = self.informer("", "pods")
        self.pods.add_index("podgc/node", lambda p: [n] if (n := (p.get("spec") or {}).get("nodeName")) else [])
        self.missing: dict[str, float] = {}  # node name -> simulated moment it was first found missing
        self.nodes.add_handler(self._on_node)
        self.pods.add_handler(self._on_pod)

    def _on_node(self, kind: str, old: dict | None, new: dict | None) -> None:
        name = (new or old)["metadata"]["name"]
        if kind == DELETED:
            self.enqueue_after(f"node:{name}", CHECK_PERIOD)
        else:
            self.missing.pop(name, None)

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        if new is None:
            return
        node = (new.get("spec") or {}).get("nodeName")
        if node and self.nodes.get(None, node) is None:
            self.enqueue_after(f"node:{node}", CHECK_PERIOD)
        elif not node and podutil.is_terminating(new):
            self.queue.add(f"pod:{key_of(new)}")

    def started(self) -> None:
        for pod in self.pods.list():
            self._on_pod("ADDED", None, pod)

    async def reconcile(self, key: str) -> None:
        kind, _, name = key.partition(":")
        if kind == "pod":
            namespace, _, pod_name = name.partition("/")
            pod = self.pods.get(namespace, pod_name)
            if pod is not None and not (pod.get("spec") or {}).get("nodeName") and podutil.is_terminating(pod):
                self._force_delete(pod)
            return
        if self.nodes.get(None, name) is not None:
            self.missing.pop(name, None)
            return
        now = self.clock.now()
        since = self.missing.setdefault(name, now)
        if now - since < QUARANTINE:
            self.enqueue_after(key, QUARANTINE - (now - since) + 0.01)
            return
        for pod in self.pods.by_index("podgc/node", name):
            self._mark_failed_and_delete(pod)
        self.missing.pop(name, None)

    def _mark_failed_and_delete(self, pod: dict) -> None:
        meta, status = pod["metadata"], dict(pod.get("status") or {})
        if status.get("phase") not in podutil.TERMINAL:
            status["phase"] = "Failed"
            status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"]
            status["conditions"].append({"type": "DisruptionTarget", "status": "True",
                                         "lastTransitionTime": self.clock.timestamp(), "reason": "DeletionByPodGC",
                                         "message": "PodGC: node no longer exists"})
            try:
                pod = self.registry.update(PODS, meta["namespace"], meta["name"], {**pod, "status": status},
                                           subresource="status", field_manager=MANAGER)
            except StatusError as e:
                if e.code not in (404, 409):
                    raise
        self._force_delete(pod)

    def _force_delete(self, pod: dict) -> None:
        meta = pod["metadata"]
        try:
            self.registry.delete(PODS, meta["namespace"], meta["name"], grace_period_seconds=0,
                                 preconditions={"uid": meta["uid"]})
        except StatusError as e:
            if e.code not in (404, 409):
                raise
