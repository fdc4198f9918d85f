"""ClusterRoleBindings (pkg/registry/rbac/clusterrolebinding): subjects bound to a ClusterRole cluster-wide;
roleRef is immutable; the bootstrap bindings (cluster-admin to system:masters, ...) are written at start."""
from sandbox.machinery import fields, rbac_validation, resources
from sandbox.printers import rbac
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("rbac.authorization.k8s.io", "v1", "clusterrolebindings"),),
    strategy=Strategy(),
    defaults=rbac_validation.set_binding_defaults,
    validate=rbac_validation.validate_cluster_role_binding,
    printer=rbac.binding_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
