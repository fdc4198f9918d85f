"""Endpoints (pkg/registry/core/endpoint), the legacy list of a Service's ready and not-ready addresses."""
from sandbox.machinery import defaults, fields, resources
from sandbox.printers import network
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("", "v1", "endpoints"),),
    strategy=Strategy(),
    defaults=defaults.set_endpoints_defaults,
    validate=None,
    printer=network.endpoints_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
    etcd_prefix="services/endpoints",
)
