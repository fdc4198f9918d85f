"""The routing table: everything a pod process needs to know about the cluster's addresses, in one JSON file
that PodNetwork replaces atomically (write, then rename) and every network layer re-reads only when it changed
(one stat() per lookup; the inode changes with every rename).

    {"format": 1, "generation": 12, "domain": "cluster.local",
     "cidrs": {"pods": "10.244.0.0/16", "services": "10.96.0.0/12", "nodes": "172.18.0.0/16"},
     "nodes": ["172.18.0.2", ...], "namespaces": ["default", ...],
     "pods": {"10.244.1.5": ["<pod uid>", "default/web-0"], ...},   # who owns each pod IP right now
     "bindings": [["10.244.1.5", 80, "lp", 40123, 4, "<pod uid>"]],  # pod IP, port, reach points, real port,
                                                                       # real family (4: 127.0.0.1, 6: ::1)
     "routes": [["10.96.0.12", 80, 41234, true, "default/web", "cluster"]],  # address, port, proxy port, has
                                                                       # endpoints, Service, cluster|lb|node|api
     "services": {"default/web": {"ips": ["10.96.0.12"], "external": "", "ports": [["http", "TCP"]],
                                  "endpoints": [["10.244.1.5", "web-0"]]}}}   # ready endpoints, hostname or ""

A binding counts only while its uid is the owner of its pod IP: a pod deleted and its IP given to another pod
never sends the new pod's traffic to an old process."""
from __future__ import annotations

import os

from sandbox.pod_network import addresses

FORMAT = 1


class Route:
    __slots__ = ("real_port", "usable", "service", "kind")

    def __init__(self, real_port: int, usable: bool, service: str, kind: str):
        self.real_port, self.usable, self.service, self.kind = real_port, usable, service, kind


class ServiceRecord:
    """What cluster DNS knows of a Service: cluster IPs ([] when headless), the ExternalName target, its ports'
    (name, protocol), and its ready endpoints as (IP, hostname)."""
    __slots__ = ("ips", "external", "ports", "endpoints")

    def __init__(self, ips: list, external: str, ports: list, endpoints: list):
        self.ips, self.external, self.ports, self.endpoints = ips, external, ports, endpoints


class Table:
    def __init__(self, data: dict | None = None):
        data = data or {}
        if data and data.get("format") != FORMAT:
            raise ValueError(f"routing table format {data.get('format')!r}, expected {FORMAT}")
        self.generation = data.get("generation", 0)
        self.domain = data.get("domain", "cluster.local")
        cidrs = data.get("cidrs") or {}
        self.pod_cidr = addresses.parse_cidr(cidrs["pods"]) if "pods" in cidrs else None
        self.service_cidr = addresses.parse_cidr(cidrs["services"]) if "services" in cidrs else None
        self.node_cidr = addresses.parse_cidr(cidrs["nodes"]) if "nodes" in cidrs else None
        self.nodes = frozenset(data.get("nodes") or ())
        self.namespaces = frozenset(data.get("namespaces") or ())
        self.pods: dict[str, list] = data.get("pods") or {}  # IP -> [uid, "namespace/name"]
        self.bindings: dict[tuple, tuple] = {}
        for ip, port, reach, real_port, real_family, uid in data.get("bindings") or ():
            for point in reach:
                self.bindings[(ip, port, point)] = (real_port, real_family, uid)
        self.routes: dict[tuple, Route] = {}
        self.frontends: dict[str, tuple[str, str]] = {}  # address -> (Service, kind) for errors and refusals
        for ip, port, real_port, usable, service, kind in data.get("routes") or ():
            self.routes[(ip, port)] = Route(real_port, usable, service, kind)
            self.frontends.setdefault(ip, (service, kind))
        self.services: dict[tuple[str, str], ServiceRecord] = {}
        for key, record in (data.get("services") or {}).items():
            namespace, _, name = key.partition("/")
            self.services[(namespace, name)] = ServiceRecord(
                record.get("ips") or [], record.get("external") or "", record.get("ports") or [],
                record.get("endpoints") or [])

    def binding(self, ip: str, port: int, point: str) -> tuple[int, int] | None:
        """(real port, real family) of the socket of the pod owning `ip` that answers on `point`, or None."""
        found = self.bindings.get((ip, port, point))
        owner = self.pods.get(ip)
        if found is None or owner is None or owner[0] != found[2]:
            return None
        return found[0], found[1]


def document(generation: int, domain: str, cidrs: dict, nodes: list, namespaces: list, pods: dict,
             bindings: list, routes: list, services: dict) -> dict:
    return {"format": FORMAT, "generation": generation, "domain": domain, "cidrs": cidrs, "nodes": nodes,
            "namespaces": namespaces, "pods": pods, "bindings": bindings, "routes": routes, "services": services}


def encode(doc: dict) -> str:
    import json  # only the sandbox writes; pod processes import json when they first read
    return json.dumps(doc, separators=(",", ":"))


def decode(text: str) -> Table:
    import json
    return Table(json.loads(text))


def write(path: str, text: str) -> None:
    """Replace the file atomically: a reader sees the old table or the new one, never half of one."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class TableReader:
    """The table at `path`, re-read only when the file changed. Before the file exists the table is empty; if
    it disappears (the sandbox stopped) the last one read stays."""

    def __init__(self, path: str):
        self.path = path
        self._table = Table()
        self._stamp = None

    def current(self) -> Table:
        try:
            st = os.stat(self.path)
        except OSError:
            return self._table
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            try:
                with open(self.path) as f:
                    table = decode(f.read())
            except (OSError, ValueError):
                return self._table  # replaced again while we read, or damaged: keep the last good one
            self._table, self._stamp = table, stamp
        return self._table
