"""EndpointSlices (pkg/registry/discovery/endpointslice), what kube-proxy and the sandbox's Services read."""
from sandbox.machinery import defaults, fields, resources
from sandbox.printers import network
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("discovery.k8s.io", "v1", "endpointslices"),),
    strategy=Strategy(),
    defaults=defaults.set_endpoint_slice_defaults,
    validate=None,
    printer=network.endpoint_slice_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
