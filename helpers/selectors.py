"""Label selectors as the helpers need them: to a query string, and matched against labels (pure)."""
from __future__ import annotations


def to_query(selector: str | dict | None) -> str:
    """`{"app": "containo"}` or a metav1.LabelSelector dict or a string -> `app=containo` for ?labelSelector=."""
    if not selector:
        return ""
    if isinstance(selector, str):
        return selector
    if "matchLabels" in selector or "matchExpressions" in selector:
        parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
        for expr in selector.get("matchExpressions") or []:
            op, key, values = expr["operator"], expr["key"], ",".join(expr.get("values") or [])
            parts.append({"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                          "Exists": key, "DoesNotExist": f"!{key}"}[op])
        return ",".join(parts)
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def matches(selector: dict | None, labels: dict | None) -> bool:
    """Does a Service selector (a plain map) or a metav1.LabelSelector select these labels?

    A Service with no selector selects nothing; an empty LabelSelector selects everything.
    """
    labels = labels or {}
    if not selector:
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return all(labels.get(k) == v for k, v in selector.items())
    if not all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        ok = {"In": key in labels and labels[key] in values, "NotIn": labels.get(key) not in values,
              "Exists": key in labels, "DoesNotExist": key not in labels}[op]
        if not ok:
            return False
    return True
