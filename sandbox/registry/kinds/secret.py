"""Secrets (pkg/registry/core/secret): stringData is write-only, folded into data (base64) on every write; the type
is immutable, and so is the data of an immutable Secret."""
from __future__ import annotations

import base64

from sandbox.machinery import defaults, fields, resources, validation
from sandbox.machinery.resources import ResourceType
from sandbox.printers import cluster
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy


def merge_string_data(secret: dict) -> None:
    """stringData folded into data (base64), stringData winning."""
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = secret.get("data") if isinstance(secret.get("data"), dict) else {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        secret["data"] = data


class SecretStrategy(Strategy):
    def prepare_for_create(self, obj: dict) -> None:
        super().prepare_for_create(obj)
        merge_string_data(obj)

    def prepare_for_update(self, rt: ResourceType, new: dict, old: dict) -> None:
        merge_string_data(new)
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
