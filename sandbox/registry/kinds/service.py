"""Services (pkg/registry/core/service): created with an empty load-balancer status, answered with the object on
DELETE; their REST storage gives each one its cluster IP and node ports before it is written, keeps them across
updates that omit them, and releases them once it is deleted (registry/service_allocations.py)."""
from __future__ import annotations

import json

from sandbox.machinery import defaults, fields, resources, service_validation
from sandbox.machinery.resources import ResourceType
from sandbox.printers import network
from sandbox.registry.kind import Kind, Storage, invalid
from sandbox.registry.service_allocations import ServiceAllocations
from sandbox.registry.strategy import Strategy

SERVICES = resources.lookup("", "v1", "services")


class ServiceStrategy(Strategy):
    def prepare_for_create(self, obj: dict) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"loadBalancer": {}}


class ServiceStorage(Storage):
    """The Service REST storage's allocators (BeginCreate, BeginUpdate, AfterDelete in kube-apiserver)."""

    def __init__(self, registry):
        super().__init__(registry)
        self.allocations = ServiceAllocations()
        for _, _, entry in registry.store.entries(SERVICES.storage_key):  # what a restarted sandbox holds
            self.allocations.restore(json.loads(entry.raw))

    def begin_create(self, rt: ResourceType, obj: dict, dry_run: bool) -> None:
        self._allocate(rt, obj, None, dry_run)

    def begin_update(self, rt: ResourceType, new: dict, old: dict, dry_run: bool) -> None:
        self._allocate(rt, new, old, dry_run)

    def after_delete(self, obj: dict) -> None:
        self.allocations.release(obj)

    def _allocate(self, rt: ResourceType, service: dict, old: dict | None, dry_run: bool) -> None:
        causes = self.allocations.allocate(service, old, dry_run)
        if causes:
            raise invalid(rt, service, causes)


KIND = Kind(
    types=(SERVICES,),
    strategy=ServiceStrategy(reset_status_on_create=True, return_deleted=True),
    defaults=defaults.set_service_defaults,
    validate=service_validation.validate_service,
    printer=network.service_printer,
    field_labels=fields.labels("spec.clusterIP", "spec.type"),
    scale=False,
    storage=ServiceStorage,
    etcd_prefix="services/specs",
)
