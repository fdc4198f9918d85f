"""rbac.authorization.k8s.io/v1 validation, as pkg/apis/rbac/validation does it: policy rules, roleRef (immutable
once set: `cannot change roleRef`), subjects, and a ClusterRole's aggregationRule; names only need to be valid
path segments (`system:controller:...` is a valid Role name). Plus the v1 defaulters (pkg/apis/rbac/v1/defaults.go):
roleRef.apiGroup and a subject's apiGroup."""
from __future__ import annotations

from . import field_errors as fe, labels, names
from .errors import Cause

GROUP = "rbac.authorization.k8s.io"
_SUBJECT_KINDS = ("ServiceAccount", "User", "Group")


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value) -> str:
    return value if isinstance(value, str) else ""


# defaults -----------------------------------------------------------------------------------------------------
def set_binding_defaults(binding: dict) -> None:
    """SetDefaults_RoleBinding / SetDefaults_ClusterRoleBinding and SetDefaults_Subject."""
    role_ref = binding.get("roleRef")
    if isinstance(role_ref, dict) and not role_ref.get("apiGroup"):
        role_ref["apiGroup"] = GROUP
    for subject in _list(binding.get("subjects")):
        if isinstance(subject, dict) and not subject.get("apiGroup"):
            if subject.get("kind") in ("User", "Group"):
                subject["apiGroup"] = GROUP  # a ServiceAccount's stays "" (omitted)


# validation ---------------------------------------------------------------------------------------------------
def _policy_rule(rule: dict, namespaced: bool, path: str) -> list[Cause]:
    causes: list[Cause] = []
    if not _list(rule.get("verbs")):
        causes.append(fe.required(f"{path}.verbs", "verbs must contain at least one value"))
    urls = _list(rule.get("nonResourceURLs"))
    if urls:
        if namespaced:
            causes.append(fe.invalid(f"{path}.nonResourceURLs", urls,
                                     "namespaced rules cannot apply to non-resource URLs"))
        if _list(rule.get("apiGroups")) or _list(rule.get("resources")) or _list(rule.get("resourceNames")):
            causes.append(fe.invalid(f"{path}.nonResourceURLs", urls,
                                     "rules cannot apply to both regular resources and non-resource URLs"))
        return causes
    if not _list(rule.get("apiGroups")):
        causes.append(fe.required(f"{path}.apiGroups", "resource rules must supply at least one api group"))
    if not _list(rule.get("resources")):
        causes.append(fe.required(f"{path}.resources", "resource rules must supply at least one resource"))
    if _list(rule.get("resourceNames")) and len(_list(rule.get("resources"))) > 1:
        causes.append(fe.required(f"{path}.resourceNames", "resource names cannot apply to multiple resources"))
    return causes


def _rules(obj: dict, namespaced: bool) -> list[Cause]:
    causes: list[Cause] = []
    for i, rule in enumerate(_list(obj.get("rules"))):
        causes += _policy_rule(_d(rule), namespaced, f"rules[{i}]")
    return causes


def validate_role(obj: dict, old: dict | None) -> list[Cause]:
    return _rules(obj, True)


def validate_cluster_role(obj: dict, old: dict | None) -> list[Cause]:
    causes = _rules(obj, False)
    rule = obj.get("aggregationRule")
    if isinstance(rule, dict):
        selectors = _list(rule.get("clusterRoleSelectors"))
        if not selectors:
            causes.append(fe.required("aggregationRule.clusterRoleSelectors",
                                      "at least one clusterRoleSelector required if aggregationRule is non-nil"))
        for i, selector in enumerate(selectors):
            causes += labels.validate_selector(selector, f"aggregationRule.clusterRoleSelectors[{i}]")
    return causes


def _role_ref_text(ref: dict) -> fe.GoRepr:
    return fe.GoRepr(f'rbac.RoleRef{{APIGroup:{fe.go_quote(_str(ref.get("apiGroup")))}, '
                     f'Kind:{fe.go_quote(_str(ref.get("kind")))}, Name:{fe.go_quote(_str(ref.get("name")))}}}')


def _binding(obj: dict, old: dict | None, namespaced: bool) -> list[Cause]:
    causes: list[Cause] = []
    ref = _d(obj.get("roleRef"))
    if _str(ref.get("apiGroup")) != GROUP:
        causes.append(fe.not_supported("roleRef.apiGroup", _str(ref.get("apiGroup")), [GROUP]))
    kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
    if _str(ref.get("kind")) not in kinds:
        causes.append(fe.not_supported("roleRef.kind", _str(ref.get("kind")), kinds))
    name = _str(ref.get("name"))
    if not name:
        causes.append(fe.required("roleRef.name", ""))
    else:
        causes += [fe.invalid("roleRef.name", name, m) for m in names.path_segment_name(name)]
    for i, subject in enumerate(_list(obj.get("subjects"))):
        causes += _subject(_d(subject), namespaced, f"subjects[{i}]")
    if old is not None:
        old_ref = _d(old.get("roleRef"))
        if any(_str(old_ref.get(k)) != _str(ref.get(k)) for k in ("apiGroup", "kind", "name")):
            causes.append(fe.invalid("roleRef", _role_ref_text(ref), "cannot change roleRef"))
    return causes


def _subject(subject: dict, namespaced: bool, path: str) -> list[Cause]:
    causes: list[Cause] = []
    name, kind, group = _str(subject.get("name")), _str(subject.get("kind")), _str(subject.get("apiGroup"))
    if not name:
        causes.append(fe.required(f"{path}.name", ""))
    if kind == "ServiceAccount":
        if name:
            causes += [fe.invalid(f"{path}.name", name, m) for m in names.dns1123_subdomain(name)]
        if group:
            causes.append(fe.not_supported(f"{path}.apiGroup", group, [""]))
        if not namespaced and not _str(subject.get("namespace")):
            causes.append(fe.required(f"{path}.namespace", ""))
    elif kind in ("User", "Group"):
        if not name:
            causes.append(fe.invalid(f"{path}.name", name, f"{kind.lower()} name cannot be empty"))
        if group != GROUP:
            causes.append(fe.not_supported(f"{path}.apiGroup", group, [GROUP]))
    else:
        causes.append(fe.not_supported(f"{path}.kind", kind, _SUBJECT_KINDS))
    return causes


def validate_role_binding(obj: dict, old: dict | None) -> list[Cause]:
    return _binding(obj, old, True)


def validate_cluster_role_binding(obj: dict, old: dict | None) -> list[Cause]:
    return _binding(obj, old, False)
