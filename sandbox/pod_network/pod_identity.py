"""A pod's names as the kubelet gives them (pure): its hostname (spec.hostname, else the pod's name cut to 63
characters without a trailing '-' or '.'), its domain when spec.subdomain is set
(<subdomain>.<namespace>.svc.<cluster domain>), what gethostname() returns (the FQDN with setHostnameAsFQDN),
and the lines the kubelet adds to the pod's /etc/hosts after the loopback ones: the pod IP with its names, then
spec.hostAliases."""
from __future__ import annotations

MAX_HOSTNAME = 63


def _names(pod: dict, domain: str) -> tuple[str, str]:
    meta, spec = pod["metadata"], pod.get("spec") or {}
    hostname = spec.get("hostname") or meta["name"]
    if len(hostname) > MAX_HOSTNAME:
        hostname = hostname[:MAX_HOSTNAME].rstrip("-.")
    subdomain = spec.get("subdomain") or ""
    return hostname, f"{hostname}.{subdomain}.{meta['namespace']}.svc.{domain}" if subdomain else ""


def pod_hostname(pod: dict, domain: str) -> tuple[str, str]:
    """(what gethostname() returns in the pod, its FQDN or "" without a subdomain)."""
    hostname, fqdn = _names(pod, domain)
    return (fqdn if fqdn and (pod.get("spec") or {}).get("setHostnameAsFQDN") else hostname), fqdn


def etc_hosts(pod: dict, pod_ip: str, domain: str) -> list[list[str]]:
    """The pod's own /etc/hosts lines, as [IP, name, ...] (the first name is the canonical one)."""
    hostname, fqdn = _names(pod, domain)
    lines = [[pod_ip, fqdn, hostname] if fqdn else [pod_ip, hostname]]
    for alias in (pod.get("spec") or {}).get("hostAliases") or []:
        if alias.get("ip") and alias.get("hostnames"):
            lines.append([alias["ip"], *alias["hostnames"]])
    return lines
