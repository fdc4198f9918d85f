"""ValidateService (pkg/apis/core/validation): type, ports, selector and traffic policies. Cluster IP and node
port allocation (and their immutability) belong to the registry's allocators."""
from __future__ import annotations

from . import field_errors as fe, labels, names
from .errors import Cause

TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
SESSION_AFFINITIES = ("ClientIP", "None")
TRAFFIC_POLICIES = ("Cluster", "Local")
PROTOCOLS = ("SCTP", "TCP", "UDP")


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _go_service_port(port: dict) -> fe.GoRepr:
    target = port.get("targetPort")
    if isinstance(target, str):
        ios = f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{fe.go_quote(target)}}}"
    else:
        ios = f"intstr.IntOrString{{Type:0, IntVal:{target or 0}, StrVal:\"\"}}"
    app = port.get("appProtocol")
    app_text = "(*string)(nil)" if app is None else f"&{fe.go_quote(str(app))}"
    return fe.GoRepr(f"core.ServicePort{{Name:{fe.go_quote(str(port.get('name', '')))}, "
                     f"Protocol:{fe.go_quote(str(port.get('protocol', '')))}, AppProtocol:{app_text}, "
                     f"Port:{port.get('port', 0)}, TargetPort:{ios}, NodePort:{port.get('nodePort', 0)}}}")


def validate_service(svc: dict, old: dict | None) -> list[Cause]:
    spec = svc.get("spec")
    if not isinstance(spec, dict):
        return [fe.required("spec.ports", "")]
    kind = spec.get("type") or "ClusterIP"
    causes = []
    if kind not in TYPES:
        causes.append(fe.not_supported("spec.type", kind, TYPES))
    headless = spec.get("clusterIP") == "None"
    ports = spec.get("ports") if isinstance(spec.get("ports"), list) else []
    if kind == "ExternalName":
        name = spec.get("externalName")
        if not name:
            causes.append(fe.required("spec.externalName", ""))
        else:
            causes += [fe.invalid("spec.externalName", name, m) for m in names.dns1123_subdomain(str(name).rstrip("."))]
    elif not ports and not headless:
        causes.append(fe.required("spec.ports", ""))
    causes += _ports(ports, kind)
    affinity = spec.get("sessionAffinity")
    if affinity not in (None, *SESSION_AFFINITIES):
        causes.append(fe.not_supported("spec.sessionAffinity", affinity, SESSION_AFFINITIES))
    if kind != "ExternalName":
        causes += labels.validate_labels(spec.get("selector"), "spec.selector")
    causes += _traffic_policies(spec, kind)
    return causes


def _ports(ports: list, kind: str) -> list[Cause]:
    causes, names_seen, keys_seen = [], set(), []
    for i, port in enumerate(ports):
        port, path = _d(port), f"spec.ports[{i}]"
        name = port.get("name") or ""
        if len(ports) > 1 and not name:
            causes.append(fe.required(f"{path}.name", ""))
        elif name:
            causes += [fe.invalid(f"{path}.name", name, m) for m in names.dns1123_label(str(name))]
            if name in names_seen:
                causes.append(fe.duplicate(f"{path}.name", name))
            names_seen.add(name)
        number = port.get("port")
        causes += [fe.invalid(f"{path}.port", number if number is not None else 0, m)
                   for m in names.port_range(number)]
        protocol = port.get("protocol")
        if not protocol:
            causes.append(fe.required(f"{path}.protocol", ""))
        elif protocol not in PROTOCOLS:
            causes.append(fe.not_supported(f"{path}.protocol", protocol, PROTOCOLS))
        causes += _target_port(port.get("targetPort"), f"{path}.targetPort")
        node_port = port.get("nodePort")
        if node_port and kind in ("ClusterIP", "ExternalName"):
            causes.append(fe.forbidden(f"{path}.nodePort", f"may not be used when `type` is '{kind}'"))
        key = (number, protocol)
        if key in keys_seen:
            causes.append(fe.duplicate(path, _go_service_port(port)))
        keys_seen.append(key)
    return causes


def _target_port(target, path: str) -> list[Cause]:
    if target is None:
        return []
    if isinstance(target, str):
        return [fe.invalid(path, target, m) for m in names.iana_svc_name(target)]
    return [fe.invalid(path, target, m) for m in names.port_range(target)]


def _traffic_policies(spec: dict, kind: str) -> list[Cause]:
    causes = []
    external = spec.get("externalTrafficPolicy")
    if external:
        if kind not in ("NodePort", "LoadBalancer"):
            causes.append(fe.invalid("spec.externalTrafficPolicy", external,
                                     "may only be set when `type` is 'NodePort' or 'LoadBalancer'"))
        elif external not in TRAFFIC_POLICIES:
            causes.append(fe.not_supported("spec.externalTrafficPolicy", external, TRAFFIC_POLICIES))
    internal = spec.get("internalTrafficPolicy")
    if internal and internal not in TRAFFIC_POLICIES:
        causes.append(fe.not_supported("spec.internalTrafficPolicy", internal, TRAFFIC_POLICIES))
    return causes
