"""Validation of StatefulSets, DaemonSets, ControllerRevisions (pkg/apis/apps/validation) and
ReplicationControllers (pkg/apis/core/validation), with kube-apiserver's paths and messages."""
from __future__ import annotations

from . import errors, field_errors as fe, labels, meta_validation, pod_validation, storage_validation
from .errors import Cause
from .workload_validation import (_immutable_selector, go_int_or_string, go_label_selector, nonnegative,
                                  not_more_than_100_percent, positive_int_or_percent)

RETENTION = ("Retain", "Delete")


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _value_of(value) -> int:
    """getIntOrPercentValue: the number of a count or a valid percent, else 0."""
    if isinstance(value, str):
        return int(value[:-1]) if value.endswith("%") and value[:-1].isdigit() else 0
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _template_restart(template, path: str, kind: str, forbidden_deadline: bool = True) -> list[Cause]:
    spec = _d(_d(template).get("spec"))
    causes = []
    restart = spec.get("restartPolicy")
    if restart not in (None, "Always"):
        causes.append(fe.not_supported(f"{path}.spec.restartPolicy", restart, ("Always",)))
    if spec.get("activeDeadlineSeconds") is not None:
        if forbidden_deadline:
            causes.append(fe.forbidden(f"{path}.spec.activeDeadlineSeconds",
                                       f"activeDeadlineSeconds in {kind} is not Supported"))
        else:
            causes.append(fe.invalid(f"{path}.spec.activeDeadlineSeconds", spec["activeDeadlineSeconds"],
                                     "activeDeadlineSeconds must be nil for daemon sets"))
    return causes


def _template_labels(template) -> fe.GoRepr:
    found = _d(_d(template).get("metadata")).get("labels")
    return fe.GoRepr("map[string]string(nil)" if found is None else fe.go_syntax(found))


def _selector(spec: dict, kind: str) -> tuple[list[Cause], labels.LabelSelector | None]:
    causes = []
    selector = spec.get("selector")
    if selector is None:
        causes.append(fe.required("spec.selector", ""))
    else:
        causes += labels.validate_selector(selector, "spec.selector")
        if not (_d(selector).get("matchLabels") or _d(selector).get("matchExpressions")):
            causes.append(fe.invalid("spec.selector", go_label_selector(selector), f"empty selector is invalid for {kind}"))
    try:
        return causes, labels.from_label_selector(selector)
    except errors.StatusError:
        return causes + [fe.invalid("spec.selector", go_label_selector(selector), "")], None


# StatefulSets ----------------------------------------------------------------------------------------------------
def validate_stateful_set(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [fe.required("spec.selector", "")]
    causes = []
    policy = spec.get("podManagementPolicy")
    if not policy:
        causes.append(fe.required("spec.podManagementPolicy", ""))
    elif policy not in ("OrderedReady", "Parallel"):
        causes.append(fe.invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
    causes += _update_strategy(_d(spec.get("updateStrategy")))
    retention = _d(spec.get("persistentVolumeClaimRetentionPolicy"))
    for key in ("whenDeleted", "whenScaled"):
        if retention.get(key) not in RETENTION:
            causes.append(fe.not_supported(f"spec.persistentVolumeClaimRetentionPolicy.{key}",
                                           retention.get(key) or "", RETENTION))
    causes += nonnegative(spec.get("replicas"), "spec.replicas")
    causes += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += nonnegative(_d(spec.get("ordinals")).get("start"), "spec.ordinals.start")
    found, selector = _selector(spec, "statefulset")
    causes += found
    template = spec.get("template")
    if selector is not None and isinstance(template, dict) and not selector.empty and not selector.matches(
            _d(template.get("metadata")).get("labels") or {}):
        causes.append(fe.invalid("spec.template.metadata.labels", _template_labels(template),
                                 "`selector` does not match template `labels`"))
    # ValidatePodTemplateSpecForStatefulSet checks the template's labels and annotations only, not its pod spec
    # (its volume mounts may name the claim templates), at these paths
    tmeta = _d(_d(template).get("metadata"))
    causes += labels.validate_labels(tmeta.get("labels"), "spec.template.labels")
    causes += meta_validation.annotations(tmeta.get("annotations"), "spec.template.annotations")
    causes += _template_restart(template, "spec.template", "StatefulSet")
    for i, claim in enumerate(spec.get("volumeClaimTemplates") or []):
        causes += storage_validation.claim_template(_d(claim), f"spec.volumeClaimTemplates[{i}]")
    if old is not None:
        causes += _stateful_set_update(spec, _d(old.get("spec")))
    return causes


def _update_strategy(strategy: dict) -> list[Cause]:
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    path = "spec.updateStrategy"
    if not kind:
        return [fe.required(path, "")]
    if kind == "OnDelete":
        if rolling is not None:
            return [fe.invalid(f"{path}.rollingUpdate", fe.GoRepr(fe.go_syntax(rolling)),
                               "only allowed for updateStrategy 'RollingUpdate'")]
        return []
    if kind != "RollingUpdate":
        return [fe.invalid(path, fe.GoRepr(fe.go_syntax(strategy)), "must be 'RollingUpdate' or 'OnDelete'")]
    if not isinstance(rolling, dict):
        return []
    rpath = f"{path}.rollingUpdate"
    causes = nonnegative(rolling.get("partition"), f"{rpath}.partition")
    unavailable = rolling.get("maxUnavailable")
    if unavailable is not None:
        causes += positive_int_or_percent(unavailable, f"{rpath}.maxUnavailable")
        if _value_of(unavailable) == 0:
            causes.append(fe.invalid(f"{rpath}.maxUnavailable", go_int_or_string(unavailable), "cannot be 0"))
        causes += not_more_than_100_percent(unavailable, f"{rpath}.maxUnavailable")
    return causes


_STATEFUL_SET_MUTABLE = ("replicas", "template", "updateStrategy", "minReadySeconds", "ordinals",
                         "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy")


def _stateful_set_update(spec: dict, old: dict) -> list[Cause]:
    if {k: v for k, v in spec.items() if k not in _STATEFUL_SET_MUTABLE} != \
            {k: v for k, v in old.items() if k not in _STATEFUL_SET_MUTABLE}:
        return [fe.forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                             "'template', 'updateStrategy', 'revisionHistoryLimit', "
                             "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")]
    return []


# DaemonSets ------------------------------------------------------------------------------------------------------
def validate_daemon_set(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [fe.required("spec.selector", "")]
    selector_spec = spec.get("selector")
    causes = labels.validate_selector(selector_spec, "spec.selector")
    template = spec.get("template")
    try:
        selector = labels.from_label_selector(selector_spec) if selector_spec is not None else labels.NOTHING
        if not selector.matches(_d(_d(template).get("metadata")).get("labels") or {}):
            causes.append(fe.invalid("spec.template.metadata.labels", _template_labels(template),
                                     "`selector` does not match template `labels`"))
    except errors.StatusError:
        pass
    if selector_spec is not None and not (_d(selector_spec).get("matchLabels")
                                          or _d(selector_spec).get("matchExpressions")):
        causes.append(fe.invalid("spec.selector", go_label_selector(selector_spec),
                                 "empty selector is invalid for daemonset"))
    causes += pod_validation.pod_template(template, "spec.template")
    causes += _template_restart(template, "spec.template", "DaemonSet", forbidden_deadline=False)
    causes += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += _daemon_strategy(_d(spec.get("updateStrategy")))
    causes += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    return causes + _immutable_selector(obj, old)


def _daemon_strategy(strategy: dict) -> list[Cause]:
    path = "spec.updateStrategy"
    kind = strategy.get("type")
    if kind == "OnDelete":
        return []
    if kind != "RollingUpdate":
        return [fe.not_supported(path, fe.GoRepr(fe.go_syntax(strategy)), ("RollingUpdate", "OnDelete"))]
    rolling = strategy.get("rollingUpdate")
    if not isinstance(rolling, dict):
        return [fe.required(f"{path}.rollingUpdate", "")]
    rpath = f"{path}.rollingUpdate"
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    causes = (positive_int_or_percent(unavailable, f"{rpath}.maxUnavailable")
              + positive_int_or_percent(surge, f"{rpath}.maxSurge")
              + not_more_than_100_percent(unavailable, f"{rpath}.maxUnavailable")
              + not_more_than_100_percent(surge, f"{rpath}.maxSurge"))
    has_unavailable, has_surge = _value_of(unavailable) != 0, _value_of(surge) != 0
    if has_unavailable and has_surge:
        causes.append(fe.invalid(f"{rpath}.maxSurge", go_int_or_string(surge),
                                 "may not be set when maxUnavailable is non-zero"))
    elif not has_unavailable and not has_surge:
        causes.append(fe.required(f"{rpath}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    return causes


# ControllerRevisions -------------------------------------------------------------------------------------------
def validate_controller_revision(obj: dict, old: dict | None) -> list[Cause]:
    causes = []
    if obj.get("data") is None:
        causes.append(fe.required("data", "data is mandatory"))
    causes += nonnegative(obj.get("revision"), "revision")
    if old is not None and obj.get("data") != old.get("data"):
        causes.append(fe.invalid("data", fe.GoRepr(fe.go_syntax(obj.get("data"))), "field is immutable"))
    return causes


# ReplicationControllers ----------------------------------------------------------------------------------------
def validate_replication_controller(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [fe.required("spec.selector", "")]
    causes = nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not selector:
        causes.append(fe.required("spec.selector", ""))
    causes += labels.validate_labels(selector if isinstance(selector, dict) else None, "spec.selector")
    causes += nonnegative(spec.get("replicas"), "spec.replicas")
    template = spec.get("template")
    if not isinstance(template, dict):
        return causes + [fe.required("spec.template", "")]
    if isinstance(selector, dict) and selector and not labels.selector_from_set(selector).matches(
            _d(template.get("metadata")).get("labels") or {}):
        causes.append(fe.invalid("spec.template.metadata.labels", _template_labels(template),
                                 "`selector` does not match template `labels`"))
    causes += pod_validation.pod_template(template, "spec.template")
    return causes + _template_restart(template, "spec.template", "ReplicationController")
