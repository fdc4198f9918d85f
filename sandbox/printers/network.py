"""Services, Endpoints and EndpointSlices (printService, printEndpoints, printEndpointSlice)."""
from __future__ import annotations

import functools

from .common import (Column, Printer, age_column, age_of, as_dict, as_int, as_list, doc, format_labels, more,
                     name_column, name_of)

_LOAD_BALANCER_WIDTH = 16


def _load_balancer_ips(service: dict, wide: bool) -> str:
    seen: list[str] = []
    for ingress in as_list(service, "status", "loadBalancer", "ingress"):
        value = ingress.get("ip") or ingress.get("hostname") if isinstance(ingress, dict) else None
        if isinstance(value, str) and value and value not in seen:
            seen.append(value)
    text = ",".join(seen)
    if not wide and len(text) > _LOAD_BALANCER_WIDTH:
        text = text[:_LOAD_BALANCER_WIDTH - 3] + "..."
    return text


def _external_ip(service: dict, wide: bool) -> str:
    spec = as_dict(service, "spec")
    kind = spec.get("type", "ClusterIP")
    external = [ip for ip in as_list(spec, "externalIPs") if isinstance(ip, str)]
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if kind == "LoadBalancer":
        lb = _load_balancer_ips(service, wide)
        if external:
            return ",".join(([lb] if lb else []) + external)
        return lb or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def service_ports(service: dict) -> str:
    """The PORT(S) column: port[:nodePort]/protocol for each port, "<none>" without ports."""
    return _ports(as_dict(service, "spec").get("ports")) or "<none>"


def _ports(ports) -> str:
    pieces = []
    for port in ports if isinstance(ports, list) else []:
        if not isinstance(port, dict):
            continue
        protocol = port.get("protocol", "TCP")
        if as_int(port.get("nodePort")) > 0:
            pieces.append(f"{as_int(port.get('port'))}:{port['nodePort']}/{protocol}")
        else:
            pieces.append(f"{as_int(port.get('port'))}/{protocol}")
    return ",".join(pieces)


def _service_row(obj: dict, now: float, wide: bool) -> list:
    spec = as_dict(obj, "spec")
    cluster_ips = as_list(spec, "clusterIPs")
    return [name_of(obj), spec.get("type", ""), cluster_ips[0] if cluster_ips else "<none>",
            _external_ip(obj, wide), _ports(spec.get("ports")) or "<none>", age_of(obj, now),
            format_labels(spec.get("selector"))]


@functools.cache
def service_printer() -> Printer:
    d = "io.k8s.api.core.v1.ServiceSpec"
    return Printer((
        name_column(), Column("Type", description=doc(d, "type")),
        Column("Cluster-IP", description=doc(d, "clusterIP")),
        Column("External-IP", description=doc(d, "externalIPs")),
        Column("Port(s)", description=doc(d, "ports")), age_column(),
        Column("Selector", priority=1, description=doc(d, "selector")),
    ), _service_row)


def endpoints_addresses(endpoints: dict) -> str:
    """formatEndpoints: the first three ip:port pairs, then "+ N more..."; "<none>" without subsets."""
    subsets = [s for s in as_list(endpoints, "subsets") if isinstance(s, dict)]
    if not subsets:
        return "<none>"
    shown, count, maximum = [], 0, 3
    for subset in subsets:
        addresses = [str(a.get("ip") or "") for a in as_list(subset, "addresses") if isinstance(a, dict)]
        ports = [p for p in as_list(subset, "ports") if isinstance(p, dict)] or [None]
        for port in ports:  # a headless service without ports lists bare addresses
            count += len(addresses)
            for ip in addresses:
                if len(shown) < maximum:
                    shown.append(ip if port is None else _host_port(ip, as_int(port.get("port"))))
    return more(shown, count, maximum, "")


def _host_port(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


@functools.cache
def endpoints_printer() -> Printer:
    return Printer((name_column(), Column("Endpoints", description=doc("io.k8s.api.core.v1.Endpoints", "subsets")),
                    age_column()),
                   lambda obj, now, wide: [name_of(obj), endpoints_addresses(obj), age_of(obj, now)])


def _slice_ports(ports) -> str:
    shown, count = [], 0
    for port in ports if isinstance(ports, list) else []:
        if not isinstance(port, dict):
            continue
        if len(shown) < 3:
            number = port.get("port")
            shown.append(str(number) if isinstance(number, int) else port.get("name") or "*")
        count += 1
    return more(shown, count, 3, "<unset>")


def _slice_endpoints(endpoints) -> str:
    addresses = [a for e in endpoints if isinstance(e, dict) for a in as_list(e, "addresses")]
    return more([str(a) for a in addresses[:3]], len(addresses), 3, "<unset>")


@functools.cache
def endpoint_slice_printer() -> Printer:
    d = "io.k8s.api.discovery.v1.EndpointSlice"
    return Printer((
        name_column(), Column("AddressType", description=doc(d, "addressType")),
        Column("Ports", description=doc(d, "ports")), Column("Endpoints", description=doc(d, "endpoints")),
        age_column(),
    ), lambda obj, now, wide: [name_of(obj), obj.get("addressType", ""), _slice_ports(obj.get("ports")),
                               _slice_endpoints(as_list(obj, "endpoints")), age_of(obj, now)])

