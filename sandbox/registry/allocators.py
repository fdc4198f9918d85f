"""Service cluster IPs (10.96.0.0/12, kind's default service CIDR) and node ports (30000-32767), allocated the
way kube-apiserver's allocators do: random free values, explicit requests checked against range and use, and
the error wording the apiserver puts into field causes."""
from __future__ import annotations

import ipaddress
import random

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
NODE_PORT_RANGE = range(30000, 32768)
KUBERNETES_SERVICE_IP = "10.96.0.1"
DNS_SERVICE_IP = "10.96.0.10"


class AllocationError(ValueError):
    pass


class ClusterIPAllocator:
    def __init__(self, cidr=SERVICE_CIDR, rng: random.Random | None = None):
        self._cidr = cidr
        self._first = int(cidr.network_address) + 1
        self._last = int(cidr.broadcast_address) - 1
        self._used: set[int] = set()
        self._random = rng or random.Random()

    def allocate(self, ip: str | None = None) -> str:
        if ip:
            value = self._check(ip)
        else:
            value = self._pick()
        self._used.add(value)
        return str(ipaddress.ip_address(value))

    def _check(self, ip: str) -> int:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            raise AllocationError(f"failed to allocate IP {ip}: must be a valid IP address") from None
        value = int(address)
        if address.version != 4 or not self._first <= value <= self._last:
            raise AllocationError(f"failed to allocate IP {ip}: provided IP is not in the valid range. "
                                  f"The range of valid IPs is {self._cidr}")
        if value in self._used:
            raise AllocationError(f"failed to allocate IP {ip}: provided IP is already allocated")
        return value

    def _pick(self) -> int:
        size = self._last - self._first + 1
        if len(self._used) >= size:
            raise AllocationError("failed to allocate a serviceIP: range is full")
        while True:
            value = self._first + self._random.randrange(size)
            if value not in self._used:
                return value

    def release(self, ip: str | None) -> None:
        try:
            self._used.discard(int(ipaddress.ip_address(ip)))
        except (ValueError, TypeError):
            pass

    def in_use(self, ip: str) -> bool:
        try:
            return int(ipaddress.ip_address(ip)) in self._used
        except ValueError:
            return False


class NodePortAllocator:
    def __init__(self, ports: range = NODE_PORT_RANGE, rng: random.Random | None = None):
        self._ports = ports
        self._used: set[int] = set()
        self._random = rng or random.Random()

    def allocate(self, port: int | None = None) -> int:
        if port:
            if port not in self._ports:
                raise AllocationError(f"provided port is not in the valid range. The range of valid ports is "
                                      f"{self._ports.start}-{self._ports.stop - 1}")
            if port in self._used:
                raise AllocationError("provided port is already allocated")
        else:
            if len(self._used) >= len(self._ports):
                raise AllocationError("range is full")
            port = self._random.choice(self._ports)
            while port in self._used:
                port = self._random.choice(self._ports)
        self._used.add(port)
        return port

    def release(self, port: int | None) -> None:
        if port:
            self._used.discard(port)
