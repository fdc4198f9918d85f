"""The TTL-after-finished controller (pkg/controller/ttlafterfinished): a finished Job with
spec.ttlSecondsAfterFinished is deleted that many (simulated) seconds after it finished (its completionTime, or
the Failed condition's time), with propagationPolicy Foreground, so its pods go first."""
from __future__ import annotations

from sandbox.controllers.base import Controller, key_of, rt_of, split_key
from sandbox.controllers.clockutil import simulated_since
from sandbox.machinery import timestamps
from sandbox.machinery.errors import StatusError

JOBS = rt_of("batch", "jobs")


def finished_at(job: dict) -> str | None:
    """When the Job finished: the Complete or Failed condition that holds (its lastTransitionTime)."""
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c.get("lastTransitionTime")
    return None


class TTLAfterFinishedController(Controller):
    name = "ttl-after-finished-controller"

    def setup(self) -> None:
        self.jobs = self.informer("batch", "jobs")
        self.jobs.add_handler(self._on_job)

    def _on_job(self, kind: str, old: dict | None, new: dict | None) -> None:
        if new is not None and (new.get("spec") or {}).get("ttlSecondsAfterFinished") is not None \
                and finished_at(new) and not new["metadata"].get("deletionTimestamp"):
            self.queue.add(key_of(new))

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        job = self.jobs.get(namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        finished = timestamps.epoch(finished_at(job))
        if ttl is None or finished is None:
            return
        left = ttl - simulated_since(self.clock, finished)
        if left > 0:
            self.enqueue_after(key, left + 0.01)
            return
        try:
            self.registry.delete(JOBS, namespace, name, propagation_policy="Foreground",
                                 preconditions={"uid": job["metadata"]["uid"]})
        except StatusError as e:
            if e.code not in (404, 409):
                raise
