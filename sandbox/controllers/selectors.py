"""Parsed metav1.LabelSelectors, cached per object version: controllers match many pods against few selectors."""
from __future__ import annotations

from sandbox.machinery import labels
from sandbox.machinery.errors import StatusError

_cache: dict[tuple[str, str], labels.LabelSelector] = {}


def selector_of(obj: dict) -> labels.LabelSelector:
    """spec.selector of a ReplicaSet or Deployment (an invalid one selects nothing)."""
    meta = obj["metadata"]
    key = (meta.get("uid", ""), meta.get("resourceVersion", ""))
    found = _cache.get(key)
    if found is None:
        try:
            found = labels.from_label_selector((obj.get("spec") or {}).get("selector"))
        except (StatusError, TypeError, ValueError, AttributeError):
            found = labels.NOTHING
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[key] = found
    return found


def service_selector(service: dict) -> labels.LabelSelector | None:
    """A Service's spec.selector (a plain map); None when it has none (its endpoints are managed by hand)."""
    selector = (service.get("spec") or {}).get("selector")
    if not selector:
        return None
    return labels.from_label_selector({"matchLabels": selector})
