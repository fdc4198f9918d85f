"""The kubelets of the simulated nodes. Each pod bound to one of them is admitted once and gets an IP from the
node's pod CIDR. Then one of two things runs it:

- a pod worker (sandbox/kubelet/pod_worker.py) when the process runtime is on and at least one of its containers
  has an image the sandbox can run (sandbox/runtime/catalogue.py): its containers are local processes, started,
  probed, restarted and stopped as the kubelet does it. This reconcile only tells the worker when the pod is
  being deleted, and removes the pod once the worker has stopped everything.
- a plan (sandbox/simulation/stages.py) otherwise: when its images are pulled and its containers created, started
  and ready. Reconciling the pod reads its status and events off the plan at the current moment, writes what
  changed, and asks to come back at the plan's next step. A pod being deleted gets Killing events, and once its
  containers have stopped (its grace period, simulated short) the kubelet removes it.

Pods this process did not admit (the sandbox restarted with --state): with processes, their containers start
again as after a node reboot; planned pods that are fully running are left as they are, ones caught half-way
are admitted again."""
from __future__ import annotations

from dataclasses import dataclass

from sandbox.machinery import podutil
from sandbox.controllers.base import DELETED, Controller, key_of, rt_of, split_key
from sandbox.controllers.clockutil import stamp_at
from sandbox.kubelet.pod_worker import PodWorker
from sandbox.machinery.errors import StatusError
from sandbox.runtime import catalogue
from sandbox.simulation import images as imaging, stages
from sandbox.simulation.network import PodIPs

PODS = rt_of("", "pods")
COMPONENT = "kubelet"
LOOKAHEAD_REAL_SECONDS = 0.02  # steps closer than this in real time are taken in one write


@dataclass
class PodRun:
    plan: stages.PodPlan | None  # None: a pod found running, left as it is
    ip: str
    emitted: float  # events up to this simulated moment are recorded
    deleting_since: float | None = None


class Kubelet(Controller):
    name = "kubelet"

    def setup(self) -> None:
        self.runtime = getattr(self.ctx, "runtime", None)  # ProcessRuntime, or None: --runtime simulated
        self.pods = self.informer("", "pods")
        self.node_specs = {spec.name: spec for spec in self.ctx.nodes}
        self.runs: dict[str, PodRun] = {}
        self.images: dict[str, dict[str, float]] = {name: {} for name in self.node_specs}
        self.ips = PodIPs()
        self.pods.add_handler(self._on_pod)

    def started(self) -> None:
        for pod in self.pods.list():
            if (pod.get("spec") or {}).get("nodeName") in self.node_specs:
                self.ips.reserve((pod.get("status") or {}).get("podIP"))

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        pod = new or old
        if kind == DELETED:
            meta = pod["metadata"]
            run = self.runs.pop(meta["uid"], None)
            self.ips.release(run.ip if run else (pod.get("status") or {}).get("podIP"))
            if self.runtime is not None:
                worker = self.runtime.workers.get(meta["uid"])
                if worker is not None:
                    worker.terminate()
                self.runtime.forget(pod)
            return
        if (pod.get("spec") or {}).get("nodeName") in self.node_specs:
            if old is None or not (old.get("spec") or {}).get("nodeName") or podutil.is_terminating(pod) != \
                    podutil.is_terminating(old):
                self.queue.add(key_of(pod))

    # reconcile ----------------------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        pod = self.pods.get(namespace, name)
        if pod is None:
            return
        node = (pod.get("spec") or {}).get("nodeName")
        if node not in self.node_specs:
            return
        if self.runtime is not None and (pod["metadata"]["uid"] in self.runtime.workers or self._runs_processes(pod)):
            self._sync_worker(key, pod, node)
            return
        now = self.clock.now()
        run = self.runs.get(pod["metadata"]["uid"])
        if podutil.is_terminating(pod):
            self._terminate(key, pod, run, now)
            return
        if (pod.get("status") or {}).get("phase") in podutil.TERMINAL:
            return
        if run is None:
            run = self._admit(pod, node, now)
        if run.plan is None:
            return
        horizon = now + LOOKAHEAD_REAL_SECONDS * self.clock.time_scale
        self._emit(pod, node, stages.events_between(run.plan, run.emitted, horizon))
        run.emitted = horizon
        status = stages.pod_status(pod, run.plan, horizon, lambda t: stamp_at(self.clock, t),
                                   host_ip=self.node_specs[node].ip, pod_ip=run.ip)
        if status != pod.get("status"):
            self.registry.update(PODS, namespace, name, {**pod, "status": status}, subresource="status",
                                 field_manager=COMPONENT)
        later = stages.next_change(run.plan, horizon)
        if later is not None:
            self.enqueue_after(key, later - now)
        else:
            run.plan = None  # settled: the status as written is final, the plan is no longer needed

    # pods with processes --------------------------------------------------------------------------------------------
    @staticmethod
    def _runs_processes(pod: dict) -> bool:
        spec = pod.get("spec") or {}
        return any(catalogue.lookup(imaging.parse(c.get("image") or "")) is not None
                   for c in (spec.get("initContainers") or []) + (spec.get("containers") or []))

    def _sync_worker(self, key: str, pod: dict, node: str) -> None:
        meta, status = pod["metadata"], pod.get("status") or {}
        worker = self.runtime.workers.get(meta["uid"])
        if worker is None:
            if podutil.is_terminating(pod) or status.get("phase") in podutil.TERMINAL:
                if podutil.is_terminating(pod):
                    self._delete(pod)
                return
            ip = status.get("podIP") or self.ips.allocate(self.node_specs[node].pod_cidr)
            self.ips.reserve(ip)
            rebooted = bool(status.get("startTime") and any(
                "running" in (s.get("state") or {}) or "terminated" in (s.get("state") or {})
                for s in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])))
            services = self.runtime.node(self.node_specs[node], self.images[node])
            worker = self.runtime.workers[meta["uid"]] = PodWorker(services, pod, ip, rebooted=rebooted)
            if rebooted:
                worker.event("Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
            return
        if podutil.is_terminating(pod):
            if worker.finished.is_set():
                self._delete(pod)
            else:
                worker.terminate().add_done_callback(lambda _: self.queue.add(key))

    def _delete(self, pod: dict) -> None:
        meta = pod["metadata"]
        try:
            self.registry.delete(PODS, meta["namespace"], meta["name"], grace_period_seconds=0,
                                 preconditions={"uid": meta["uid"]})
        except StatusError as e:
            if e.code not in (404, 409):
                raise

    def _admit(self, pod: dict, node: str, now: float) -> PodRun:
        status = pod.get("status") or {}
        uid = pod["metadata"]["uid"]
        ip = status.get("podIP") or ""
        if status.get("startTime") and status.get("phase") == "Running" and podutil.is_ready(pod):
            run = PodRun(None, ip, now)  # admitted by an earlier run of the sandbox
        else:
            ip = ip or self.ips.allocate(self.node_specs[node].pod_cidr)
            images = self.images[node]
            plan = stages.plan(pod, now, lambda image: images.get(image.reference))
            for reference, ready in plan.pulls.items():
                images[reference] = min(images.get(reference, ready), ready)
            run = PodRun(plan, ip, now - 1e-9)
        self.ips.reserve(ip)
        self.runs[uid] = run
        return run

    def _emit(self, pod: dict, node: str, events: list[stages.PlannedEvent]) -> None:
        for e in events:
            self.recorder.event(pod, e.type, e.reason, e.message, component=COMPONENT, host=node,
                                field_path=e.field_path)

    # termination --------------------------------------------------------------------------------------------------
    def _running(self, pod: dict, run: PodRun | None) -> list[stages.ContainerRun]:
        states = {s.get("name"): s.get("state") or {} for s in (pod.get("status") or {}).get("containerStatuses")
                  or []}
        if run is not None and run.plan is not None:
            return [c for c in run.plan.app() if "running" in states.get(c.name, {})]
        return [stages.ContainerRun(c.get("name", ""), "app", None, c) for c in (pod.get("spec") or {}).get(
            "containers") or [] if "running" in states.get(c.get("name"), {})]

    def _terminate(self, key: str, pod: dict, run: PodRun | None, now: float) -> None:
        node = pod["spec"]["nodeName"]
        running = self._running(pod, run)
        if run is None:
            run = self.runs[pod["metadata"]["uid"]] = PodRun(None, (pod.get("status") or {}).get("podIP") or "", now)
        if run.deleting_since is None:
            run.deleting_since = now
            for c in running:
                self.recorder.event(pod, "Normal", "Killing", f"Stopping container {c.name}", component=COMPONENT,
                                    host=node, field_path=f"spec.containers{{{c.name}}}")
        done = run.deleting_since + max((stages.stop_seconds(pod, c) for c in running), default=0.0)
        if now < done:
            self.enqueue_after(key, done - now)
            return
        self._delete(pod)
