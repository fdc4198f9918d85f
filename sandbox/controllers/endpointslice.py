"""The EndpointSlice controller: for every Service with a selector, slices (at most 100 endpoints each, one set
per resolved port list) of the selected pods that have an IP, with ready/serving/terminating conditions,
nodeName and a targetRef, labelled kubernetes.io/service-name and owned by the Service. Like the real
reconciler it keeps endpoints in the slice they are in and fills gaps before creating slices, so a change
rewrites as few slices as it can. A Service whose selector matches nothing keeps one empty placeholder slice."""
from __future__ import annotations

from sandbox.machinery import podutil
from sandbox.controllers.base import owner_reference, rt_of
from sandbox.controllers.endpointutil import BATCH_REAL_SECONDS, ServicePodsController, resolve_target_port
from sandbox.controllers.selectors import service_selector
from sandbox.machinery.errors import StatusError

SLICES = rt_of("discovery.k8s.io", "endpointslices")
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
SERVICE_NAME = "kubernetes.io/service-name"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
MAX_ENDPOINTS = 100
MANAGER = "kube-controller-manager"


def endpoint(pod: dict, publish_not_ready: bool, service: dict | None = None) -> dict:
    """podToEndpoint; the pod's hostname when its subdomain names the Service (a StatefulSet's pods and their
    headless Service: what cluster DNS answers for <hostname>.<service>.<namespace>.svc)."""
    ready = podutil.is_ready(pod)
    terminating = podutil.is_terminating(pod)
    meta = pod["metadata"]
    out = {"addresses": [pod["status"]["podIP"]],
           "conditions": {"ready": publish_not_ready or (ready and not terminating), "serving": ready or
                          publish_not_ready, "terminating": terminating},
           "targetRef": {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"]}}
    spec = pod.get("spec") or {}
    if service is not None and spec.get("hostname") and spec.get("subdomain") == service["metadata"]["name"]:
        out = {"addresses": out["addresses"], "conditions": out["conditions"], "hostname": spec["hostname"],
               "targetRef": out["targetRef"]}
    node = spec.get("nodeName")
    if node:
        out["nodeName"] = node
    return out


def endpoint_ports(service: dict, pod: dict) -> tuple:
    ports = []
    for port in (service.get("spec") or {}).get("ports") or []:
        number = resolve_target_port(port, pod)
        if number is None:
            continue
        item = (("name", port.get("name") or ""), ("port", number), ("protocol", port.get("protocol") or "TCP"))
        if port.get("appProtocol"):
            item += (("appProtocol", port["appProtocol"]),)
        ports.append(item)
    return tuple(ports)


def slice_labels(service: dict) -> dict:
    labels = {k: v for k, v in (service["metadata"].get("labels") or {}).items() if k not in (SERVICE_NAME, MANAGED_BY)}
    labels[SERVICE_NAME] = service["metadata"]["name"]
    labels[MANAGED_BY] = CONTROLLER_NAME
    if (service.get("spec") or {}).get("clusterIP") == "None":
        labels["service.kubernetes.io/headless"] = ""
    return labels


def _ports_key(slice_: dict) -> tuple:
    return tuple(tuple((k, p[k]) for k in ("name", "port", "protocol", "appProtocol") if k in p)
                 for p in slice_.get("ports") or [])


def _uid(item: dict) -> str:
    return (item.get("targetRef") or {}).get("uid", "")


def pack(existing: list[dict], desired: dict[tuple, list[dict]]) -> tuple[list, list, list]:
    """(slices to update as (slice, endpoints, ports), new slices as (endpoints, ports), slices to delete):
    endpoints stay where they are, new ones fill gaps, then new slices of up to MAX_ENDPOINTS."""
    updates, creates, deletes = [], [], []
    by_ports: dict[tuple, list[dict]] = {}
    for s in sorted(existing, key=lambda s: s["metadata"]["name"]):
        by_ports.setdefault(_ports_key(s), []).append(s)
    for ports, endpoints in desired.items():
        wanted = {_uid(e): e for e in endpoints}
        slots = []
        for s in by_ports.pop(ports, []):
            kept = [wanted.pop(_uid(e)) for e in s.get("endpoints") or [] if _uid(e) in wanted]
            slots.append([s, kept])
        leftovers = list(wanted.values())
        for slot in slots:
            room = MAX_ENDPOINTS - len(slot[1])
            slot[1].extend(leftovers[:room])
            leftovers = leftovers[room:]
        for start in range(0, len(leftovers), MAX_ENDPOINTS):
            creates.append((leftovers[start:start + MAX_ENDPOINTS], ports))
        if not endpoints:  # the placeholder: one empty slice
            if slots:
                updates.append((slots[0][0], [], ports))
                deletes.extend(slot[0] for slot in slots[1:])
            else:
                creates.append(([], ports))
            continue
        for current, kept in slots:
            if kept:
                updates.append((current, kept, ports))
            else:
                deletes.append(current)
    for leftover in by_ports.values():
        deletes.extend(leftover)
    return updates, creates, deletes


class EndpointSliceController(ServicePodsController):
    name = "endpointslice-controller"

    def setup(self) -> None:
        super().setup()
        self.slices = self.informer("discovery.k8s.io", "endpointslices")
        self.slices.add_index("service", lambda s: [f"{s['metadata']['namespace']}/{labels[SERVICE_NAME]}"]
                              if (labels := s["metadata"].get("labels") or {}).get(MANAGED_BY) == CONTROLLER_NAME
                              and labels.get(SERVICE_NAME) else [])
        self.slices.add_handler(self._on_slice)

    def _on_slice(self, kind: str, old: dict | None, new: dict | None) -> None:
        labels = (new or old)["metadata"].get("labels") or {}
        if labels.get(MANAGED_BY) == CONTROLLER_NAME and labels.get(SERVICE_NAME):
            self.queue.add_after(f"{(new or old)['metadata']['namespace']}/{labels[SERVICE_NAME]}", BATCH_REAL_SECONDS)

    async def reconcile(self, key: str) -> None:
        existing = self.slices.by_index("service", key)
        namespace, _, name = key.partition("/")
        service = self.services.get(namespace, name)
        if service is None or service["metadata"].get("deletionTimestamp"):
            return  # the garbage collector removes slices owned by a deleted Service
        if service_selector(service) is None:
            for s in existing:
                self._delete(s)
            return
        publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
        desired: dict[tuple, list[dict]] = {}
        for pod in sorted(self.selected_pods(service), key=lambda p: p["metadata"]["name"]):
            desired.setdefault(endpoint_ports(service, pod), []).append(endpoint(pod, publish, service))
        if not desired:
            desired[()] = []
        updates, creates, deletes = pack(existing, desired)
        labels = slice_labels(service)
        for s, endpoints, ports in updates:
            self._write(service, s, endpoints, ports, labels)
        for endpoints, ports in creates:
            self._write(service, None, endpoints, ports, labels)
        for s in deletes:
            self._delete(s)

    def _write(self, service: dict, current: dict | None, endpoints: list, ports: tuple, labels: dict) -> None:
        port_list = [dict(p) for p in ports]
        if current is not None and current.get("endpoints") == endpoints and (current.get("ports") or []) == \
                port_list and current["metadata"].get("labels") == labels:
            return
        meta = {"labels": labels, "annotations": {TRIGGER_TIME: self.clock.timestamp()},
                "ownerReferences": [owner_reference(service)]}
        body = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                "endpoints": endpoints, "ports": port_list}
        namespace = service["metadata"]["namespace"]
        if current is None:
            body["metadata"] = {**meta, "generateName": service["metadata"]["name"] + "-", "namespace": namespace}
            self.registry.create(SLICES, namespace, body, field_manager=MANAGER)
        else:
            body["metadata"] = {**current["metadata"], **meta}
            self.registry.update(SLICES, namespace, current["metadata"]["name"], body, field_manager=MANAGER)

    def _delete(self, s: dict) -> None:
        try:
            self.registry.delete(SLICES, s["metadata"]["namespace"], s["metadata"]["name"])
        except StatusError as e:
            if e.code != 404:
                raise
