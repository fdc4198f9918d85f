"""Deployments (pkg/registry/apps/deployment): the generation moves with the spec and with the annotations (they
are copied to the ReplicaSets); /status may write the revision annotation, not labels; /scale sizes them."""
from sandbox.machinery import defaults, fields, resources, workload_validation
from sandbox.printers import workloads
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import SPEC_OR_ANNOTATIONS, Strategy

KIND = Kind(
    types=(resources.lookup("apps", "v1", "deployments"),),
    strategy=Strategy(generation=SPEC_OR_ANNOTATIONS, reset_status_on_create=True, status_keeps_metadata=("labels",)),
    defaults=defaults.set_deployment_defaults,
    validate=workload_validation.validate_deployment,
    printer=workloads.deployment_printer,
    field_labels=fields.labels(),
    scale=True,
    storage=None,
)
