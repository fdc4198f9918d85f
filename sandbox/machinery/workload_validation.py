"""apps/v1 validation (pkg/apis/apps/validation): Deployment and ReplicaSet specs, the selector/template label
match, the rolling update parameters, and the selector that may not change after creation."""
from __future__ import annotations

from . import errors, field_errors as fe, labels, names, pod_validation
from .errors import Cause

_MAX_INT32 = 2**31 - 1


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def go_label_selector(selector) -> fe.GoRepr:
    """%#v of a *metav1.LabelSelector once field.Error dereferences it."""
    if not isinstance(selector, dict):
        return fe.GoRepr("null")
    match_labels = selector.get("matchLabels")
    ml = "map[string]string(nil)" if match_labels is None else fe.go_syntax(match_labels)
    expressions = selector.get("matchExpressions")
    if expressions is None:
        me = "[]v1.LabelSelectorRequirement(nil)"
    else:
        items = []
        for e in expressions if isinstance(expressions, list) else []:
            e = _d(e)
            values = e.get("values")
            vs = "[]string(nil)" if values is None else fe.go_syntax(values)
            items.append(f'v1.LabelSelectorRequirement{{Key:{fe.go_quote(str(e.get("key", "")))}, '
                         f'Operator:{fe.go_quote(str(e.get("operator", "")))}, Values:{vs}}}')
        me = "[]v1.LabelSelectorRequirement{" + ", ".join(items) + "}"
    return fe.GoRepr(f"v1.LabelSelector{{MatchLabels:{ml}, MatchExpressions:{me}}}")


def _template_labels(template) -> fe.GoRepr:
    found = _d(_d(template).get("metadata")).get("labels")
    return fe.GoRepr("map[string]string(nil)" if found is None else fe.go_syntax(found))


def nonnegative(value, path: str) -> list[Cause]:
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [fe.invalid(path, value, "must be greater than or equal to 0")]
    return []


def _selector_and_template(spec: dict, path: str) -> list[Cause]:
    """ValidateDeploymentSpec / ValidateReplicaSetSpec share these (and their wording, "deployment" included)."""
    causes = nonnegative(spec.get("replicas"), f"{path}.replicas")
    selector = spec.get("selector")
    if selector is None:
        causes.append(fe.required(f"{path}.selector", ""))
    else:
        causes += labels.validate_selector(selector, f"{path}.selector")
        sel = _d(selector)
        if not (sel.get("matchLabels") or sel.get("matchExpressions")):
            causes.append(fe.invalid(f"{path}.selector", go_label_selector(selector),
                                     "empty selector is invalid for deployment"))
    try:
        parsed = labels.from_label_selector(selector)
    except errors.StatusError:
        causes.append(fe.invalid(f"{path}.selector", go_label_selector(selector), "invalid label selector"))
        return causes
    template = spec.get("template")
    tpath = f"{path}.template"
    if not isinstance(template, dict):
        return causes + [fe.required(tpath, "")]
    if not parsed.empty and not parsed.matches(_d(template.get("metadata")).get("labels") or {}):
        causes.append(fe.invalid(f"{tpath}.metadata.labels", _template_labels(template),
                                 "`selector` does not match template `labels`"))
    causes += pod_validation.pod_template(template, tpath)
    restart = _d(template.get("spec")).get("restartPolicy")
    if restart not in (None, "Always"):
        causes.append(fe.not_supported(f"{tpath}.spec.restartPolicy", restart, ("Always",)))
    if _d(template.get("spec")).get("activeDeadlineSeconds") is not None:
        causes.append(fe.forbidden(f"{tpath}.spec.activeDeadlineSeconds",
                                   "activeDeadlineSeconds in ReplicaSet is not Supported"))
    causes += nonnegative(spec.get("minReadySeconds"), f"{path}.minReadySeconds")
    return causes


def _immutable_selector(obj: dict, old: dict | None) -> list[Cause]:
    if old is None:
        return []
    new_selector = _d(obj.get("spec")).get("selector")
    old_selector = _d(old.get("spec")).get("selector")
    if _normal(new_selector) != _normal(old_selector):
        return [fe.invalid("spec.selector", go_label_selector(new_selector), "field is immutable")]
    return []


def _normal(selector):
    """Selectors compare as Go structs: an empty matchLabels equals an absent one only if both are nil."""
    return selector if isinstance(selector, dict) else None


def validate_deployment(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [fe.required("spec.selector", "")]
    causes = _selector_and_template(spec, "spec")
    causes += _strategy(_d(spec.get("strategy")), "spec.strategy")
    causes += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    if isinstance(deadline, int) and not isinstance(deadline, bool):
        causes += nonnegative(deadline, "spec.progressDeadlineSeconds")
        min_ready = spec.get("minReadySeconds") or 0
        if isinstance(min_ready, int) and deadline <= min_ready:
            causes.append(fe.invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
    return causes + _immutable_selector(obj, old)


def validate_replica_set(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [fe.required("spec.selector", "")]
    return _selector_and_template(spec, "spec") + _immutable_selector(obj, old)


def go_int_or_string(value) -> fe.GoRepr:
    """%#v of an intstr.IntOrString value (not a pointer: it is no fmt.Stringer then)."""
    if isinstance(value, str):
        return fe.GoRepr(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{fe.go_quote(value)}}}")
    return fe.GoRepr(f"intstr.IntOrString{{Type:0, IntVal:{value}, StrVal:\"\"}}")


def positive_int_or_percent(value, path: str) -> list[Cause]:
    """ValidatePositiveIntOrPercent (apps validation, which policy's PodDisruptionBudget validation calls too)."""
    if isinstance(value, str):
        return [fe.invalid(path, go_int_or_string(value), m) for m in names.percent(value)]
    return nonnegative(value, path)


def not_more_than_100_percent(value, path: str) -> list[Cause]:
    """IsNotMoreThan100Percent: only a valid percent string is checked."""
    if isinstance(value, str) and (_value_of(value) or 0) > 100:
        return [fe.invalid(path, go_int_or_string(value), "must not be greater than 100%")]
    return []


def _value_of(value) -> int | None:
    if isinstance(value, str):
        return int(value[:-1]) if value.endswith("%") and value[:-1].isdigit() else None
    return value if isinstance(value, int) else None


def _strategy(strategy: dict, path: str) -> list[Cause]:
    kind = strategy.get("type")
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            return [fe.forbidden(f"{path}.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if kind != "RollingUpdate":
        return [fe.not_supported(f"{path}.type", kind if kind is not None else "", ("Recreate", "RollingUpdate"))]
    if not isinstance(rolling, dict):
        return [fe.required(f"{path}.rollingUpdate", "this should be defaulted and never be nil")]
    rpath = f"{path}.rollingUpdate"
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    causes = (positive_int_or_percent(unavailable, f"{rpath}.maxUnavailable")
              + positive_int_or_percent(surge, f"{rpath}.maxSurge"))
    if _value_of(unavailable) == 0 and _value_of(surge) == 0:
        causes.append(fe.invalid(f"{rpath}.maxUnavailable", go_int_or_string(unavailable),
                                 "may not be 0 when `maxSurge` is 0"))
    return causes + not_more_than_100_percent(unavailable, f"{rpath}.maxUnavailable")
