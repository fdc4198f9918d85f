"""KEDA's rules for a ScaledObject, as pure functions: the redis list trigger, the HPA named keda-hpa-<name> that
KEDA creates with one External metric per trigger (target AverageValue = listLength), and the scale loop's own
decisions, which the HPA cannot make: 0 -> 1 when a trigger becomes active (length > activationListLength),
back to minReplicaCount (0) once no trigger has been active for cooldownPeriod seconds."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from sandbox.machinery import conditions

DEFAULT_POLLING_INTERVAL = 30
DEFAULT_COOLDOWN_PERIOD = 300
DEFAULT_MAX_REPLICAS = 100
DEFAULT_LIST_LENGTH = 5
DEFAULT_REDIS_ADDRESS = "redis-master.default.svc.cluster.local:6379"
KEDA_VERSION = "2.20.2"
FINALIZER = "finalizer.keda.sh"
NAME_LABEL = "scaledobject.keda.sh/name"
MANAGER = "keda-operator"

READY = ("ScaledObjectReady", "ScaledObject is defined correctly and is ready for scaling")
TRIGGER_ERROR = ("TriggerError", "Triggers defined in ScaledObject are not working correctly")
ACTIVE = ("ScalerActive", "Scaling is performed because triggers are active")
NOT_ACTIVE = ("ScalerNotActive", "Scaling is not performed because triggers are not active")
COOLDOWN = ("ScalerCooldown", "Scaler cooling down because triggers are not active")
NO_FALLBACK = ("NoFallbackFound", "No fallbacks are active on this scaled object")


class TriggerError(ValueError):
    """A trigger KEDA cannot build a scaler for; str() is KEDA's wording."""


@dataclass(frozen=True)
class RedisListTrigger:
    metric_name: str  # s<index>-redis-<listName>, the External metric name in the HPA
    list_name: str
    list_length: int  # target items per replica (the HPA's AverageValue)
    activation_list_length: int  # active when the list is longer than this
    host: str
    port: int
    namespace: str  # the Service's namespace, from `service.namespace[.svc.cluster.local]:port`
    database_index: int = 0

    @property
    def service(self) -> str:
        return self.host.split(".")[0]


def normalize_metric_name(text: str) -> str:
    """kedautil.NormalizeString: the metric name must be a valid label value."""
    for old in ("/", ".", ":", "%"):
        text = text.replace(old, "-")
    return text.replace("(", "").replace(")", "").replace('"', "").replace(" ", "")


def _integer(metadata: dict, key: str, default: int) -> int:
    raw = metadata.get(key)
    if raw in (None, ""):
        return default
    try:
        return int(str(raw))
    except ValueError:
        raise TriggerError(f"error parsing redis metadata: {key} parsing error: strconv.Atoi: "
                           f'parsing "{raw}": invalid syntax') from None


def parse_redis_trigger(metadata: dict, index: int, namespace: str) -> RedisListTrigger:
    """The `redis` trigger (a list): address or host/port, listName, listLength, activationListLength."""
    metadata = metadata or {}
    list_name = metadata.get("listName")
    if not list_name:
        raise TriggerError("error parsing redis metadata: no list name given")
    address = metadata.get("address") or ""
    if not address and metadata.get("host"):
        address = f"{metadata['host']}:{metadata.get('port') or 6379}"
    host, port = _split_address(address or DEFAULT_REDIS_ADDRESS)
    parts = host.split(".")
    service_namespace = parts[1] if len(parts) > 1 and parts[1] != "svc" else namespace
    return RedisListTrigger(
        metric_name=f"s{index}-{normalize_metric_name('redis-' + list_name)}", list_name=list_name,
        list_length=_integer(metadata, "listLength", DEFAULT_LIST_LENGTH),
        activation_list_length=_integer(metadata, "activationListLength", 0),
        host=host, port=port, namespace=service_namespace,
        database_index=_integer(metadata, "databaseIndex", 0))


def _split_address(address: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Za-z0-9.-]+):(\d+)", address.strip())
    if not match:
        raise TriggerError("error parsing redis metadata: no address given. Address should be in the format of "
                           "host:port")
    return match.group(1), int(match.group(2))


def triggers(scaled_object: dict) -> list[RedisListTrigger]:
    """Every trigger of the ScaledObject; only redis lists are simulated."""
    namespace = scaled_object["metadata"].get("namespace", "default")
    parsed = []
    for index, trigger in enumerate(scaled_object.get("spec", {}).get("triggers") or []):
        if trigger.get("type") != "redis":
            raise TriggerError(f"no scaler found for type: {trigger.get('type')}")
        parsed.append(parse_redis_trigger(trigger.get("metadata") or {}, index, namespace))
    if not parsed:
        raise TriggerError("no triggers defined in the ScaledObject/ScaledJob")
    return parsed


def min_replicas(scaled_object: dict) -> int:
    return int(scaled_object.get("spec", {}).get("minReplicaCount") or 0)


def max_replicas(scaled_object: dict) -> int:
    value = scaled_object.get("spec", {}).get("maxReplicaCount")
    return DEFAULT_MAX_REPLICAS if value is None else int(value)


def polling_interval(scaled_object: dict) -> int:
    value = scaled_object.get("spec", {}).get("pollingInterval")
    return DEFAULT_POLLING_INTERVAL if value is None else int(value)


def cooldown_period(scaled_object: dict) -> int:
    value = scaled_object.get("spec", {}).get("cooldownPeriod")
    return DEFAULT_COOLDOWN_PERIOD if value is None else int(value)


def _hpa_config(scaled_object: dict) -> dict:
    return ((scaled_object.get("spec", {}).get("advanced") or {}).get("horizontalPodAutoscalerConfig") or {})


def hpa_name(scaled_object: dict) -> str:
    return _hpa_config(scaled_object).get("name") or f"keda-hpa-{scaled_object['metadata']['name']}"


def scale_target(scaled_object: dict) -> tuple[str, str, str]:
    """(apiVersion, kind, name) of the scale target; KEDA defaults to apps/v1 Deployment."""
    ref = scaled_object.get("spec", {}).get("scaleTargetRef") or {}
    return ref.get("apiVersion") or "apps/v1", ref.get("kind") or "Deployment", ref.get("name", "")


def desired_hpa(scaled_object: dict, parsed: list[RedisListTrigger]) -> dict:
    """The HorizontalPodAutoscaler KEDA owns for this ScaledObject."""
    meta = scaled_object["metadata"]
    api_version, kind, name = scale_target(scaled_object)
    labels = {"app.kubernetes.io/managed-by": MANAGER, "app.kubernetes.io/name": hpa_name(scaled_object),
              "app.kubernetes.io/part-of": meta["name"], "app.kubernetes.io/version": KEDA_VERSION,
              **(meta.get("labels") or {})}
    spec = {
        "scaleTargetRef": {"apiVersion": api_version, "kind": kind, "name": name},
        "minReplicas": max(min_replicas(scaled_object), 1),
        "maxReplicas": max_replicas(scaled_object),
        "metrics": [{"type": "External", "external": {
            "metric": {"name": t.metric_name, "selector": {"matchLabels": {NAME_LABEL: meta["name"]}}},
            "target": {"type": "AverageValue", "averageValue": str(t.list_length)}}} for t in parsed],
    }
    behavior = _hpa_config(scaled_object).get("behavior")
    if behavior:
        spec["behavior"] = copy.deepcopy(behavior)
    owner = {"apiVersion": scaled_object.get("apiVersion", "keda.sh/v1alpha1"), "kind": "ScaledObject",
             "name": meta["name"], "uid": meta.get("uid", ""), "controller": True, "blockOwnerDeletion": True}
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": hpa_name(scaled_object), "namespace": meta.get("namespace"), "labels": labels,
                         "ownerReferences": [owner]},
            "spec": spec}


def is_active(trigger: RedisListTrigger, length: int) -> bool:
    return length > trigger.activation_list_length


@dataclass(frozen=True)
class Decision:
    """What one pass of KEDA's scale loop does to the target and to the ScaledObject's status."""
    replicas: int | None  # new spec.replicas of the target, None to leave it
    active: tuple[str, str, str] | None  # (status, reason, message) for the Active condition, None to keep it
    touch_last_active: bool  # set status.lastActiveTime to now


def decide(scaled_object: dict, current_replicas: int, active: bool, since_last_active: float | None) -> Decision:
    """RequestScale: `since_last_active` is how long ago (simulated seconds) status.lastActiveTime was, or None."""
    minimum = min_replicas(scaled_object)
    if active:
        if current_replicas == 0:
            return Decision(max(minimum, 1), _active_if_changed(scaled_object, True), True)
        return Decision(None, _active_if_changed(scaled_object, True), True)
    if current_replicas > 0 and minimum == 0:
        if since_last_active is None or since_last_active > cooldown_period(scaled_object):
            return Decision(0, ("False", *NOT_ACTIVE), False)
        current = active_condition(scaled_object)
        cooling = current and current.get("status") == "False" and current.get("reason") == COOLDOWN[0]
        return Decision(None, None if cooling else ("False", *COOLDOWN), False)
    if current_replicas < minimum:
        return Decision(minimum, _active_if_changed(scaled_object, False), False)
    return Decision(None, _active_if_changed(scaled_object, False), False)


def active_condition(scaled_object: dict) -> dict | None:
    return conditions.find(scaled_object.get("status", {}).get("conditions"), "Active")


def _active_if_changed(scaled_object: dict, active: bool) -> tuple[str, str, str] | None:
    current = active_condition(scaled_object)
    status = (current or {}).get("status", "Unknown")
    if status == "Unknown" or (status == "True") != active:
        return ("True", *ACTIVE) if active else ("False", *NOT_ACTIVE)
    return None


def initial_conditions() -> list[dict]:
    """GetInitializedConditions: every KEDA condition starts Unknown."""
    return [{"type": t, "status": "Unknown"} for t in ("Ready", "Active", "Fallback", "Paused")]


def set_condition(conditions_: list[dict], type_: str, status: str, reason: str = "",
                  message: str = "") -> list[dict]:
    """KEDA's Conditions setters (machinery/conditions.set_keda_condition), starting from the initialized ones."""
    return conditions.set_keda_condition(conditions_, type_, status, reason, message, initial=initial_conditions())