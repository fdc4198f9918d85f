"""What kube-proxy and CoreDNS make of Services and their EndpointSlices (pure):

- one ServicePort per TCP port of a Service that kube-proxy serves (not headless, not ExternalName), with its
  frontends (cluster IPs, spec.externalIPs, the load balancer's ingress IPs, and the nodePort on every node) and
  its rotation: the endpoints whose slices carry a port of the same name, ready ones (a missing `ready` counts as
  ready), or when none is ready the serving terminating ones, as kube-proxy's CategorizeEndpoints falls back;
  each endpoint's port is its slice's (a named targetPort resolves per pod, and the slices say how);
- the DNS record CoreDNS keeps of each Service (cluster IPs, ExternalName, ports, ready endpoints with their
  hostnames: the slice's, or the pod's own when its subdomain names the Service, as the slice controller would
  set it)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServicePort:
    key: tuple[str, str, str]              # namespace, Service, port name: one proxy listener each
    service: str                           # "namespace/name"
    frontends: tuple[tuple[str, int, str], ...]  # (IP, port, "cluster" | "lb" | "node")
    endpoints: tuple[tuple[str, int], ...]       # the rotation, in a stable order


def _ipv4(ip) -> bool:
    return isinstance(ip, str) and ip.count(".") == 3 and ":" not in ip


def _conditions(endpoint: dict) -> tuple[bool, bool, bool]:
    """(ready, serving, terminating) with the API's defaults for missing values."""
    conditions = endpoint.get("conditions") or {}
    ready = conditions.get("ready") is not False
    serving = conditions["serving"] if conditions.get("serving") is not None else ready
    return ready, bool(serving), bool(conditions.get("terminating"))


def rotation(slices: list[dict], port_name: str, protocol: str = "TCP") -> tuple[tuple[str, int], ...]:
    ready, terminating = [], []
    for slice_ in slices:
        if slice_.get("addressType", "IPv4") != "IPv4":
            continue
        numbers = [p.get("port") for p in slice_.get("ports") or []
                   if (p.get("name") or "") == port_name and (p.get("protocol") or "TCP") == protocol]
        if not numbers or numbers[0] is None:
            continue
        for endpoint in slice_.get("endpoints") or []:
            if not endpoint.get("addresses"):
                continue
            is_ready, serving, is_terminating = _conditions(endpoint)
            target = (endpoint["addresses"][0], numbers[0])
            if is_ready:
                ready.append(target)
            elif serving and is_terminating:
                terminating.append(target)
    return tuple(sorted(set(ready or terminating)))


def service_ports(service: dict, slices: list[dict], node_ips: list[str]) -> list[ServicePort]:
    spec = service.get("spec") or {}
    meta = service["metadata"]
    kind = spec.get("type") or "ClusterIP"
    if kind == "ExternalName":
        return []
    cluster_ips = [ip for ip in spec.get("clusterIPs") or [spec.get("clusterIP")] if _ipv4(ip)]
    ingress = [i["ip"] for i in ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
               if _ipv4(i.get("ip"))] if kind == "LoadBalancer" else []
    external = [ip for ip in spec.get("externalIPs") or [] if _ipv4(ip)]
    out = []
    for port in spec.get("ports") or []:
        if (port.get("protocol") or "TCP") != "TCP" or not isinstance(port.get("port"), int):
            continue
        number = port["port"]
        frontends = [(ip, number, "cluster") for ip in cluster_ips]
        frontends += [(ip, number, "lb") for ip in external + ingress]
        if kind in ("NodePort", "LoadBalancer") and port.get("nodePort"):
            frontends += [(ip, port["nodePort"], "node") for ip in node_ips]
        if not frontends:
            continue
        name = port.get("name") or ""
        out.append(ServicePort((meta["namespace"], meta["name"], name), f"{meta['namespace']}/{meta['name']}",
                               tuple(frontends), rotation(slices, name)))
    return out


def dns_record(service: dict, slices: list[dict], pods_by_uid: dict[str, dict]) -> dict:
    spec = service.get("spec") or {}
    name = service["metadata"]["name"]
    if (spec.get("type") or "ClusterIP") == "ExternalName":
        return {"ips": [], "external": spec.get("externalName") or "", "ports": [], "endpoints": []}
    ips = [ip for ip in spec.get("clusterIPs") or [spec.get("clusterIP")] if _ipv4(ip)]
    ports = [[p.get("name") or "", p.get("protocol") or "TCP"] for p in spec.get("ports") or []]
    endpoints, seen = [], set()
    for slice_ in slices:
        for endpoint in slice_.get("endpoints") or []:
            if not endpoint.get("addresses") or not _conditions(endpoint)[0]:
                continue
            ip = endpoint["addresses"][0]
            if ip in seen:
                continue
            seen.add(ip)
            hostname = endpoint.get("hostname") or ""
            pod = pods_by_uid.get((endpoint.get("targetRef") or {}).get("uid", ""))
            if not hostname and pod is not None and pod.get("subdomain") == name:
                hostname = pod.get("hostname") or ""
            endpoints.append([ip, hostname])
    endpoints.sort()
    return {"ips": ips, "external": "", "ports": ports, "endpoints": endpoints}
