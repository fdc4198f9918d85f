"""PriorityClasses (scheduling.k8s.io/v1): their defaults, validation (pkg/apis/scheduling/validation), the two
system classes every cluster has, and what the Priority admission plugin makes of a pod's priorityClassName
(plugin/pkg/admission/priority), all pure: the callers look the classes up."""
from __future__ import annotations

from . import field_errors as fe
from .errors import Cause

SYSTEM_PREFIX = "system-"
HIGHEST_USER_DEFINABLE = 1000000000
SYSTEM_CLASSES = (
    ("system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their current "
     "node."),
    ("system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but can be "
     "moved to another node if necessary."),
)


def system_class(name: str, value: int, description: str) -> dict:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value, "globalDefault": False, "description": description,
            "preemptionPolicy": "PreemptLowerPriority"}


def set_priority_class_defaults(pc: dict) -> None:
    if not pc.get("preemptionPolicy"):
        pc["preemptionPolicy"] = "PreemptLowerPriority"


def _known_system_class(name: str, value, global_default) -> str | None:
    """IsKnownSystemPriorityClass: None when it is one, else the error's text."""
    for known, known_value, _ in SYSTEM_CLASSES:
        if known == name:
            if value != known_value:
                return f"value of {name} PriorityClass must be {known_value}"
            if global_default:
                return f"globalDefault of {name} PriorityClass must be false"
            return None
    return f"{name} is not a known system priority class"


def validate_priority_class(obj: dict, old: dict | None) -> list[Cause]:
    causes = []
    name = str((obj.get("metadata") or {}).get("name") or "")
    value = obj.get("value")
    if name.startswith(SYSTEM_PREFIX):
        problem = _known_system_class(name, value, obj.get("globalDefault"))
        if problem:
            causes.append(fe.forbidden("metadata.name", f"priority class names with '{SYSTEM_PREFIX}' prefix are "
                                       f"reserved for system use only. error: {problem}"))
    elif isinstance(value, int) and value > HIGHEST_USER_DEFINABLE:
        causes.append(fe.forbidden("value", f"maximum allowed value of a user defined priority is "
                                   f"{HIGHEST_USER_DEFINABLE}"))
    policy = obj.get("preemptionPolicy")
    if policy not in ("Never", "PreemptLowerPriority"):
        causes.append(fe.not_supported("preemptionPolicy", policy or "", ("Never", "PreemptLowerPriority")))
    if old is not None:
        if value != old.get("value"):
            causes.append(fe.forbidden("value", "may not be changed in an update."))
        if policy != old.get("preemptionPolicy"):
            causes.append(fe.invalid("preemptionPolicy", policy, "field is immutable"))
    return causes


class Refused(Exception):
    """The Priority admission's 403 (an unknown class, a priority or policy the class does not give)."""


def resolve(pod: dict, classes: dict[str, dict]) -> None:
    """Priority admission on a pod's create: spec.priority (and preemptionPolicy, priorityClassName for the global
    default) from its class. Raises Refused with kube-apiserver's words for a class that does not exist, or a
    priority or preemptionPolicy in the pod that its class does not give."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    name = spec.get("priorityClassName") or ""
    if name:
        found = classes.get(name)
        if found is None:
            raise Refused(f"no PriorityClass with name {name} was found")
    else:
        defaults = sorted((c for c in classes.values() if c.get("globalDefault")),
                          key=lambda c: c.get("value", 0))
        found = defaults[0] if defaults else None
        if found is not None:
            spec["priorityClassName"] = found["metadata"]["name"]
    value = found.get("value", 0) if found is not None else 0
    if spec.get("priority") is not None and spec["priority"] != value:
        raise Refused(f"the integer value of priority ({spec['priority']}) must not be provided in pod spec; "
                         f"priority admission controller computed {value} from the given PriorityClass name")
    spec["priority"] = value
    policy = (found or {}).get("preemptionPolicy")
    if policy:
        if spec.get("preemptionPolicy") not in (None, policy):
            raise Refused(f"the string value of PreemptionPolicy ({spec['preemptionPolicy']}) must not be provided in "
                          f"pod spec; priority admission controller computed {policy} from the given PriorityClass name")
        spec["preemptionPolicy"] = policy
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")  # the pod defaults' value when no class gives one
