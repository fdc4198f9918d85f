"""ReplicaSets (pkg/registry/apps/replicaset): spec changes move the generation, /status may write labels the
deployment controller leaves alone, /scale sizes them."""
from sandbox.machinery import defaults, fields, resources, workload_validation
from sandbox.printers import workloads
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import SPEC, Strategy

KIND = Kind(
    types=(resources.lookup("apps", "v1", "replicasets"),),
    strategy=Strategy(generation=SPEC, reset_status_on_create=True, status_keeps_metadata=("labels",)),
    defaults=defaults.set_replica_set_defaults,
    validate=workload_validation.validate_replica_set,
    printer=workloads.replica_set_printer,
    field_labels=fields.labels("status.replicas"),
    scale=True,
    storage=None,
)
