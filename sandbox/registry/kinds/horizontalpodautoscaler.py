"""HorizontalPodAutoscalers (pkg/registry/autoscaling/horizontalpodautoscaler): served as autoscaling/v2 and v1,
stored as v2 (machinery/conversion.py converts), each version with its own defaults and printer."""
from sandbox.machinery import autoscaling_validation, defaults, fields, resources
from sandbox.printers import autoscaling
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import Strategy

KIND = Kind(
    types=(resources.lookup("autoscaling", "v2", "horizontalpodautoscalers"),
           resources.lookup("autoscaling", "v1", "horizontalpodautoscalers")),
    strategy=Strategy(reset_status_on_create=True),
    defaults=defaults.set_hpa_defaults,
    validate=autoscaling_validation.validate_hpa,
    printer={"v2": autoscaling.hpa_v2_printer, "v1": autoscaling.hpa_v1_printer},
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
