"""Addresses the simulated cluster hands out, laid out the way a kind cluster's are: nodes on the `kind` docker
network (172.18.0.0/16, from .2 in node order), a /24 pod CIDR per node from 10.244.0.0/16 (node i gets
10.244.i.0/24, as kube-controller-manager allocates them in registration order), pod IPs from the node's CIDR
handed out round-robin from .2 like the host-local IPAM kindnet uses, and load-balancer IPs the way
cloud-provider-kind gets them: each LoadBalancer Service is an envoy container on the kind network, so docker
gives it the next free address after the nodes and cloud-provider-kind's own container."""
from __future__ import annotations

import ipaddress

NODE_NETWORK = ipaddress.ip_network("172.18.0.0/16")
POD_NETWORK = ipaddress.ip_network("10.244.0.0/16")
API_SERVER_PORT = 6443


def node_ip(index: int) -> str:
    return str(NODE_NETWORK.network_address + 2 + index)


def pod_cidr(index: int) -> str:
    if not 0 <= index < 256:
        raise ValueError("the pod network has room for 256 nodes")
    return f"{POD_NETWORK.network_address + index * 256}/24"


class PodIPs:
    """host-local IPAM per node: the next free address after the last one handed out, wrapping around."""

    def __init__(self):
        self._used: set[str] = set()
        self._last: dict[str, int] = {}  # cidr -> offset of the last address handed out

    def reserve(self, ip: str) -> None:
        if ip:
            self._used.add(ip)

    def release(self, ip: str | None) -> None:
        self._used.discard(ip)

    def allocate(self, cidr: str) -> str:
        network = ipaddress.ip_network(cidr)
        hosts = network.num_addresses - 3  # network, gateway (.1) and broadcast are never pods
        start = self._last.get(cidr, 1)
        for step in range(1, hosts + 1):
            offset = (start - 2 + step) % hosts + 2
            ip = str(network.network_address + offset)
            if ip not in self._used:
                self._used.add(ip)
                self._last[cidr] = offset
                return ip
        raise RuntimeError(f"no free pod IP left in {cidr}")


class LoadBalancerIPs:
    """The lowest free address on the kind network after the nodes and cloud-provider-kind's container."""

    def __init__(self, nodes: int):
        self._first = int(NODE_NETWORK.network_address) + 2 + nodes + 1
        self._used: set[int] = set()

    def reserve(self, ip: str) -> None:
        try:
            self._used.add(int(ipaddress.ip_address(ip)))
        except ValueError:
            pass

    def release(self, ip: str | None) -> None:
        try:
            self._used.discard(int(ipaddress.ip_address(ip)))
        except (TypeError, ValueError):
            pass

    def allocate(self) -> str:
        value = self._first
        while value in self._used:
            value += 1
        if value >= int(NODE_NETWORK.broadcast_address):
            raise RuntimeError("the kind network has no free address left")
        self._used.add(value)
        return str(ipaddress.ip_address(value))
