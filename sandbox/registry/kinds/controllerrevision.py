"""ControllerRevisions (pkg/registry/apps/controllerrevision): the StatefulSet and DaemonSet controllers' history,
immutable data with a revision number (what `kubectl rollout history` and `undo` read); no status, no generation."""
from sandbox.machinery import controller_validation, fields, resources
from sandbox.printers import apps
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("apps", "v1", "controllerrevisions"),),
    strategy=Strategy(),
    defaults=None,
    validate=controller_validation.validate_controller_revision,
    printer=apps.controller_revision_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
