"""Secrets (pkg/registry/core/secret): stringData is write-only, folded into data (base64) on every write; the type
is immutable, and so is the data of an immutable Secret."""
from __future__ import annotations

from sandbox.machinery import defaults, fields, resources, validation
from sandbox.machinery.resources import ResourceType
from sandbox.printers import cluster
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy


class SecretStrategy(Strategy):
    def prepare_for_create(self, obj: dict) -> None:
        super().prepare_for_create(obj)
        defaults.merge_string_data(obj)

    def prepare_for_update(self, rt: ResourceType, new: dict, old: dict) -> None:
        defaults.merge_string_data(new)
        super().prepare_for_update(rt, new, old)


KIND = Kind(
    types=(resources.lookup("", "v1", "secrets"),),
    strategy=SecretStrategy(),
    defaults=defaults.set_secret_defaults,
    validate=validation.validate_secret,
    printer=cluster.secret_printer,
    field_labels=fields.labels("type"),
    scale=False,
    storage=None,
)
