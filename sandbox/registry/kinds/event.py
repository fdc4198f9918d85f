"""core/v1 Events (pkg/registry/core/event): what `kubectl get events` and `describe` list, selectable by the object
they are about (`--field-selector involvedObject.name=...`), their reason, source and type."""
from sandbox.machinery import defaults, fields, resources
from sandbox.printers import cluster
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("", "v1", "events"),),
    strategy=Strategy(),
    defaults=defaults.set_event_defaults,
    validate=None,
    printer=cluster.event_printer,
    field_labels=fields.labels("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                               "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                               "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"),
    scale=False,
    storage=None,
)
