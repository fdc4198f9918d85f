"""APIServices (kube-aggregator's pkg/registry/apiservice): one per served group-version, `Local` for the API
server's own groups, a Service for an extension API server (metrics-server, KEDA's metrics adapter). Created with
an empty status; the availability controller sets `Available` (controllers/apiservices.py)."""
from sandbox.machinery import apiservice_validation, fields, resources
from sandbox.printers import extensions
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("apiregistration.k8s.io", "v1", "apiservices"),),
    strategy=Strategy(reset_status_on_create=True),
    defaults=None,
    validate=apiservice_validation.validate_api_service,
    printer=extensions.api_service_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
