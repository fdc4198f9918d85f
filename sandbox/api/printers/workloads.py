"""Deployments and ReplicaSets (printDeployment, printReplicaSet)."""
from __future__ import annotations

from sandbox.machinery import labels

from .common import (Column, Printer, age_column, age_of, as_dict, as_int, container_cells, doc, name_column,
                     name_of, selector_string)

_CONTAINERS_DOC = "Names of each container in the template."
_IMAGES_DOC = "Images referenced by each container in the template."


def _deployment_row(obj: dict, now: float, wide: bool) -> list:
    spec, status = as_dict(obj, "spec"), as_dict(obj, "status")
    ready = f"{as_int(status.get('readyReplicas'))}/{as_int(spec.get('replicas'))}"
    return [name_of(obj), ready, as_int(status.get("updatedReplicas")), as_int(status.get("availableReplicas")),
            age_of(obj, now), *container_cells(as_dict(spec, "template", "spec")),
            selector_string(spec.get("selector"))]


def _deployment_printer() -> Printer:
    d = "io.k8s.api.apps.v1.Deployment"
    return Printer((
        name_column(), Column("Ready", description="Number of the pod with ready state"),
        Column("Up-to-date", description=doc(d + "Status", "updatedReplicas")),
        Column("Available", description=doc(d + "Status", "availableReplicas")), age_column(),
        Column("Containers", priority=1, description=_CONTAINERS_DOC),
        Column("Images", priority=1, description=_IMAGES_DOC),
        Column("Selector", priority=1, description=doc(d + "Spec", "selector")),
    ), _deployment_row)


def _replicaset_row(obj: dict, now: float, wide: bool) -> list:
    spec, status = as_dict(obj, "spec"), as_dict(obj, "status")
    return [name_of(obj), as_int(spec.get("replicas")), as_int(status.get("replicas")),
            as_int(status.get("readyReplicas")), age_of(obj, now), *container_cells(as_dict(spec, "template", "spec")),
            labels.format_label_selector(spec.get("selector"))]


def _replicaset_printer() -> Printer:
    d = "io.k8s.api.apps.v1.ReplicaSet"
    return Printer((
        name_column(), Column("Desired", "integer", doc(d + "Spec", "replicas")),
        Column("Current", "integer", doc(d + "Status", "replicas")),
        Column("Ready", "integer", doc(d + "Status", "readyReplicas")), age_column(),
        Column("Containers", priority=1, description=_CONTAINERS_DOC),
        Column("Images", priority=1, description=_IMAGES_DOC),
        Column("Selector", priority=1, description=doc(d + "Spec", "selector")),
    ), _replicaset_row)


def printers() -> dict:
    return {("apps", "Deployment"): _deployment_printer(), ("apps", "ReplicaSet"): _replicaset_printer()}
