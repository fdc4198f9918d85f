"""KEDA's ScaledObject, a custom resource: validated against its CRD's schema, printed with the CRD's printer
columns, its generation moving with anything but metadata and status, stored under <group>/<plural>."""
from sandbox.machinery import fields, resources, validation
from sandbox.printers import autoscaling
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import NOT_METADATA_OR_STATUS, Strategy

SCALED_OBJECTS = resources.lookup("keda.sh", "v1alpha1", "scaledobjects")

KIND = Kind(
    types=(SCALED_OBJECTS,),
    strategy=Strategy(generation=NOT_METADATA_OR_STATUS, reset_status_on_create=True),
    defaults=None,  # the CRD declares none: KEDA reads unset fields as its defaults (defaults.scaled_object_setting)
    validate=validation.custom_resource_rules(SCALED_OBJECTS.api_version, SCALED_OBJECTS.kind),
    printer=autoscaling.scaled_object_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
    etcd_prefix=SCALED_OBJECTS.storage_key,
)
