"""What kube-apiserver creates for itself at start: the system namespaces and the `kubernetes` Service in
`default` (cluster IP 10.96.0.1, the first of the service range, as on kind). Idempotent: a restored state
keeps what it has."""
from __future__ import annotations

from sandbox.machinery import keda_crds, resources
from sandbox.registry import bootstrap_policy
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
    _bootstrap_policy(registry)
    _install_keda(registry)


def _bootstrap_policy(registry: Registry) -> None:
    """The rbac/bootstrap-roles post-start hook: the default roles and bindings, made when missing."""
    def rbac(plural):
        return resources.lookup("rbac.authorization.k8s.io", "v1", plural)
    for role in bootstrap_policy.cluster_roles():
        _ensure(registry, rbac("clusterroles"), None, role)
    for binding in bootstrap_policy.cluster_role_bindings():
        _ensure(registry, rbac("clusterrolebindings"), None, binding)
    for namespace, obj in bootstrap_policy.namespaced():
        _ensure(registry, rbac("roles" if obj["kind"] == "Role" else "rolebindings"), namespace, obj)


def _install_keda(registry: Registry) -> None:
    """KEDA's CRDs, stored as its installation leaves them: names accepted and established (their types are served
    from the start: machinery/resources.py)."""
    crds = resources.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    for crd in keda_crds.crds():
        name = crd["metadata"]["name"]
        if registry.exists(crds, None, name):
            continue
        created = registry.create(crds, None, crd, field_manager="helm")
        now = registry.clock.timestamp()
        created["status"]["acceptedNames"] = crd["spec"]["names"]
        created["status"]["conditions"] = [
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now, "reason": "NoConflicts",
             "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": now, "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted"}]
        registry.update(crds, None, name, created, subresource="status", field_manager=MANAGER)
