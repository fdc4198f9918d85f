"""KEDA's operator and metrics adapter for ScaledObjects with redis list triggers.

Reconcile: add KEDA's finalizer and name label, check the triggers and the scale target, record them in status,
and create or update the HPA `keda-hpa-<name>` it owns. Then, every pollingInterval (simulated seconds), the scale
loop reads each list's length (the simulated queue behind the redis Service), decides activation and cooldown
(sandbox.autoscaling.keda) and writes the target's scale only for 0 <-> N; the HPA does everything in between,
reading the same lengths through external_metric_values(), which stands in for KEDA's metrics adapter."""
from __future__ import annotations

import copy
import time

from sandbox.autoscaling import keda
from sandbox.autoscaling.replica_calculator import CalculationError
from sandbox.machinery.podutil import is_running_and_ready
from sandbox.machinery.timestamps import epoch
from sandbox.controllers import trigger_authentication
from sandbox.controllers.base import DELETED, Controller, controller_ref, key_of
from sandbox.machinery import labels, resources
from sandbox.machinery.errors import StatusError
from sandbox.simulation import workload

COMPONENT = "keda-operator"
MANAGER = "keda"
MERGE_PATCH = "application/merge-patch+json"
SCALED_OBJECTS = resources.lookup("keda.sh", "v1alpha1", "scaledobjects")
HPAS = resources.lookup("autoscaling", "v2", "horizontalpodautoscalers")
SERVICES = resources.lookup("", "v1", "services")
PODS = resources.lookup("", "v1", "pods")
CHECK_FAILED = "ScaledObjectCheckFailed"
BAD_TARGET = "ScaledObject doesn't have correct scaleTargetRef specification"
BAD_HPA = "Failed to ensure HPA is correctly created for ScaledObject"
PARTIAL_ERROR = ("PartialTriggerError", "Some triggers defined in ScaledObject are not working correctly")


# the redis list behind a trigger, and KEDA's metrics adapter ---------------------------------------------------
def list_length(registry, model, trigger: keda.RedisListTrigger, lists=None) -> int:
    """LLEN through the trigger's Service: fails as a redis client would when there is nothing to connect to.
    A Redis that runs as a process answers for real (`lists`: controllers/redis_lists.py, last read); a simulated
    one through the workload model's queue."""
    try:
        service = registry.get(SERVICES, trigger.namespace, trigger.service)
    except StatusError:
        raise CalculationError(f"dial tcp: lookup {trigger.host} on 10.96.0.10:53: no such host") from None
    selector = service.get("spec", {}).get("selector")
    if selector:
        match = labels.selector_from_set(selector)
        pods = registry.list(PODS, trigger.namespace)["items"]
        ready = [p for p in pods if is_running_and_ready(p) and match.matches(p["metadata"].get("labels") or {})]
        if not ready:
            ip = service.get("spec", {}).get("clusterIP", "")
            raise CalculationError(f"dial tcp {ip}:{trigger.port}: connect: connection refused")
        if lists is not None and lists.serves(ready):
            length = lists.length(trigger)
            if length is None:
                raise CalculationError("the list has not been read yet")
            return length
    return model.queue_length(trigger.namespace, trigger.list_name)


def external_metric_values(registry, model, namespace: str, metric_name: str, selector: dict | None,
                           lists=None) -> list[int]:
    """external.metrics.k8s.io as KEDA serves it: the metric of the ScaledObject the selector names, in milli-units."""
    match = labels.from_label_selector(selector) if selector is not None else labels.selector_from_set({})
    for so in registry.list(SCALED_OBJECTS, namespace)["items"]:
        if not match.matches(so["metadata"].get("labels") or {}):
            continue
        try:
            triggers = keda.triggers(so)
        except keda.TriggerError as e:
            raise CalculationError(f"unable to fetch metrics from external metrics API: {e}") from None
        for trigger in triggers:
            if trigger.metric_name == metric_name:
                return [list_length(registry, model, trigger, lists) * 1000]
    raise CalculationError(f"unable to fetch metrics from external metrics API: no matching metrics found for "
                           f"{metric_name.lower()}")


class ScaledObjectController(Controller):
    name = COMPONENT

    def setup(self) -> None:
        self.scaled_objects = self.informer("keda.sh", "scaledobjects")
        self.hpas = self.informer("autoscaling", "horizontalpodautoscalers")
        self.scaled_objects.add_handler(self._on_scaled_object)
        self.hpas.add_handler(self._on_hpa)
        self.model = workload.attach(self.registry, self.clock)
        self.lists = self.ctx.redis_lists
        self.started_scalers: set[str] = set()

    def _on_scaled_object(self, event_type: str, old: dict | None, new: dict | None) -> None:
        # Like KEDA's generation-changed predicate: our own status writes must not re-trigger the loop.
        if event_type != "MODIFIED" or _meta_changed(old, new):
            self.queue.add(key_of(new or old))

    def _on_hpa(self, event_type: str, old: dict | None, new: dict | None) -> None:
        ref = controller_ref(new or old)
        if ref and ref.get("kind") == "ScaledObject" and (event_type == DELETED or _meta_changed(old, new)):
            self.queue.add(f"{(new or old)['metadata']['namespace']}/{ref['name']}")

    async def reconcile(self, key: str) -> None:
        shared = self.scaled_objects.get_by_key(key)
        if shared is not None and self.lists is not None and not shared["metadata"].get("deletionTimestamp"):
            await self._read_lists(shared)
            shared = self.scaled_objects.get_by_key(key)  # it may have changed while the lists were read
        if shared is None:
            self.started_scalers.discard(key)
            return
        so = copy.deepcopy(shared)
        if so["metadata"].get("deletionTimestamp"):
            self._finalize(so)
            return
        so = self._ensure_metadata(so)
        original = copy.deepcopy(so.get("status") or {})
        try:
            self._sync(so, key)
        finally:
            self._write_status(so, original)
            self.enqueue_after(key, keda.polling_interval(so))

    async def _read_lists(self, so: dict) -> None:
        """Each trigger's list, read for real where its Redis runs as a process (the scalers' poll)."""
        try:
            triggers = keda.triggers(so)
        except keda.TriggerError:
            return
        raw = so.get("spec", {}).get("triggers") or []
        for trigger, spec in zip(triggers, raw):
            await self.lists.refresh(trigger, trigger_authentication.parameters(self.registry, so, spec))

    def _sync(self, so: dict, key: str) -> None:
        status = so.setdefault("status", {})
        status["conditions"] = status.get("conditions") or keda.initial_conditions()
        try:
            triggers = keda.triggers(so)
        except keda.TriggerError as e:
            self._event(so, "Warning", "KEDAScalerFailed", str(e))
            return self._check_failed(so, BAD_HPA)
        try:
            rt, scale = self._target(so)
        except StatusError:
            self._event(so, "Warning", CHECK_FAILED, BAD_TARGET)
            return self._check_failed(so, BAD_TARGET)
        self._record_target(so, rt, scale, triggers)
        try:
            self._ensure_hpa(so, triggers)
        except StatusError as e:
            self._event(so, "Warning", CHECK_FAILED, f"{BAD_HPA}: {e.message}")
            return self._check_failed(so, BAD_HPA)
        if key not in self.started_scalers:
            self.started_scalers.add(key)
            self._event(so, "Normal", "KEDAScalersStarted", "Started scalers watch")
            self._event(so, "Normal", "ScaledObjectReady", "ScaledObject is ready for scaling")
        self._scale_loop(so, rt, scale, triggers)

    # reconcile: metadata, target, HPA -------------------------------------------------------------------------
    def _ensure_metadata(self, so: dict) -> dict:
        meta = so["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if keda.FINALIZER in finalizers and (meta.get("labels") or {}).get(keda.NAME_LABEL) == meta["name"]:
            return so
        patch = {"metadata": {"finalizers": finalizers + [keda.FINALIZER] if keda.FINALIZER not in finalizers
                              else finalizers, "labels": {keda.NAME_LABEL: meta["name"]}}}
        return self.registry.patch(SCALED_OBJECTS, meta["namespace"], meta["name"], MERGE_PATCH, patch,
                                   field_manager=MANAGER)

    def _target(self, so: dict):
        api_version, kind, name = keda.scale_target(so)
        rt = resources.by_kind(api_version, kind)
        if rt is None or "scale" not in rt.subresources:
            raise StatusError(404, "NotFound", f'no matches for kind "{kind}" in version "{api_version}"')
        return rt, self.registry.get_scale(rt, so["metadata"]["namespace"], name)

    def _record_target(self, so: dict, rt, scale: dict, triggers: list) -> None:
        status = so["status"]
        status["scaleTargetKind"] = f"{rt.api_version}.{rt.kind}"
        status["scaleTargetGVKR"] = {"group": rt.group, "kind": rt.kind, "resource": rt.plural,
                                     "version": rt.version}
        if status.get("originalReplicaCount") is None:
            status["originalReplicaCount"] = scale["spec"].get("replicas", 0)
        status["externalMetricNames"] = [t.metric_name for t in triggers]
        status["hpaName"] = keda.hpa_name(so)
        status["triggersTypes"] = "redis"

    def _ensure_hpa(self, so: dict, triggers: list) -> None:
        desired = keda.desired_hpa(so, triggers)
        namespace, name = so["metadata"]["namespace"], desired["metadata"]["name"]
        found = self.hpas.get(namespace, name)
        if found is None:
            self.registry.create(HPAS, namespace, desired, field_manager=MANAGER)
            return
        if _derivative(desired["spec"], found.get("spec")) and _derivative(desired["metadata"], found["metadata"]):
            return
        updated = copy.deepcopy(found)
        updated["spec"] = desired["spec"]
        updated["metadata"]["labels"] = {**(found["metadata"].get("labels") or {}), **desired["metadata"]["labels"]}
        updated["metadata"]["ownerReferences"] = desired["metadata"]["ownerReferences"]
        self.registry.update(HPAS, namespace, name, updated, field_manager=MANAGER)

    def _check_failed(self, so: dict, message: str) -> None:
        self._set_condition(so, "Ready", "False", CHECK_FAILED, message)

    # the scale loop -------------------------------------------------------------------------------------------
    def _scale_loop(self, so: dict, rt, scale: dict, triggers: list) -> None:
        status = so["status"]
        active, failed = False, 0
        health = dict(status.get("health") or {})
        for trigger in triggers:
            try:
                active |= keda.is_active(trigger, list_length(self.registry, self.model, trigger, self.lists))
                health[trigger.metric_name] = {"numberOfFailures": 0, "status": "Happy"}
            except CalculationError as e:
                failed += 1
                failures = (health.get(trigger.metric_name) or {}).get("numberOfFailures", 0) + 1
                health[trigger.metric_name] = {"numberOfFailures": failures, "status": "Failure"}
                self._event(so, "Warning", "KEDAScalerFailed", f"error getting list length: {e}")
        status["health"] = health
        self._ready_after_poll(so, active, failed)
        current = scale["spec"].get("replicas", 0)
        last_active = epoch(status.get("lastActiveTime"))
        since = None if last_active is None else (time.time() - last_active) * self.clock.time_scale
        decision = keda.decide(so, current, active, since)
        if decision.replicas is not None and decision.replicas != current:
            self._scale(so, rt, scale, decision.replicas)
        if decision.touch_last_active:
            status["lastActiveTime"] = self.clock.timestamp()
        if decision.active is not None:
            self._set_condition(so, "Active", *decision.active)
        self._set_condition(so, "Fallback", "False", *keda.NO_FALLBACK)

    def _ready_after_poll(self, so: dict, active: bool, failed: int) -> None:
        ready = next((c for c in so["status"]["conditions"] if c.get("type") == "Ready"), {})
        if not failed:
            if ready.get("status") != "True":
                self._set_condition(so, "Ready", "True", *keda.READY)
        elif active:
            if ready.get("status") != "Unknown":
                self._set_condition(so, "Ready", "Unknown", *PARTIAL_ERROR)
        elif ready.get("status") != "False":
            self._set_condition(so, "Ready", "False", *keda.TRIGGER_ERROR)

    def _scale(self, so: dict, rt, scale: dict, replicas: int) -> None:
        meta, current = so["metadata"], scale["spec"].get("replicas", 0)
        target = f"{so['status']['scaleTargetKind']} {meta['namespace']}/{scale['metadata']['name']}"
        body = {"apiVersion": "autoscaling/v1", "kind": "Scale",
                "metadata": {"name": scale["metadata"]["name"], "namespace": meta["namespace"],
                             "resourceVersion": scale["metadata"].get("resourceVersion", "")},
                "spec": {"replicas": replicas}}
        try:
            self.registry.update(rt, meta["namespace"], scale["metadata"]["name"], body, subresource="scale",
                                 field_manager=MANAGER)
        except StatusError as e:
            self._event(so, "Warning", "KEDAScaleTargetActivationFailed",
                        f"Failed to scaled {target} from {current} to {replicas}: {e.message}")
            raise
        if current == 0:
            self._event(so, "Normal", "KEDAScaleTargetActivated", f"Scaled {target} from {current} to {replicas}")
        elif replicas == 0:
            self._event(so, "Normal", "KEDAScaleTargetDeactivated",
                        f"Deactivated {target} from {current} to {replicas}")

    # deletion and writes --------------------------------------------------------------------------------------
    def _finalize(self, so: dict) -> None:
        meta = so["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if keda.FINALIZER not in finalizers:
            return
        original = (so.get("status") or {}).get("originalReplicaCount")
        advanced = so.get("spec", {}).get("advanced") or {}
        if advanced.get("restoreToOriginalReplicaCount") and original is not None:
            try:
                rt, scale = self._target(so)
                self._scale_to(rt, so, scale, original)
            except StatusError:
                pass  # the target is gone: nothing to restore
        self._event(so, "Normal", "ScaledObjectDeleted", "ScaledObject was deleted")
        finalizers.remove(keda.FINALIZER)
        self.registry.patch(SCALED_OBJECTS, meta["namespace"], meta["name"], MERGE_PATCH,
                            {"metadata": {"finalizers": finalizers or None}}, field_manager=MANAGER)

    def _scale_to(self, rt, so: dict, scale: dict, replicas: int) -> None:
        body = {"apiVersion": "autoscaling/v1", "kind": "Scale",
                "metadata": {"name": scale["metadata"]["name"], "namespace": so["metadata"]["namespace"]},
                "spec": {"replicas": replicas}}
        self.registry.update(rt, so["metadata"]["namespace"], scale["metadata"]["name"], body, subresource="scale",
                             field_manager=MANAGER)

    def _set_condition(self, so: dict, type_: str, status: str, reason: str = "", message: str = "") -> None:
        so["status"]["conditions"] = keda.set_condition(so["status"].get("conditions") or [], type_, status, reason,
                                                        message)

    def _write_status(self, so: dict, original: dict) -> None:
        if (so.get("status") or {}) == original:
            return
        meta = so["metadata"]
        self.registry.update(SCALED_OBJECTS, meta["namespace"], meta["name"], so, subresource="status",
                             field_manager=MANAGER)

    def _event(self, so: dict, event_type: str, reason: str, message: str) -> None:
        self.recorder.event(so, event_type, reason, message, component=COMPONENT, manager=MANAGER)


def _meta_changed(old: dict | None, new: dict | None) -> bool:
    """A change KEDA reacts to: spec (generation), deletion, finalizers or labels; not a status write."""
    if old is None or new is None:
        return True
    o, n = old["metadata"], new["metadata"]
    return any(o.get(k) != n.get(k) for k in ("generation", "deletionTimestamp", "finalizers", "labels"))


def _derivative(desired, found) -> bool:
    """equality.Semantic.DeepDerivative: every field set in `desired` has the same value in `found`."""
    if isinstance(desired, dict):
        return isinstance(found, dict) and all(_derivative(v, found.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        return isinstance(found, list) and len(desired) == len(found) and all(
            _derivative(d, f) for d, f in zip(desired, found))
    return desired == found
