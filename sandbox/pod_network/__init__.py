"""The rootless pod network: Kubernetes' addresses (pod IPs, cluster IPs, load-balancer IPs, node ports, cluster
DNS) for pod processes that run on the loopback interface, without root or network namespaces. See
sandbox/README.md, "Pod network", for its reach, and network.py for the PodNetwork the kubelet uses.

This package is imported by every pod process (its layer module), so it imports nothing itself: `PodNetwork`
is loaded on first use."""
from __future__ import annotations

__all__ = ["PodNetwork"]


def __getattr__(name: str):
    if name == "PodNetwork":
        from sandbox.pod_network.network import PodNetwork
        return PodNetwork
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
