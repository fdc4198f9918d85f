"""The horizontal pod autoscaler controller (kube-controller-manager's podautoscaler.HorizontalController).

Every 15 simulated seconds per HPA (--horizontal-pod-autoscaler-sync-period): read the target's scale
subresource, compute the replicas each metric asks for (metrics.k8s.io for Resource metrics, KEDA's adapter for
External ones), take the highest, stabilize and limit it (sandbox.autoscaling.behavior), write the scale, and
keep status (currentReplicas, desiredReplicas, currentMetrics, lastScaleTime, conditions) and events worded as
the real controller words them. A new HPA waits one sync period too, so it shows <unknown> at first."""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

from sandbox.autoscaling import behavior, hpa_conditions as cond, metric_names, metrics_client, quantities
from sandbox.autoscaling.replica_calculator import (
    CalculationError, Periods, PodMetric, external_per_pod_replicas, external_value_replicas, plain_metric_replicas,
    resource_replicas)
from sandbox.controllers.base import DELETED, Controller, key_of, split_key
from sandbox.controllers.scaled_object import external_metric_values
from sandbox.machinery import conditions, labels, resources
from sandbox.machinery.errors import StatusError
from sandbox.simulation import workload

SYNC_PERIOD = 15.0
COMPONENT = "horizontal-pod-autoscaler"
MANAGER = "kube-controller-manager"
HPAS = resources.lookup("autoscaling", "v2", "horizontalpodautoscalers")
POD_METRICS = resources.lookup("metrics.k8s.io", "v1beta1", "pods")
# What the API server defaults spec.metrics to (autoscaling/v2 SetDefaults: 80% of the cpu request).
DEFAULT_METRICS = [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                               "averageUtilization": 80}}}]


class MetricError(Exception):
    """One metric failed: `condition` is what ScalingActive would say if every metric failed."""

    def __init__(self, message: str, condition: tuple[str, str, str, str]):
        super().__init__(message)
        self.condition = condition


@dataclass
class Sync:
    """One pass over one HPA: the copy being changed and what the pass learnt."""
    hpa: dict
    now: str
    metric_statuses: list[dict] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return self.hpa["metadata"]["namespace"]

    def condition(self, type_: str, status: str, reason: str, message: str) -> None:
        status_obj = self.hpa.setdefault("status", {})
        status_obj["conditions"] = conditions.set_condition_in_list(status_obj.get("conditions"), type_, status,
                                                                    reason, message, self.now)


class HorizontalPodAutoscalerController(Controller):
    name = COMPONENT

    def setup(self) -> None:
        self.hpas = self.informer("autoscaling", "horizontalpodautoscalers")
        self.pods = self.informer("", "pods")
        self.hpas.add_handler(self._on_hpa)
        self.model = workload.attach(self.registry, self.clock)
        self.histories: dict[str, behavior.History] = {}
        self.selectors: dict[str, labels.LabelSelector] = {}

    def _on_hpa(self, event_type: str, old: dict | None, new: dict | None) -> None:
        key = key_of(new or old)
        if event_type == DELETED:
            self.queue.add(key)
        else:  # the real queue's rate limiter holds every key for one sync period
            self.enqueue_after(key, SYNC_PERIOD)

    async def reconcile(self, key: str) -> None:
        shared = self.hpas.get_by_key(key)
        if shared is None:
            self.histories.pop(key, None)
            self.selectors.pop(key, None)
            return
        try:
            self.reconcile_autoscaler(copy.deepcopy(shared), key)
        finally:
            self.enqueue_after(key, SYNC_PERIOD)

    # reconcileAutoscaler ------------------------------------------------------------------------------------
    def reconcile_autoscaler(self, hpa: dict, key: str) -> None:
        sync = Sync(hpa, self.clock.timestamp())
        original = copy.deepcopy(hpa.get("status") or {})
        ref = hpa["spec"]["scaleTargetRef"]
        try:
            rt, scale = self._get_scale(sync.namespace, ref)
        except StatusError as e:
            self._event(hpa, "Warning", "FailedGetScale", e.message)
            sync.condition(cond.ABLE_TO_SCALE, "False", "FailedGetScale",
                           f"the HPA controller was unable to get the target's current scale: {e.message}")
            self._update_status_if_needed(original, hpa)
            return
        sync.condition(cond.ABLE_TO_SCALE, "True", "SucceededGetScale",
                       "the HPA controller was able to get the target's current scale")
        current = scale["spec"].get("replicas", 0)
        history = self.histories.setdefault(key, behavior.History())
        history.record_initial(current, self.clock.now())
        desired, reason, rescale = self._desired(sync, key, scale, history)
        if desired is None:  # no metric could be computed: status and events are written already
            self._update_status_if_needed(original, hpa)
            return
        if rescale:
            if not self._rescale(sync, rt, scale, desired, reason, original):
                return
            history.record_scale(hpa["spec"].get("behavior"), current, desired, self.clock.now())
        else:
            desired = current
        self._set_status(sync, current, desired, rescale)
        self._update_status_if_needed(original, hpa)

    def _get_scale(self, namespace: str, ref: dict):
        api_version, kind = ref.get("apiVersion", ""), ref.get("kind", "")
        rt = resources.by_kind(api_version, kind)
        if rt is None:
            group = api_version.rpartition("/")[0] if "/" in api_version else ""
            raise StatusError(404, "NotFound", f'no matches for kind "{kind}" in group "{group}"')
        return rt, self.registry.get_scale(rt, namespace, ref.get("name", ""))

    def _desired(self, sync: Sync, key: str, scale: dict, history: behavior.History):
        """(desired replicas or None, rescale reason, rescale?) as the branches of reconcileAutoscaler."""
        spec = sync.hpa["spec"]
        current = scale["spec"].get("replicas", 0)
        minimum = 1 if spec.get("minReplicas") is None else spec["minReplicas"]
        maximum = spec.get("maxReplicas") or minimum
        if current == 0 and minimum != 0:
            sync.condition(cond.SCALING_ACTIVE, "False", "ScalingDisabled",
                           "scaling is disabled since the replica count of the target is zero")
            return 0, "", False
        if current > maximum:
            return maximum, "Current number of replicas above Spec.MaxReplicas", True
        if current < minimum:
            return minimum, "Current number of replicas below Spec.MinReplicas", True
        try:
            proposed, metric = self._replicas_for_metrics(sync, key, scale)
        except MetricError as e:
            self._set_current(sync, current)
            self._event(sync.hpa, "Warning", "FailedComputeMetricsReplicas", str(e))
            return None, "", False
        reason = f"{metric} above target" if proposed > current else ""
        if proposed < current:
            reason = "All metrics below target"
        normalized = behavior.normalize(history, spec.get("behavior"), current, proposed, minimum, maximum,
                                        self.clock.now())
        sync.condition(cond.ABLE_TO_SCALE, "True", normalized.able_reason, normalized.able_message)
        sync.condition(cond.SCALING_LIMITED, "True" if normalized.limited else "False", normalized.limited_reason,
                       normalized.limited_message)
        return normalized.replicas, reason, normalized.replicas != current

    def _rescale(self, sync: Sync, rt, scale: dict, desired: int, reason: str, original: dict) -> bool:
        hpa, name = sync.hpa, scale["metadata"]["name"]
        body = {"apiVersion": "autoscaling/v1", "kind": "Scale",
                "metadata": {"name": name, "namespace": sync.namespace,
                             "resourceVersion": scale["metadata"].get("resourceVersion", "")},
                "spec": {"replicas": desired}}
        try:
            self.registry.update(rt, sync.namespace, name, body, subresource="scale", field_manager=MANAGER)
        except StatusError as e:
            self._event(hpa, "Warning", "FailedRescale", f"New size: {desired}; reason: {reason}; error: {e.message}")
            sync.condition(cond.ABLE_TO_SCALE, "False", "FailedUpdateScale",
                           f"the HPA controller was unable to update the target scale: {e.message}")
            self._set_current(sync, scale["spec"].get("replicas", 0))
            self._update_status_if_needed(original, hpa)
            return False
        sync.condition(cond.ABLE_TO_SCALE, "True", "SucceededRescale",
                       f"the HPA controller was able to update the target scale to {desired}")
        self._event(hpa, "Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
        return True

    # computeReplicasForMetrics ------------------------------------------------------------------------------
    def _replicas_for_metrics(self, sync: Sync, key: str, scale: dict) -> tuple[int, str]:
        selector = self._selector(sync, key, scale)
        specs = sync.hpa["spec"].get("metrics") or DEFAULT_METRICS
        spec_replicas, status_replicas = scale["spec"].get("replicas", 0), scale["status"].get("replicas", 0)
        pods = [p for p in self.pods.list(sync.namespace) if selector.matches(p["metadata"].get("labels") or {})]
        replicas, metric, invalid, first_error = 0, "", 0, None
        sync.metric_statuses = []
        for spec in specs:
            try:
                proposal, name, status = self._replicas_for_metric(sync, spec, spec_replicas, status_replicas, pods)
            except MetricError as e:
                sync.metric_statuses.append({"type": ""})
                invalid += 1
                first_error = first_error or e
                continue
            sync.metric_statuses.append(status)
            if replicas == 0 or proposal > replicas:
                replicas, metric = proposal, name
        if invalid >= len(specs) or (invalid > 0 and replicas < spec_replicas):
            sync.condition(*first_error.condition)
            raise MetricError(f"invalid metrics ({invalid} invalid out of {len(specs)}), first error is: "
                              f"{first_error}", first_error.condition)
        sync.condition(cond.SCALING_ACTIVE, "True", "ValidMetricFound",
                       f"the HPA was able to successfully calculate a replica count from {metric}")
        return replicas, metric

    def _selector(self, sync: Sync, key: str, scale: dict) -> labels.LabelSelector:
        text = scale.get("status", {}).get("selector", "")
        if not text:
            self._event(sync.hpa, "Warning", "SelectorRequired", "selector is required")
            condition = (cond.SCALING_ACTIVE, "False", "InvalidSelector",
                         "the HPA target's scale is missing a selector")
            sync.condition(*condition)
            raise MetricError("selector is required", condition)
        try:
            selector = labels.parse(text)
        except StatusError as e:
            message = f"couldn't convert selector into a corresponding internal selector object: {e.message}"
            self._event(sync.hpa, "Warning", "InvalidSelector", message)
            sync.condition(cond.SCALING_ACTIVE, "False", "InvalidSelector", message)
            raise MetricError(message, (cond.SCALING_ACTIVE, "False", "InvalidSelector", message)) from None
        self.selectors[key] = selector
        others = self._hpas_selecting(sync.namespace, selector)
        if len(others) > 1:
            message = f"pods by selector {text} are controlled by multiple HPAs: [{' '.join(others)}]"
            self._event(sync.hpa, "Warning", "AmbiguousSelector", message)
            sync.condition(cond.SCALING_ACTIVE, "False", "AmbiguousSelector", message)
            raise MetricError(message, (cond.SCALING_ACTIVE, "False", "AmbiguousSelector", message))
        return selector

    def _hpas_selecting(self, namespace: str, selector: labels.LabelSelector) -> list[str]:
        """HPAs (by their last known selector) that select any pod this selector selects."""
        pods = [p for p in self.pods.list(namespace) if selector.matches(p["metadata"].get("labels") or {})]
        found = []
        for key, other in self.selectors.items():
            if split_key(key)[0] == namespace and self.hpas.get_by_key(key) is not None and any(
                    other.matches(p["metadata"].get("labels") or {}) for p in pods):
                found.append(key)
        return sorted(found)

    def _replicas_for_metric(self, sync: Sync, spec: dict, spec_replicas: int, status_replicas: int,
                             pods: list[dict]) -> tuple[int, str, dict]:
        kind = spec.get("type")
        if kind == "Resource":
            return self._resource_metric(sync, spec["resource"], spec_replicas, pods, "")
        if kind == "ContainerResource":
            return self._resource_metric(sync, spec["containerResource"], spec_replicas, pods,
                                         spec["containerResource"].get("container", ""))
        if kind == "External":
            return self._external_metric(sync, spec["external"], spec_replicas, status_replicas, pods)
        if kind in ("Pods", "Object"):
            return self._custom_metric(sync, kind, spec)
        error = f'unknown metric source type "{kind}"'
        raise MetricError(error, self._unable(sync.hpa, "InvalidMetricSourceType", error))

    def _resource_metric(self, sync: Sync, source: dict, spec_replicas: int, pods: list[dict],
                         container: str) -> tuple[int, str, dict]:
        resource, target = source.get("name", ""), source.get("target") or {}
        reason = "FailedGetContainerResourceMetric" if container else "FailedGetResourceMetric"
        outer = (f"failed to get {container} container metric value" if container
                 else f"failed to get {resource} resource metric value")
        try:
            replicas, current = self._resource_proposal(sync, resource, target, spec_replicas, pods, container)
        except CalculationError as e:
            raise MetricError(f"{outer}: {e}", self._unable(sync.hpa, reason, str(e))) from None
        if container:
            status = {"type": "ContainerResource",
                      "containerResource": {"name": resource, "container": container, "current": current}}
        else:
            status = {"type": "Resource", "resource": {"name": resource, "current": current}}
        return replicas, metric_names.resource_metric(resource, target, bool(container)), status

    def _resource_proposal(self, sync: Sync, resource: str, target: dict, spec_replicas: int, pods: list[dict],
                           container: str) -> tuple[int, dict]:
        """computeStatusForResourceMetricGeneric: (replicas, MetricValueStatus); errors carry the Go wording."""
        if target.get("averageValue") is None and target.get("averageUtilization") is None:
            raise CalculationError("invalid resource metric source: neither an average utilization target nor an "
                                   "average value (usage) target was set")
        what = "usage" if target.get("averageValue") is not None else "utilization"
        try:
            samples = self._resource_samples(sync.namespace, pods, resource, container)
            now, tolerances = time.time(), behavior.tolerances(sync.hpa["spec"].get("behavior"))
            periods = Periods(self.real(300.0), self.real(30.0))
            if what == "usage":
                replicas, usage = plain_metric_replicas(
                    spec_replicas, quantities.milli_value(target["averageValue"]), resource, pods, samples, now,
                    tolerances=tolerances, periods=periods)
                return replicas, {"averageValue": quantities.format_milli(usage)}
            result = resource_replicas(spec_replicas, target["averageUtilization"], resource, pods, samples, now,
                                       tolerances=tolerances, container=container, periods=periods)
        except CalculationError as e:
            raise CalculationError(f"failed to get {resource} {what}: {e}") from None
        return result.replicas, {"averageUtilization": result.utilization,
                                 "averageValue": quantities.format_milli(result.raw_average)}

    def _resource_samples(self, namespace: str, pods: list[dict], resource: str, container: str):
        """GetResourceMetric through metrics.k8s.io, with the metric window in real seconds like every timestamp."""
        names = {p["metadata"]["name"] for p in pods}
        items = [i for i in self.registry.list(POD_METRICS, namespace)["items"] if i["metadata"]["name"] in names]
        try:
            samples, _ = metrics_client.resource_metrics(items, resource, container)
        except CalculationError as e:
            raise CalculationError(f"unable to get metrics for resource {resource}: {e}") from None
        return {n: PodMetric(s.value, s.timestamp, self.real(s.window)) for n, s in samples.items()}

    def _external_metric(self, sync: Sync, source: dict, spec_replicas: int, status_replicas: int,
                         pods: list[dict]) -> tuple[int, str, dict]:
        metric, target = source.get("metric") or {}, source.get("target") or {}
        name = metric.get("name", "")
        outer = f"failed to get {name} external metric value"
        tolerances = behavior.tolerances(sync.hpa["spec"].get("behavior"))
        try:
            if target.get("averageValue") is None and target.get("value") is None:
                raise CalculationError("invalid external metric source: neither a value target nor an average value "
                                       "target was set")
            values = self._external_values(sync.namespace, metric)
            if target.get("averageValue") is not None:
                replicas, usage = external_per_pod_replicas(
                    status_replicas, quantities.milli_value(target["averageValue"]), values, tolerances=tolerances)
                current = {"averageValue": quantities.format_milli(usage)}
            else:
                replicas, usage = external_value_replicas(
                    spec_replicas, quantities.milli_value(target["value"]), values, pods, tolerances=tolerances)
                current = {"value": quantities.format_milli(usage)}
        except CalculationError as e:
            raise MetricError(f"{outer}: {e}", self._unable(sync.hpa, "FailedGetExternalMetric", str(e))) from None
        status = {"type": "External", "external": {"metric": copy.deepcopy(metric), "current": current}}
        return replicas, metric_names.external_metric(metric), status

    def _external_values(self, namespace: str, metric: dict) -> list[int]:
        selector = metric.get("selector")
        try:
            lists = self.ctx.redis_lists
            return external_metric_values(self.registry, self.model, namespace, metric.get("name", ""), selector,
                                          lists)
        except CalculationError as e:
            raise CalculationError(f"unable to get external metric {namespace}/{metric.get('name', '')}/"
                                   f"{metric_names.go_label_selector(selector)}: {e}") from None

    def _custom_metric(self, sync: Sync, kind: str, spec: dict) -> tuple[int, str, dict]:
        """The sandbox serves no custom.metrics.k8s.io, as a cluster without a metrics adapter."""
        source = spec.get(kind.lower()) or {}
        name = (source.get("metric") or {}).get("name", "")
        error = (f"unable to get metric {name}: unable to fetch metrics from custom metrics API: no custom metrics "
                 f"API (custom.metrics.k8s.io) registered")
        outer = "failed to get pods metric value" if kind == "Pods" else "failed to get object metric value"
        reason = "FailedGetPodsMetric" if kind == "Pods" else "FailedGetObjectMetric"
        raise MetricError(f"{outer}: {error}", self._unable(sync.hpa, reason, error))

    # status and events --------------------------------------------------------------------------------------
    def _unable(self, hpa: dict, reason: str, error: str) -> tuple[str, str, str, str]:
        self._event(hpa, "Warning", reason, error)
        return cond.unable_to_compute(reason, error)

    def _set_current(self, sync: Sync, current: int) -> None:
        status = sync.hpa.setdefault("status", {})
        _put(status, "currentReplicas", current or None)
        _put(status, "currentMetrics", sync.metric_statuses or None)

    def _set_status(self, sync: Sync, current: int, desired: int, rescaled: bool) -> None:
        old = sync.hpa.get("status") or {}
        status = {"currentReplicas": current or None, "desiredReplicas": desired,
                  "currentMetrics": sync.metric_statuses or None,
                  "lastScaleTime": sync.now if rescaled else old.get("lastScaleTime"),
                  "conditions": old.get("conditions")}
        sync.hpa["status"] = {k: v for k, v in status.items() if v is not None}

    def _update_status_if_needed(self, original: dict, hpa: dict) -> None:
        status = hpa.setdefault("status", {})
        status.setdefault("desiredReplicas", 0)
        if status == original:
            return
        meta = hpa["metadata"]
        self.registry.update(HPAS, meta["namespace"], meta["name"], hpa, subresource="status", field_manager=MANAGER)

    def _event(self, hpa: dict, event_type: str, reason: str, message: str) -> None:
        self.recorder.event(hpa, event_type, reason, message, component=COMPONENT, manager=MANAGER)


def _put(status: dict, key: str, value) -> None:
    if value is None:
        status.pop(key, None)
    else:
        status[key] = value
