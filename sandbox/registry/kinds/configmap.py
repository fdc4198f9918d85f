"""ConfigMaps (pkg/registry/core/configmap): data keys checked, immutable ones frozen."""
from sandbox.machinery import fields, resources, validation
from sandbox.printers import cluster
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("", "v1", "configmaps"),),
    strategy=Strategy(),
    defaults=None,
    validate=validation.validate_config_map,
    printer=cluster.config_map_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
