"""Nodes (pkg/registry/core/node): cluster-scoped, stored under /registry/minions as kube-apiserver has since v1."""
from sandbox.machinery import defaults, fields, resources
from sandbox.printers import cluster
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("", "v1", "nodes"),),
    strategy=Strategy(),
    defaults=defaults.set_node_defaults,
    validate=None,
    printer=cluster.node_printer,
    field_labels=fields.labels("spec.unschedulable"),
    scale=False,
    storage=None,
    etcd_prefix="minions",
)
