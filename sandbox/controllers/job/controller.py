"""The Job controller (pkg/controller/job/job_controller.go). reconcile() is syncJob's ladder:

1. a finished Job only lets go of its pods (their tracking finalizers);
2. pods that finished (or were deleted) since the last sync are counted through status.uncountedTerminatedPods:
   their uids are written there first, then their finalizers come off, then they move to succeeded/failed;
3. the outcome: an earlier FailureTarget or SuccessCriteriaMet becomes Failed or Complete once no pod is left;
   else too many failures (backoffLimit), the deadline (activeDeadlineSeconds) or enough successes decide;
4. suspended: active pods are deleted and the Suspended condition set; resumed: the condition turns False;
5. otherwise the active pods are brought to what the Job wants (parallelism within the completions still
   missing; an Indexed Job's lowest pending indexes), new pods after the pod failure back-off;
6. status: active, ready, terminating, counts, startTime, completedIndexes, conditions.

Times are simulated (the Clock): activeDeadlineSeconds and the back-off run --time-scale times faster."""
from __future__ import annotations

import asyncio
import json

from sandbox.controllers.base import Controller, controller_ref, key_of, rt_of, split_key
from sandbox.controllers.clockutil import simulated_since
from sandbox.machinery import podutil, timestamps

from . import pods as pod_writes, status as js
from .pods import COMPONENT, MANAGER

JOBS = rt_of("batch", "jobs")
BURST = 500  # MaxPodCreateDeletePerSync


def _copy(obj: dict) -> dict:
    return json.loads(json.dumps(obj))


class JobController(Controller):
    name = "job-controller"

    def setup(self) -> None:
        self.jobs = self.informer("batch", "jobs")
        self.pods = self.informer("", "pods")
        self.jobs.add_index("uid", lambda job: [job["metadata"]["uid"]])
        self.pods.add_index("controller", lambda p: [ref["uid"]] if (ref := controller_ref(p)) else [])
        self.backoff: dict[str, js.BackoffRecord] = {}
        self.suspended_deletions: set[str] = set()  # pods deleted on suspension: not failures
        self.jobs.add_handler(self._on_job)
        self.pods.add_handler(self._on_pod)

    def _on_job(self, kind: str, old: dict | None, new: dict | None) -> None:
        if new is None:
            self.backoff.pop(old["metadata"]["uid"], None)
            return
        self.queue.add(key_of(new))

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        pod = new or old
        ref = controller_ref(pod)
        if ref is None or ref.get("kind") != "Job":
            return
        jobs = self.jobs.by_index("uid", ref["uid"])
        if jobs:
            self.queue.add_after(key_of(jobs[0]), 0.02)  # a burst of pod changes folds into one sync
        elif new is not None and js.has_finalizer(new):
            self.queue.add(("orphan", key_of(new)))  # its Job is gone: nothing will count it

    # reconcile ------------------------------------------------------------------------------------------------------
    async def reconcile(self, key) -> None:
        if isinstance(key, tuple):
            pod = self.pods.get_by_key(key[1])
            if pod is not None and js.has_finalizer(pod):
                ref = controller_ref(pod)
                if ref is None or not self.jobs.by_index("uid", ref["uid"]):
                    pod_writes.remove_finalizer(self.ctx, pod)
            return
        namespace, name = split_key(key)
        job = self.jobs.get(namespace, name)
        if job is None:
            return
        owned = self.pods.by_index("controller", job["metadata"]["uid"])
        if js.is_finished(job):
            for pod in owned:  # counted already: nothing holds them any more
                if js.has_finalizer(pod) and (js.is_terminal(pod) or js.is_deleting(pod)):
                    pod_writes.remove_finalizer(self.ctx, pod)
            return
        job = self._count_finished(job, owned)
        owned = self.pods.by_index("controller", job["metadata"]["uid"])
        await self._sync(key, job, owned)

    def _count_finished(self, job: dict, owned: list[dict]) -> dict:
        """trackJobStatusAndRemoveFinalizers: uids into uncountedTerminatedPods, finalizers off, then counted."""
        spec, status = job.get("spec") or {}, _copy(job.get("status") or {})
        policy = spec.get("podReplacementPolicy") or "TerminatingOrFailed"
        uncounted = status.get("uncountedTerminatedPods") or {}
        seen = set(uncounted.get("succeeded") or []) | set(uncounted.get("failed") or [])
        new_succeeded, new_failed, done = [], [], []
        for pod in owned:
            uid = pod["metadata"]["uid"]
            if not js.has_finalizer(pod) or uid in seen:
                continue
            if js.phase(pod) == "Succeeded":
                new_succeeded.append(uid)
            elif uid in self.suspended_deletions:  # stopped by the suspension: let go, not a failure
                if js.is_deleting(pod) or js.is_terminal(pod):
                    done.append(pod)
                continue
            elif js.counts_as_failed(pod, policy):
                new_failed.append(uid)
            else:
                continue
            done.append(pod)
        if not done and not seen:
            return job
        if new_succeeded or new_failed:
            status["uncountedTerminatedPods"] = {
                k: v for k, v in (("succeeded", sorted(set(uncounted.get("succeeded") or []) | set(new_succeeded))),
                                  ("failed", sorted(set(uncounted.get("failed") or []) | set(new_failed)))) if v}
            job = self._write_status(job, status)
            record = self.backoff.setdefault(job["metadata"]["uid"], js.BackoffRecord())
            record.record(len(new_succeeded), len(new_failed), self.clock.now())
        for pod in done:
            pod_writes.remove_finalizer(self.ctx, pod)
            self.suspended_deletions.discard(pod["metadata"]["uid"])
        status = _copy(job.get("status") or {})
        uncounted = status.get("uncountedTerminatedPods") or {}
        succeeded_uids = uncounted.get("succeeded") or []
        status["succeeded"] = int(status.get("succeeded") or 0) + len(succeeded_uids)
        status["failed"] = int(status.get("failed") or 0) + len(uncounted.get("failed") or [])
        if spec.get("completionMode") == "Indexed" and succeeded_uids:
            completions = int(spec.get("completions") or 0)
            completed = js.parse_indexes(status.get("completedIndexes"), completions)
            by_uid = {p["metadata"]["uid"]: p for p in owned}
            completed |= {i for uid in succeeded_uids if (p := by_uid.get(uid)) is not None
                          and (i := js.index_of(p)) is not None and i < completions}
            status["completedIndexes"] = js.format_indexes(completed)
        status["uncountedTerminatedPods"] = {}
        return self._write_status(job, status)

    async def _sync(self, key: str, job: dict, owned: list[dict]) -> None:
        spec, status = job.get("spec") or {}, _copy(job.get("status") or {})
        now_stamp = self.clock.timestamp()
        active = [p for p in owned if js.is_active(p)]
        terminating = [p for p in owned if js.is_deleting(p) and not js.is_terminal(p)]
        succeeded, failed = int(status.get("succeeded") or 0), int(status.get("failed") or 0)
        completions = int(spec.get("completions") or 0)
        indexed = spec.get("completionMode") == "Indexed"
        completed = js.parse_indexes(status.get("completedIndexes"), completions) if indexed else set()
        suspended = spec.get("suspend") is True
        if not suspended and not status.get("startTime"):
            status["startTime"] = now_stamp
        started_ago = self._started_ago(status)
        # 3. the outcome --------------------------------------------------------------------------------------
        finishing = None
        if js.is_true(status, "FailureTarget"):
            finishing = "Failed"
        elif js.is_true(status, "SuccessCriteriaMet"):
            finishing = "Complete"
        elif js.past_backoff_limit(spec, failed, active):
            finishing = self._target(job, status, "FailureTarget", js.BACKOFF_LIMIT_EXCEEDED, now_stamp)
        elif not suspended and js.past_deadline(spec, started_ago):
            finishing = self._target(job, status, "FailureTarget", js.DEADLINE_EXCEEDED, now_stamp)
        elif js.succeeded_enough(spec, succeeded, len(active), len(completed)):
            finishing = self._target(job, status, "SuccessCriteriaMet", js.COMPLETIONS_REACHED, now_stamp)
        if finishing is not None:
            for pod in active[:BURST]:
                pod_writes.delete_pod(self.ctx, job, pod)
            if not active and not terminating:
                self._finish(job, status, finishing, now_stamp)
            status.update(active=len(active), ready=0, terminating=len(terminating))
            self._write_status(job, status)
            return
        # 4. suspend / resume ---------------------------------------------------------------------------------
        if suspended:
            for pod in active[:BURST]:
                self.suspended_deletions.add(pod["metadata"]["uid"])
                pod_writes.delete_pod(self.ctx, job, pod)
            if js.set_condition(status, "Suspended", "True", *js.SUSPENDED, now_stamp):
                self.recorder.event(job, "Normal", "Suspended", "Job suspended", component=COMPONENT, manager=MANAGER)
            status.pop("startTime", None)
            active = []
        elif js.is_true(status, "Suspended"):
            js.set_condition(status, "Suspended", "False", *js.RESUMED, now_stamp)
            self.recorder.event(job, "Normal", "Resumed", "Job resumed", component=COMPONENT, manager=MANAGER)
            status["startTime"] = now_stamp
            started_ago = 0.0
        else:
            # 5. bring the active pods to what the Job wants ----------------------------------------------
            active = await self._manage(key, job, active, succeeded, completed)
        status.update(active=len(active), ready=sum(1 for p in active if podutil.is_ready(p)),
                      terminating=len(terminating), succeeded=succeeded, failed=failed)
        status.setdefault("uncountedTerminatedPods", {})
        self._write_status(job, status)
        left = js.seconds_to_deadline(spec, started_ago) if not suspended else None
        if left is not None:
            self.enqueue_after(key, left + 0.01)

    async def _manage(self, key: str, job: dict, active: list[dict], succeeded: int, completed: set[int]) -> list:
        spec = job.get("spec") or {}
        want = js.wanted_active(spec, succeeded, len(active), len(completed))
        if len(active) > want:  # fewer pods wanted (parallelism lowered): newest first, as kube ranks them
            for pod in sorted(active, key=lambda p: p["metadata"].get("creationTimestamp") or "")[want:]:
                pod_writes.delete_pod(self.ctx, job, pod)
            return active[:want]
        missing = min(want - len(active), BURST)
        if missing <= 0:
            return active
        wait = self.backoff.get(job["metadata"]["uid"], js.BackoffRecord()).remaining(self.clock.now())
        if wait > 0:
            self.enqueue_after(key, wait + 0.01)
            return active
        indexes: list[int | None] = [None] * missing
        if spec.get("completionMode") == "Indexed":
            running = {i for p in active if (i := js.index_of(p)) is not None}
            indexes = js.pending_indexes(int(spec.get("completions") or 0), completed, running, missing)
        for n, index in enumerate(indexes):
            if pod_writes.create_pod(self.ctx, job, index) is not None:
                break
            if n % 16 == 15:
                await asyncio.sleep(0)
        return [p for p in self.pods.by_index("controller", job["metadata"]["uid"]) if js.is_active(p)]

    # conditions and status --------------------------------------------------------------------------------------------
    def _target(self, job: dict, status: dict, kind: str, why: tuple[str, str], stamp: str) -> str:
        """FailureTarget or SuccessCriteriaMet: the outcome is decided; the final condition waits for the pods."""
        js.set_condition(status, kind, "True", *why, stamp)
        return "Failed" if kind == "FailureTarget" else "Complete"

    def _finish(self, job: dict, status: dict, kind: str, stamp: str) -> None:
        source = js.condition(status, "FailureTarget" if kind == "Failed" else "SuccessCriteriaMet") or {}
        reason, message = source.get("reason", ""), source.get("message", "")
        js.set_condition(status, kind, "True", reason, message, stamp)
        if kind == "Complete":
            status["completionTime"] = stamp
            self.recorder.event(job, "Normal", "Completed", "Job completed", component=COMPONENT, manager=MANAGER)
        else:
            self.recorder.event(job, "Warning", reason, message, component=COMPONENT, manager=MANAGER)
        status["uncountedTerminatedPods"] = {}

    def _started_ago(self, status: dict) -> float | None:
        started = timestamps.epoch(status.get("startTime"))
        return None if started is None else simulated_since(self.clock, started)

    def _write_status(self, job: dict, status: dict) -> dict:
        if status == (job.get("status") or {}):
            return job
        meta = job["metadata"]
        return self.registry.update(JOBS, meta["namespace"], meta["name"], {**job, "status": status},
                                    subresource="status", field_manager=MANAGER)
