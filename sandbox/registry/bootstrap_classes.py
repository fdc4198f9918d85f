"""The classes a kind cluster has from the start: kube-apiserver's two system PriorityClasses (its
`scheduling/bootstrap-system-priority-classes` post-start hook) and the default StorageClass `standard` that kind
installs for its local-path provisioner (rancher.io/local-path, WaitForFirstConsumer: a claim is bound once a pod
using it is scheduled). Idempotent: a restored state keeps what it has, and a deleted `standard` stays deleted
until the next start, as kind's addon does."""
from __future__ import annotations

from sandbox.machinery import priority_classes, resources
from sandbox.machinery.errors import StatusError

MANAGER = "kube-apiserver"
DEFAULT_STORAGE_CLASS = "standard"
LOCAL_PATH_PROVISIONER = "rancher.io/local-path"


def standard_storage_class() -> dict:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": DEFAULT_STORAGE_CLASS,
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": LOCAL_PATH_PROVISIONER, "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer"}


def _ensure(registry, rt, body: dict, manager: str) -> None:
    try:
        registry.get(rt, None, body["metadata"]["name"])
    except StatusError as e:
        if e.code != 404:
            raise
        registry.create(rt, None, body, field_manager=manager)


def bootstrap_classes(registry) -> None:
    classes = resources.lookup("scheduling.k8s.io", "v1", "priorityclasses")
    for name, value, description in priority_classes.SYSTEM_CLASSES:
        _ensure(registry, classes, priority_classes.system_class(name, value, description), MANAGER)
    _ensure(registry, resources.lookup("storage.k8s.io", "v1", "storageclasses"), standard_storage_class(),
            "kubectl-client-side-apply")
