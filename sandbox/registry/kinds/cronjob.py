"""CronJobs (pkg/registry/batch/cronjob): spec changes move the generation, /status writes status only; the
schedule and time zone are checked as the controller will read them. The CronJob controller is
sandbox/controllers/cronjob/."""
from sandbox.machinery import batch_defaults, batch_validation, fields, resources
from sandbox.printers import workloads
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import SPEC, Strategy

KIND = Kind(
    types=(resources.lookup("batch", "v1", "cronjobs"),),
    strategy=Strategy(generation=SPEC, reset_status_on_create=True),
    defaults=batch_defaults.set_cron_job_defaults,
    validate=batch_validation.validate_cron_job,
    printer=workloads.cron_job_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
