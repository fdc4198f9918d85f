"""IP arithmetic for the network layer, without `ipaddress` (a pod process pays for every import at start-up):
parsing, ranges, loopback, and which of a pod's addresses a listening socket answers on.

A pod has three addresses a server can be reached on, its "reach points": `l` the IPv4 loopback (127.0.0.1),
`6` the IPv6 loopback (::1) and `p` the pod IP. A bind covers a set of them, as the kernel of a pod decides:

    bind(("0.0.0.0", 80))  AF_INET                 -> "lp"   (loopback and pod IP)
    bind(("::", 80))       AF_INET6, V6ONLY off    -> "lp6"  (dual stack: Linux's default)
    bind(("::", 80))       AF_INET6, V6ONLY on     -> "6"    (asyncio's create_server sets it)
    bind(("127.0.0.1", 81))                        -> "l"    (a sidecar only its pod reaches)
    bind(("10.244.1.5", 80)) on pod 10.244.1.5     -> "p"

Two binds of one port conflict exactly when their sets intersect, which is the kernel's rule too: 0.0.0.0:80
conflicts with 127.0.0.1:80, while 127.0.0.1:80 and <pod IP>:80 coexist, as do 0.0.0.0:80 and a V6ONLY [::]:80.
The pod network is IPv4 single-stack, as kind's default is: the pod IP has no IPv6 form."""
from __future__ import annotations

import socket

LOOPBACK4, LOOPBACK6, POD = "l", "6", "p"


def ipv4_int(text: str) -> int | None:
    """The address as a number, or None when `text` is not a dotted IPv4 address."""
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
    except (OSError, TypeError, ValueError):
        return None


def canonical(host: str) -> tuple[int, str] | None:
    """(family, canonical text) of an IP literal, with IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) turned into
    their IPv4 form; None for a name."""
    if not isinstance(host, str):
        return None
    try:
        socket.inet_pton(socket.AF_INET, host)
        return socket.AF_INET, host
    except OSError:
        pass
    try:
        packed = socket.inet_pton(socket.AF_INET6, host.partition("%")[0])
    except (OSError, ValueError):
        return None
    if packed[:12] == b"\0" * 10 + b"\xff\xff":
        return socket.AF_INET, socket.inet_ntop(socket.AF_INET, packed[12:])
    return socket.AF_INET6, socket.inet_ntop(socket.AF_INET6, packed)


def is_literal(host) -> bool:
    return canonical(host) is not None


def parse_cidr(cidr: str) -> tuple[int, int]:
    """(first address, mask) of an IPv4 CIDR such as 10.244.0.0/16."""
    address, _, bits = cidr.partition("/")
    mask = (0xFFFFFFFF << (32 - int(bits))) & 0xFFFFFFFF
    return ipv4_int(address) & mask, mask


def in_cidr(value: int | None, cidr: tuple[int, int] | None) -> bool:
    return value is not None and cidr is not None and value & cidr[1] == cidr[0]


def is_loopback(family: int, host: str) -> bool:
    """127.0.0.0/8, ::1, and the unspecified addresses, which Linux connects to the local host."""
    if family == socket.AF_INET:
        return host.startswith("127.") or host == "0.0.0.0"
    return host in ("::1", "::")


def reach_of(family: int, host: str, pod_ip: str, v6only: bool) -> str | None:
    """The reach points a bind of `host` in the pod with `pod_ip` covers (see the module docstring); None for an
    address the pod does not have (the kernel's EADDRNOTAVAIL)."""
    if host == "":
        host = "0.0.0.0" if family == socket.AF_INET else "::"
    parsed = canonical(host)
    if parsed is None:
        return None
    kind, host = parsed
    if kind == socket.AF_INET:
        if host == "0.0.0.0":
            return LOOPBACK4 + POD
        if host.startswith("127."):
            return LOOPBACK4
        return POD if host == pod_ip else None
    if host == "::":
        return LOOPBACK6 if v6only else LOOPBACK4 + POD + LOOPBACK6
    return LOOPBACK6 if host == "::1" else None
