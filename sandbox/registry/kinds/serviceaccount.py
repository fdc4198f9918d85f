"""ServiceAccounts (pkg/registry/core/serviceaccount): stored as sent (the `default` one is the controller's)."""
from sandbox.machinery import fields, resources
from sandbox.printers import cluster
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("", "v1", "serviceaccounts"),),
    strategy=Strategy(),
    defaults=None,
    validate=None,
    printer=cluster.service_account_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
