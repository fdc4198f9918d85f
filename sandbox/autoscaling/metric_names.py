"""How the HPA controller names a metric in its ScalingActive message and in SuccessfulRescale events
("cpu resource utilization (percentage of request)", "external metric s0-redis-orders(&LabelSelector{...})"),
including Go's %+v rendering of a *metav1.LabelSelector."""
from __future__ import annotations


def go_label_selector(selector: dict | None) -> str:
    """fmt.Sprintf("%+v", selector) for a *metav1.LabelSelector (its generated String method)."""
    if selector is None:
        return "nil"
    labels = selector.get("matchLabels") or {}
    label_text = "".join(f"{key}: {labels[key]}," for key in sorted(labels))
    requirements = "".join(
        f"LabelSelectorRequirement{{Key:{r.get('key', '')},Operator:{r.get('operator', '')},"
        f"Values:[{' '.join(r.get('values') or [])}],}},"
        for r in selector.get("matchExpressions") or [])
    return (f"&LabelSelector{{MatchLabels:map[string]string{{{label_text}}},"
            f"MatchExpressions:[]LabelSelectorRequirement{{{requirements}}},}}")


def resource_metric(resource: str, target: dict, container: bool = False) -> str:
    if target.get("averageValue") is not None:
        return f"{resource} resource"  # the controller says this for container metrics too
    kind = "container resource" if container else "resource"
    return f"{resource} {kind} utilization (percentage of request)"


def external_metric(metric: dict) -> str:
    return f"external metric {metric.get('name', '')}({go_label_selector(metric.get('selector'))})"
