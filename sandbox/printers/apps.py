"""StatefulSets, DaemonSets, ControllerRevisions and ReplicationControllers (printStatefulSet, printDaemonSet,
printControllerRevision, printReplicationController)."""
from __future__ import annotations

import functools

from sandbox.machinery import labels

from .common import (Column, Printer, age_column, age_of, as_dict, as_int, as_list, container_cells, doc, format_labels,
                     name_column, name_of)

_CONTAINERS_DOC = "Names of each container in the template."
_IMAGES_DOC = "Images referenced by each container in the template."


def _stateful_set_row(obj: dict, now: float, wide: bool) -> list:
    spec, status = as_dict(obj, "spec"), as_dict(obj, "status")
    return [name_of(obj), f"{as_int(status.get('readyReplicas'))}/{as_int(spec.get('replicas'))}", age_of(obj, now),
            *container_cells(as_dict(spec, "template", "spec"))]


@functools.cache
def stateful_set_printer() -> Printer:
    return Printer((name_column(), Column("Ready", description="Number of the pod with ready state"), age_column(),
                    Column("Containers", priority=1, description=_CONTAINERS_DOC),
                    Column("Images", priority=1, description=_IMAGES_DOC)), _stateful_set_row)


def _daemon_set_row(obj: dict, now: float, wide: bool) -> list:
    spec, status = as_dict(obj, "spec"), as_dict(obj, "status")
    return [name_of(obj), *(as_int(status.get(k)) for k in ("desiredNumberScheduled", "currentNumberScheduled",
                                                            "numberReady", "updatedNumberScheduled",
                                                            "numberAvailable")),
            format_labels(as_dict(spec, "template", "spec", "nodeSelector")), age_of(obj, now),
            *container_cells(as_dict(spec, "template", "spec")), labels.format_label_selector(spec.get("selector"))]


@functools.cache
def daemon_set_printer() -> Printer:
    d = "io.k8s.api.apps.v1.DaemonSet"
    return Printer((
        name_column(), Column("Desired", "integer", doc(d + "Status", "desiredNumberScheduled")),
        Column("Current", "integer", doc(d + "Status", "currentNumberScheduled")),
        Column("Ready", "integer", doc(d + "Status", "numberReady")),
        Column("Up-to-date", "integer", doc(d + "Status", "updatedNumberScheduled")),
        Column("Available", "integer", doc(d + "Status", "numberAvailable")),
        Column("Node Selector", description=doc("io.k8s.api.core.v1.PodSpec", "nodeSelector")), age_column(),
        Column("Containers", priority=1, description=_CONTAINERS_DOC),
        Column("Images", priority=1, description=_IMAGES_DOC),
        Column("Selector", priority=1, description=doc(d + "Spec", "selector")),
    ), _daemon_set_row)


def _controller(obj: dict) -> str:
    """formatResourceName(GroupKind, name): `statefulset.apps/web`, `<none>` without a controller."""
    for ref in as_list(obj, "metadata", "ownerReferences"):
        if isinstance(ref, dict) and ref.get("controller"):
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            kind = str(ref.get("kind", "")).lower()
            return f"{kind}.{group}/{ref.get('name', '')}" if group else f"{kind}/{ref.get('name', '')}"
    return "<none>"


@functools.cache
def controller_revision_printer() -> Printer:
    return Printer((name_column(), Column("Controller", description="Controller of the object"),
                    Column("Revision", description=doc("io.k8s.api.apps.v1.ControllerRevision", "revision")),
                    age_column()),
                   lambda obj, now, wide: [name_of(obj), _controller(obj), as_int(obj.get("revision")),
                                           age_of(obj, now)])


def _replication_controller_row(obj: dict, now: float, wide: bool) -> list:
    spec, status = as_dict(obj, "spec"), as_dict(obj, "status")
    return [name_of(obj), as_int(spec.get("replicas")), as_int(status.get("replicas")),
            as_int(status.get("readyReplicas")), age_of(obj, now), *container_cells(as_dict(spec, "template", "spec")),
            format_labels(spec.get("selector"))]


@functools.cache
def replication_controller_printer() -> Printer:
    d = "io.k8s.api.core.v1.ReplicationController"
    return Printer((
        name_column(), Column("Desired", "integer", doc(d + "Spec", "replicas")),
        Column("Current", "integer", doc(d + "Status", "replicas")),
        Column("Ready", "integer", doc(d + "Status", "readyReplicas")), age_column(),
        Column("Containers", priority=1, description=_CONTAINERS_DOC),
        Column("Images", priority=1, description=_IMAGES_DOC),
        Column("Selector", priority=1, description=doc(d + "Spec", "selector")),
    ), _replication_controller_row)
