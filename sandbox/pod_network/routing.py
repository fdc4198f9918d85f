"""Where a connect() goes: the decision the network layer takes for every TCP connect, from a pod or from the
notebook kernel (the "host": like a Linux machine on kind's docker network). Pure: the table says what exists.

From a pod (an IP literal; names are resolved first):
    127.0.0.1, ::1, 0.0.0.0, the pod's own IP   its own pod's socket on that port, else ECONNREFUSED (a host
                                                process on that port is never reached: localhost is the pod's)
    another pod's IP                            that pod's socket, else ECONNREFUSED
    Service frontends (cluster IP:port,         the service proxy's listener; ECONNREFUSED when the Service has
      load-balancer IP:port, node IP:nodePort)  no usable endpoint, as kube-proxy rejects it
    the API server (first node IP:6443)         the sandbox's HTTPS port
    a known cluster IP or node IP, other port   ECONNREFUSED (kube-proxy's nftables mode rejects unknown ports)
    the service range, unallocated              ECONNREFUSED (rejected the same way)
    the pod or node range, nobody there         EHOSTUNREACH at once (a real network times out after ARP fails)
    anything else                               left alone: the real network
From the host: load-balancer IPs, node IPs (node ports, the API server) as above; pod IPs, cluster IPs and the
pod and service ranges fail at once with EHOSTUNREACH and a message naming `kubectl port-forward`."""
from __future__ import annotations

import errno
import os
import socket

from sandbox.pod_network import addresses
from sandbox.pod_network.addresses import LOOPBACK4, LOOPBACK6, POD

HOST_KINDS = ("lb", "node", "api")  # frontends a host on the kind network reaches


def refused() -> OSError:
    return OSError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED))


def unreachable(detail: str = "") -> OSError:
    message = os.strerror(errno.EHOSTUNREACH)
    return OSError(errno.EHOSTUNREACH, f"{message}: {detail}" if detail else message)


def real_host(client_family: int, real_family: int) -> str:
    """Where a socket of `client_family` reaches a real listener on loopback (v4-mapped for an IPv6 client)."""
    if client_family == socket.AF_INET:
        return "127.0.0.1"
    return "::1" if real_family == 6 else "::ffff:127.0.0.1"


def _binding(table, client_family: int, ip: str, port: int, point: str) -> tuple[str, int]:
    found = table.binding(ip, port, point)
    if found is None:
        raise refused()
    return real_host(client_family, found[1]), found[0]


def _frontend(table, client_family: int, route) -> tuple[str, int]:
    if not route.usable:
        raise refused()
    return real_host(client_family, 4), route.real_port


def from_pod(table, pod_ip: str, client_family: int, host: str, port: int) -> tuple[str, int] | None:
    """The real address a pod's connect to (host, port) goes to; None to leave it alone; raises OSError."""
    parsed = addresses.canonical(host)
    if parsed is None:
        return None
    family, ip = parsed
    if family == socket.AF_INET6:
        return _binding(table, client_family, pod_ip, port, LOOPBACK6) if ip in ("::1", "::") else None
    if addresses.is_loopback(family, ip):
        return _binding(table, client_family, pod_ip, port, LOOPBACK4)
    if ip == pod_ip or ip in table.pods:
        return _binding(table, client_family, ip, port, POD)
    route = table.routes.get((ip, port))
    if route is not None:
        return _frontend(table, client_family, route)
    value = addresses.ipv4_int(ip)
    if ip in table.frontends or ip in table.nodes or addresses.in_cidr(value, table.service_cidr):
        raise refused()
    if addresses.in_cidr(value, table.pod_cidr) or addresses.in_cidr(value, table.node_cidr):
        raise unreachable()
    return None


def from_host(table, client_family: int, host: str, port: int) -> tuple[str, int] | None:
    """The same for the notebook kernel: only what a host on kind's network reaches."""
    parsed = addresses.canonical(host)
    if parsed is None or parsed[0] != socket.AF_INET or addresses.is_loopback(*parsed):
        return None
    ip = parsed[1]
    route = table.routes.get((ip, port))
    if route is not None and route.kind in HOST_KINDS:
        return _frontend(table, client_family, route)
    frontend = table.frontends.get(ip)
    if ip in table.nodes or (frontend is not None and frontend[1] in HOST_KINDS):
        raise refused()
    value = addresses.ipv4_int(ip)
    inside = ip in table.pods or frontend is not None or addresses.in_cidr(value, table.pod_cidr) \
        or addresses.in_cidr(value, table.service_cidr)
    if inside:
        raise unreachable(inside_cluster_message(table, ip, port))
    if addresses.in_cidr(value, table.node_cidr):
        raise unreachable()
    return None


def inside_cluster_message(table, ip: str, port: int) -> str:
    """Why the notebook cannot reach `ip`, and what it can do instead."""
    frontend = table.frontends.get(ip)
    if frontend is not None:
        namespace, _, name = frontend[0].partition("/")
        what, target = f"the cluster IP of Service {name} (namespace {namespace})", f"svc/{name} -n {namespace}"
    elif ip in table.pods:
        namespace, _, name = table.pods[ip][1].partition("/")
        what, target = f"the IP of pod {name} (namespace {namespace})", f"pod/{name} -n {namespace}"
    else:
        what, target = "an address of the cluster's pod or service network", "svc/<service> -n <namespace>"
    return (f"{ip}:{port} is {what}, reachable only from inside the cluster (from a pod). From the notebook, "
            f"use `kubectl port-forward {target} <local port>:{port}` and connect to 127.0.0.1:<local port>, "
            f"or expose it with a LoadBalancer or NodePort Service.")


def cluster_name_message(name: str) -> str:
    return (f"{name!r} is a cluster DNS name, which only pods resolve. From the notebook, use `kubectl "
            f"port-forward svc/<service> -n <namespace> <local port>:<port>` and connect to 127.0.0.1:<local port>, "
            f"or the Service's LoadBalancer address.")
