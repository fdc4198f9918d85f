"""batch/v1 validation (pkg/apis/batch/validation): Jobs, their status, CronJobs and job templates, with
kube-apiserver's wording. Object metadata is the generic store's (meta_validation.py)."""
from __future__ import annotations

import re

from . import batch_defaults as bd, cron, errors, field_errors as fe, labels, names, pod_validation
from .errors import Cause
from .workload_validation import go_label_selector, nonnegative

MAX_PARALLELISM_INDEXED = 100_000
_FAILURE_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")  # sets.List: sorted
_REPLACEMENT_POLICIES = ("Failed", "TerminatingOrFailed")
_TIME_ZONE_PART = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _template_labels(template) -> fe.GoRepr:
    found = _d(_d(template).get("metadata")).get("labels")
    return fe.GoRepr("map[string]string(nil)" if found is None else fe.go_syntax(found))


def _go_template(template) -> fe.GoRepr:
    """%#v of a core.PodTemplateSpec is a page of Go struct syntax; the sandbox prints its head only."""
    return fe.GoRepr("core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{...}, Spec:core.PodSpec{...}}")


# Jobs -------------------------------------------------------------------------------------------------------------
def validate_job(job: dict, old: dict | None) -> list[Cause]:
    meta, spec = _d(job.get("metadata")), _d(job.get("spec"))
    causes = _generated_selector(meta, spec)
    causes += _job_spec_with_selector(spec, "spec")
    completions = spec.get("completions")
    if spec.get("completionMode") == "Indexed" and isinstance(completions, int) and completions > 0:
        hostname = f"{meta.get('name', '')}-{completions - 1}"
        if names.dns1123_label(hostname):
            causes.append(fe.invalid("metadata.name", meta.get("name", ""),
                                     f"will not able to create pod with invalid DNS label: {hostname}"))
    if old is not None:
        causes += _job_update(job, old)
    return causes + _job_status(job, old)


def _generated_selector(meta: dict, spec: dict) -> list[Cause]:
    """validateGeneratedSelector: a generated selector's labels must be on the template as generated."""
    if spec.get("manualSelector") is True or spec.get("selector") is None:
        return []
    causes = []
    template_labels = _d(_d(_d(spec.get("template")).get("metadata")).get("labels"))
    expected = {bd.LEGACY_CONTROLLER_UID: meta.get("uid", ""), bd.LEGACY_JOB_NAME: meta.get("name", ""),
                bd.CONTROLLER_UID: meta.get("uid", ""), bd.JOB_NAME: meta.get("name", "")}
    for key, value in expected.items():
        if key not in template_labels:
            causes.append(fe.required(f"spec.template.metadata.labels[{key}]", f"must be '{value}'"))
        elif template_labels[key] != value:
            causes.append(fe.invalid(f"spec.template.metadata.labels[{key}]", fe.GoRepr(fe.go_syntax(template_labels)),
                                     f"must be '{value}'"))
    try:
        if not labels.from_label_selector(spec.get("selector")).matches(expected):
            causes.append(fe.invalid("spec.selector", go_label_selector(spec.get("selector")),
                                     "`selector` not auto-generated"))
    except errors.StatusError:
        pass
    return causes


def _job_spec_with_selector(spec: dict, path: str) -> list[Cause]:
    causes = job_spec(spec, path)
    selector = spec.get("selector")
    if selector is None:
        causes.append(fe.required(f"{path}.selector", ""))
        return causes
    causes += labels.validate_selector(selector, f"{path}.selector")
    try:
        parsed = labels.from_label_selector(selector)
    except errors.StatusError:
        return causes
    template = spec.get("template")
    if not parsed.matches(_d(_d(template).get("metadata")).get("labels") or {}):
        causes.append(fe.invalid(f"{path}.template.metadata.labels", _template_labels(template),
                                 "`selector` does not match template `labels`"))
    return causes


def job_spec(spec: dict, path: str) -> list[Cause]:
    """validateJobSpec: counts, completion mode, policies, the pod template and its restartPolicy."""
    causes: list[Cause] = []
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished",
                "backoffLimitPerIndex", "maxFailedIndexes"):
        causes += nonnegative(spec.get(key), f"{path}.{key}")
    if spec.get("maxFailedIndexes") is not None and spec.get("backoffLimitPerIndex") is None:
        causes.append(fe.required(f"{path}.backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    mode = spec.get("completionMode")
    indexed = mode == "Indexed"
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        causes.append(fe.not_supported(f"{path}.completionMode", mode, ("NonIndexed", "Indexed")))
    if indexed:
        if spec.get("completions") is None:
            causes.append(fe.required(f"{path}.completions", "when completion mode is Indexed"))
        parallelism = spec.get("parallelism")
        if isinstance(parallelism, int) and parallelism > MAX_PARALLELISM_INDEXED:
            causes.append(fe.invalid(f"{path}.parallelism", parallelism, f"must be less than or equal to "
                                     f"{MAX_PARALLELISM_INDEXED} when completion mode is Indexed"))
    else:
        for key in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(key) is not None:
                causes.append(fe.invalid(f"{path}.{key}", spec[key], "requires indexed completion mode"))
    policy = spec.get("podFailurePolicy")
    if isinstance(policy, dict):
        causes += _pod_failure_policy(policy, spec, f"{path}.podFailurePolicy")
    success = spec.get("successPolicy")
    if isinstance(success, dict):
        if not indexed:
            causes.append(fe.invalid(f"{path}.successPolicy", fe.GoRepr("batch.SuccessPolicy{...}"),
                                     "requires indexed completion mode"))
        elif not success.get("rules"):
            causes.append(fe.required(f"{path}.successPolicy.rules",
                                      "at least one rules must be specified when the successPolicy is specified"))
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        allowed = ("Failed",) if isinstance(policy, dict) else _REPLACEMENT_POLICIES
        if replacement not in allowed:
            causes.append(fe.not_supported(f"{path}.podReplacementPolicy", replacement, allowed))
    template = spec.get("template")
    causes += pod_validation.pod_template(template, f"{path}.template")
    restart = _d(_d(template).get("spec")).get("restartPolicy")
    restart_path = f"{path}.template.spec.restartPolicy"
    if restart in ("Always", "", None):
        causes.append(fe.required(restart_path, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        causes.append(fe.not_supported(restart_path, restart, ("OnFailure", "Never")))
    elif isinstance(policy, dict) and restart != "Never":
        causes.append(fe.invalid(restart_path, restart, 'only "Never" is supported when podFailurePolicy is specified'))
    return causes


def _pod_failure_policy(policy: dict, spec: dict, path: str) -> list[Cause]:
    """validatePodFailurePolicy: each rule's action, and exactly one of onExitCodes and onPodConditions."""
    causes: list[Cause] = []
    rules = policy.get("rules") if isinstance(policy.get("rules"), list) else []
    if len(rules) > 20:
        causes.append(fe.too_many(f"{path}.rules", len(rules), 20))
    for i, rule in enumerate(rules):
        rule, rpath = _d(rule), f"{path}.rules[{i}]"
        action = rule.get("action")
        if not action:
            causes.append(fe.required(f"{rpath}.action", 'valid values: ["Count" "FailIndex" "FailJob" "Ignore"]'))
        elif action == "FailIndex" and spec.get("backoffLimitPerIndex") is None:
            causes.append(fe.invalid(f"{rpath}.action", action, "requires the backoffLimitPerIndex to be set"))
        elif action not in _FAILURE_ACTIONS:
            causes.append(fe.not_supported(f"{rpath}.action", action, _FAILURE_ACTIONS))
        codes, conditions = rule.get("onExitCodes"), rule.get("onPodConditions")
        if isinstance(codes, dict):
            causes += _on_exit_codes(codes, f"{rpath}.onExitCodes")
        if codes is not None and conditions:
            causes.append(fe.invalid(rpath, fe.GoRepr("<omitted>"),
                                     "specifying both OnExitCodes and OnPodConditions is not supported"))
        if codes is None and not conditions:
            causes.append(fe.invalid(rpath, fe.GoRepr("<omitted>"),
                                     "specifying one of OnExitCodes and OnPodConditions is required"))
    return causes


def _on_exit_codes(codes: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    operator = codes.get("operator")
    if not operator:
        causes.append(fe.required(f"{path}.operator", 'valid values: ["In" "NotIn"]'))
    elif operator not in ("In", "NotIn"):
        causes.append(fe.not_supported(f"{path}.operator", operator, ("In", "NotIn")))
    values = codes.get("values") if isinstance(codes.get("values"), list) else []
    if not values:
        causes.append(fe.invalid(f"{path}.values", fe.GoRepr("[]int32(nil)"), "at least one value is required"))
    seen: set = set()
    for j, value in enumerate(values):
        if operator == "In" and value == 0:
            causes.append(fe.invalid(f"{path}.values[{j}]", value, "must not be 0 for the In operator"))
        if value in seen:
            causes.append(fe.duplicate(f"{path}.values[{j}]", value))
        seen.add(value)
    if values != sorted(values, key=lambda v: v if isinstance(v, int) else 0):
        causes.append(fe.invalid(f"{path}.values", fe.GoRepr("[]int32{" + ", ".join(map(str, values)) + "}"),
                                 "must be ordered"))
    return causes


def _job_update(job: dict, old: dict) -> list[Cause]:
    """ValidateJobSpecUpdate: completions (an Indexed Job's with parallelism), selector, template (bar the
    scheduling directives of a suspended Job that never started), completionMode and the policies are frozen."""
    spec, before = _d(job.get("spec")), _d(old.get("spec"))
    causes: list[Cause] = []
    if spec.get("completions") != before.get("completions"):
        if spec.get("completionMode") != "Indexed":
            causes.append(fe.invalid("spec.completions", spec.get("completions"), "field is immutable"))
        elif spec.get("completions") is not None and spec.get("completions") != spec.get("parallelism"):
            causes.append(fe.invalid("spec.completions", spec.get("completions"),
                                     "can only be modified in tandem with spec.parallelism"))
    if spec.get("selector") != before.get("selector"):
        causes.append(fe.invalid("spec.selector", go_label_selector(spec.get("selector")), "field is immutable"))
    template, old_template = _d(spec.get("template")), _d(before.get("template"))
    if before.get("suspend") is True and not _d(old.get("status")).get("startTime"):
        template, old_template = _scheduling_view(template), _scheduling_view(old_template)
    if template != old_template:
        causes.append(fe.invalid("spec.template", _go_template(spec.get("template")), "field is immutable"))
    for key, go_type in (("completionMode", None), ("podFailurePolicy", "batch.PodFailurePolicy"),
                         ("backoffLimitPerIndex", None), ("managedBy", None), ("successPolicy", "batch.SuccessPolicy")):
        if spec.get(key) != before.get(key):
            value = spec.get(key) if go_type is None or spec.get(key) is None else fe.GoRepr(go_type + "{...}")
            causes.append(fe.invalid(f"spec.{key}", value, "field is immutable"))
    return causes


def _scheduling_view(template: dict) -> dict:
    """A template without what a suspended Job may still change: labels, annotations, node selector and affinity,
    tolerations, scheduling gates."""
    meta = {k: v for k, v in _d(template.get("metadata")).items() if k not in ("labels", "annotations")}
    spec = {k: v for k, v in _d(template.get("spec")).items()
            if k not in ("nodeSelector", "tolerations", "schedulingGates", "affinity")}
    return {**template, "metadata": meta, "spec": spec}


def _job_status(job: dict, old: dict | None) -> list[Cause]:
    """validateJobStatus: counts are non-negative, a finished Job has no uncounted pods left."""
    status = _d(job.get("status"))
    causes: list[Cause] = []
    for key in ("active", "succeeded", "failed", "ready", "terminating"):
        causes += nonnegative(status.get(key), f"status.{key}")
    true = {c.get("type") for c in status.get("conditions") or [] if _d(c).get("status") == "True"}
    if "Complete" in true and "Failed" in true:
        causes.append(fe.invalid("status.conditions", fe.GoRepr("<omitted>"),
                                 "cannot set Complete=True and Failed=true conditions"))
    old_status = _d(_d(old).get("status"))
    if old is not None:
        if isinstance(status.get("failed"), int) and status.get("failed", 0) < (old_status.get("failed") or 0):
            causes.append(fe.invalid("status.failed", status["failed"], "cannot decrease the failed counter"))
        if isinstance(status.get("succeeded"), int) and status.get("succeeded", 0) < (old_status.get("succeeded") or 0):
            causes.append(fe.invalid("status.succeeded", status["succeeded"], "cannot decrease the succeeded counter"))
    return causes


# CronJobs ---------------------------------------------------------------------------------------------------------
def validate_cron_job(cron_job: dict, old: dict | None) -> list[Cause]:
    meta, spec = _d(cron_job.get("metadata")), _d(cron_job.get("spec"))
    causes = _cron_job_spec(spec, _d(_d(old).get("spec")) if old is not None else None)
    name = meta.get("name") or ""
    if old is None and len(name) > 52:  # the controller appends an 11-character suffix to its Jobs' names
        causes.append(fe.invalid("metadata.name", name, "must be no more than 52 characters"))
    return causes


def _cron_job_spec(spec: dict, old: dict | None) -> list[Cause]:
    causes: list[Cause] = []
    schedule = spec.get("schedule")
    if not schedule:
        causes.append(fe.required("spec.schedule", ""))
    elif isinstance(schedule, str):
        try:
            cron.parse(schedule)
        except cron.CronError as e:
            causes.append(fe.invalid("spec.schedule", schedule, str(e)))
        tz_allowed = old is not None and "TZ" in str(old.get("schedule") or "")
        if tz_allowed and "TZ" in schedule and spec.get("timeZone") is not None:
            causes.append(fe.invalid("spec.schedule", schedule,
                                     "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
        elif not tz_allowed and "TZ" in schedule:
            causes.append(fe.invalid("spec.schedule", schedule,
                                     "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    causes += nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds")
    if old is None or old.get("timeZone") != spec.get("timeZone"):
        causes += time_zone(spec.get("timeZone"), "spec.timeZone")
    policy = spec.get("concurrencyPolicy")
    if not policy:
        causes.append(fe.required("spec.concurrencyPolicy", ""))
    elif policy not in ("Allow", "Forbid", "Replace"):
        causes.append(fe.not_supported("spec.concurrencyPolicy", policy, ("Allow", "Forbid", "Replace")))
    causes += job_template_spec(_d(spec.get("jobTemplate")), "spec.jobTemplate")
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        causes += nonnegative(spec.get(key), f"spec.{key}")
    return causes


def time_zone(value, path: str) -> list[Cause]:
    """validateTimeZone: an IANA name this machine's tz database knows (Go's time.LoadLocation)."""
    if value is None:
        return []
    if value == "":
        return [fe.invalid(path, "", "timeZone must be nil or non-empty string")]
    for part in str(value).split("/"):
        if part in (".", "..") or part.startswith("-") or not _TIME_ZONE_PART.match(part):
            return [fe.invalid(path, value, f"unknown time zone {value}")]
    causes = []
    if str(value).lower() == "local":
        causes.append(fe.invalid(path, value,
                                 "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
    try:
        cron.zone(value)
    except Exception:
        causes.append(fe.invalid(path, value, f"unknown time zone {value}"))
    return causes


def job_template_spec(template: dict, path: str) -> list[Cause]:
    """ValidateJobTemplateSpec: a job spec whose selector the Job strategy will generate."""
    spec = _d(template.get("spec"))
    causes = job_spec(spec, f"{path}.spec")
    if spec.get("selector") is not None:
        causes.append(fe.invalid(f"{path}.spec.selector", go_label_selector(spec["selector"]),
                                 "`selector` will be auto-generated"))
    if spec.get("manualSelector") is True:
        causes.append(fe.not_supported(f"{path}.spec.manualSelector", True, ("nil", "false")))
    return causes
