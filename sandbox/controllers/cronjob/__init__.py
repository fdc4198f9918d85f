"""The CronJob controller, split as pkg/controller/cronjob is: controller.py (syncCronJob), schedule.py (when
runs are due, Job names, history limits; pure). Schedules are parsed by sandbox/machinery/cron.py."""
from .controller import CronJobController

__all__ = ["CronJobController"]
