"""The CronJob controller (pkg/controller/cronjob/cronjob_controllerv2.go, syncCronJob): it follows its Jobs
(finished ones leave status.active, lastSuccessfulTime moves), drops finished Jobs beyond the history limits, and
when a scheduled time has come (in spec.timeZone, UTC without one) starts `<name>-<minutes>` from the job
template, as concurrencyPolicy allows: Allow runs beside the active ones, Forbid skips the run while one is
active, Replace deletes the active ones first. A run later than startingDeadlineSeconds is missed. Then it waits
for the next scheduled time: schedules are wall-clock, not scaled by --time-scale."""
from __future__ import annotations

import json
import time

from sandbox.controllers.base import Controller, controller_ref, key_of, owner_reference, rt_of, split_key
from sandbox.controllers.job.status import is_finished
from sandbox.machinery import cron, timestamps
from sandbox.machinery.errors import StatusError

from . import schedule as sched

JOBS = rt_of("batch", "jobs")
CRONJOBS = rt_of("batch", "cronjobs")
COMPONENT = "cronjob-controller"
MANAGER = "kube-controller-manager"
SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def _copy(obj: dict) -> dict:
    return json.loads(json.dumps(obj))


def job_from_template(cron_job: dict, scheduled: float, zone) -> dict:
    """getJobFromTemplate2: the template's labels, annotations and spec, the scheduled time annotation, the
    CronJob as controller."""
    template = _copy((cron_job.get("spec") or {}).get("jobTemplate") or {})
    meta = template.get("metadata") or {}
    annotations = dict(meta.get("annotations") or {})
    annotations[SCHEDULED_ANNOTATION] = cron.rfc3339_in(scheduled, zone)
    job_meta = {"name": sched.job_name(cron_job, scheduled), "namespace": cron_job["metadata"]["namespace"],
                "annotations": annotations, "ownerReferences": [owner_reference(cron_job)]}
    if meta.get("labels"):
        job_meta["labels"] = dict(meta["labels"])
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": job_meta, "spec": template.get("spec") or {}}


def _reference(job: dict) -> dict:
    meta = job["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "namespace": meta["namespace"],
            "resourceVersion": meta.get("resourceVersion", ""), "uid": meta["uid"]}


class CronJobController(Controller):
    name = "cronjob-controller"
    # Schedules are wall-clock, not scaled by the time scale: a `*/1` CronJob runs once a real minute. Tests
    # put another clock here to reach the next minute at once.
    wall_clock = staticmethod(time.time)

    def setup(self) -> None:
        self.cron_jobs = self.informer("batch", "cronjobs")
        self.jobs = self.informer("batch", "jobs")
        self.cron_jobs.add_index("uid", lambda cj: [cj["metadata"]["uid"]])
        self.jobs.add_index("controller", lambda j: [ref["uid"]] if (ref := controller_ref(j)) else [])
        self.cron_jobs.add_handler(lambda kind, old, new: new is not None and self.queue.add(key_of(new)))
        self.jobs.add_handler(self._on_job)

    def _on_job(self, kind: str, old: dict | None, new: dict | None) -> None:
        ref = controller_ref(new or old)
        if ref is not None and ref.get("kind") == "CronJob":
            for cron_job in self.cron_jobs.by_index("uid", ref["uid"]):
                self.queue.add(key_of(cron_job))

    def _event(self, cron_job: dict, kind: str, reason: str, message: str) -> None:
        self.recorder.event(cron_job, kind, reason, message, component=COMPONENT, manager=MANAGER)

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        cron_job = self.cron_jobs.get(namespace, name)
        if cron_job is None:
            return
        spec, status = cron_job.get("spec") or {}, _copy(cron_job.get("status") or {})
        jobs = self.jobs.by_index("controller", cron_job["metadata"]["uid"])
        self._follow_jobs(cron_job, status, jobs)
        self._cleanup(cron_job, jobs)
        cron_job = self._write_status(cron_job, status)
        if cron_job["metadata"].get("deletionTimestamp") or spec.get("suspend") is True:
            return
        try:
            zone = cron.zone(spec.get("timeZone"))
        except Exception:
            self._event(cron_job, "Warning", "UnknownTimeZone", f"invalid timeZone: \"{spec.get('timeZone')}\"")
            return
        try:
            schedule = cron.parse(spec.get("schedule") or "")
        except cron.CronError as e:
            self._event(cron_job, "Warning", "UnparseableSchedule",
                        f"unparseable schedule: \"{spec.get('schedule')}\" : {e}")
            return
        now = self.wall_clock()
        due = sched.due(cron_job, schedule, zone, now)
        if due.missed > sched.MAX_MISSED:
            self._event(cron_job, "Warning", "TooManyMissedTimes", f"too many missed start times: {due.missed}. "
                        "Set or decrease .spec.startingDeadlineSeconds or check clock skew")
        if due.scheduled is not None:
            self._run(cron_job, status, due.scheduled, now, zone)
        if due.next is not None:
            self.queue.add_after(key, max(due.next - self.wall_clock(), 0.0) + 0.05)  # wall-clock: not scaled

    def _follow_jobs(self, cron_job: dict, status: dict, jobs: list[dict]) -> None:
        active = {ref.get("uid"): ref for ref in status.get("active") or []}
        owned = {j["metadata"]["uid"]: j for j in jobs}
        for uid, ref in list(active.items()):
            job = owned.get(uid)
            if job is None:
                if self.jobs.get(ref.get("namespace"), ref.get("name")) is None:
                    self._event(cron_job, "Normal", "MissingJob", f"Active job went missing: {ref.get('name')}")
                    del active[uid]
            elif is_finished(job):
                self._event(cron_job, "Normal", "SawCompletedJob", f"Saw completed job: {job['metadata']['name']}, "
                            f"condition: {sched.finished_condition(job)}")
                del active[uid]
        for uid, job in owned.items():
            if uid not in active and not is_finished(job):
                self._event(cron_job, "Warning", "UnexpectedJob",
                            f"Saw a job that the controller did not create or forgot: {job['metadata']['name']}")
            if sched.finished_condition(job) == "Complete":
                done = (job.get("status") or {}).get("completionTime")
                last = status.get("lastSuccessfulTime")
                if done and (not last or timestamps.epoch(done) > (timestamps.epoch(last) or 0)):
                    status["lastSuccessfulTime"] = done
        if active:
            status["active"] = list(active.values())
        else:
            status.pop("active", None)

    def _cleanup(self, cron_job: dict, jobs: list[dict]) -> None:
        spec = cron_job.get("spec") or {}
        for job in sched.jobs_to_delete(jobs, spec.get("successfulJobsHistoryLimit"),
                                        spec.get("failedJobsHistoryLimit")):
            if self._delete_job(cron_job, job):
                self._event(cron_job, "Normal", "SuccessfulDelete", f"Deleted job {job['metadata']['name']}")

    def _delete_job(self, cron_job: dict, job: dict) -> bool:
        meta = job["metadata"]
        if meta.get("deletionTimestamp"):
            return False
        try:
            self.registry.delete(JOBS, meta["namespace"], meta["name"], propagation_policy="Background",
                                 preconditions={"uid": meta["uid"]})
        except StatusError as e:
            if e.code == 404:
                return False
            self._event(cron_job, "Warning", "FailedDelete", f"Deleted job: {e.message}")
            raise
        return True

    def _run(self, cron_job: dict, status: dict, scheduled: float, now: float, zone) -> None:
        spec, namespace = cron_job.get("spec") or {}, cron_job["metadata"]["namespace"]
        if sched.too_late(cron_job, scheduled, now):
            self._event(cron_job, "Warning", "MissSchedule", "Missed scheduled time to start a job: "
                        f"{cron.rfc1123z(scheduled)}")
            return
        name = sched.job_name(cron_job, scheduled)
        active = status.get("active") or []
        if any(ref.get("name") == name for ref in active) or self.jobs.get(namespace, name) is not None:
            return  # this run was started already
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and active:
            self._event(cron_job, "Normal", "JobAlreadyActive",
                        "Not starting job because prior execution is running and concurrency policy is Forbid")
            return
        if policy == "Replace":
            for ref in list(active):
                job = self.jobs.get(ref.get("namespace"), ref.get("name"))
                if job is not None and self._delete_job(cron_job, job):
                    self._event(cron_job, "Normal", "SuccessfulDelete", f"Deleted job {ref.get('name')}")
                active.remove(ref)
        try:
            job = self.registry.create(JOBS, namespace, job_from_template(cron_job, scheduled, zone),
                                       field_manager=MANAGER)
        except StatusError as e:
            if e.code != 409:
                self._event(cron_job, "Warning", "FailedCreate", f"Error creating job: {e.message}")
                raise
            return
        self._event(cron_job, "Normal", "SuccessfulCreate", f"Created job {job['metadata']['name']}")
        status["active"] = [*active, _reference(job)]
        status["lastScheduleTime"] = timestamps.rfc3339(int(scheduled))
        self._write_status(self.cron_jobs.get(namespace, cron_job["metadata"]["name"]) or cron_job, status)

    def _write_status(self, cron_job: dict, status: dict) -> dict:
        if status == (cron_job.get("status") or {}):
            return cron_job
        meta = cron_job["metadata"]
        return self.registry.update(CRONJOBS, meta["namespace"], meta["name"], {**cron_job, "status": status},
                                    subresource="status", field_manager=MANAGER)
