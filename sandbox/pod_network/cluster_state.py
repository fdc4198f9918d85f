"""What the pod network follows in the Registry: Services, EndpointSlices, Pods (only what routing and DNS need
of them), Nodes' addresses and Namespaces' names. Fed like the controllers' informers (Registry.subscribe calls
back synchronously after every write, so the state is never behind the store), but kept here: the pod network
sits below the controllers and never imports them. Every change calls `on_change(kind, old, new)`."""
from __future__ import annotations

from typing import Callable

from sandbox.machinery import resources

KINDS = {  # storage key -> the kind named to on_change
    "services": "Service", "discovery.k8s.io/endpointslices": "EndpointSlice", "pods": "Pod", "nodes": "Node",
    "namespaces": "Namespace"}
SERVICE_NAME = "kubernetes.io/service-name"
TERMINAL = ("Succeeded", "Failed")


def pod_record(pod: dict) -> dict:
    """The little of a pod the network needs (a pod object is ~5 KB and changes often)."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    return {"uid": meta.get("uid", ""), "namespace": meta.get("namespace", ""), "name": meta.get("name", ""),
            "ip": status.get("podIP") or "", "running": status.get("phase") not in TERMINAL,
            "hostname": spec.get("hostname") or "", "subdomain": spec.get("subdomain") or ""}


def node_addresses(node: dict) -> list[str]:
    return [a["address"] for a in (node.get("status") or {}).get("addresses") or []
            if a.get("type") == "InternalIP" and a.get("address")]


class ClusterState:
    def __init__(self, registry, on_change: Callable[[str, dict | None, dict | None], None]):
        self.registry, self.on_change = registry, on_change
        self.services: dict[tuple[str, str], dict] = {}
        self.slices: dict[tuple[str, str], dict[str, dict]] = {}  # (namespace, Service) -> slice name -> slice
        self.pods: dict[str, dict] = {}                             # uid -> pod_record
        self.nodes: dict[str, list[str]] = {}                       # node name -> InternalIPs
        self.namespaces: set[str] = set()
        self._unsubscribe = None

    def start(self) -> None:
        """Subscribe, then list: both happen before the loop runs anything else, so nothing falls between."""
        self._unsubscribe = self.registry.subscribe(self._event, set(KINDS), lazy=True)
        for storage_key in KINDS:
            rt = resources.storage_type(storage_key)
            for obj in self.registry.list(rt)["items"]:
                self._apply(storage_key, "ADDED", obj)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def node_ips(self) -> list[str]:
        return sorted({ip for ips in self.nodes.values() for ip in ips},
                      key=lambda ip: tuple(int(part) for part in ip.split(".")) if ip.count(".") == 3 else (999,))

    def slices_of(self, namespace: str, service: str) -> list[dict]:
        return [self.slices[(namespace, service)][n] for n in sorted(self.slices.get((namespace, service), {}))]

    def _event(self, event_type: str, storage_key: str, load) -> None:
        self._apply(storage_key, event_type, load())

    def _apply(self, storage_key: str, event_type: str, obj: dict) -> None:
        kind, meta = KINDS[storage_key], obj["metadata"]
        deleted = event_type == "DELETED"
        namespace, name = meta.get("namespace", ""), meta["name"]
        if kind == "Service":
            old = self.services.pop((namespace, name), None) if deleted else self.services.get((namespace, name))
            if not deleted:
                self.services[(namespace, name)] = obj
            self.on_change(kind, old, None if deleted else obj)
        elif kind == "EndpointSlice":
            service = (meta.get("labels") or {}).get(SERVICE_NAME)
            if not service:
                return
            by_name = self.slices.setdefault((namespace, service), {})
            old = by_name.pop(name, None) if deleted else by_name.get(name)
            if not deleted:
                by_name[name] = obj
            elif not by_name:
                self.slices.pop((namespace, service), None)
            self.on_change(kind, old, None if deleted else obj)
        elif kind == "Pod":
            record = pod_record(obj)
            old = self.pods.pop(record["uid"], None) if deleted else self.pods.get(record["uid"])
            if not deleted:
                self.pods[record["uid"]] = record
            if deleted or old != record:
                self.on_change(kind, old if not deleted else (old or record), None if deleted else record)
        elif kind == "Node":
            old_ips = self.nodes.pop(name, None) if deleted else self.nodes.get(name)
            if not deleted:
                self.nodes[name] = node_addresses(obj)
            if old_ips != self.nodes.get(name):
                self.on_change(kind, None, None)
        elif kind == "Namespace":
            present = name in self.namespaces
            if deleted:
                self.namespaces.discard(name)
            else:
                self.namespaces.add(name)
            if present == deleted:
                self.on_change(kind, None, None)
