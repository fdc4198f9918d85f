"""What the apiserver's endpoint reconciler keeps for the `kubernetes` Service (which has no selector, so no
controller fills it): an Endpoints and an EndpointSlice pointing at the control plane node on port 6443."""
from __future__ import annotations

from sandbox.controllers.base import rt_of
from sandbox.machinery.errors import StatusError
from sandbox.simulation.network import API_SERVER_PORT

MANAGER = "kube-apiserver"
PORTS = [{"name": "https", "port": API_SERVER_PORT, "protocol": "TCP"}]


def _ensure(registry, rt, namespace: str, body: dict) -> None:
    try:
        registry.get(rt, namespace, body["metadata"]["name"])
    except StatusError as e:
        if e.code != 404:
            raise
        registry.create(rt, namespace, body, field_manager=MANAGER)


def api_server_endpoints(registry, control_plane_ip: str) -> None:
    try:
        registry.get(rt_of("", "services"), "default", "kubernetes")
    except StatusError:
        return  # no `kubernetes` Service (the registry did not bootstrap one): nothing to point at
    _ensure(registry, rt_of("", "endpoints"), "default", {
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": control_plane_ip}], "ports": PORTS}]})
    _ensure(registry, rt_of("discovery.k8s.io", "endpointslices"), "default", {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [control_plane_ip], "conditions": {"ready": True}}],
        "ports": PORTS})
