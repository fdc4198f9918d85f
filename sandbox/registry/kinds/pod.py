"""Pods (pkg/registry/core/pod): created Pending with their QoS class, their generation moving with the spec,
deleted gracefully (the kubelet finishes the deletion), /status may set owner references' neighbours but not the
references themselves. Their subresources beyond status (binding, eviction, log) are the Registry's
(subresources.py, eviction.py); exec, attach and portforward are registry/pod_connections.py's."""
from __future__ import annotations

from sandbox.machinery import defaults, errors, fields, pod_validation, priority_classes, resources
from sandbox.machinery.resources import ResourceType
from sandbox.printers import pods
from sandbox.registry.kind import Kind, Storage
from sandbox.registry.strategy import SPEC, Strategy

PRIORITY_CLASSES = resources.lookup("scheduling.k8s.io", "v1", "priorityclasses")


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


class PodStorage(Storage):
    def admit(self, rt: ResourceType, obj: dict, old: dict | None, dry_run: bool) -> None:
        """The pod admission plugins, run after managedFields (their additions have no manager): ServiceAccount and
        DefaultTolerationSeconds (machinery/defaults.admit_pod), and Priority: on create, spec.priority from the
        pod's PriorityClass (or the global default class); on update, the priority it set is kept."""
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        defaults.admit_pod(obj, old)
        if old is not None:
            for key in ("priority", "preemptionPolicy"):
                if spec.get(key) is None and (old.get("spec") or {}).get(key) is not None:
                    spec[key] = old["spec"][key]
            return
        classes = {c["metadata"]["name"]: c for c in self.registry.list(PRIORITY_CLASSES)["items"]}
        try:
            priority_classes.resolve(obj, classes)
        except priority_classes.Refused as e:
            meta = obj["metadata"]  # admission names the object before its name is generated
            raise errors.forbidden(rt.group, rt.plural, meta.get("generateName") or meta.get("name", ""),
                                   str(e)) from None


KIND = Kind(
    types=(resources.lookup("", "v1", "pods"),),
    strategy=PodStrategy(generation=SPEC, reset_status_on_create=True, graceful=True, return_deleted=True,
                         status_keeps_metadata=("ownerReferences",)),
    defaults=defaults.set_pod_defaults,
    validate=pod_validation.validate_pod,
    printer=pods.pod_printer,
    field_labels=fields.labels("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                               "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
                               "status.podIPs", "status.nominatedNodeName"),
    scale=False,
    storage=PodStorage,
    # the scheduler's write, and the connections to a pod's containers (api/streams/ serves them)
    unlisted_subresources=("binding", "exec", "attach", "portforward"),
)
