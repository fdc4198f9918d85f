"""What kube-apiserver creates for itself at start: the system namespaces and the `kubernetes` Service in
`default` (cluster IP 10.96.0.1, the first of the service range, as on kind). Idempotent: a restored state
keeps what it has."""
from __future__ import annotations

from sandbox.machinery import resources
from sandbox.machinery.errors import StatusError
from sandbox.registry.allocators import KUBERNETES_SERVICE_IP
from sandbox.registry.bootstrap_classes import bootstrap_classes
from sandbox.registry.rest import Registry

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
MANAGER = "kube-apiserver"


def _ensure(registry: Registry, rt, namespace: str | None, body: dict) -> None:
    try:
        registry.get(rt, namespace, body["metadata"]["name"])
    except StatusError as e:
        if e.code != 404:
            raise
        registry.create(rt, namespace, body, field_manager=MANAGER)


def bootstrap(registry: Registry) -> None:
    namespaces = resources.lookup("", "v1", "namespaces")
    for name in SYSTEM_NAMESPACES:
        _ensure(registry, namespaces, None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": name, "labels": {"kubernetes.io/metadata.name": name}}})
    _ensure(registry, resources.lookup("", "v1", "services"), "default", {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"type": "ClusterIP", "clusterIP": KUBERNETES_SERVICE_IP, "sessionAffinity": "None",
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}})
    bootstrap_classes(registry)  # the system PriorityClasses, kind's default StorageClass
