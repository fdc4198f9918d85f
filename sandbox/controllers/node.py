"""The simulated nodes' kubelets registering themselves: each node in sandbox/simulation/nodes.py is created
if it is missing (also after someone deletes it, as a kubelet re-registers), and its conditions' heartbeat is
reposted every five simulated minutes, as nodeStatusReportFrequency does."""
from __future__ import annotations


from sandbox.machinery import timestamps
from sandbox.controllers.base import DELETED, Controller, rt_of
from sandbox.controllers.clockutil import simulated_since
from sandbox.machinery.errors import StatusError
from sandbox.simulation import nodes as simulated

NODES = rt_of("", "nodes")
MANAGER = "kubelet"
MIN_HEARTBEAT_REAL_SECONDS = 60.0


class NodeController(Controller):
    name = "node-registration"

    def setup(self) -> None:
        self.nodes = self.informer("", "nodes")
        self.specs = {spec.name: spec for spec in self.ctx.nodes}
        self.nodes.add_handler(self._on_node)

    def _on_node(self, kind: str, old: dict | None, new: dict | None) -> None:
        name = (new or old)["metadata"]["name"]
        if kind == DELETED and name in self.specs:
            self.queue.add(name)

    def register(self) -> None:
        """Create the nodes that do not exist yet (synchronously, before any pod can be scheduled)."""
        for name in self.specs:
            if self.nodes.get(None, name) is None:
                self._create(name)
            self.enqueue_heartbeat(name)

    def enqueue_heartbeat(self, name: str) -> None:
        # At high time scales a heartbeat every few real seconds would only cost writes nobody reads.
        self.queue.add_after(name, max(self.real(simulated.HEARTBEAT_SECONDS), MIN_HEARTBEAT_REAL_SECONDS))

    def _create(self, name: str) -> None:
        """The kubelet registers its node with the status already filled in (nodes accept status on create)."""
        manifest = simulated.manifest(self.specs[name], self.clock.timestamp())
        try:
            created = self.registry.create(NODES, None, manifest, field_manager=MANAGER)
        except StatusError as e:
            if e.code != 409:
                raise
            return
        if not created.get("status"):  # a registry that drops status on create: post it
            self.registry.update(NODES, None, name, {**created, "status": manifest["status"]}, subresource="status",
                                 field_manager=MANAGER)
        self._registration_events(created)

    def _registration_events(self, node: dict) -> None:
        """What `kubectl describe node` lists after a kubelet starts and the node controller sees the node."""
        name = node["metadata"]["name"]
        # the kubelet refers to its node with the node name as uid
        ref = {**node, "metadata": {**node["metadata"], "uid": name, "resourceVersion": ""}}
        for reason, message in (("Starting", "Starting kubelet."),
                                ("NodeHasSufficientMemory", f"Node {name} status is now: NodeHasSufficientMemory"),
                                ("NodeHasNoDiskPressure", f"Node {name} status is now: NodeHasNoDiskPressure"),
                                ("NodeHasSufficientPID", f"Node {name} status is now: NodeHasSufficientPID"),
                                ("NodeAllocatableEnforced", "Updated Node Allocatable limit across pods"),
                                ("NodeReady", f"Node {name} status is now: NodeReady")):
            self.recorder.event(ref, "Normal", reason, message, component="kubelet", host=name, manager=MANAGER)
        self.recorder.event(node, "Normal", "RegisteredNode", f"Node {name} event: Registered Node {name} in "
                            "Controller", component="node-controller", manager="kube-controller-manager")

    async def reconcile(self, name: str) -> None:
        node = self.nodes.get(None, name)
        if node is None:
            self._create(name)
            self.enqueue_heartbeat(name)
            return
        conditions = (node.get("status") or {}).get("conditions") or []
        beats = [timestamps.epoch(c.get("lastHeartbeatTime")) for c in conditions]
        last = min((b for b in beats if b is not None), default=None)
        if last is None or simulated_since(self.clock, last) >= simulated.HEARTBEAT_SECONDS * 0.9:
            now = self.clock.timestamp()
            status = {**(node.get("status") or {}),
                      "conditions": [{**c, "lastHeartbeatTime": now} for c in conditions] or simulated.conditions(now)}
            self.registry.update(NODES, None, name, {**node, "status": status}, subresource="status",
                                 field_manager=MANAGER)
        self.enqueue_heartbeat(name)
