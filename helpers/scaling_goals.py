"""When watch_scaling() stops: what one look at a Deployment and its autoscaler saw (Sample), and the goal it waits
for (Goal): a replica count or a path of counts, the autoscaler's own moves ("scaled up", "scaled down"), a condition
on the sample, or a duration."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import WorkshopError


@dataclass(frozen=True)
class Sample:
    t: float  # seconds since the run began, as the cluster counts them
    replicas: int  # the Deployment's spec.replicas: what the autoscaler set
    ready: int
    metric: float | None  # the watched metric (None until the autoscaler reports it)
    desired: int | None  # the HPA's status.desiredReplicas
    hpa_replicas: int | None = None  # the HPA's status.currentReplicas: the count its last sync looked at
    proposed: int | None = None  # the highest replica count its metrics propose (None: it reports no metric)


SCALED_UP, SCALED_DOWN = "scaled up", "scaled down"


class Goal:
    """When a run stops: replicas=N (or a path N, M...: reach each in turn), until=callable(Sample), until="scaled up"
    / "scaled down" (or both, in turn), and/or seconds=S. `bounds` are the autoscaler's (min, max) replicas.

    "scaled up": above the minimum, every replica ready, and the HPA content with that count: its last sync looked at
    this many replicas and wants no more: it keeps them and its metrics propose no more (or the maximum is reached),
    or it has already turned to going down (a queue a fast worker drained: the way up is over). The last part
    matters: a sync that ran while a new pod had no metrics yet holds the count (such a pod counts as using
    nothing), and only the next one, with every pod measured, says whether the load is spread thin enough. "scaled down": back at the minimum, every replica ready. Neither names a
    count: how far real CPU or a real queue takes an autoscaler depends on the machine."""

    def __init__(self, replicas: int | Sequence[int] | None, until, seconds: float | None,
                 bounds: tuple[int, int] | None = None):
        if replicas is None and until is None and seconds is None:
            raise WorkshopError("Say when to stop watching: until=\"scaled up\", until=\"scaled down\", replicas=6, "
                                "replicas=(5, 0), until=lambda s: ..., or seconds=60.")
        self.path = [] if replicas is None else ([replicas] if isinstance(replicas, int) else list(replicas))
        words = [until] if isinstance(until, str) else list(until) if isinstance(until, (tuple, list)) else []
        unknown = [w for w in words if w not in (SCALED_UP, SCALED_DOWN)]
        if unknown:
            raise WorkshopError(f"until= takes {SCALED_UP!r}, {SCALED_DOWN!r}, both in a tuple, or a function of the "
                                f"sample, not {unknown[0]!r}")
        if words and bounds is None:
            raise WorkshopError("No HorizontalPodAutoscaler or ScaledObject scales this Deployment: it has no "
                                "minimum to scale up from or down to. Name a count instead: replicas=3.")
        self.phases, self.bounds = words, bounds
        self.until = None if words else until
        self.seconds, self.index, self.phase = seconds, 0, 0

    def describe(self) -> str:
        words = []
        if self.path:
            words.append("replicas " + " then ".join(str(n) for n in self.path))
        if self.phases:
            words.append(" then ".join(self.phases) + f" (minimum {self.bounds[0]})")
        if self.until is not None:
            words.append("your until= condition")
        if self.seconds is not None:
            words.append(f"{self.seconds:g} seconds")
        return " and ".join(words)

    def _phase_reached(self, phase: str, sample: Sample) -> bool:
        settled = sample.replicas == sample.ready
        if phase == SCALED_DOWN:
            return settled and sample.replicas == self.bounds[0]
        return settled and sample.replicas > self.bounds[0] and self._content(sample)

    def _content(self, sample: Sample) -> bool:
        """The HPA's last sync looked at this many replicas and wants no more: it keeps them (and its metrics ask
        for no more, or the maximum is reached), or it has already turned to going down."""
        if sample.hpa_replicas != sample.replicas or sample.desired is None or sample.proposed is None:
            return False
        if sample.desired < sample.replicas:
            return True
        return sample.desired == sample.replicas and (sample.proposed <= sample.replicas
                                                      or sample.replicas >= self.bounds[1])

    def reached(self, sample: Sample, real_elapsed: float) -> bool:
        while self.index < len(self.path) and sample.replicas == sample.ready == self.path[self.index]:
            self.index += 1
        while self.phase < len(self.phases) and self._phase_reached(self.phases[self.phase], sample):
            self.phase += 1
        done = self.index >= len(self.path) and self.phase >= len(self.phases)
        if self.until is not None:
            try:
                done = done and bool(self.until(sample))
            except TypeError:  # e.g. `s.metric < 50` while the metric is still None
                done = False
        if self.seconds is not None:
            done = done and real_elapsed >= self.seconds
        return done
