"""The Endpoints controller: for every Service with a selector, an Endpoints object of the same name whose
subsets list the selected pods' IPs (ready ones in addresses, the others in notReadyAddresses; terminating
pods left out unless publishNotReadyAddresses) grouped by their resolved ports, as RepackSubsets groups them.
Capped at 1000 addresses with the over-capacity annotation. Deleted with its Service (Endpoints have no
owner reference: the controller deletes them itself)."""
from __future__ import annotations

from sandbox.machinery import podutil
from sandbox.controllers.base import DELETED, key_of, rt_of, split_key
from sandbox.controllers.endpointutil import ServicePodsController, resolve_target_port
from sandbox.controllers.selectors import service_selector
from sandbox.machinery.errors import StatusError

ENDPOINTS = rt_of("", "endpoints")
MAX_ADDRESSES = 1000
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"
MANAGER = "kube-controller-manager"


def _address(pod: dict, service: dict) -> dict:
    """podToEndpointAddressForService, with the pod's hostname when its subdomain names the Service."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    out = {"ip": pod["status"]["podIP"]}
    if spec.get("hostname") and spec.get("subdomain") == service["metadata"]["name"]:
        out["hostname"] = spec["hostname"]
    node = spec.get("nodeName")
    if node:
        out["nodeName"] = node
    out["targetRef"] = {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"]}
    return out


def _ip_key(address: dict) -> tuple:
    return tuple(int(part) for part in address["ip"].split(".")) if address["ip"].count(".") == 3 else (address["ip"],)


def subsets(service: dict, pods: list[dict]) -> tuple[list[dict], bool]:
    """(subsets, truncated): pods grouped by the ports they serve, addresses sorted by IP."""
    spec = service.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    groups: dict[tuple, dict] = {}
    total = 0
    ordered = sorted(pods, key=lambda p: (not (publish or podutil.is_ready(p)), p["metadata"]["name"]))
    for pod in ordered:
        if podutil.is_terminating(pod) and not publish:
            continue
        if total >= MAX_ADDRESSES:
            return _sorted(groups), True
        ports = []
        for port in spec.get("ports") or []:
            number = resolve_target_port(port, pod)
            if number is None:
                continue
            item = {"port": number, "protocol": port.get("protocol") or "TCP"}
            if port.get("name"):
                item = {"name": port["name"], **item}
            if port.get("appProtocol"):
                item["appProtocol"] = port["appProtocol"]
            ports.append(item)
        if spec.get("ports") and not ports:
            continue
        key = tuple(tuple(sorted(p.items())) for p in ports)
        group = groups.setdefault(key, {"addresses": [], "notReadyAddresses": [], "ports": ports})
        ready = publish or podutil.is_ready(pod)
        group["addresses" if ready else "notReadyAddresses"].append(_address(pod, service))
        total += 1
    return _sorted(groups), False


def _sorted(groups: dict) -> list[dict]:
    out = []
    for group in groups.values():
        subset = {}
        for field in ("addresses", "notReadyAddresses"):
            if group[field]:
                subset[field] = sorted(group[field], key=_ip_key)
        if group["ports"]:
            subset["ports"] = sorted(group["ports"], key=lambda p: (p.get("name", ""), p["port"], p["protocol"]))
        out.append(subset)
    return sorted(out, key=lambda s: _ip_key((s.get("addresses") or s.get("notReadyAddresses"))[0]))


class EndpointsController(ServicePodsController):
    name = "endpoints-controller"

    def setup(self) -> None:
        super().setup()
        self.endpoints = self.informer("", "endpoints")
        self.endpoints.add_handler(self._on_endpoints)

    def _on_endpoints(self, kind: str, old: dict | None, new: dict | None) -> None:
        if kind == DELETED:  # someone deleted ours: put it back
            self.queue.add(key_of(old))

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        service = self.services.get(namespace, name)
        current = self.endpoints.get(namespace, name)
        if service is None:
            if current is not None and (current["metadata"].get("labels") or {}).get(SKIP_MIRROR) == "true":
                self._delete(current)
            return
        if service_selector(service) is None or service["metadata"].get("deletionTimestamp"):
            return
        found, truncated = subsets(service, self.selected_pods(service))
        labels = {k: v for k, v in (service["metadata"].get("labels") or {}).items()}
        labels[SKIP_MIRROR] = "true"
        if (service.get("spec") or {}).get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        annotations = dict((current or {}).get("metadata", {}).get("annotations") or {})
        annotations.pop(TRIGGER_TIME, None)
        if truncated:
            annotations[OVER_CAPACITY] = "truncated"
        else:
            annotations.pop(OVER_CAPACITY, None)
        if current is not None and (current.get("subsets") or []) == found and \
                current["metadata"].get("labels") == labels and \
                {k: v for k, v in (current["metadata"].get("annotations") or {}).items() if k != TRIGGER_TIME} == \
                annotations:
            return
        annotations[TRIGGER_TIME] = self.clock.timestamp()
        body = {"apiVersion": "v1", "kind": "Endpoints",
                "metadata": {**((current or {}).get("metadata") or {}), "name": name, "namespace": namespace,
                             "labels": labels, "annotations": annotations}}
        if found:
            body["subsets"] = found
        if current is None:
            self.registry.create(ENDPOINTS, namespace, body, field_manager=MANAGER)
        else:
            self.registry.update(ENDPOINTS, namespace, name, body, field_manager=MANAGER)

    def _delete(self, current: dict) -> None:
        try:
            self.registry.delete(ENDPOINTS, current["metadata"]["namespace"], current["metadata"]["name"])
        except StatusError as e:
            if e.code != 404:
                raise
