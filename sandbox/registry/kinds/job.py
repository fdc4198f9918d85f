"""Jobs (pkg/registry/batch/job): on create the strategy generates the selector and the pod template's labels
(controller-uid, job-name and their batch.kubernetes.io/ forms) unless spec.manualSelector is true, and drops the
status; spec changes move the generation; /status writes status only. The Job controller is
sandbox/controllers/job/."""
from sandbox.machinery import batch_defaults, batch_validation, fields, resources
from sandbox.printers import workloads
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import SPEC, Strategy


class JobStrategy(Strategy):
    def prepare_for_create(self, obj: dict) -> None:
        super().prepare_for_create(obj)
        batch_defaults.generate_selector(obj)


KIND = Kind(
    types=(resources.lookup("batch", "v1", "jobs"),),
    strategy=JobStrategy(generation=SPEC, reset_status_on_create=True),
    defaults=batch_defaults.set_job_defaults,
    validate=batch_validation.validate_job,
    printer=workloads.job_printer,
    field_labels=fields.labels("status.successful"),
    scale=False,
    storage=None,
)
