"""Pods (pkg/registry/core/pod): created Pending with their QoS class, their generation moving with the spec,
deleted gracefully (the kubelet finishes the deletion), /status may set owner references' neighbours but not the
references themselves. Their subresources beyond status (binding, eviction, log) are the Registry's
(subresources.py, eviction.py); exec, attach and portforward are registry/pod_connections.py's."""
from __future__ import annotations

from sandbox.machinery import defaults, fields, pod_validation, resources
from sandbox.printers import pods
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import SPEC, Strategy


def qos_class(spec: dict) -> str:
    """The pod's QoS class (pkg/apis/core/helper/qos): BestEffort without any request or limit, Guaranteed when
    every container's cpu and memory limits are set and requests equal them, Burstable otherwise."""
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    any_set, guaranteed = False, True
    for container in containers:
        resources_ = container.get("resources") or {}
        requests, limits = resources_.get("requests") or {}, resources_.get("limits") or {}
        if requests or limits:
            any_set = True
        for name in ("cpu", "memory"):
            limit = limits.get(name)
            if limit is None or str(requests.get(name, limit)) != str(limit):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


class PodStrategy(Strategy):
    def prepare_for_create(self, obj: dict) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}


KIND = Kind(
    types=(resources.lookup("", "v1", "pods"),),
    strategy=PodStrategy(generation=SPEC, reset_status_on_create=True, graceful=True, return_deleted=True,
                         status_keeps_metadata=("ownerReferences",)),
    defaults=defaults.set_pod_defaults,
    admit=defaults.admit_pod,  # after managedFields: admission's additions have no manager
    validate=pod_validation.validate_pod,
    printer=pods.pod_printer,
    field_labels=fields.labels("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                               "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
                               "status.podIPs", "status.nominatedNodeName"),
    scale=False,
    storage=None,
    # the scheduler's write, and the connections to a pod's containers (api/streams/ serves them)
    unlisted_subresources=("binding", "exec", "attach", "portforward"),
)
