"""Deployments, ReplicaSets, Jobs and CronJobs (printDeployment, printReplicaSet, printJob, printCronJob)."""
from __future__ import annotations

import functools

from sandbox.machinery import labels

from .common import (Column, Printer, age_column, age_of, as_dict, as_int, as_list, container_cells, dig, doc, epoch,
                     human_duration, name_column, name_of, selector_string, since)

_CONTAINERS_DOC = "Names of each container in the template."
_IMAGES_DOC = "Images referenced by each container in the template."


def _deployment_row(obj: dict, now: float, wide: bool) -> list:
    spec, status = as_dict(obj, "spec"), as_dict(obj, "status")
    ready = f"{as_int(status.get('readyReplicas'))}/{as_int(spec.get('replicas'))}"
    return [name_of(obj), ready, as_int(status.get("updatedReplicas")), as_int(status.get("availableReplicas")),
            age_of(obj, now), *container_cells(as_dict(spec, "template", "spec")),
            selector_string(spec.get("selector"))]


@functools.cache
def deployment_printer() -> Printer:
    d = "io.k8s.api.apps.v1.Deployment"
    return Printer((
        name_column(), Column("Ready", description="Number of the pod with ready state"),
        Column("Up-to-date", description=doc(d + "Status", "updatedReplicas")),
        Column("Available", description=doc(d + "Status", "availableReplicas")), age_column(),
        Column("Containers", priority=1, description=_CONTAINERS_DOC),
        Column("Images", priority=1, description=_IMAGES_DOC),
        Column("Selector", priority=1, description=doc(d + "Spec", "selector")),
    ), _deployment_row)


def _replicaset_row(obj: dict, now: float, wide: bool) -> list:
    spec, status = as_dict(obj, "spec"), as_dict(obj, "status")
    return [name_of(obj), as_int(spec.get("replicas")), as_int(status.get("replicas")),
            as_int(status.get("readyReplicas")), age_of(obj, now), *container_cells(as_dict(spec, "template", "spec")),
            labels.format_label_selector(spec.get("selector"))]


@functools.cache
def replica_set_printer() -> Printer:
    d = "io.k8s.api.apps.v1.ReplicaSet"
    return Printer((
        name_column(), Column("Desired", "integer", doc(d + "Spec", "replicas")),
        Column("Current", "integer", doc(d + "Status", "replicas")),
        Column("Ready", "integer", doc(d + "Status", "readyReplicas")), age_column(),
        Column("Containers", priority=1, description=_CONTAINERS_DOC),
        Column("Images", priority=1, description=_IMAGES_DOC),
        Column("Selector", priority=1, description=doc(d + "Spec", "selector")),
    ), _replicaset_row)


def _job_status(job: dict) -> str:
    """printJob's STATUS: Complete, Failed, Terminating (being deleted), Suspended, FailureTarget,
    SuccessCriteriaMet, in that order of precedence, else Running."""
    holding = {c.get("type") for c in as_list(job, "status", "conditions")
               if isinstance(c, dict) and c.get("status") == "True"}
    for kind in ("Complete", "Failed"):
        if kind in holding:
            return kind
    if dig(job, "metadata", "deletionTimestamp"):
        return "Terminating"
    for kind in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if kind in holding:
            return kind
    return "Running"


def _job_row(job: dict, now: float, wide: bool) -> list:
    spec, status = as_dict(job, "spec"), as_dict(job, "status")
    succeeded = as_int(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{as_int(spec['completions'])}"
    elif as_int(spec.get("parallelism")) > 1:
        completions = f"{succeeded}/1 of {as_int(spec['parallelism'])}"
    else:
        completions = f"{succeeded}/1"
    started, finished = epoch(status.get("startTime")), epoch(status.get("completionTime"))
    duration = "" if started is None else human_duration((now if finished is None else finished) - started)
    return [name_of(job), _job_status(job), completions, duration, age_of(job, now),
            *container_cells(as_dict(spec, "template", "spec")), selector_string(spec.get("selector"))]


@functools.cache
def job_printer() -> Printer:
    d = "io.k8s.api.batch.v1.Job"
    return Printer((
        name_column(), Column("Status", description="Status of the job."),
        Column("Completions", description=doc(d + "Status", "succeeded")),
        Column("Duration", description="Time required to complete the job."), age_column(),
        Column("Containers", priority=1, description=_CONTAINERS_DOC),
        Column("Images", priority=1, description=_IMAGES_DOC),
        Column("Selector", priority=1, description=doc(d + "Spec", "selector")),
    ), _job_row)



def _cron_job_row(cron_job: dict, now: float, wide: bool) -> list:
    spec, status = as_dict(cron_job, "spec"), as_dict(cron_job, "status")
    suspend = spec.get("suspend")
    last = status.get("lastScheduleTime")
    job_spec = as_dict(spec, "jobTemplate", "spec")
    return [name_of(cron_job), str(spec.get("schedule") or ""), spec.get("timeZone") or "<none>",
            "<unset>" if not isinstance(suspend, bool) else ("True" if suspend else "False"),
            len(as_list(status, "active")), "<none>" if not last else since(last, now), age_of(cron_job, now),
            *container_cells(as_dict(job_spec, "template", "spec")), selector_string(job_spec.get("selector"))]


@functools.cache
def cron_job_printer() -> Printer:
    d = "io.k8s.api.batch.v1.CronJob"
    return Printer((
        name_column(), Column("Schedule", description=doc(d + "Spec", "schedule")),
        Column("Timezone", description=doc(d + "Spec", "timeZone")),
        Column("Suspend", "boolean", doc(d + "Spec", "suspend")),
        Column("Active", "integer", doc(d + "Status", "active")),
        Column("Last Schedule", description=doc(d + "Status", "lastScheduleTime")), age_column(),
        Column("Containers", priority=1, description=_CONTAINERS_DOC),
        Column("Images", priority=1, description=_IMAGES_DOC),
        Column("Selector", priority=1, description=doc("io.k8s.api.batch.v1.JobSpec", "selector")),
    ), _cron_job_row)
