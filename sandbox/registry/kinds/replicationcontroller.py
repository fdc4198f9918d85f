"""ReplicationControllers (pkg/registry/core/replicationcontroller): the ReplicaSet's ancestor with an equality
selector; spec changes move the generation, /status writes status, /scale sizes them."""
from sandbox.machinery import controller_validation, fields, resources, workload_defaults
from sandbox.printers import apps
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import SPEC, Strategy

KIND = Kind(
    types=(resources.lookup("", "v1", "replicationcontrollers"),),
    strategy=Strategy(generation=SPEC, reset_status_on_create=True, status_keeps_metadata=("labels",)),
    defaults=workload_defaults.set_replication_controller_defaults,
    validate=controller_validation.validate_replication_controller,
    printer=apps.replication_controller_printer,
    field_labels=fields.labels("status.replicas"),
    scale=True,
    storage=None,
)
