"""kube-scheduler: binds each pending pod (schedulerName default-scheduler, no nodeName) to the node the filter
and score in scheduling.py choose, keeping a NodeInfo per node (requests, pod count, host ports) up to date
from the pod cache instead of summing pods per decision. A pod that fits nowhere stays Pending with
PodScheduled=False/Unschedulable and a FailedScheduling event, and is tried again when a node changes or a pod
goes away (or every five minutes, like the unschedulable queue's flush).

A pod with PersistentVolumeClaims goes through the VolumeBinding plugin (volume_binding.py): a claim that is
missing or unbound with an Immediate class keeps it unschedulable everywhere, a bound claim's volume pins it to
the nodes its nodeAffinity allows, and an unbound WaitForFirstConsumer claim is bound at PreBind: the scheduler
names the chosen node on the claim (volume.kubernetes.io/selected-node) or binds a fitting static volume to it,
then binds the pod only once every claim is bound (the provisioner and the PV controller do the rest)."""
from __future__ import annotations

from sandbox.controllers import scheduling, volume_binding
from sandbox.machinery import podutil
from sandbox.controllers.base import DELETED, Controller, controller_ref, key_of, rt_of, split_key
from sandbox.controllers.scheduling import NodeInfo
from sandbox.machinery.errors import StatusError

PODS = rt_of("", "pods")
CLAIMS, VOLUMES = rt_of("", "persistentvolumeclaims"), rt_of("", "persistentvolumes")
SCHEDULER_NAME = "default-scheduler"
MANAGER = "kube-scheduler"
RETRY_ON_CHANGE = 1.0  # simulated seconds: podInitialBackoffSeconds
UNSCHEDULABLE_FLUSH = 300.0  # podMaxInUnschedulablePodsDuration


def wants_scheduling(pod: dict) -> bool:
    spec = pod.get("spec") or {}
    return (not spec.get("nodeName") and (spec.get("schedulerName") or SCHEDULER_NAME) == SCHEDULER_NAME
            and podutil.is_active(pod))


def _schedulable_view(node: dict) -> tuple:
    return (node.get("spec"), node["metadata"].get("labels"), (node.get("status") or {}).get("allocatable"))


class Scheduler(Controller):
    name = "default-scheduler"

    def setup(self) -> None:
        self.pods = self.informer("", "pods")
        self.nodes = self.informer("", "nodes")
        self.infos: dict[str, NodeInfo] = {}
        self.accounted: dict[str, tuple] = {}  # pod key -> (node, uid, requests, owner, ports)
        self.unschedulable: set[str] = set()
        self.binding: tuple | None = None  # (pod uid, requests) while bind() runs: accounted without recomputing
        self.claims = self.informer("", "persistentvolumeclaims")
        self.volumes = self.informer("", "persistentvolumes")
        self.classes = self.informer("storage.k8s.io", "storageclasses")
        self.waiting: dict[str, set[str]] = {}  # claim key -> pods waiting at PreBind or PreFilter for it
        self.nodes.add_handler(self._on_node)
        self.pods.add_handler(self._on_pod)
        self.claims.add_handler(self._on_claim)
        self.volumes.add_handler(lambda kind, old, new: self._retry_unschedulable())

    def _on_claim(self, kind: str, old: dict | None, new: dict | None) -> None:
        for pod_key in self.waiting.pop(key_of(new or old), set()):
            self.queue.add(pod_key)

    # caches -------------------------------------------------------------------------------------------------------
    def _on_node(self, kind: str, old: dict | None, new: dict | None) -> None:
        name = (new or old)["metadata"]["name"]
        if kind == DELETED:
            self.infos.pop(name, None)
            return
        if name in self.infos:
            self.infos[name].set_node(new)
            if old is not None and _schedulable_view(old) == _schedulable_view(new):
                return  # a heartbeat: nothing a pending pod could now fit into
        else:
            self.infos[name] = NodeInfo(new)
            for entry in self.accounted.values():
                if entry[0] == name:
                    self.infos[name].add(entry[2], entry[3], entry[4])
        self._retry_unschedulable()

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        pod = new or old
        key = key_of(pod)
        counted = new is not None and (new.get("spec") or {}).get("nodeName") and \
            (new.get("status") or {}).get("phase") not in podutil.TERMINAL
        entry = self.accounted.get(key)
        if entry and (not counted or entry[0] != new["spec"]["nodeName"] or entry[1] != new["metadata"]["uid"]):
            self._unaccount(key)
            self._retry_unschedulable()
            entry = None
        if counted and entry is None:
            ref = controller_ref(new)
            uid = new["metadata"]["uid"]
            requests = self.binding[1] if self.binding and self.binding[0] == uid else scheduling.pod_requests(new)
            entry = (new["spec"]["nodeName"], uid, requests,
                     ref["uid"] if ref else None, scheduling.host_ports(new))
            self.accounted[key] = entry
            info = self.infos.get(entry[0])
            if info is not None:
                info.add(entry[2], entry[3], entry[4])
        if kind == DELETED:
            self.unschedulable.discard(key)
        elif wants_scheduling(new) and key not in self.unschedulable:
            self.queue.add(key)

    def _unaccount(self, key: str) -> None:
        node, _, requests, owner, ports = self.accounted.pop(key)
        info = self.infos.get(node)
        if info is not None:
            info.add(requests, owner, ports, sign=-1)

    def _retry_unschedulable(self) -> None:
        for key in self.unschedulable:
            self.enqueue_after(key, RETRY_ON_CHANGE)

    # scheduling ---------------------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        pod = self.pods.get(namespace, name)
        if pod is None or not wants_scheduling(pod):
            self.unschedulable.discard(key)
            return
        ref = controller_ref(pod)
        requests = scheduling.pod_requests(pod)
        infos = list(self.infos.values())
        found, volumes = self._pod_volumes(key, pod)
        if found.error:
            self._unschedulable(key, pod, scheduling.fit_error(pod, {i.name: scheduling.Verdict(
                (found.error,), True) for i in infos}, pre_filter=found.error))
            return
        node, verdicts = scheduling.pick(pod, requests, ref["uid"] if ref else None, infos, volumes)
        if node is None:
            self._unschedulable(key, pod, scheduling.fit_error(pod, verdicts))
            return
        if found.delayed and not self._pre_bind(key, pod, found, node):
            return
        self.binding = (pod["metadata"]["uid"], requests)  # the informer sees the bound pod during bind()
        try:
            self.registry.bind(namespace, name, node)
        except StatusError as e:
            if e.code in (404, 409):  # deleted or bound meanwhile
                return
            raise
        finally:
            self.binding = None
        self.unschedulable.discard(key)
        self.recorder.event(pod, "Normal", "Scheduled", f"Successfully assigned {namespace}/{name} to {node}",
                            component=SCHEDULER_NAME, manager=MANAGER)

    # VolumeBinding --------------------------------------------------------------------------------------------------
    def _pod_volumes(self, key: str, pod: dict):
        """PreFilter's findings and the per-node filter (None for a pod without claims)."""
        names = volume_binding.claim_names(pod)
        if not names:
            return volume_binding.PodVolumes(), None
        namespace = pod["metadata"]["namespace"]
        for name in names:  # any change to one of its claims tries the pod again
            self.waiting.setdefault(f"{namespace}/{name}", set()).add(key)
        claims = {c["metadata"]["name"]: c for c in self.claims.list(namespace)}
        classes = {c["metadata"]["name"]: c for c in self.classes.list()}
        found = volume_binding.pre_filter(pod, claims, classes)
        volumes = {v["metadata"]["name"]: v for v in self.volumes.list()}
        return found, lambda node: volume_binding.filter_node(found, node, volumes, classes)

    def _pre_bind(self, key: str, pod: dict, found, node: str) -> bool:
        """True when every claim is bound and the pod may be bound to `node`; otherwise the claims are set on their
        way (a static volume bound to the claim, or the node named for the provisioner) and the pod waits."""
        volumes = self.volumes.list()
        node_obj = self.nodes.get(None, node)
        for claim in found.delayed:
            meta = claim["metadata"]
            if (meta.get("annotations") or {}).get(volume_binding.SELECTED_NODE):
                continue
            volume = volume_binding.best_match(claim, volumes, node_obj)
            try:
                if volume is not None:
                    ref = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": meta["namespace"],
                           "name": meta["name"], "uid": meta["uid"], "resourceVersion": meta["resourceVersion"]}
                    self.registry.update(VOLUMES, None, volume["metadata"]["name"], {
                        **volume, "spec": {**volume["spec"], "claimRef": ref}}, field_manager=MANAGER)
                else:
                    annotations = {**(meta.get("annotations") or {}), volume_binding.SELECTED_NODE: node}
                    self.registry.update(CLAIMS, meta["namespace"], meta["name"], {
                        **claim, "metadata": {**meta, "annotations": annotations}}, field_manager=MANAGER)
            except StatusError as e:
                if e.code not in (404, 409):
                    raise
        return False

    def _unschedulable(self, key: str, pod: dict, message: str) -> None:
        self.unschedulable.add(key)
        self.recorder.event(pod, "Warning", "FailedScheduling", message, component=SCHEDULER_NAME, manager=MANAGER)
        status = dict(pod.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        current = podutil.condition(pod, "PodScheduled")
        if not (current and current.get("status") == "False" and current.get("message") == message):
            conditions.append({"type": "PodScheduled", "status": "False",  # lastProbeTime: null is not stored
                               "lastTransitionTime": self.clock.timestamp(), "reason": "Unschedulable",
                               "message": message})
            status["conditions"] = conditions
            meta = pod["metadata"]
            self.registry.update(PODS, meta["namespace"], meta["name"], {**pod, "status": status},
                                 subresource="status", field_manager=MANAGER)
        self.enqueue_after(key, UNSCHEDULABLE_FLUSH)
