"""The downward API in env values, as the kubelet resolves it: `fieldRef` (a pod field: its name, namespace,
uid, one label or annotation, all of them, the node, the service account, the pod's and the node's IPs) and
`resourceFieldRef` (a container's requests or limits in units of a divisor, the node's allocatable standing in
for a limit that is not set). Errors are the kubelet's Go messages; the caller turns them into the container's
CreateContainerConfigError. Pure: no I/O."""
from __future__ import annotations

import json

from sandbox.machinery import names, quantity

# The field paths ConvertDownwardAPIFieldLabel accepts (spec.host is the old name of spec.nodeName).
_FIELDS = ("metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
           "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName", "status.phase",
           "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs")
# What a missing limit defaults to (MergeContainerResourceLimits): hugepages are never overcommitted.
_ALLOCATABLE_DEFAULTED = ("cpu", "memory", "ephemeral-storage")


class DownwardAPIError(ValueError):
    """A field or resource the kubelet cannot resolve; str() is its message."""


def _split_subscript(path: str) -> tuple[str, str] | None:
    """`metadata.labels['app']` -> ("metadata.labels", "app"); None for a path without a subscript."""
    if not path.endswith("']"):
        return None
    head, sep, key = path[:-2].partition("['")
    return (head, key) if sep and head else None


def go_quote(text: str) -> str:
    """Go's %q for the strings labels and annotations hold (JSON's escapes agree for printable text)."""
    return json.dumps(text, ensure_ascii=False)


def format_map(values: dict) -> str:
    """All labels or annotations, one `key="value"` per line in key order (fieldpath.FormatMap)."""
    return "\n".join(f"{key}={go_quote(str(values[key]))}" for key in sorted(values))


def field_ref_value(pod: dict, ref: dict, *, pod_ips: list[str], host_ips: list[str]) -> str:
    """The value of `valueFrom.fieldRef`: `{"fieldPath": "status.podIP"}` -> "10.244.1.5"."""
    version, path = ref.get("apiVersion") or "v1", ref.get("fieldPath") or ""
    if version != "v1":
        raise DownwardAPIError(f"unsupported pod version: {version}")
    subscripted = _split_subscript(path)
    if subscripted is None and path not in _FIELDS and path != "spec.host":
        raise DownwardAPIError(f"field label not supported: {path}")
    if subscripted is not None and subscripted[0] not in ("metadata.annotations", "metadata.labels"):
        raise DownwardAPIError(f"field label does not support subscript: {path}")
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    if path in ("spec.nodeName", "spec.host"):
        return spec.get("nodeName") or ""
    if path == "spec.serviceAccountName":
        return spec.get("serviceAccountName") or ""
    if path in ("status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"):
        ips = host_ips if path.startswith("status.host") else pod_ips
        return ",".join(ips) if path.endswith("IPs") else (ips[0] if ips else "")
    if subscripted is not None:
        field, key = subscripted
        # annotation keys are checked in lower case: their prefix is a DNS subdomain, any case allowed
        problems = names.qualified_name(key.lower() if field == "metadata.annotations" else key)
        if problems:
            raise DownwardAPIError(f"invalid key subscript in {path}: {';'.join(problems)}")
        return str((meta.get(field.split(".")[1]) or {}).get(key, ""))
    if path in ("metadata.annotations", "metadata.labels"):
        return format_map(meta.get(path.split(".")[1]) or {})
    if path in ("metadata.name", "metadata.namespace", "metadata.uid"):
        return str(meta.get(path.split(".")[1]) or "")
    raise DownwardAPIError(f"unsupported fieldPath: {path}")  # spec.restartPolicy and friends: no env support


def _find_container(pod: dict, name: str) -> dict:
    spec = pod.get("spec") or {}
    for container in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        if container.get("name") == name:
            return container
    raise DownwardAPIError(f"container {name} not found")


def _limits_with_allocatable(container: dict, allocatable: dict) -> dict:
    limits = dict((container.get("resources") or {}).get("limits") or {})
    for resource in _ALLOCATABLE_DEFAULTED:
        if (resource not in limits or quantity.parse_quantity(limits[resource]) == 0) and resource in allocatable:
            limits[resource] = allocatable[resource]
    return limits


def resource_field_ref_value(pod: dict, container: dict, ref: dict, *, node_allocatable: dict) -> str:
    """The value of `valueFrom.resourceFieldRef`, rounded up to whole divisors (ExtractContainerResourceValue):
    requests.cpu 250m with divisor 1 -> "1", with divisor 1m -> "250"; limits.memory unset -> the node's."""
    if ref.get("containerName"):
        container = _find_container(pod, ref["containerName"])
    resource = ref.get("resource") or ""
    divisor = ref.get("divisor") or "1"
    if quantity.parse_quantity(divisor) == 0:  # an unset (zero) divisor means 1
        divisor = "1"
    kind, _, name = resource.partition(".")
    if kind == "limits":
        values = _limits_with_allocatable(container, node_allocatable)
    elif kind == "requests":
        values = (container.get("resources") or {}).get("requests") or {}
    else:
        raise DownwardAPIError(f"Unsupported container resource : {resource}")
    if name not in _ALLOCATABLE_DEFAULTED and not name.startswith("hugepages-"):
        raise DownwardAPIError(f"Unsupported container resource : {resource}")
    amount = values.get(name, "0")
    if name == "cpu":  # in millicores on both sides (MilliValue rounds each up)
        return str(_ceil_div(quantity.parse_cpu(amount), quantity.parse_cpu(divisor)))
    return str(_ceil_div(quantity.parse_memory(amount), quantity.parse_memory(divisor)))


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)
