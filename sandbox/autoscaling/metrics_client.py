"""The HPA's view of metrics.k8s.io: PodMetrics objects become one sample per pod (the sum over its containers,
or one named container), with the resource metrics client's error wording."""
from __future__ import annotations

import re

from sandbox.machinery.timestamps import epoch

from . import quantities
from .replica_calculator import CalculationError, PodMetric

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?)(h|ms|m|s|us|µs|ns)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def duration_seconds(text: str) -> float:
    """A Go duration string ("15s", "1m0s", "10.5s") in seconds; unparseable text counts as 0."""
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(text or ""))


def resource_metrics(items: list[dict], resource: str, container: str = "") -> tuple[dict[str, PodMetric], float]:
    """GetResourceMetric: ({pod name: sample}, timestamp of the first item)."""
    if not items:
        raise CalculationError("no metrics returned from resource metrics API")
    if container:
        samples = _container_samples(items, resource, container)
    else:
        samples = {m["metadata"]["name"]: sample for m in items if (sample := _pod_sample(m, resource))}
    return samples, epoch(items[0].get("timestamp")) or 0.0


def _sample(item: dict, milli: int) -> PodMetric:
    return PodMetric(milli, epoch(item.get("timestamp")) or 0.0, duration_seconds(item.get("window", "")))


def _pod_sample(item: dict, resource: str) -> PodMetric | None:
    containers = item.get("containers") or []
    if not containers or any(resource not in (c.get("usage") or {}) for c in containers):
        return None  # a pod with any container missing the resource is left out, as metrics-server's client does
    return _sample(item, sum(quantities.milli_value(c["usage"][resource]) for c in containers))


def _container_samples(items: list[dict], resource: str, container: str) -> dict[str, PodMetric]:
    samples: dict[str, PodMetric] = {}
    for item in items:
        meta = item["metadata"]
        match = next((c for c in item.get("containers") or [] if c.get("name") == container), None)
        if match is None:
            raise CalculationError(f"failed to get container metrics: container {container} not present in "
                                   f"metrics for pod {meta.get('namespace')}/{meta['name']}")
        if resource in (match.get("usage") or {}):
            samples[meta["name"]] = _sample(item, quantities.milli_value(match["usage"][resource]))
    return samples
