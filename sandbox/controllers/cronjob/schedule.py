"""The CronJob controller's decisions, pure (pkg/controller/cronjob/utils.go): the most recent time a CronJob
should have run, whether it is too late to start it, its Job's name, and which finished Jobs the history limits
drop. Times are epoch seconds on the wall clock: schedules are wall-clock, whatever the time scale."""
from __future__ import annotations

from dataclasses import dataclass

from sandbox.machinery import cron, timestamps

MAX_MISSED = 100  # more missed start times than this: the TooManyMissedTimes warning


@dataclass(frozen=True)
class Due:
    scheduled: float | None  # the most recent scheduled time not yet run (None: nothing due)
    missed: int  # how many scheduled times passed since the last run
    next: float | None  # the next scheduled time after now


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def due(cron_job: dict, schedule: cron.Schedule, zone, now: float) -> Due:
    """mostRecentScheduleTime: from the last schedule time (or the CronJob's creation), bounded by
    startingDeadlineSeconds, to now."""
    spec, status = _d(cron_job.get("spec")), _d(cron_job.get("status"))
    earliest = timestamps.epoch(status.get("lastScheduleTime")) or timestamps.epoch(
        cron_job["metadata"].get("creationTimestamp")) or now
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None:
        earliest = max(earliest, now - deadline)
    missed, latest = cron.missed(schedule, earliest, now, zone)
    return Due(latest, missed, cron.next_after(schedule, now, zone))


def too_late(cron_job: dict, scheduled: float, now: float) -> bool:
    deadline = _d(cron_job.get("spec")).get("startingDeadlineSeconds")
    return deadline is not None and scheduled + deadline < now


def job_name(cron_job: dict, scheduled: float) -> str:
    """getJobName: `<cronjob>-<scheduled time in minutes since the epoch>`."""
    return f"{cron_job['metadata']['name']}-{int(scheduled) // 60}"


def finished_condition(job: dict) -> str | None:
    for c in _d(job.get("status")).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c["type"]
    return None


def jobs_to_delete(jobs: list[dict], successful_limit: int | None, failed_limit: int | None) -> list[dict]:
    """cleanupFinishedJobs: the oldest finished Jobs (by start time, then name) beyond each history limit."""
    out: list[dict] = []
    for kind, limit in (("Complete", successful_limit), ("Failed", failed_limit)):
        if limit is None:
            continue
        done = sorted((j for j in jobs if finished_condition(j) == kind),
                      key=lambda j: (_d(j.get("status")).get("startTime") is None,
                                     timestamps.epoch(_d(j.get("status")).get("startTime")) or 0.0,
                                     j["metadata"]["name"]))
        out += done[:max(0, len(done) - limit)]
    return out
