"""StatefulSets (pkg/registry/apps/statefulset): spec changes move the generation, /status writes status, /scale
sizes them; the controller's ControllerRevisions are their own kind (controllerrevision.py)."""
from sandbox.machinery import controller_validation, fields, resources, workload_defaults
from sandbox.printers import apps
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import SPEC, Strategy

KIND = Kind(
    types=(resources.lookup("apps", "v1", "statefulsets"),),
    strategy=Strategy(generation=SPEC, reset_status_on_create=True, status_keeps_metadata=("labels",)),
    defaults=workload_defaults.set_stateful_set_defaults,
    validate=controller_validation.validate_stateful_set,
    printer=apps.stateful_set_printer,
    field_labels=fields.labels(),
    scale=True,
    storage=None,
)
