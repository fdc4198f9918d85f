"""ClusterRoles (pkg/registry/rbac/clusterrole): cluster-wide policy rules; an aggregationRule's roles have their
rules filled in by the clusterrole aggregation controller (controllers/clusterrole_aggregation.py). The bootstrap
roles (cluster-admin, admin, edit, view, system:*) are written at start (registry/bootstrap_policy.py)."""
from sandbox.machinery import fields, rbac_validation, resources
from sandbox.printers import rbac
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("rbac.authorization.k8s.io", "v1", "clusterroles"),),
    strategy=Strategy(),
    defaults=None,
    validate=rbac_validation.validate_cluster_role,
    printer=rbac.role_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
