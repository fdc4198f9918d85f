"""How many replicas a metric asks for: the HorizontalPodAutoscaler's replica calculator (kube-controller-manager,
pkg/controller/podautoscaler) as pure functions over pod dicts and metric samples.

desired = ceil(ready pods * current / target), unless the ratio is within the tolerance (0.1 by default). Pods that
are being deleted or failed are ignored; pending pods and (for cpu) pods that are still starting count as unready;
pods without a metric are "missing". On a scale-up, unready and missing pods are assumed to use 0; on a scale-down,
missing pods are assumed to use the target (100% of their request for utilization); a result that would flip the
direction of scaling is dropped. Error texts are the controller's, because the HPA's conditions and events show them.

Times: `now` and the timestamps are epoch seconds; the initialization periods are in the same (real) seconds."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from sandbox.machinery import podutil
from sandbox.machinery.timestamps import epoch

from . import quantities

DEFAULT_TOLERANCE = 0.1
CPU_INITIALIZATION_PERIOD = 300.0  # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = 30.0  # --horizontal-pod-autoscaler-initial-readiness-delay


class CalculationError(Exception):
    """A metric could not produce a replica count; str() is the controller's wording."""


@dataclass(frozen=True)
class PodMetric:
    value: int  # milli-units
    timestamp: float = 0.0
    window: float = 0.0


@dataclass(frozen=True)
class Tolerances:
    scale_down: float = DEFAULT_TOLERANCE
    scale_up: float = DEFAULT_TOLERANCE

    def within(self, ratio: float) -> bool:
        return (1.0 - self.scale_down) <= ratio <= (1.0 + self.scale_up)


@dataclass(frozen=True)
class Periods:
    cpu_initialization: float = CPU_INITIALIZATION_PERIOD
    initial_readiness_delay: float = INITIAL_READINESS_DELAY


@dataclass
class PodGroups:
    ready_count: int = 0
    unready: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    ignored: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ResourceResult:
    replicas: int
    utilization: int  # percent of request (0 for AverageValue targets)
    raw_average: int  # milli-units per pod


def _is_unready_cpu_sample(pod: dict, metric: PodMetric, now: float, periods: Periods) -> bool:
    condition = podutil.condition(pod, "Ready")
    start = epoch(pod.get("status", {}).get("startTime"))
    if condition is None or start is None:
        return True
    transition = epoch(condition.get("lastTransitionTime")) or 0.0
    if start + periods.cpu_initialization > now:
        # Still starting: drop the sample if unready or if no full metric window has passed since readiness.
        return condition.get("status") == "False" or metric.timestamp < transition + metric.window
    # Past start-up: drop it only if the pod is unready and has never been ready.
    return condition.get("status") == "False" and start + periods.initial_readiness_delay > transition


def group_pods(pods: list[dict], metrics: dict[str, PodMetric], resource: str, now: float,
               periods: Periods = Periods()) -> PodGroups:
    groups = PodGroups()
    for pod in pods:
        name, phase = pod["metadata"]["name"], pod.get("status", {}).get("phase")
        if pod["metadata"].get("deletionTimestamp") or phase == "Failed":
            groups.ignored.add(name)
        elif phase == "Pending":
            groups.unready.add(name)
        elif name not in metrics:
            groups.missing.add(name)
        elif resource == "cpu" and _is_unready_cpu_sample(pod, metrics[name], now, periods):
            groups.unready.add(name)
        else:
            groups.ready_count += 1
    return groups


def _containers(pod: dict) -> list[dict]:
    spec = pod.get("spec", {})
    sidecars = [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    return list(spec.get("containers") or []) + sidecars


def pod_requests(pods: list[dict], container: str, resource: str) -> dict[str, int]:
    """Each pod's request for `resource` in milli-units: pod-level requests when set, else the containers' sum."""
    requests: dict[str, int] = {}
    for pod in pods:
        name = pod["metadata"]["name"]
        pod_level = (pod.get("spec", {}).get("resources") or {}).get("requests") or {}
        if not container and pod_level:
            if resource not in pod_level:
                raise CalculationError(f"missing pod-level request for {resource} in Pod {name}")
            requests[name] = quantities.milli_value(pod_level[resource])
            continue
        requests[name] = _container_requests(pod, name, container, resource)
    return requests


def _container_requests(pod: dict, name: str, container: str, resource: str) -> int:
    total = 0
    for c in _containers(pod):
        if container and c.get("name") != container:
            continue
        request = ((c.get("resources") or {}).get("requests") or {}).get(resource)
        if request is None:
            raise CalculationError(f"missing request for {resource} in container {c.get('name')} of Pod {name}")
        total += quantities.milli_value(request)
        if container:
            return total
    if container:
        raise CalculationError(f"container {container} not found in Pod {name}")
    return total


def utilization_ratio(metrics: dict[str, PodMetric], requests: dict[str, int],
                      target_utilization: int) -> tuple[float, int, int]:
    """(usage ratio, utilization %, raw average milli-value) over the pods that have both a metric and a request."""
    used = [(m.value, requests[name]) for name, m in metrics.items() if name in requests]
    requested = sum(r for _, r in used)
    if requested == 0:
        raise CalculationError("no metrics returned matched known pods")
    total = sum(v for v, _ in used)
    utilization = (total * 100) // requested
    return utilization / target_utilization, utilization, total // len(used)


def usage_ratio(metrics: dict[str, PodMetric], target_usage: int) -> tuple[float, int]:
    usage = sum(m.value for m in metrics.values()) // len(metrics)
    return usage / target_usage, usage


def _keep_grouped(metrics: dict[str, PodMetric], groups: PodGroups) -> dict[str, PodMetric]:
    return {name: m for name, m in metrics.items() if name not in groups.ignored and name not in groups.unready}


def resource_replicas(current_replicas: int, target_utilization: int, resource: str, pods: list[dict],
                      metrics: dict[str, PodMetric], now: float, *, tolerances: Tolerances = Tolerances(),
                      container: str = "", periods: Periods = Periods()) -> ResourceResult:
    """GetResourceReplicas: a target averageUtilization (percent of the pods' requests)."""
    if not pods:
        raise CalculationError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, metrics, resource, now, periods)
    metrics = _keep_grouped(metrics, groups)
    if not metrics:
        raise CalculationError("did not receive metrics for targeted pods (pods might be unready)")
    requests = pod_requests(pods, container, resource)
    ratio, utilization, raw = utilization_ratio(metrics, requests, target_utilization)

    scale_up_with_unready = bool(groups.unready) and ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        if tolerances.within(ratio):
            return ResourceResult(current_replicas, utilization, raw)
        return ResourceResult(math.ceil(ratio * groups.ready_count), utilization, raw)

    fallback = max(100, target_utilization)
    for name in groups.missing:
        if ratio < 1.0:
            metrics[name] = PodMetric(requests[name] * fallback // 100)
        elif ratio > 1.0:
            metrics[name] = PodMetric(0)
    if scale_up_with_unready:
        for name in groups.unready:
            metrics[name] = PodMetric(0)
    new_ratio, _, _ = utilization_ratio(metrics, requests, target_utilization)
    replicas = _rebalanced(current_replicas, ratio, new_ratio, len(metrics), tolerances)
    return ResourceResult(replicas, utilization, raw)


def _rebalanced(current: int, ratio: float, new_ratio: float, counted: int, tolerances: Tolerances) -> int:
    """The replica count after assuming values for unready/missing pods, unless that flips direction."""
    if tolerances.within(new_ratio) or (ratio < 1.0 < new_ratio) or (new_ratio < 1.0 < ratio):
        return current
    replicas = math.ceil(new_ratio * counted)
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current
    return replicas


def plain_metric_replicas(current_replicas: int, target_usage: int, resource: str, pods: list[dict],
                          metrics: dict[str, PodMetric], now: float, *, tolerances: Tolerances = Tolerances(),
                          periods: Periods = Periods()) -> tuple[int, int]:
    """calcPlainMetricReplicas: a target averageValue per pod (milli-units); returns (replicas, average usage)."""
    if not pods:
        raise CalculationError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, metrics, resource, now, periods)
    metrics = _keep_grouped(metrics, groups)
    if not metrics:
        raise CalculationError("did not receive metrics for targeted pods (pods might be unready)")
    ratio, usage = usage_ratio(metrics, target_usage)

    scale_up_with_unready = bool(groups.unready) and ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        if tolerances.within(ratio):
            return current_replicas, usage
        return math.ceil(ratio * groups.ready_count), usage

    for name in groups.missing:
        if ratio < 1.0:
            metrics[name] = PodMetric(target_usage)
        elif ratio > 1.0:
            metrics[name] = PodMetric(0)
    if scale_up_with_unready:
        for name in groups.unready:
            metrics[name] = PodMetric(0)
    new_ratio, _ = usage_ratio(metrics, target_usage)
    return _rebalanced(current_replicas, ratio, new_ratio, len(metrics), tolerances), usage


def ready_pod_count(pods: list[dict]) -> int:
    if not pods:
        raise CalculationError("no pods returned by selector while calculating replica count")
    return sum(1 for pod in pods if podutil.is_running_and_ready(pod))


def external_per_pod_replicas(status_replicas: int, target_per_pod: int, values: list[int], *,
                              tolerances: Tolerances = Tolerances()) -> tuple[int, int]:
    """GetExternalPerPodMetricReplicas (target AverageValue, as KEDA's HPAs use): ceil(sum / target per pod)."""
    usage = sum(values)
    replicas = status_replicas
    ratio = usage / (target_per_pod * status_replicas) if status_replicas else math.inf
    if not tolerances.within(ratio):
        replicas = math.ceil(usage / target_per_pod)
    average = math.ceil(usage / status_replicas) if status_replicas else usage
    return replicas, average


def external_value_replicas(current_replicas: int, target: int, values: list[int], pods: list[dict], *,
                            tolerances: Tolerances = Tolerances()) -> tuple[int, int]:
    """GetExternalMetricReplicas (target Value): the ratio applied to the ready pods."""
    usage = sum(values)
    ratio = usage / target
    if current_replicas == 0:
        return math.ceil(ratio), usage
    if tolerances.within(ratio):
        return current_replicas, usage
    try:
        ready = ready_pod_count(pods)
    except CalculationError as err:
        raise CalculationError(f"unable to calculate ready pods: {err}") from None
    return math.ceil(ratio * ready), usage
