"""Cluster DNS as a pod sees it: the answers CoreDNS's kubernetes plugin gives (kind's Corefile: `kubernetes
cluster.local ... { pods insecure }`), walked the way glibc's resolver walks the search path the kubelet writes
into the pod's resolv.conf (`search <ns>.svc.cluster.local svc.cluster.local cluster.local`, `options ndots:5`),
after the pod's /etc/hosts. Pure: the data comes from the routing table (sandbox/pod_network/table.py).

Names inside the zone, as CoreDNS parses them (labels read from the right):
    <svc>.<ns>.svc.<zone>             ClusterIP: its cluster IPs; headless: its ready endpoints' IPs;
                                      ExternalName: a CNAME to its target, which CoreDNS resolves in turn
    <endpoint>.<svc>.<ns>.svc.<zone>  one endpoint, by its hostname or its dashed IP (10-244-1-5)
    _<port>._<proto>.<svc>.<ns>.svc.<zone>  the Service when it has a port of that name and protocol
    <a-b-c-d>.<ns>.pod.<zone>         that IP, unchecked ("pods insecure")
    <ns>.svc.<zone>, svc.<zone>, <zone>  NODATA (the name exists, no address) when the namespace exists
Everything else in the zone, and any name in a namespace that does not exist, is NXDOMAIN.

glibc (res_nsearch): a name with a trailing dot is tried alone; one with at least ndots dots is tried as is,
then with each search domain; any other is tried with each search domain, then as is. NXDOMAIN and NODATA move
on to the next candidate; the lookup fails with EAI_NODATA ("No address associated with hostname") when some
candidate existed without an address, else EAI_NONAME ("Name or service not known"). Worked example, in
namespace `shop`, `web.default` (1 dot < 5) asks web.default.shop.svc.cluster.local first (NXDOMAIN: that reads
as endpoint `web` of a Service `default` in namespace `shop`, and there is none), then
web.default.svc.cluster.local (found: the cluster IP of Service `web` in `default`).

A candidate outside the zone is what CoreDNS forwards upstream: the host's resolver answers it, except a single
label (upstream DNS knows no such name; asking the host would only wait on its DNS servers)."""
from __future__ import annotations

import socket

A, CNAME, NXDOMAIN, NODATA = "A", "CNAME", "NXDOMAIN", "NODATA"
NDOTS = 5
MAX_CNAME_CHAIN = 8
# Names the pod's /etc/hosts gives the loopback addresses: the host's resolver answers them the same way.
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
EAI_NODATA = getattr(socket, "EAI_NODATA", socket.EAI_NONAME)
MESSAGES = {socket.EAI_NONAME: "Name or service not known", EAI_NODATA: "No address associated with hostname"}


class Found:
    """A lookup's result: the addresses found in the cluster with their canonical name, or `host_name`, the
    name to hand to the host's resolver instead."""
    __slots__ = ("canonical", "ips", "host_name")

    def __init__(self, canonical: str, ips: list[str], host_name: str | None = None):
        self.canonical, self.ips, self.host_name = canonical, ips, host_name

    def __repr__(self) -> str:
        return f"Found({self.canonical!r}, {self.ips!r}, host_name={self.host_name!r})"


def not_found(code: int) -> socket.gaierror:
    return socket.gaierror(code, MESSAGES[code])


def search_path(namespace: str, domain: str) -> list[str]:
    return [f"{namespace}.svc.{domain}", f"svc.{domain}", domain]


def candidates(name: str, search: list[str], ndots: int = NDOTS) -> list[str]:
    """The names glibc asks for, in order (absolute, without the trailing dot)."""
    if name.endswith("."):
        return [name[:-1]]
    expanded = [f"{name}.{domain}" for domain in search]
    return [name] + expanded if name.count(".") >= ndots else expanded + [name]


def in_zone(name: str, domain: str) -> bool:
    name = name.rstrip(".").lower()
    return name == domain or name.endswith("." + domain)


def _dashed(ip: str) -> str:
    return ip.replace(".", "-").replace(":", "-")


def _pod_ip(label: str) -> str | None:
    """a-b-c-d -> a.b.c.d; otherwise an IPv6 address with '-' for ':' (CoreDNS's findPods)."""
    if label.count("-") == 3 and "--" not in label:
        text, family = label.replace("-", "."), socket.AF_INET
    else:
        text, family = label.replace("-", ":"), socket.AF_INET6
    try:
        return socket.inet_ntop(family, socket.inet_pton(family, text))
    except (OSError, ValueError):
        return None


def answer(table, qname: str) -> tuple[str, object]:
    """CoreDNS's answer for `qname` (absolute, no trailing dot, inside the zone): (A, [ips]), (CNAME, target),
    (NXDOMAIN, None) or (NODATA, None)."""
    domain = table.domain
    qname = qname.lower()
    base = "" if qname == domain else qname[:-len(domain) - 1]
    if base in ("", "svc", "pod"):
        return NODATA, None
    labels = base.split(".")
    kind = labels.pop()
    if kind not in ("svc", "pod"):
        return NXDOMAIN, None
    namespace = labels.pop()
    if namespace not in table.namespaces:
        return NXDOMAIN, None
    if not labels:
        return NODATA, None
    name = labels.pop()
    if len(labels) > 2:
        return NXDOMAIN, None
    if kind == "pod":
        ip = _pod_ip(name)
        return (A, [ip]) if ip else (NXDOMAIN, None)
    record = table.services.get((namespace, name))
    if record is None:
        return NXDOMAIN, None
    endpoint = labels[0] if len(labels) == 1 else ""
    if len(labels) == 2:  # _port._protocol: SRV-style names, answered when the Service has such a port
        port, protocol = (label[1:] if label.startswith("_") else label for label in labels)
        if not any(p[0].lower() == port and p[1].lower() == protocol for p in record.ports):
            return NXDOMAIN, None
    if record.external:
        return (NXDOMAIN, None) if endpoint else (CNAME, record.external.rstrip(".").lower())
    if not record.ips or endpoint:
        ips = [ip for ip, hostname in record.endpoints if not endpoint or endpoint == (hostname or _dashed(ip))]
        return (A, ips) if ips else (NXDOMAIN, None)
    return A, list(record.ips)


def _of_family(ips: list[str], family: int) -> list[str]:
    if family == socket.AF_INET:
        return [ip for ip in ips if ":" not in ip]
    if family == socket.AF_INET6:
        return [ip for ip in ips if ":" in ip]
    return ips


def lookup(table, name: str, namespace: str, hosts: dict[str, tuple[str, str]] | None = None,
           family: int = socket.AF_UNSPEC) -> Found:
    """Resolve `name` for a pod in `namespace` whose /etc/hosts adds `hosts` (lowercased name -> (canonical
    name, IP)). Raises socket.gaierror as glibc's getaddrinfo fails."""
    key = name.lower()
    if key in LOCAL_NAMES or key.rstrip(".") in LOCAL_NAMES:
        return Found(name, [], host_name=name)
    if hosts and key in hosts:
        canonical, ip = hosts[key]
        ips = _of_family([ip], family)
        if ips:
            return Found(canonical, ips)
    got_nodata = False
    for candidate in candidates(name, search_path(namespace, table.domain)):
        found, nodata = _resolve(table, candidate, family, 0)
        if found is not None:
            return found
        got_nodata = got_nodata or nodata
    raise not_found(EAI_NODATA if got_nodata else socket.EAI_NONAME)


def _resolve(table, name: str, family: int, depth: int) -> tuple[Found | None, bool]:
    """(what one candidate resolves to, whether it existed without an address)."""
    if not in_zone(name, table.domain):
        if "." not in name.strip("."):
            return None, False  # a single label: upstream DNS has no such name
        return Found(name, [], host_name=name), False
    status, payload = answer(table, name)
    if status == CNAME:
        if depth >= MAX_CNAME_CHAIN:
            return None, False
        target, nodata = _resolve(table, payload, family, depth + 1)
        if target is not None and target.host_name is None:
            target.canonical = payload
        return target, nodata or target is None
    if status == A:
        ips = _of_family(payload, family)
        return (Found(name, ips), False) if ips else (None, True)
    return None, status == NODATA


def reverse(table, ip: str) -> str | None:
    """CoreDNS's PTR answer for a Service's cluster IP or a ready endpoint's IP (the first that has it)."""
    for (namespace, name), record in table.services.items():
        if ip in record.ips:
            return f"{name}.{namespace}.svc.{table.domain}"
    for (namespace, name), record in table.services.items():
        for address, hostname in record.endpoints:
            if address == ip:
                return f"{hostname or _dashed(ip)}.{name}.{namespace}.svc.{table.domain}"
    return None
