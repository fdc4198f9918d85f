"""The simulated nodes as data: names, capacity and the labels, annotations and system info a kind node of
Kubernetes v1.37 registers with. The node controller turns these into Node objects."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sandbox.simulation import network

KUBELET_VERSION = "v1.37.0"
CONTAINER_RUNTIME = "containerd://2.1.4"
OS_IMAGE = "Debian GNU/Linux 12 (bookworm)"
KERNEL_VERSION = "6.8.0-1021-azure"
CLUSTER_NAME = "sandbox"
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}

# Every node has the same shape; allocatable equals capacity, as on kind (no system reservations).
CAPACITY = {
    "cpu": "4",
    "ephemeral-storage": "102626232Ki",
    "hugepages-1Gi": "0",
    "hugepages-2Mi": "0",
    "memory": "8Gi",  # the kubelet reports 8388608Ki; the API server stores the canonical form
    "pods": "110",
}

# Node condition types with the reason and message a healthy kubelet posts.
HEALTHY_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)

HEARTBEAT_SECONDS = 300.0  # nodeStatusReportFrequency: the kubelet reposts unchanged conditions this often


@dataclass(frozen=True)
class NodeSpec:
    index: int
    name: str
    control_plane: bool
    tainted: bool
    capacity: dict = field(default_factory=lambda: dict(CAPACITY))

    @property
    def ip(self) -> str:
        return network.node_ip(self.index)

    @property
    def pod_cidr(self) -> str:
        return network.pod_cidr(self.index)


def node_name(index: int) -> str:
    """sandbox-control-plane, sandbox-worker, sandbox-worker2, ... as kind names them."""
    if index == 0:
        return f"{CLUSTER_NAME}-control-plane"
    return f"{CLUSTER_NAME}-worker" + (str(index) if index > 1 else "")


def cluster(nodes: int) -> list[NodeSpec]:
    """One control plane plus workers; the control plane is tainted only when there are workers (kind removes
    the taint from a single-node cluster so workloads can run)."""
    if nodes < 1:
        raise ValueError("a cluster needs at least one node")
    return [NodeSpec(i, node_name(i), i == 0, i == 0 and nodes > 1) for i in range(nodes)]


def _stable_hex(seed: str, length: int = 32) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _uuid(seed: str) -> str:
    h = _stable_hex(seed)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def labels(spec: NodeSpec) -> dict:
    out = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": spec.name,
        "kubernetes.io/os": "linux",
    }
    if spec.control_plane:
        out["node-role.kubernetes.io/control-plane"] = ""
        out["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
    return out


def annotations() -> dict:
    return {
        "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }


def node_info(spec: NodeSpec) -> dict:
    return {
        "architecture": "amd64",
        "bootID": _uuid(spec.name + "/boot"),
        "containerRuntimeVersion": CONTAINER_RUNTIME,
        "kernelVersion": KERNEL_VERSION,
        "kubeProxyVersion": "",  # no longer reported by the kubelet, still a required field of the schema
        "kubeletVersion": KUBELET_VERSION,
        "machineID": _stable_hex(spec.name + "/machine"),
        "operatingSystem": "linux",
        "osImage": OS_IMAGE,
        "systemUUID": _uuid(spec.name + "/system"),
    }


def conditions(timestamp: str) -> list[dict]:
    return [{"type": kind, "status": status, "lastHeartbeatTime": timestamp, "lastTransitionTime": timestamp,
             "reason": reason, "message": message} for kind, status, reason, message in HEALTHY_CONDITIONS]


def manifest(spec: NodeSpec, timestamp: str) -> dict:
    """The Node object a kind node registers (the kubelet creates it, then posts its status)."""
    node_spec = {"podCIDR": spec.pod_cidr, "podCIDRs": [spec.pod_cidr],
                 "providerID": f"kind://docker/{CLUSTER_NAME}/{spec.name}"}
    if spec.tainted:
        node_spec["taints"] = [dict(CONTROL_PLANE_TAINT)]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": spec.name, "labels": labels(spec), "annotations": annotations()},
        "spec": node_spec,
        "status": status(spec, timestamp),
    }


def status(spec: NodeSpec, timestamp: str) -> dict:
    return {
        "addresses": [{"type": "InternalIP", "address": spec.ip}, {"type": "Hostname", "address": spec.name}],
        "allocatable": dict(spec.capacity),
        "capacity": dict(spec.capacity),
        "conditions": conditions(timestamp),
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": node_info(spec),
    }
