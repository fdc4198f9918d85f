"""The Job controller's arithmetic, pure (pkg/controller/job: job_controller.go's counting, indexed_job_utils.go,
backoff_utils.go): what a pod counts as, how many pods a Job wants, which indexes are left, when it has succeeded
or failed and with which condition, and how long a failed pod's replacement waits.

Worked example: completions 3, parallelism 2, NonIndexed. 0 succeeded -> wants min(2, 3 - 0) = 2 pods; one
succeeds -> min(2, 3 - 1) = 2 (one new pod); two more succeed -> 3 >= 3: SuccessCriteriaMet, then, with no pod
left, Complete."""
from __future__ import annotations

from dataclasses import dataclass

INDEX_KEY = "batch.kubernetes.io/job-completion-index"
FINALIZER = "batch.kubernetes.io/job-tracking"
POD_FAILURE_BACKOFF = 10.0  # DefaultJobPodFailureBackOff
MAX_POD_FAILURE_BACKOFF = 600.0  # MaxJobPodFailureBackOff: 10 minutes

# (reason, message) of the conditions the controller sets
COMPLETIONS_REACHED = ("CompletionsReached", "Reached expected number of succeeded pods")
BACKOFF_LIMIT_EXCEEDED = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE_EXCEEDED = ("DeadlineExceeded", "Job was active longer than specified deadline")
SUSPENDED = ("JobSuspended", "Job suspended")
RESUMED = ("JobResumed", "Job resumed")


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def phase(pod: dict) -> str:
    return _d(pod.get("status")).get("phase") or ""


def is_terminal(pod: dict) -> bool:
    return phase(pod) in ("Succeeded", "Failed")


def is_deleting(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_active(pod: dict) -> bool:
    """Neither finished nor being deleted: it counts toward parallelism."""
    return not is_terminal(pod) and not is_deleting(pod)


def counts_as_failed(pod: dict, replacement_policy: str = "TerminatingOrFailed") -> bool:
    """isPodFailed: a Failed pod, or (unless only failed pods are replaced) one deleted before it succeeded, so
    that an orphan which never reaches a phase still counts."""
    if phase(pod) == "Failed":
        return True
    if replacement_policy == "Failed":
        return False
    return is_deleting(pod) and phase(pod) != "Succeeded"


def has_finalizer(pod: dict) -> bool:
    return FINALIZER in (pod["metadata"].get("finalizers") or [])


def index_of(pod: dict) -> int | None:
    """The completion index an Indexed Job's pod carries (annotation, else label); None when absent or bad."""
    meta = pod["metadata"]
    for source in (meta.get("annotations") or {}, meta.get("labels") or {}):
        value = source.get(INDEX_KEY)
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def restarts(pod: dict) -> int:
    status = _d(pod.get("status"))
    return sum(int(s.get("restartCount") or 0) for s in (status.get("containerStatuses") or [])
               + (status.get("initContainerStatuses") or []) if isinstance(s, dict))


# indexes ----------------------------------------------------------------------------------------------------------
def parse_indexes(text: str | None, completions: int) -> set[int]:
    """status.completedIndexes ("1,3-5,7") -> {1, 3, 4, 5, 7}, ignoring what is out of range."""
    found: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            found.update(i for i in range(int(low), int(high or low) + 1) if i < completions)
    return found


def format_indexes(indexes) -> str:
    """{0, 1, 2, 4} -> "0-2,4": consecutive runs of three or more... as the controller writes them, any run of
    two or more as a range."""
    out, ordered = [], sorted(indexes)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(out)


def pending_indexes(completions: int, completed: set[int], active: set[int], want: int) -> list[int]:
    """firstPendingIndexes: the lowest indexes neither completed nor running, at most `want` of them."""
    out = []
    for i in range(completions):
        if len(out) >= want:
            break
        if i not in completed and i not in active:
            out.append(i)
    return out


# how many pods -----------------------------------------------------------------------------------------------------
def wanted_active(spec: dict, succeeded: int, active: int, completed_indexes: int = 0) -> int:
    """manageJob's wantActive: parallelism, bounded by the completions still missing; a Job without completions
    (a work queue) starts no new pod once one has succeeded."""
    parallelism = int(spec.get("parallelism") or 0)
    completions = spec.get("completions")
    if completions is None:
        return active if succeeded > 0 else parallelism
    done = completed_indexes if spec.get("completionMode") == "Indexed" else succeeded
    return max(0, min(parallelism, int(completions) - done))


# the outcome -------------------------------------------------------------------------------------------------------
def succeeded_enough(spec: dict, succeeded: int, active: int, completed_indexes: int) -> bool:
    completions = spec.get("completions")
    if completions is None:
        return succeeded > 0 and active == 0
    if spec.get("completionMode") == "Indexed":
        return completed_indexes >= int(completions)
    return succeeded >= int(completions)


def past_backoff_limit(spec: dict, failed: int, active_pods: list[dict]) -> bool:
    """exceedsBackoffLimit (more failed pods than backoffLimit), or, with restartPolicy OnFailure, the restarts
    of the active pods' containers reaching it (pastBackoffLimitOnFailure)."""
    limit = int(spec.get("backoffLimit") if spec.get("backoffLimit") is not None else 6)
    if failed > limit:
        return True
    template = _d(_d(spec.get("template")).get("spec"))
    if template.get("restartPolicy") != "OnFailure":
        return False
    total = sum(restarts(p) for p in active_pods if phase(p) in ("Running", "Pending"))
    return total > 0 if limit == 0 else total >= limit


def past_deadline(spec: dict, started_seconds_ago: float | None) -> bool:
    deadline = spec.get("activeDeadlineSeconds")
    return deadline is not None and started_seconds_ago is not None and started_seconds_ago >= deadline


def seconds_to_deadline(spec: dict, started_seconds_ago: float | None) -> float | None:
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is None or started_seconds_ago is None:
        return None
    return max(0.0, deadline - started_seconds_ago)


# back-off ----------------------------------------------------------------------------------------------------------
@dataclass
class BackoffRecord:
    """backoffRecord: failures since the last success, and when the last one happened (simulated seconds)."""
    failures_after_last_success: int = 0
    last_failure_time: float | None = None

    def record(self, succeeded: int, failed: int, now: float) -> None:
        if succeeded:
            self.failures_after_last_success, self.last_failure_time = 0, None
        if failed:
            self.failures_after_last_success += failed
            self.last_failure_time = now

    def remaining(self, now: float) -> float:
        """getRemainingTime: 10 s doubling per failure since the last success, at most 10 minutes."""
        if not self.failures_after_last_success or self.last_failure_time is None:
            return 0.0
        delay = min(POD_FAILURE_BACKOFF * 2 ** (self.failures_after_last_success - 1), MAX_POD_FAILURE_BACKOFF)
        return max(0.0, self.last_failure_time + delay - now)


# conditions --------------------------------------------------------------------------------------------------------
def condition(status: dict, kind: str) -> dict | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == kind), None)


def is_true(status: dict, kind: str) -> bool:
    found = condition(status, kind)
    return found is not None and found.get("status") == "True"


def is_finished(job: dict) -> bool:
    status = _d(job.get("status"))
    return is_true(status, "Complete") or is_true(status, "Failed")


def set_condition(status: dict, kind: str, state: str, reason: str, message: str, stamp: str) -> bool:
    """Add or update a condition (a change of status moves its lastTransitionTime); True when something changed."""
    conditions = status.setdefault("conditions", [])
    found = condition(status, kind)
    if found is not None:
        if (found.get("status"), found.get("reason"), found.get("message")) == (state, reason, message):
            return False
        if found.get("status") != state:
            found["lastTransitionTime"] = stamp
        found.update(status=state, reason=reason, message=message, lastProbeTime=stamp)
        return True
    conditions.append({"type": kind, "status": state, "lastProbeTime": stamp, "lastTransitionTime": stamp,
                       "reason": reason, "message": message})
    return True
