"""The simulated kubelet's pod lifecycle as data, in the spirit of kwok's stages: a table of delays, a plan
computed once when the kubelet admits a pod (when each image is pulled, each container created, started,
passes its probes), and pure functions that read the pod's status and events off that plan at any moment.

Times in a plan are simulated seconds on the Clock's scale (Clock.now()); `stamp(t)` turns one into the
RFC 3339 wall-clock text written into objects. Nothing here does I/O."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

from sandbox.simulation import exits, images as imaging
from sandbox.simulation.images import Image


@dataclass(frozen=True)
class Timings:
    sandbox: float = 0.8  # pod sandbox: pause container and CNI, after which the pod has its IP
    pull_overhead: float = 0.4  # resolving the reference, even when nothing has to be downloaded
    pull_bytes_per_second: float = 25e6
    pull_failure: float = 1.2  # finding out that a reference does not resolve
    backoff_shown_after: float = 2.0  # ErrImagePull turns into ImagePullBackOff on the next sync
    image_backoff: float = 10.0  # kubelet image pull back-off: 10s doubling to 300s
    image_backoff_max: float = 300.0
    create: float = 0.15  # create one container
    start: float = 0.15  # start one container
    init_run: float = 1.0  # an init container's work before it exits 0
    probe: float = 0.2  # a probe's first success, after its initialDelaySeconds
    stop: float = 1.0  # processes exit this long after SIGTERM (never longer than the grace period)


TIMINGS = Timings()


def go_duration(seconds: float) -> str:
    """time.Duration.String() of a duration truncated to milliseconds: 312ms, 1.5s, 1m5.2s."""
    ms = int(seconds * 1000)
    if ms < 1000:
        return f"{ms}ms" if ms else "0s"
    minutes, ms = divmod(ms, 60_000)
    secs = f"{ms / 1000:.3f}".rstrip("0").rstrip(".")
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


@dataclass
class ContainerRun:
    name: str
    role: str  # "init" (runs to completion), "sidecar" (restartable init container) or "app"
    image: Image
    spec: dict
    pull_at: float | None = None  # when the kubelet starts to make sure the image is there
    pulled_at: float | None = None  # None once pull_at is set: the reference never resolves
    started_at: float | None = None
    started_probe_at: float | None = None  # the startup probe passed (containerStatuses[].started)
    ready_at: float | None = None
    exited_at: float | None = None  # init containers only
    ending: exits.Ending | None = None  # an app container whose command ends (simulation/exits.py)
    restarts_on_failure: bool = False  # restartPolicy OnFailure: a non-zero exit starts it again

    @property
    def field_path(self) -> str:
        kind = "containers" if self.role == "app" else "initContainers"
        return f"spec.{kind}{{{self.name}}}"

    @property
    def failing_pull(self) -> bool:
        return self.pull_at is not None and self.pulled_at is None


@dataclass(frozen=True)
class PlannedEvent:
    at: float
    type: str  # Normal | Warning
    reason: str
    message: str
    field_path: str = ""


@dataclass
class PodPlan:
    admitted_at: float
    sandbox_at: float
    containers: list[ContainerRun]
    events: list[PlannedEvent] = field(default_factory=list)
    pulls: dict[str, float] = field(default_factory=dict)  # image reference -> when it is on the node

    def app(self) -> list[ContainerRun]:
        return [c for c in self.containers if c.role == "app"]

    def init(self) -> list[ContainerRun]:
        return [c for c in self.containers if c.role != "app"]


def _probe_delay(probe: dict | None, timings: Timings) -> float:
    return float((probe or {}).get("initialDelaySeconds") or 0) + timings.probe


@dataclass(frozen=True)
class ImagePull:
    """What making sure of an image at moment t amounts to: when it is usable (None: never, the reference does
    not resolve), the events on the way, and whether this pull downloads it (so the node holds it from then on)."""
    ready_at: float | None
    events: tuple[tuple[float, str, str, str], ...]  # (at, type, reason, message)
    downloaded: bool = False


def pulled_message(image: Image, pulling: float, total: float) -> str:
    return (f'Successfully pulled image "{image.spec}" in {go_duration(pulling)} ({go_duration(total)} '
            f"including waiting). Image size: {image.size} bytes.")


def image_pull(image: Image, policy: str, on_node: float | None, t: float, timings: Timings = TIMINGS) -> ImagePull:
    """The kubelet's EnsureImageExists at moment t: `on_node` is since when the node holds the image (a moment
    after t: another pod is pulling it right now; None: never pulled there). Preloaded images (kind load) are
    always there; IfNotPresent and Never use what the node holds; Always resolves the reference every time."""
    if image.preloaded:
        on_node = t
    pulling = (t, "Normal", "Pulling", f'Pulling image "{image.spec}"')
    if policy != "Always" and on_node is not None:
        if on_node <= t:
            return ImagePull(t, ((t, "Normal", "Pulled", f'Container image "{image.spec}" already present on machine'),))
        return ImagePull(on_node, (pulling, (on_node, "Normal", "Pulled",
                                             pulled_message(image, timings.pull_overhead, on_node - t))))
    if not image.pullable:
        return ImagePull(None, (pulling,))
    download = 0.0 if on_node is not None else image.size / timings.pull_bytes_per_second
    done = t + timings.pull_overhead + download
    return ImagePull(done, (pulling, (done, "Normal", "Pulled", pulled_message(image, done - t, done - t))), True)


class _Planner:
    def __init__(self, pod: dict, admitted_at: float, image_on_node: Callable[[Image], float | None],
                 timings: Timings):
        self.timings, self.image_on_node = timings, image_on_node
        spec = pod.get("spec") or {}
        self.plan = PodPlan(admitted_at, admitted_at + timings.sandbox, [])
        for c in spec.get("initContainers") or []:
            role = "sidecar" if c.get("restartPolicy") == "Always" else "init"
            self.plan.containers.append(ContainerRun(c.get("name", ""), role, imaging.parse(c.get("image") or ""), c))
        policy = spec.get("restartPolicy") or "Always"
        for c in spec.get("containers") or []:
            self.plan.containers.append(ContainerRun(c.get("name", ""), "app", imaging.parse(c.get("image") or ""), c,
                                                     ending=exits.ending(c, policy),
                                                     restarts_on_failure=policy == "OnFailure"))

    def event(self, at: float, reason: str, message: str, run: ContainerRun, type_: str = "Normal") -> None:
        self.plan.events.append(PlannedEvent(at, type_, reason, message, run.field_path))

    def ensure_image(self, run: ContainerRun, t: float) -> float | None:
        """When the image is usable (None: it never will be), with the Pulling/Pulled events on the way."""
        run.pull_at = t
        on_node = self.image_on_node(run.image)
        if on_node is None:
            on_node = self.plan.pulls.get(run.image.reference)
        pull = image_pull(run.image, imaging.pull_policy(run.spec), on_node, t, self.timings)
        for at, type_, reason, message in pull.events:
            self.event(at, reason, message, run, type_)
        if pull.downloaded:
            self.plan.pulls[run.image.reference] = pull.ready_at
        run.pulled_at = pull.ready_at
        return pull.ready_at

    def start(self, run: ContainerRun, t: float) -> float:
        created = t + self.timings.create
        run.started_at = created + self.timings.start
        self.event(created, "Created", f"Created container: {run.name}", run)
        self.event(run.started_at, "Started", f"Started container {run.name}", run)
        startup = run.spec.get("startupProbe")
        run.started_probe_at = run.started_at + (_probe_delay(startup, self.timings) if startup else 0.0)
        readiness = run.spec.get("readinessProbe")
        run.ready_at = run.started_probe_at + (_probe_delay(readiness, self.timings) if readiness else 0.0)
        return run.started_at

    def build(self) -> PodPlan:
        t = self.plan.sandbox_at
        blocked = False
        for run in self.plan.init():
            if blocked:
                break
            ready = self.ensure_image(run, t)
            if ready is None:
                blocked = True
                break
            self.start(run, ready)
            if run.role == "init":
                run.ready_at = None
                run.exited_at = run.started_at + self.timings.init_run
                t = run.exited_at
            else:
                t = run.started_probe_at  # the next init container waits for the sidecar's startup
        if blocked:
            return self.plan
        for run in self.plan.app():
            ready = self.ensure_image(run, t)
            if ready is None:
                t += self.timings.pull_failure  # the kubelet carries on with the next container
                continue
            t = self.start(run, ready)
        return self.plan


def plan(pod: dict, admitted_at: float, image_on_node: Callable[[Image], float | None],
         timings: Timings = TIMINGS) -> PodPlan:
    """The pod's lifecycle from admission: `image_on_node(image)` says since when the node holds an image
    (None: never pulled there). The caller records plan.pulls as the node's images."""
    return _Planner(pod, admitted_at, image_on_node, timings).build()


# failing pulls: attempt, fail, back off, retry ---------------------------------------------------------------
def pull_cycles(run: ContainerRun, until: float, timings: Timings = TIMINGS):
    """(attempt_at, failed_at, backoff_at) of each pull attempt that started by `until`."""
    attempt, backoff = run.pull_at, timings.image_backoff
    while attempt is not None and attempt <= until:
        failed = attempt + timings.pull_failure
        yield attempt, failed, failed + timings.backoff_shown_after
        attempt = failed + backoff
        backoff = min(backoff * 2, timings.image_backoff_max)


def _failing_pull_events(run: ContainerRun, until: float, timings: Timings) -> list[PlannedEvent]:
    image, path = run.image, run.field_path
    out = []
    for attempt, failed, backoff in pull_cycles(run, until, timings):
        if attempt > run.pull_at:  # the first Pulling event is part of the plan
            out.append(PlannedEvent(attempt, "Normal", "Pulling", f'Pulling image "{image.spec}"', path))
        out.append(PlannedEvent(failed, "Warning", "Failed",
                                f'Failed to pull image "{image.spec}": {image.pull_error()}', path))
        out.append(PlannedEvent(failed, "Warning", "Failed", "Error: ErrImagePull", path))
        out.append(PlannedEvent(backoff, "Normal", "BackOff", f'Back-off pulling image "{image.spec}"', path))
        out.append(PlannedEvent(backoff, "Warning", "Failed", "Error: ImagePullBackOff", path))
    return out


def _pull_waiting(run: ContainerRun, now: float, timings: Timings) -> dict:
    state = {"reason": "ContainerCreating"}
    for _, failed, backoff in pull_cycles(run, now, timings):
        if now >= backoff:
            state = {"reason": "ImagePullBackOff", "message":
                     f'Back-off pulling image "{run.image.spec}": ErrImagePull: {run.image.pull_error()}'}
        elif now >= failed:
            state = {"reason": "ErrImagePull", "message": run.image.pull_error()}
    return state


def events_between(plan: PodPlan, after: float, until: float, timings: Timings = TIMINGS) -> list[PlannedEvent]:
    """The plan's events with after < at <= until, in time order."""
    events = [e for e in plan.events if after < e.at <= until]
    for run in plan.containers:
        if run.failing_pull:
            events += [e for e in _failing_pull_events(run, until, timings) if after < e.at <= until]
    return sorted(events, key=lambda e: e.at)


def next_change(plan: PodPlan, now: float, timings: Timings = TIMINGS) -> float | None:
    """The next moment after `now` at which an event fires or the status changes (None: nothing ever will)."""
    moments = [e.at for e in plan.events]
    for run in plan.containers:
        moments += [t for t in (run.started_at, run.started_probe_at, run.ready_at, run.exited_at) if t is not None]
        for start, end in exits.instances(run, now + timings.image_backoff_max * 2, timings):
            moments += [start, end]
        if run.failing_pull:
            for cycle in pull_cycles(run, now + timings.image_backoff_max * 2, timings):
                moments += list(cycle)
    moments.append(plan.sandbox_at)
    later = [t for t in moments if t > now]
    return min(later) if later else None


# status -----------------------------------------------------------------------------------------------------
def container_id(pod_uid: str, name: str) -> str:
    return "containerd://" + hashlib.sha256(f"{pod_uid}/{name}".encode()).hexdigest()


def _mounts(spec: dict) -> list[dict]:
    out = []
    for mount in spec.get("volumeMounts") or []:
        item = {"name": mount.get("name"), "mountPath": mount.get("mountPath")}
        if mount.get("readOnly"):
            item.update(readOnly=True, recursiveReadOnly="Disabled")
        out.append(item)
    return out


def container_status(run: ContainerRun, pod_uid: str, now: float, stamp: Callable[[float], str],
                     timings: Timings = TIMINGS, pod_name: str = "") -> dict:
    started = run.started_at is not None and run.started_at <= now
    status: dict = {"name": run.name, "image": run.image.spec, "imageID": "", "ready": False,
                    "restartCount": 0, "started": False}
    if not started:
        waiting = _pull_waiting(run, now, timings) if run.failing_pull else {"reason": "ContainerCreating"}
        status["state"] = {"waiting": waiting}
        return status
    status.update(containerID=container_id(pod_uid, run.name), image=run.image.reference,
                  imageID=run.image.image_id, lastState={})
    if run.exited_at is not None and run.exited_at <= now:
        status["state"] = {"terminated": {"containerID": status["containerID"], "exitCode": 0,
                                          "finishedAt": stamp(run.exited_at), "reason": "Completed",
                                          "startedAt": stamp(run.started_at)}}
    else:
        status["state"] = {"running": {"startedAt": stamp(run.started_at)}}
        status["started"] = run.started_probe_at is not None and run.started_probe_at <= now
        status["ready"] = run.ready_at is not None and run.ready_at <= now
        if run.ending is not None:
            exits.ending_status(status, run, pod_name, now, stamp, timings)
            runs = exits.instances(run, now, timings)
            if len(runs) > 1 and "running" in status["state"]:
                status["state"] = {"running": {"startedAt": stamp(runs[-1][0])}}
    resources = run.spec.get("resources")
    if resources:
        status["resources"] = resources
    mounts = _mounts(run.spec)
    if mounts:
        status["volumeMounts"] = mounts
    return status


def _condition(kind: str, ok: bool, since: float, stamp, generation, reason: str = "", message: str = "") -> dict:
    # no "lastProbeTime": null: decoding drops nulls, so the stored condition never holds it
    condition = {"type": kind, "status": "True" if ok else "False", "lastTransitionTime": stamp(since)}
    if generation is not None:
        condition["observedGeneration"] = generation
    if not ok and reason:
        condition.update(reason=reason, message=message)
    return condition


def pod_status(pod: dict, plan: PodPlan, now: float, stamp: Callable[[float], str], *, host_ip: str,
               pod_ip: str, timings: Timings = TIMINGS) -> dict:
    """The status the kubelet reports at `now` (pod phase, conditions, container statuses, IPs)."""
    meta, old = pod["metadata"], pod.get("status") or {}
    uid, generation = meta.get("uid", ""), meta.get("generation")
    inits = [container_status(r, uid, now, stamp, timings) for r in plan.init()]
    full_name = f"{meta.get('name', '')}_{meta.get('namespace', '')}({uid})"
    apps = [container_status(r, uid, now, stamp, timings, full_name) for r in plan.app()]
    initialized_at = _initialized_at(plan)
    initialized = initialized_at is not None and initialized_at <= now
    if not initialized:
        for status in apps:
            if status["state"].get("waiting", {}).get("reason") == "ContainerCreating" and plan.init():
                status["state"] = {"waiting": {"reason": "PodInitializing"}}
    running = bool(apps) and all("running" in s["state"] or s.get("restartCount") or "terminated" in s["state"]
                                 for s in apps)
    done = exits.finished(plan.app(), now, timings)
    not_ready = [s["name"] for s in apps if not s["ready"]]
    unready_reason = "PodCompleted" if done else "ContainersNotReady"
    ready_at = max((r.ready_at for r in plan.app() if r.ready_at is not None), default=plan.admitted_at)
    sandbox_ready = plan.sandbox_at <= now
    unfinished = [r.name for r in plan.init() if not _init_done(r, now)]
    conditions = [
        _condition("PodReadyToStartContainers", sandbox_ready,
                   plan.sandbox_at if sandbox_ready else plan.admitted_at, stamp, generation),
        _condition("Initialized", initialized, initialized_at if initialized else plan.admitted_at, stamp,
                   generation, "ContainersNotInitialized", f"containers with incomplete status: "
                   f"[{' '.join(unfinished)}]"),
        _condition("Ready", not not_ready, ready_at if not not_ready else plan.admitted_at, stamp, generation,
                   unready_reason, "" if done else f"containers with unready status: [{' '.join(not_ready)}]"),
        _condition("ContainersReady", not not_ready, ready_at if not not_ready else plan.admitted_at, stamp,
                   generation, unready_reason, "" if done else
                   f"containers with unready status: [{' '.join(not_ready)}]"),
    ]
    scheduled = next((c for c in old.get("conditions") or [] if c.get("type") == "PodScheduled"), None)
    conditions.append(scheduled or _condition("PodScheduled", True, plan.admitted_at, stamp, generation))
    status = {"conditions": conditions, "containerStatuses": apps, "hostIP": host_ip,
              "hostIPs": [{"ip": host_ip}], "phase": _phase(apps, running, done),
              "qosClass": old.get("qosClass", "BestEffort"), "startTime": stamp(plan.admitted_at)}
    if inits:
        status["initContainerStatuses"] = inits
    if generation is not None:
        status["observedGeneration"] = generation
    if sandbox_ready:
        status.update(podIP=pod_ip, podIPs=[{"ip": pod_ip}])
    return status


def _phase(apps: list[dict], running: bool, done: bool) -> str:
    if done:  # a pod whose containers all ended: Failed if one failed (restartPolicy Never)
        codes = [s["state"]["terminated"]["exitCode"] for s in apps]
        return "Succeeded" if all(code == 0 for code in codes) else "Failed"
    return "Running" if running else "Pending"


def _init_done(run: ContainerRun, now: float) -> bool:
    if run.role == "sidecar":
        return run.started_probe_at is not None and run.started_probe_at <= now
    return run.exited_at is not None and run.exited_at <= now


def _initialized_at(plan: PodPlan) -> float | None:
    moments = []
    for run in plan.init():
        moment = run.started_probe_at if run.role == "sidecar" else run.exited_at
        if moment is None:
            return None
        moments.append(moment)
    return max(moments, default=plan.admitted_at)


# termination ------------------------------------------------------------------------------------------------
def stop_seconds(pod: dict, run: ContainerRun, timings: Timings = TIMINGS) -> float:
    """How long a container takes to stop: its preStop sleep, then the process's own exit; never more than
    the pod's grace period."""
    grace = (pod["metadata"].get("deletionGracePeriodSeconds")
             if pod["metadata"].get("deletionGracePeriodSeconds") is not None
             else (pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
    pre_stop = ((run.spec.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {}
    return max(0.0, min(float(grace), float(pre_stop.get("seconds") or 0) + timings.stop))

