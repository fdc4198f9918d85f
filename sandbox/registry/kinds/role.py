"""Roles (pkg/registry/rbac/role): a namespace's policy rules, stored and validated; nothing enforces them (the
sandbox authorizes every request: sandbox/README.md)."""
from sandbox.machinery import fields, rbac_validation, resources
from sandbox.printers import rbac
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("rbac.authorization.k8s.io", "v1", "roles"),),
    strategy=Strategy(),
    defaults=None,
    validate=rbac_validation.validate_role,
    printer=rbac.role_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
