"""watch_scaling(): a Deployment's replicas and its autoscaler's metric over time, drawn live while you wait.

    generate_load(200)
    api = watch_scaling("containo-orders-frontend", until="scaled up")  # above its minimum, and the HPA content
    api.explain(0)                                  # the HPA's first decision, with its numbers (api.explain(): all)
    stop_load()
    api = watch_scaling(previous=api, until="scaled down")              # the same chart, back to the minimum
    worker = watch_scaling("containo-orders-queue-processor", until=("scaled up", "scaled down"))

The Deployment is sampled every `interval` seconds. The HPA that scales it is followed with a watch, so every
decision it writes (a status whose desiredReplicas differs from currentReplicas) is kept, even between two
samples. The metric is the one the HPA reports (its first metric unless you name one), or, for a Deployment a KEDA
ScaledObject scales, the length of the queue. Chart times are the cluster's seconds: on the sandbox, real seconds
times the time scale it reports (GET /simulation/v1/clock), so stabilization windows and cooldowns read as configured;
the axis says which time scale the run had.
"""
from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sandbox.machinery import timestamps

from . import hpa_math
from .charts import GREEN, ORANGE, Guide, LiveChart, Series, line_chart
from .cluster import TIME_SCALE_ENV, Connection, current, friendly
from .display import in_notebook
from .errors import NoSuchKind, TimedOut, WorkshopError, explain
from .list_watch import LISTED, list_watch
from .orders import list_length
from .reach import API
from .scaling_goals import Goal, Sample
from .simulation import is_simulated, sandbox_time_scale

SIMULATION_TAG = "[simulation] "
WATCH_WINDOW = 2.0  # seconds one watch request of the follower lasts before it resumes (and checks for stop)
DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class Metric:
    label: str  # "cpu", "memory", "queued orders"
    unit: str  # "%" or ""
    target: float | None  # the HPA's target for it, drawn as a line (None: per replica, not drawn)
    queue: tuple[str, str] | None = None  # (namespace, list) when the metric is a queue's length


@dataclass(frozen=True)
class Subject:
    """What a run watches: the Deployment, the autoscaler that scales it, and the metric to draw."""
    deployment: str
    namespace: str
    hpa: str | None
    scaled_object: str | None
    metric: Metric | None
    bounds: tuple[int, int] | None  # (min, max) replicas the autoscaler keeps

    @property
    def scaler(self) -> str:
        if self.scaled_object:
            return f"scaledobject/{self.scaled_object}"
        return f"horizontalpodautoscaler/{self.hpa}" if self.hpa else "nothing (no autoscaler targets it)"


# --- finding the autoscaler -----------------------------------------------------------------------------------------

def _targets(obj: dict, deployment: str) -> bool:
    ref = (obj.get("spec") or {}).get("scaleTargetRef") or {}
    return ref.get("name") == deployment and ref.get("kind", "Deployment") == "Deployment"


def queue_of(so: dict) -> tuple[str, str, float]:
    """(namespace, list, listLength) of a ScaledObject's first redis trigger (address `service.namespace:port`)."""
    for trigger in (so.get("spec") or {}).get("triggers") or []:
        meta = trigger.get("metadata") or {}
        if trigger.get("type") == "redis" and meta.get("listName"):
            host = (meta.get("address") or meta.get("host") or "").rsplit(":", 1)[0]
            parts = host.split(".")
            namespace = parts[1] if len(parts) > 1 and parts[1] != "svc" else so["metadata"]["namespace"]
            return namespace, meta["listName"], float(meta.get("listLength") or 5)
    raise WorkshopError(f"scaledobject/{so['metadata']['name']} has no redis list trigger to read a queue from")


def hpa_metric(hpa: dict, name: str | None) -> Metric:
    """The HPA metric to draw: the one named, else the first of spec.metrics."""
    for metric in (hpa.get("spec") or {}).get("metrics") or []:
        key, block = hpa_math.source(metric)
        label = key.split("/", 1)[1]
        if name in (None, label):
            target = block.get("target") or {}
            percent = target.get("averageUtilization") is not None
            value = target.get("averageUtilization") if percent else target.get("averageValue", target.get("value"))
            return Metric(label, "%" if percent else "", float(hpa_math.quantity(value)) if value is not None
                          else None)
    raise WorkshopError(f"horizontalpodautoscaler/{hpa['metadata']['name']} has no metric {name!r}")


def discover(conn: Connection, deployment: str, namespace: str, metric: str | None = None) -> Subject:
    """The HPA (and ScaledObject) scaling `deployment`, and the metric a chart of it shows."""
    hpas = [h for h in conn.api.items("autoscaling/v2", "HorizontalPodAutoscaler", namespace)
            if _targets(h, deployment)]
    try:
        sos = [s for s in conn.api.items("keda.sh/v1alpha1", "ScaledObject", namespace) if _targets(s, deployment)]
    except NoSuchKind:  # KEDA is not installed
        sos = []
    hpa = hpas[0] if hpas else None
    if sos:
        so, spec = sos[0], sos[0].get("spec") or {}
        queue_ns, list_name, _ = queue_of(so)
        chosen = Metric("queued orders", "", None, (queue_ns, list_name)) if metric in (None, "queue") else (
            hpa_metric(hpa, metric) if hpa else None)
        bounds = (spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100))
        return Subject(deployment, namespace, hpa["metadata"]["name"] if hpa else None, so["metadata"]["name"], chosen,
                       bounds)
    if hpa is None:
        return Subject(deployment, namespace, None, None, None, None)
    spec = hpa["spec"]
    return Subject(deployment, namespace, hpa["metadata"]["name"], None, hpa_metric(hpa, metric),
                   (spec.get("minReplicas", 1), spec["maxReplicas"]))


# --- following the HPA ----------------------------------------------------------------------------------------------

class Follower(threading.Thread):
    """Follows one named object in the background (list_watch, in windows of WATCH_WINDOW seconds, going on through
    passing API failures) and calls `seen` with every version, the listed one included; stop() ends it within one
    window. A failure waiting cannot mend (a refused watch, a bug) is kept in `error` for watch_scaling to report."""

    def __init__(self, conn: Connection, api_version: str, kind: str, namespace: str, name: str,
                 seen: Callable[[dict], None]):
        super().__init__(daemon=True, name=f"follow {kind.lower()}/{name}")
        self.conn, self.namespace, self.name, self.seen = conn, namespace, name, seen
        self.path = conn.api.resource(api_version, kind).path(namespace)
        self.stopping = threading.Event()
        self.listed = threading.Event()  # set once the first list is in (or the follower failed)
        self.error: Exception | None = None

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        events = list_watch(self.conn.api, self.path, field_selector=f"metadata.name={self.name}",
                            window=lambda: WATCH_WINDOW, retry_after=1.0, sleep=self.stopping.wait)
        try:
            for event in events:
                if event.type == LISTED:
                    for item in event.items:
                        self.seen(item)
                    self.listed.set()
                elif event.type in ("ADDED", "MODIFIED"):
                    self.seen(event.object)
                if self.stopping.is_set():
                    return
        except Exception as exc:  # reported by watch_scaling instead of dying silently
            self.error = exc
            self.listed.set()
        finally:
            events.close()


# --- the run --------------------------------------------------------------------------------------------------------

def _decision_key(status: dict) -> tuple:
    return status.get("currentReplicas"), status.get("desiredReplicas"), status.get("lastScaleTime")


def _epoch(timestamp: str | None) -> float:
    return timestamps.epoch(timestamp) or 0.0


@dataclass
class ScalingRun:
    """What watch_scaling() saw: samples for the chart, and the HPA's decisions with the numbers behind them."""
    subject: Subject
    time_scale: float
    started: float = field(default_factory=time.monotonic)
    since: float = field(default_factory=lambda: math.floor(time.time()))  # wall clock, as lastScaleTime counts
    samples: list[Sample] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)  # HPA statuses that changed the replica count, in order
    hpa: dict | None = None  # the latest version of the HPA
    on_sandbox: bool = True  # the chart's time axis says at which time scale the sandbox ran
    simulated: bool = False  # a --runtime simulated sandbox: the load, the queue and the metrics are its model's

    def seen_hpa(self, hpa: dict) -> None:
        self.hpa = hpa
        status = hpa.get("status") or {}
        replicas, desired = status.get("currentReplicas") or 0, status.get("desiredReplicas")
        if not replicas or desired in (None, replicas) or _epoch(status.get("lastScaleTime")) < self.since:
            return  # no decision, or one made before the run began
        if not any(_decision_key(d) == _decision_key(status) for d in self.decisions):
            self.decisions.append(status)

    def elapsed(self) -> float:
        return (time.monotonic() - self.started) * self.time_scale

    @property
    def peak(self) -> int:
        return max((s.replicas for s in self.samples), default=0)

    def path(self) -> list[int]:
        """The replica counts the HPA set, decision by decision (2 -> 6 -> 4 ...)."""
        if not self.decisions:
            return []
        return [self.decisions[0]["currentReplicas"]] + [d["desiredReplicas"] for d in self.decisions]

    def summary_lines(self) -> list[str]:
        s = self.subject
        bounds = f" ({s.bounds[0]}..{s.bounds[1]} replicas)" if s.bounds else ""
        lines = [f"{SIMULATION_TAG if self.simulated else ''}deployment/{s.deployment}, scaled by {s.scaler}{bounds}:"]
        if s.hpa and not s.scaled_object and self.decisions:
            lines.append("  HPA decisions: " + " → ".join(str(n) for n in self.path()))
        if self.samples:
            lines.append(f"  peak {self.peak} replicas, now {self.samples[-1].replicas}")
        return lines

    def summary(self) -> None:
        """Print what is certain about the run: the HPA's decisions, the peak, the replicas now."""
        print("\n".join(self.summary_lines()))

    def explain(self, *which: int) -> None:
        """Print the decisions the HPA made during the run, with the numbers it saw and its arithmetic: all of them,
        or those at the positions given (explain(0): the first, explain(-1): the last)."""
        spec = (self.hpa or {}).get("spec")
        if not spec or not self.decisions:
            print(f"{self.subject.scaler} changed no replica count during this run.")
            return
        try:
            chosen = [self.decisions[i] for i in which] if which else self.decisions
        except IndexError:
            raise WorkshopError(f"this run saw {len(self.decisions)} decisions: ask for 0 to "
                                f"{len(self.decisions) - 1} (or -1, the last)") from None
        print(f"{SIMULATION_TAG if self.simulated else ''}horizontalpodautoscaler/{self.subject.hpa}: desired = "
              f"ceil(current replicas × current / target), per metric; the highest wins")
        for status in chosen:
            print(f"{status['currentReplicas']} → {status['desiredReplicas']} replicas")
            print("\n".join(hpa_math.explain(spec, status)))

    def chart_svg(self) -> str:
        s, m = self.subject, self.subject.metric
        series = [Series("ready pods", [(x.t, x.ready) for x in self.samples], color=GREEN, step=True, dashed=True,
                         width=1.5),
                  Series("replicas", [(x.t, x.replicas) for x in self.samples], step=True)]
        guides = []
        if s.bounds:
            guides += [Guide(s.bounds[1], f"max {s.bounds[1]}"), Guide(s.bounds[0], f"min {s.bounds[0]}")]
        right_label = ""
        if m is not None:
            points = [(x.t, x.metric) for x in self.samples if x.metric is not None]
            series.append(Series(f"{m.label}{' (% of requests)' if m.unit == '%' else ''}", points, axis="right",
                                 color=ORANGE, step=m.queue is None))
            right_label = f"{m.label} ({m.unit})" if m.unit else m.label
            if m.target is not None:
                guides.append(Guide(m.target, f"target {m.target:g}{m.unit}", axis="right", color=ORANGE))
        x_label = time_axis_label(self.time_scale, self.on_sandbox)
        return line_chart(series, title=f"deployment/{s.deployment}: replicas"
                                        + (f" and {m.label}" if m else "")
                                        + (" [simulation: the sandbox workload model]" if self.simulated else ""),
                          x_label=x_label,
                          left_label="replicas", right_label=right_label, guides=guides)

    def __repr__(self) -> str:
        return "\n".join(self.summary_lines())

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


# --- watching -------------------------------------------------------------------------------------------------------

def time_axis_label(scale: float, on_sandbox: bool) -> str:
    """The chart's x axis: which seconds it counts, and the time scale the run had (on the sandbox, the time scale
    it was started with: 1 is real time, what learners get; the tests run at 10, which shortens the controllers'
    windows and periods, not the load or the work)."""
    if not on_sandbox:
        return "seconds (real time)"
    if scale == 1:
        return "seconds (sandbox at time scale 1: real time)"
    return f"sandbox seconds (time scale {scale:g}: {scale:g} per real second)"


def time_scale(conn: Connection) -> float:
    """How many cluster seconds pass per real second: the sandbox's time scale (it says which), 1 on a real cluster."""
    if conn.cluster != "sandbox":
        return 1.0
    scale = sandbox_time_scale(conn)
    if scale is not None:
        return scale
    try:  # a sandbox too old to say: the scale connect() would have started it with
        return float(os.environ.get(TIME_SCALE_ENV) or 1.0)
    except ValueError:
        return 1.0


def _metric_value(conn: Connection, run: ScalingRun) -> float | None:
    m = run.subject.metric
    if m is None:
        return None
    if m.queue is not None:
        namespace, list_name = m.queue
        return float(list_length(conn, namespace, list_name))
    status = (run.hpa or {}).get("status") or {}
    for p in hpa_math.proposals(run.hpa["spec"], status) if run.hpa else []:
        if p.label == m.label:
            return float(p.current)
    return None


def _sample(conn: Connection, run: ScalingRun) -> Sample:
    s = run.subject
    deployment = conn.api.read("apps/v1", "Deployment", s.deployment, s.namespace)
    if deployment is None:
        raise WorkshopError(f'deployment "{s.deployment}" not found in namespace {s.namespace}')
    status = deployment.get("status") or {}
    hpa_status = (run.hpa or {}).get("status") or {}
    proposals = hpa_math.proposals(run.hpa["spec"], hpa_status) if run.hpa else []
    return Sample(round(run.elapsed(), 1), deployment["spec"].get("replicas", 1), status.get("readyReplicas") or 0,
                  _metric_value(conn, run), hpa_status.get("desiredReplicas"), hpa_status.get("currentReplicas"),
                  max((p.proposed for p in proposals), default=None))


def _state(sample: Sample, metric: Metric | None) -> str:
    text = f"replicas {sample.replicas} (ready {sample.ready})"
    if metric is not None and sample.metric is not None:
        text += f", {metric.label} {sample.metric:g}{metric.unit}"
    return text


def _why_not(run: ScalingRun, goal: Goal, timeout: float) -> str:
    last = run.samples[-1] if run.samples else None
    now = f"now {last.replicas} replicas ({last.ready} ready)" if last else "no sample taken"
    lines = [f"deployment/{run.subject.deployment}: {goal.describe()} not reached after {timeout:g}s; {now}."]
    for condition in ((run.hpa or {}).get("status") or {}).get("conditions") or []:
        trouble = "True" if condition.get("type") == "ScalingLimited" else "False"
        if condition.get("status") == trouble:
            lines.append(f"  {run.subject.hpa} {condition['type']}={condition['status']} {condition.get('reason')}: "
                         f"{condition.get('message')}")
    if run.subject.hpa is None:
        lines.append("  No HorizontalPodAutoscaler or ScaledObject targets this Deployment: nothing scales it.")
    return "\n".join(lines)


@friendly
def watch_scaling(deployment: str | None = None, *, replicas: int | Sequence[int] | None = None,
                  until: str | Sequence[str] | Callable[[Sample], bool] | None = None, seconds: float | None = None,
                  metric: str | None = None, previous: ScalingRun | None = None, timeout: float = DEFAULT_TIMEOUT,
                  interval: float | None = None, namespace: str | None = None) -> ScalingRun:
    """Watch a Deployment's replicas (the API's by default) and its autoscaler's metric on a live chart until a goal
    is reached.

    until="scaled up"     until the autoscaler has scaled above its minimum, every pod is ready, and it wants no more
    until="scaled down"   until it is back at its minimum; until=("scaled up", "scaled down"): out and back
    replicas=6            until 6 replicas, all ready; replicas=(5, 0): up to 5, then back to 0
    until=lambda s: s.ready == 6 and s.metric < 50     any condition on a Sample (t, replicas, ready, metric, desired)
    seconds=60        watch for that long
    metric="memory"   draw another of the HPA's metrics (default: its first; for KEDA, the queue's length)
    previous=run      continue an earlier run's chart

    Returns the run: run.summary(), run.explain() (the HPA's decisions with their numbers), run.samples.
    """
    conn = current()
    deployment = deployment or (previous.subject.deployment if previous else API)
    namespace = namespace or conn.namespace
    run = previous or ScalingRun(discover(conn, deployment, namespace, metric), time_scale(conn),
                                 on_sandbox=conn.cluster == "sandbox", simulated=is_simulated(conn))
    if previous is not None and previous.subject.deployment != deployment:
        raise WorkshopError(f"previous= is a run of deployment/{previous.subject.deployment}, not {deployment}")
    goal = Goal(replicas, until, seconds, run.subject.bounds)
    interval = interval or (0.5 if conn.cluster == "sandbox" else 2.0)
    follower = None
    if run.subject.hpa:
        follower = Follower(conn, "autoscaling/v2", "HorizontalPodAutoscaler", namespace, run.subject.hpa,
                            run.seen_hpa)
        follower.start()
    try:
        return _watch(conn, run, goal, timeout, interval, follower)
    finally:
        if follower is not None:
            follower.stop()


def _watch(conn: Connection, run: ScalingRun, goal: Goal, timeout: float, interval: float,
           follower: Follower | None) -> ScalingRun:
    chart = LiveChart(f"chart: replicas of deployment/{run.subject.deployment} over time")
    begun, last_state, shown = time.monotonic(), "", False
    if follower is not None:  # the first sample should know the HPA's state
        follower.listed.wait(10.0)
    while True:
        sample = _sample(conn, run)
        run.samples.append(sample)
        (chart.update if shown else chart.show)(run.chart_svg())
        shown = True
        state = _state(sample, run.subject.metric)
        if not in_notebook() and state != last_state:  # in Jupyter the chart shows it
            print(f"{sample.t:6.0f}s  {state}", flush=True)
            last_state = state
        elapsed = time.monotonic() - begun
        if goal.reached(sample, elapsed):
            return run
        if follower is not None and follower.error is not None:
            raise WorkshopError(f"watching horizontalpodautoscaler/{run.subject.hpa} failed: {explain(follower.error)}")
        if elapsed > timeout:
            raise TimedOut(_why_not(run, goal, timeout))
        time.sleep(interval)  # the chart's sampling period
