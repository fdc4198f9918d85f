"""Printers: for each kind the sandbox serves, the Table columns kube-apiserver 1.37 prints and a function from an
object to its cells (pkg/printers/internalversion/printers.go, KEDA's printer columns, metrics-server's table),
with NAME/AGE for anything else."""
from __future__ import annotations

import functools

from sandbox.machinery.resources import ResourceType

from . import autoscaling, cluster, network, pods, policy, workloads
from .common import Column, Printer, age_column, age_of, human_duration, name_column, name_of, since

__all__ = ["Column", "Printer", "human_duration", "printer_for", "since"]


@functools.cache
def _printers() -> dict[tuple[str, str], Printer]:
    found: dict[tuple[str, str], Printer] = {}
    for module in (pods, workloads, network, cluster, autoscaling, policy):
        found.update(module.printers())
    return found


@functools.cache
def _default_printer() -> Printer:
    return Printer((name_column(), age_column()), lambda obj, now, wide: [name_of(obj), age_of(obj, now)])


def printer_for(rt: ResourceType) -> Printer:
    """The printer of a resource type, looked up by (apiVersion, kind), then (group, kind), else NAME/AGE."""
    printers = _printers()
    return printers.get((rt.api_version, rt.kind)) or printers.get((rt.group, rt.kind)) or _default_printer()
