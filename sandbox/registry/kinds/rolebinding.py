"""RoleBindings (pkg/registry/rbac/rolebinding): subjects bound to a Role or ClusterRole; roleRef is immutable."""
from sandbox.machinery import fields, rbac_validation, resources
from sandbox.printers import rbac
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("rbac.authorization.k8s.io", "v1", "rolebindings"),),
    strategy=Strategy(),
    defaults=rbac_validation.set_binding_defaults,
    validate=rbac_validation.validate_role_binding,
    printer=rbac.binding_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
