"""DaemonSets (pkg/registry/apps/daemonset): the generation moves with the spec, and the template generation
(apps/v1 shows it as the `deprecated.daemonset.template.generation` annotation, the conversion of the internal
spec.templateGeneration) moves with the pod template only; no /scale."""
from __future__ import annotations

from sandbox.machinery import controller_validation, fields, resources, workload_defaults
from sandbox.machinery.resources import ResourceType
from sandbox.printers import apps
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import SPEC, Strategy

TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


def template_generation(ds: dict) -> int:
    try:
        return max(int((ds["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION, 1)), 1)
    except (TypeError, ValueError):
        return 1


def _set_template_generation(ds: dict, value: int) -> None:
    ds["metadata"]["annotations"] = {**(ds["metadata"].get("annotations") or {}), TEMPLATE_GENERATION: str(value)}


class DaemonSetStrategy(Strategy):
    def prepare_for_create(self, obj: dict) -> None:
        super().prepare_for_create(obj)
        _set_template_generation(obj, template_generation(obj))

    def prepare_for_update(self, rt: ResourceType, new: dict, old: dict) -> None:
        """The template generation is not the client's: kept, then bumped with the template."""
        super().prepare_for_update(rt, new, old)
        kept = template_generation(old)
        old_template = (old.get("spec") or {}).get("template")
        _set_template_generation(new, kept + (1 if (new.get("spec") or {}).get("template") != old_template else 0))


KIND = Kind(
    types=(resources.lookup("apps", "v1", "daemonsets"),),
    strategy=DaemonSetStrategy(generation=SPEC, reset_status_on_create=True, status_keeps_metadata=("labels",)),
    defaults=workload_defaults.set_daemon_set_defaults,
    validate=controller_validation.validate_daemon_set,
    printer=apps.daemon_set_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
