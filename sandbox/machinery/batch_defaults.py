"""What kube-apiserver 1.37 defaults in batch/v1 (pkg/apis/batch/v1/defaults.go): SetDefaults_Job and
SetDefaults_CronJob, and the pod template's own defaults (defaults.py). The selector and the labels a Job's pods
carry are not defaults: the Job strategy generates them (registry/kinds/job.py, generate_selector below)."""
from __future__ import annotations

from .defaults import _template

CONTROLLER_UID = "batch.kubernetes.io/controller-uid"
JOB_NAME = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID = "controller-uid"
LEGACY_JOB_NAME = "job-name"
MAX_INT32 = 2**31 - 1


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def set_job_defaults(job: dict) -> None:
    """SetDefaults_Job: a non-parallel Job (neither completions nor parallelism) runs 1 of 1; backoffLimit 6
    (MaxInt32 with backoffLimitPerIndex), NonIndexed, not suspended, no manual selector, the template's labels as the Job's when it
    has none, a pod failure policy's condition patterns default to status True, podReplacementPolicy Failed with a
    pod failure policy and TerminatingOrFailed without."""
    spec = job.get("spec")
    if not isinstance(spec, dict):
        return
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6
    template_labels = _d(_d(spec.get("template")).get("metadata")).get("labels")
    meta = job.setdefault("metadata", {})
    if isinstance(template_labels, dict) and not meta.get("labels"):
        meta["labels"] = dict(template_labels)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("manualSelector", False)
    policy = spec.get("podFailurePolicy")
    for rule in _d(policy).get("rules") or []:
        for pattern in _d(rule).get("onPodConditions") or []:
            if isinstance(pattern, dict):
                pattern.setdefault("status", "True")
    spec.setdefault("podReplacementPolicy", "Failed" if isinstance(policy, dict) else "TerminatingOrFailed")
    _template(spec)


def set_cron_job_defaults(cron_job: dict) -> None:
    """SetDefaults_CronJob: Allow, not suspended, 3 successful and 1 failed Job kept; the job template's pod
    template gets the pod defaults (SetDefaults_Job is for Jobs, not for templates of them)."""
    spec = cron_job.get("spec")
    if not isinstance(spec, dict):
        return
    if not spec.get("concurrencyPolicy"):
        spec["concurrencyPolicy"] = "Allow"
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_spec = _d(spec.get("jobTemplate")).get("spec")
    if isinstance(job_spec, dict):
        _template(job_spec)


def generate_selector(job: dict) -> None:
    """The Job strategy's generateSelector (unless spec.manualSelector is true): the template carries
    job-name/batch.kubernetes.io/job-name = the Job's name and controller-uid/batch.kubernetes.io/controller-uid =
    its uid (labels the user set are kept: a conflict fails validation), and the selector matches
    batch.kubernetes.io/controller-uid."""
    spec = job.get("spec")
    if not isinstance(spec, dict) or spec.get("manualSelector") is True:
        return
    meta = job["metadata"]
    template = spec.get("template")
    if not isinstance(template, dict):
        return
    template_meta = template.setdefault("metadata", {})
    if not isinstance(template_meta, dict):
        return
    labels = template_meta.get("labels")
    if not isinstance(labels, dict):
        labels = template_meta["labels"] = {}
    for key in (LEGACY_JOB_NAME, JOB_NAME):
        labels.setdefault(key, meta.get("name", ""))
    for key in (LEGACY_CONTROLLER_UID, CONTROLLER_UID):
        labels.setdefault(key, meta.get("uid", ""))
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        selector = spec["selector"] = {}
    match = selector.get("matchLabels")
    if not isinstance(match, dict):
        match = selector["matchLabels"] = {}
    match.setdefault(CONTROLLER_UID, meta.get("uid", ""))
