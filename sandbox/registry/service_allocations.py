"""What the Service REST storage does around its allocators: give a new Service its cluster IP and node ports,
keep them across updates that omit them (`kubectl replace` of a manifest without clusterIP), change them when
the type changes, and release them on delete. Errors are field causes for errors.invalid."""
from __future__ import annotations

import json

from sandbox.machinery.errors import Cause
from sandbox.registry.allocators import AllocationError, ClusterIPAllocator, NodePortAllocator

NEEDS_NODE_PORTS = ("NodePort", "LoadBalancer")


def _go_strings(values: list) -> str:
    """How a Go []string reads in an apiserver message: []string{"10.0.0.1"}."""
    return "[]string{" + ", ".join(json.dumps(str(v)) for v in values) + "}"


class ServiceAllocations:
    def __init__(self, ips: ClusterIPAllocator | None = None, ports: NodePortAllocator | None = None):
        self.ips = ips or ClusterIPAllocator()
        self.ports = ports or NodePortAllocator()

    def restore(self, service: dict) -> None:
        """Mark what a stored Service already holds (after a restart)."""
        spec = service.get("spec") or {}
        for ip in spec.get("clusterIPs") or [spec.get("clusterIP")]:
            if ip and ip != "None":
                try:
                    self.ips.allocate(ip)
                except AllocationError:
                    pass
        for port in _node_ports(spec):
            try:
                self.ports.allocate(port)
            except AllocationError:
                pass

    def allocate(self, service: dict, old: dict | None = None, dry_run: bool = False) -> list[Cause]:
        """Fill spec.clusterIP(s) and node ports of `service` (create when old is None, else update). Returns
        field causes instead of raising; nothing stays allocated when there are causes or on dry run."""
        spec = service.setdefault("spec", {})
        old_spec = (old or {}).get("spec") or {}
        taken_ips: list[str] = []
        taken_ports: list[int] = []
        causes = self._cluster_ip(spec, old_spec, taken_ips)
        if not causes:
            causes = self._node_ports(spec, old_spec, taken_ports)
        if causes or dry_run:
            for ip in taken_ips:
                self.ips.release(ip)
            for port in taken_ports:
                self.ports.release(port)
        if not causes and not dry_run and old is not None:
            self._release_dropped(spec, old_spec)
        return causes

    def release(self, service: dict) -> None:
        spec = service.get("spec") or {}
        for ip in spec.get("clusterIPs") or [spec.get("clusterIP")]:
            if ip and ip != "None":
                self.ips.release(ip)
        for port in _node_ports(spec):
            self.ports.release(port)

    def _cluster_ip(self, spec: dict, old_spec: dict, taken: list[str]) -> list[Cause]:
        if spec.get("type") == "ExternalName":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
            return []
        old_ip = old_spec.get("clusterIP")
        requested = spec.get("clusterIP") or (spec.get("clusterIPs") or [None])[0]
        if old_ip and old_spec.get("type") != "ExternalName":
            if not requested:  # an update that omits the IP keeps it (patchAllocatedValues)
                spec["clusterIP"], spec["clusterIPs"] = old_ip, list(old_spec.get("clusterIPs") or [old_ip])
                return []
            if requested != old_ip:
                return [Cause("spec.clusterIPs[0]", f"Invalid value: {_go_strings([requested])}: may not change "
                              "once set", "FieldValueInvalid")]
            spec["clusterIPs"] = list(old_spec.get("clusterIPs") or [old_ip])
            return []
        if requested == "None":
            spec["clusterIP"], spec["clusterIPs"] = "None", ["None"]
        else:
            try:
                ip = self.ips.allocate(requested)
            except AllocationError as e:
                return [Cause("spec.clusterIPs", f"Invalid value: {_go_strings([requested])}: {e}",
                              "FieldValueInvalid")]
            taken.append(ip)
            spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        return []

    def _node_ports(self, spec: dict, old_spec: dict, taken: list[int]) -> list[Cause]:
        ports = spec.get("ports") or []
        if spec.get("type") not in NEEDS_NODE_PORTS:
            for port in ports:  # dropTypeDependentFields: node ports go when the type no longer needs them
                if isinstance(port, dict):
                    port.pop("nodePort", None)
            return []
        old_by_name = {p.get("name", ""): p.get("nodePort") for p in old_spec.get("ports") or []
                       if isinstance(p, dict)} if old_spec.get("type") in NEEDS_NODE_PORTS else {}
        kept = set(old_by_name.values())
        in_new = {p.get("nodePort") for p in ports if isinstance(p, dict)}
        for i, port in enumerate(ports):
            if not isinstance(port, dict):
                continue
            wanted = port.get("nodePort")
            if not wanted and old_by_name.get(port.get("name", "")) not in (None, 0) \
                    and old_by_name[port.get("name", "")] not in in_new:
                port["nodePort"] = old_by_name[port.get("name", "")]
                continue
            if wanted and wanted in kept:
                continue  # already ours from the old spec
            try:
                port["nodePort"] = self.ports.allocate(wanted if isinstance(wanted, int) else None)
            except AllocationError as e:
                return [Cause(f"spec.ports[{i}].nodePort", f"Invalid value: {wanted}: {e}", "FieldValueInvalid")]
            taken.append(port["nodePort"])
        return []

    def _release_dropped(self, spec: dict, old_spec: dict) -> None:
        for port in set(_node_ports(old_spec)) - set(_node_ports(spec)):
            self.ports.release(port)
        old_ip, new_ip = old_spec.get("clusterIP"), spec.get("clusterIP")
        if old_ip and old_ip != "None" and old_ip != new_ip:
            self.ips.release(old_ip)


def _node_ports(spec: dict) -> list[int]:
    return [p["nodePort"] for p in spec.get("ports") or []
            if isinstance(p, dict) and isinstance(p.get("nodePort"), int)]
