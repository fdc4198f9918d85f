"""PodNetwork: the rootless pod network as the kubelet and the sandbox use it. It follows Services,
EndpointSlices, Pods, Nodes and Namespaces in the Registry (cluster_state.py), runs a userspace proxy listener
per Service port (proxy.py) and the control socket on which pod processes register their binds (control.py),
and keeps the routing table file (table.py) that every network layer reads: written 20 ms after the cluster
changes (changes in between are folded in), and at once when a bind or a release changes who listens where, so
bind() returns only once every other process can reach the new socket.

What the sandbox and the kubelet call, and when:

    network = PodNetwork(registry, clock, directory=None)  # None: a private temporary directory
    await network.start()                                   # after the Registry, before any pod process
    network.set_api_server(port)                            # once HTTPS listens; then write the kubeconfig with
                                                            # pod_network=network.kubeconfig_extension()
    network.attach_pod(pod, "10.244.1.5")                   # the pod got its IP, before its first container
    env = network.pod_environment(pod, "10.244.1.5", "api") # every Python process of container "api" (exec too);
                                                            # env["PYTHONPATH"] goes before the container's own
    real = network.reserve_port("10.244.1.5", 6379, "redis")  # before starting a server that is not Python:
                                                            # it listens on 127.0.0.1:<real>
    network.release("10.244.1.5", "api")                    # the container's processes are gone (exit, restart)
    network.release("10.244.1.5")                           # all the pod's processes are gone
    network.real_address("10.244.1.5", 8080)                # a probe's (httpGet, tcpSocket) target, or None
    await network.open_connection("10.244.1.5", 80, loopback=True)   # port-forward (the pod's own localhost)
    await network.open_connection("redis.keda-demo", 6379)  # an in-process client (KEDA's Redis scaler)
    await network.stop()                                    # at shutdown: listeners, control socket, table

Who owns a pod IP is the latest of: the kubelet handing it out (attach_pod, or pod_environment) and the pod's
status in the Registry; a deleted pod's bindings are forgotten, so a reused IP never reaches an old process."""
from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path

from sandbox.pod_network import addresses, dns, ports, services, table
from sandbox.pod_network.bindings import Binding, BindError, Bindings
from sandbox.pod_network.cluster_state import ClusterState
from sandbox.pod_network.control import ControlServer
from sandbox.pod_network.layer import (ENV_CONTROL, ENV_HOSTNAME, ENV_HOSTS, ENV_NAMESPACE, ENV_OWNER, ENV_POD_IP,
                                       ENV_POD_UID, ENV_TABLE)
from sandbox.pod_network.pod_identity import etc_hosts, pod_hostname
from sandbox.pod_network.proxy import ServiceProxy
from sandbox.registry.allocators import SERVICE_CIDR
from sandbox.simulation.network import API_SERVER_PORT, NODE_NETWORK, POD_NETWORK, node_ip

log = logging.getLogger(__name__)

CLUSTER_DOMAIN = "cluster.local"
DEBOUNCE_SECONDS = 0.02
STARTUP_DIR = str(Path(__file__).resolve().parent / "startup")  # holds sitecustomize.py
MAX_UNIX_PATH = 100  # sun_path is 108 bytes on Linux, 104 on macOS


class PodNetwork:
    def __init__(self, registry, clock=None, directory: str | os.PathLike | None = None, *,
                 cluster_domain: str = CLUSTER_DOMAIN):
        self.registry, self.clock, self.domain = registry, clock, cluster_domain
        self._directory = Path(directory) if directory is not None else None
        self._made: list[Path] = []  # directories we created, removed by stop()
        self.state = ClusterState(registry, self._cluster_changed)
        self.bindings = Bindings(lambda b: ports.in_use(b.real_family, b.real_port))
        self.owners: dict[str, tuple[str, str]] = {}  # pod IP -> (uid, "namespace/name")
        self._attached: dict[str, str] = {}  # pod IP -> uid the kubelet gave it to (outranks older pod statuses)
        self.proxies: dict[tuple[str, str, str], ServiceProxy] = {}
        self._frontends: dict[tuple[str, int], ServiceProxy] = {}
        self._routes: list[list] = []
        self._dns: dict[str, dict] = {}
        self._api: tuple[str, int] | None = None
        self._generation = 0
        self._doc: dict | None = None
        self._table: table.Table | None = None
        self._flush_handle: asyncio.TimerHandle | None = None
        self._control: ControlServer | None = None
        self.table_path = self.control_path = ""

    # life cycle -------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        directory = self._directory or self._mkdtemp()
        directory.mkdir(parents=True, exist_ok=True)
        self.table_path = str(directory / "routes.json")
        control = directory / "control.sock"
        if len(str(control)) > MAX_UNIX_PATH:
            control = self._mkdtemp() / "control.sock"
        self.control_path = str(control)
        self._control = ControlServer(self.control_path, self._handle_control)
        await self._control.start()
        self.state.start()
        self._flush()

    async def stop(self) -> None:
        """Close every listener and proxied connection and the control socket; remove the table."""
        self.state.stop()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        for proxy in self.proxies.values():
            proxy.close(connections=True)
        self.proxies.clear()
        self._frontends.clear()
        if self._control is not None:
            await self._control.stop()
            self._control = None
        if self.table_path:
            Path(self.table_path).unlink(missing_ok=True)
        for made in self._made:
            shutil.rmtree(made, ignore_errors=True)
        self._made.clear()

    def _mkdtemp(self) -> Path:
        base = tempfile.gettempdir()
        if len(base) > MAX_UNIX_PATH - 40:
            base = "/tmp"
        made = Path(tempfile.mkdtemp(prefix="sandbox-net-", dir=base))
        self._made.append(made)
        return made

    def set_api_server(self, port: int, host: str = "127.0.0.1") -> None:
        """Where the API server really listens: the first node's IP:6443 and the `kubernetes` Service lead there."""
        self._api = (host, port)
        self._flush()

    def kubeconfig_extension(self) -> dict:
        """What the kubeconfig's cluster entry carries so the notebook kernel finds the table (host mode)."""
        return {"table": self.table_path}

    # pods -------------------------------------------------------------------------------------------------------
    def attach_pod(self, pod: dict, pod_ip: str) -> None:
        """The kubelet gave `pod_ip` to `pod`: from now on its bindings on that IP count, nobody else's."""
        meta = pod["metadata"]
        owner = (meta["uid"], f"{meta['namespace']}/{meta['name']}")
        self._attached[pod_ip] = meta["uid"]
        if self.owners.get(pod_ip) != owner:
            self.owners[pod_ip] = owner
            self._write_table()

    def pod_environment(self, pod: dict, pod_ip: str, container: str = "") -> dict[str, str]:
        """The variables a Python process of `pod`'s `container` needs for the network layer. PYTHONPATH is the
        one directory of the layer's sitecustomize: put it before any PYTHONPATH the container sets."""
        self.attach_pod(pod, pod_ip)
        meta = pod["metadata"]
        hostname, _ = pod_hostname(pod, self.domain)
        return {ENV_TABLE: self.table_path, ENV_CONTROL: self.control_path, ENV_POD_IP: pod_ip,
                ENV_POD_UID: meta["uid"], ENV_NAMESPACE: meta["namespace"], ENV_HOSTNAME: hostname,
                ENV_HOSTS: ";".join(" ".join(line) for line in etc_hosts(pod, pod_ip, self.domain)),
                ENV_OWNER: container, "PYTHONPATH": STARTUP_DIR}

    def reserve_port(self, pod_ip: str, port: int, owner: str) -> int:
        """A real port on 127.0.0.1 for a program the layer cannot enter, to listen on as (pod_ip, port) on all
        the pod's addresses. The same owner asking again gets the same port; another gets EADDRINUSE."""
        if pod_ip not in self.owners:
            raise ValueError(f"no pod has the IP {pod_ip}: attach_pod() it first")
        uid = self.owners[pod_ip][0]
        existing = self.bindings.find(pod_ip, port, addresses.POD)
        if existing is not None and existing.reserved and existing.owner == owner and existing.uid == uid:
            return existing.real_port
        binding = Binding(pod_ip, port, addresses.LOOPBACK4 + addresses.POD, ports.free_port(), 4, uid, owner,
                          reserved=True)
        self.bindings.claim(binding)
        self._write_table()
        return binding.real_port

    def release(self, pod_ip: str, owner: str | None = None) -> None:
        """The processes of the pod with `pod_ip` (or of its container `owner`) are gone: forget their ports."""
        if self.bindings.release(pod_ip, owner):
            self._write_table()

    # addresses --------------------------------------------------------------------------------------------------
    def real_address(self, ip: str, port: int, *, loopback: bool = False) -> tuple[str, int] | None:
        """Where (ip, port) really listens: a pod's socket (with `loopback`, the one the pod reaches on its own
        localhost, as port-forward does), a Service frontend's proxy listener while it has endpoints, or the API
        server. None when nothing would answer."""
        owner = self.owners.get(ip)
        if owner is not None:
            points = (addresses.LOOPBACK4, addresses.LOOPBACK6) if loopback else (addresses.POD,)
            for point in points:
                found = self.bindings.find(ip, port, point)
                if found is not None and found.uid == owner[0]:
                    return ("::1" if found.real_family == 6 else "127.0.0.1"), found.real_port
            return None
        if self._api is not None and (ip, port) == (node_ip(0), API_SERVER_PORT):
            return self._api
        proxy = self._frontends.get((ip, port))
        if proxy is not None and proxy.endpoints:
            return "127.0.0.1", proxy.port
        return None

    async def open_connection(self, ip: str, port: int, timeout: float = 5.0, *, loopback: bool = False,
                              namespace: str = "default"):
        """asyncio streams to (ip, port) as a pod reaches it (a name resolves as in `namespace`); raises
        ConnectionRefusedError when nothing answers there."""
        if not addresses.is_literal(ip):
            ip = self.resolve(ip, namespace)[0]
        real = self.real_address(ip, port, loopback=loopback)
        if real is None:
            raise ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED))
        return await asyncio.wait_for(asyncio.open_connection(*real), timeout)

    def resolve(self, name: str, namespace: str) -> list[str]:
        """The IPs a pod in `namespace` gets for `name` (socket.gaierror as there). A name outside the cluster
        goes to the host's resolver, which blocks: in the loop, prefer cluster names."""
        if self._table is None:
            self._table = table.Table(self._doc)
        found = dns.lookup(self._table, name, namespace)
        if found.host_name is None:
            return list(found.ips)
        infos = socket.getaddrinfo(found.host_name, None, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(info[4][0] for info in infos))

    # keeping the table ------------------------------------------------------------------------------------------
    def _cluster_changed(self, kind: str, old: dict | None, new: dict | None) -> None:
        if kind == "Pod":
            self._pod_changed(old, new)
        if self._flush_handle is None and self._control is not None:
            self._flush_handle = asyncio.get_running_loop().call_later(DEBOUNCE_SECONDS, self._flush)

    def _pod_changed(self, old: dict | None, new: dict | None) -> None:
        if new is None:  # deleted: its processes are the kubelet's to stop; its ports and IP are free now
            self.bindings.forget_pod(old["uid"])
            for ip in [ip for ip, owner in self.owners.items() if owner[0] == old["uid"]]:
                del self.owners[ip]
            for ip in [ip for ip, uid in self._attached.items() if uid == old["uid"]]:
                del self._attached[ip]
            return
        if old is not None and old["ip"] and old["ip"] != new["ip"] and \
                self.owners.get(old["ip"], ("",))[0] == new["uid"]:
            del self.owners[old["ip"]]
        # A status still showing an IP the kubelet has since given to another pod must not take it back.
        if new["ip"] and new["running"] and self._attached.get(new["ip"], new["uid"]) == new["uid"]:
            self.owners[new["ip"]] = (new["uid"], f"{new['namespace']}/{new['name']}")

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        node_ips = self.state.node_ips()
        wanted: dict[tuple, services.ServicePort] = {}
        self._dns = {}
        for (namespace, name), service in sorted(self.state.services.items()):
            slices = self.state.slices_of(namespace, name)
            for service_port in services.service_ports(service, slices, node_ips):
                wanted[service_port.key] = service_port
            self._dns[f"{namespace}/{name}"] = services.dns_record(service, slices, self.state.pods)
        for key in set(self.proxies) - set(wanted):
            self.proxies.pop(key).close()
        self._frontends, self._routes = {}, []
        for key, service_port in wanted.items():
            proxy = self.proxies.get(key)
            if proxy is None:
                proxy = self.proxies[key] = ServiceProxy(service_port.service, self.real_address)
                proxy.start()
            proxy.endpoints = service_port.endpoints
            for ip, port, kind in service_port.frontends:
                self._frontends[(ip, port)] = proxy
                self._routes.append([ip, port, proxy.port, bool(proxy.endpoints), service_port.service, kind])
        if self._api is not None:
            self._routes.append([node_ip(0), API_SERVER_PORT, self._api[1], True, "", "api"])
        self._write_table()

    def _write_table(self) -> None:
        if not self.table_path:
            return
        self._generation += 1
        self._doc = table.document(
            self._generation, self.domain,
            {"pods": str(POD_NETWORK), "services": str(SERVICE_CIDR), "nodes": str(NODE_NETWORK)},
            sorted(set(self.state.node_ips()) | {node_ip(0)}), sorted(self.state.namespaces),
            {ip: list(owner) for ip, owner in self.owners.items()}, [b.encode() for b in self.bindings],
            self._routes, self._dns)
        self._table = None
        table.write(self.table_path, table.encode(self._doc))

    # the control socket -----------------------------------------------------------------------------------------
    def _handle_control(self, message: dict) -> dict:
        op, ip, uid = message["op"], str(message["ip"]), str(message["uid"])
        port, real = int(message["port"]), int(message["real"])
        if not 0 <= port <= 65535 or not 0 < real <= 65535:
            raise ValueError("port out of range")
        if op == "unbind":
            if self.bindings.drop(ip, port, real, uid):
                self._write_table()
            return {"ok": True}
        if op != "bind":
            raise ValueError(f"unknown op {op!r}")
        if self.owners.get(ip, ("",))[0] != uid:  # the pod is gone, or its IP belongs to another pod now
            return {"errno": errno.EADDRNOTAVAIL, "error": f"{ip} is not this pod's address"}
        reach, family = str(message["reach"]), int(message["family"])
        if not reach or set(reach) - set(addresses.LOOPBACK4 + addresses.LOOPBACK6 + addresses.POD):
            raise ValueError(f"bad reach {reach!r}")
        try:
            self.bindings.claim(Binding(ip, port, reach, real, 6 if family == 6 else 4, uid,
                                        str(message.get("owner") or "")))
        except BindError as e:
            return {"errno": e.errno, "error": e.strerror}
        self._write_table()
        return {"ok": True}
