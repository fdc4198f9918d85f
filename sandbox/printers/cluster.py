"""Nodes, namespaces, events and the small config objects (configmaps, secrets, service accounts)."""
from __future__ import annotations

import functools

from typing import Callable

from .common import (Column, Printer, age_column, age_of, as_dict, as_int, as_list, dig, doc, name_column, name_of,
                     since)

_NODE_ROLE_PREFIX = "node-role.kubernetes.io/"


def _node_status(node: dict) -> str:
    ready = [c for c in as_list(node, "status", "conditions") if isinstance(c, dict) and c.get("type") == "Ready"]
    status = ["Unknown"] if not ready else ["Ready" if ready[-1].get("status") == "True" else "NotReady"]
    if dig(node, "spec", "unschedulable") is True:
        status.append("SchedulingDisabled")
    return ",".join(status)


def _node_roles(node: dict) -> str:
    roles = set()
    for key, value in as_dict(node, "metadata", "labels").items():
        if key.startswith(_NODE_ROLE_PREFIX) and key[len(_NODE_ROLE_PREFIX):]:
            roles.add(key[len(_NODE_ROLE_PREFIX):])
        elif key == "kubernetes.io/role" and isinstance(value, str) and value:
            roles.add(value)
    return ",".join(sorted(roles)) or "<none>"


def _node_address(node: dict, kind: str) -> str:
    for address in as_list(node, "status", "addresses"):
        if isinstance(address, dict) and address.get("type") == kind:
            return address.get("address", "")
    return "<none>"


def _node_row(node: dict, now: float, wide: bool) -> list:
    info = as_dict(node, "status", "nodeInfo")
    return [name_of(node), _node_status(node), _node_roles(node), age_of(node, now), info.get("kubeletVersion", ""),
            _node_address(node, "InternalIP"), _node_address(node, "ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


@functools.cache
def node_printer() -> Printer:
    info, status = "io.k8s.api.core.v1.NodeSystemInfo", "io.k8s.api.core.v1.NodeStatus"
    return Printer((
        name_column(), Column("Status", description="The status of the node"),
        Column("Roles", description="The roles of the node"), age_column(),
        Column("Version", description=doc(info, "kubeletVersion")),
        Column("Internal-IP", priority=1, description=doc(status, "addresses")),
        Column("External-IP", priority=1, description=doc(status, "addresses")),
        Column("OS-Image", priority=1, description=doc(info, "osImage")),
        Column("Kernel-Version", priority=1, description=doc(info, "kernelVersion")),
        Column("Container-Runtime", priority=1, description=doc(info, "containerRuntimeVersion")),
    ), _node_row)


@functools.cache
def namespace_printer() -> Printer:
    return Printer((name_column(), Column("Status", description="The status of the namespace"), age_column()),
                   lambda obj, now, wide: [name_of(obj), dig(obj, "status", "phase", default=""), age_of(obj, now)])


def _event_source(event: dict) -> str:
    component = dig(event, "source", "component") or event.get("reportingComponent") or ""
    host = dig(event, "source", "host") or event.get("reportingInstance") or ""
    return f"{component}, {host}" if host else component


def _event_row(event: dict, now: float, wide: bool) -> list:
    first = since(event.get("firstTimestamp"), now)
    if not event.get("firstTimestamp"):
        first = since(event.get("eventTime"), now)
    last = since(event.get("lastTimestamp"), now) if event.get("lastTimestamp") else first
    count = as_int(event.get("count"))
    if isinstance(event.get("series"), dict):
        last = since(event["series"].get("lastObservedTime"), now)
        count = as_int(event["series"].get("count"))
    elif count == 0:
        count = 1  # singleton events carry no count in the events.k8s.io API
    involved = as_dict(event, "involvedObject")
    target = str(involved.get("kind", "")).lower()
    if involved.get("name"):
        target = f"{target}/{involved['name']}"
    return [last, event.get("type", ""), event.get("reason", ""), target, involved.get("fieldPath", ""),
            _event_source(event), str(event.get("message", "")).strip(), first, count, name_of(event)]


@functools.cache
def event_printer() -> Printer:
    d, ref = "io.k8s.api.core.v1.Event", "io.k8s.api.core.v1.ObjectReference"
    return Printer((
        Column("Last Seen", description=doc(d, "lastTimestamp")), Column("Type", description=doc(d, "type")),
        Column("Reason", description=doc(d, "reason")), Column("Object", description=doc(d, "involvedObject")),
        Column("Subobject", priority=1, description=doc(ref, "fieldPath")),
        Column("Source", priority=1, description=doc(d, "source")),
        Column("Message", description=doc(d, "message")),
        Column("First Seen", priority=1, description=doc(d, "firstTimestamp")),
        Column("Count", priority=1, description=doc(d, "count")), name_column(priority=1),
    ), _event_row)


def _count_printer(definition: str, column: str, field_name: str, count: Callable[[dict], int]) -> Printer:
    return Printer((name_column(), Column(column, description=doc(definition, field_name)), age_column()),
                   lambda obj, now, wide: [name_of(obj), count(obj), age_of(obj, now)])


@functools.cache
def secret_printer() -> Printer:
    d = "io.k8s.api.core.v1.Secret"
    return Printer((name_column(), Column("Type", description=doc(d, "type")),
                    Column("Data", description=doc(d, "data")), age_column()),
                   lambda obj, now, wide: [name_of(obj), obj.get("type", ""), len(as_dict(obj, "data")),
                                           age_of(obj, now)])


@functools.cache
def config_map_printer() -> Printer:
    return _count_printer("io.k8s.api.core.v1.ConfigMap", "Data", "data",
                          lambda o: len(as_dict(o, "data")) + len(as_dict(o, "binaryData")))


@functools.cache
def service_account_printer() -> Printer:
    return _count_printer("io.k8s.api.core.v1.ServiceAccount", "Secrets", "secrets", lambda o: len(as_list(o, "secrets")))
