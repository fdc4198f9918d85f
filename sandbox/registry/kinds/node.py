"""Nodes (pkg/registry/core/node): cluster-scoped, stored under /registry/minions as kube-apiserver has since v1. On
create the TaintNodesByCondition admission plugin taints a node `node.kubernetes.io/not-ready:NoSchedule` until
the node lifecycle controller sees it Ready (controllers/node_lifecycle.py)."""
from __future__ import annotations

from sandbox.machinery import defaults, fields, resources
from sandbox.machinery.resources import ResourceType
from sandbox.printers import cluster
from sandbox.registry.kind import Kind, Storage
from sandbox.registry.strategy import Strategy

NOT_READY_TAINT = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}


class NodeStorage(Storage):
    def admit(self, rt: ResourceType, obj: dict, old: dict | None, dry_run: bool) -> None:
        if old is not None:
            return
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        taints = spec.get("taints") if isinstance(spec.get("taints"), list) else []
        if not any(isinstance(t, dict) and t.get("key") == NOT_READY_TAINT["key"] and t.get("effect") == "NoSchedule"
                   for t in taints):
            spec["taints"] = taints + [dict(NOT_READY_TAINT)]


KIND = Kind(
    types=(resources.lookup("", "v1", "nodes"),),
    strategy=Strategy(),
    defaults=defaults.set_node_defaults,
    validate=None,
    printer=cluster.node_printer,
    field_labels=fields.labels("spec.unschedulable"),
    scale=False,
    storage=NodeStorage,
    etcd_prefix="minions",
)
