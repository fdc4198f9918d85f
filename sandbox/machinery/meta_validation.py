"""ValidateObjectMeta / ValidateObjectMetaUpdate: names by the rule each kind uses, namespace, labels, annotations,
owner references and finalizers, with apimachinery's messages."""
from __future__ import annotations

from . import field_errors as fe, labels, names
from .errors import Cause
from .resources import ResourceType

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
_NAME_RULES = {("", "Namespace"): names.dns1123_label, ("", "Service"): names.dns1035_label,
               ("policy", "PodDisruptionBudget"): names.path_segment_name,
               ("apiregistration.k8s.io", "APIService"): names.path_segment_name,  # then version.group
               **{("rbac.authorization.k8s.io", kind): names.path_segment_name
                  for kind in ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")}}
_PREFIX_RULES = {names.path_segment_name: names.path_segment_prefix}  # else the name rule, a trailing '-' allowed
_FINALIZER_CONFLICT = ("orphan", "foregroundDeletion")


def name_rule(rt: ResourceType):
    return _NAME_RULES.get((rt.group, rt.kind), names.dns1123_subdomain)


def _str(value) -> str:
    return value if isinstance(value, str) else ""


def object_meta(rt: ResourceType, meta, old_meta=None) -> list[Cause]:
    if not isinstance(meta, dict):
        return [fe.required("metadata", "")]
    causes: list[Cause] = []
    rule = name_rule(rt)
    generate = _str(meta.get("generateName"))
    if generate:
        prefix_rule = _PREFIX_RULES.get(rule)
        found = prefix_rule(generate) if prefix_rule else rule(names.mask_trailing_dash(generate))
        causes += [fe.invalid("metadata.generateName", generate, m) for m in found]
    name = _str(meta.get("name"))
    if not name:
        causes.append(fe.required("metadata.name", "name or generateName is required"))
    else:
        causes += [fe.invalid("metadata.name", name, m) for m in rule(name)]
    causes += _namespace(rt, meta)
    causes += labels.validate_labels(meta.get("labels"), "metadata.labels")
    causes += annotations(meta.get("annotations"), "metadata.annotations")
    causes += _owner_references(meta.get("ownerReferences"))
    causes += _finalizers(meta.get("finalizers"))
    if isinstance(old_meta, dict):
        causes += _update(meta, old_meta)
    return causes


def _namespace(rt: ResourceType, meta: dict) -> list[Cause]:
    namespace = _str(meta.get("namespace"))
    if rt.namespaced:
        if not namespace:
            return [fe.required("metadata.namespace", "")]
        return [fe.invalid("metadata.namespace", namespace, m) for m in names.dns1123_label(namespace)]
    if namespace:
        return [fe.forbidden("metadata.namespace", "not allowed on this type")]
    return []


def annotations(values, path: str) -> list[Cause]:
    if values is None:
        return []
    if not isinstance(values, dict):
        return [fe.invalid(path, fe.GoRepr(fe.go_syntax(values)), "must be a map of string keys to string values")]
    causes, total = [], 0
    for key, value in values.items():
        causes += [fe.invalid(path, key, m) for m in names.qualified_name(str(key).lower())]
        total += len(str(key)) + len(value if isinstance(value, str) else "")
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        causes.append(Cause(path, f"Too long: may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes",
                            "FieldValueTooLong"))
    return causes


def _owner_references(refs) -> list[Cause]:
    if not isinstance(refs, list):
        return []
    causes, controllers = [], []
    path = "metadata.ownerReferences"
    for ref in refs:
        if not isinstance(ref, dict):
            continue
        api_version = _str(ref.get("apiVersion"))
        for key, why in (("apiVersion", "version must not be empty"), ("kind", "kind must not be empty"),
                         ("name", "name must not be empty"), ("uid", "uid must not be empty")):
            if not _str(ref.get(key)):
                causes.append(fe.invalid(f"{path}.{key}", "", why))
        if api_version == "v1" and ref.get("kind") == "List":
            causes.append(fe.invalid(f"{path}.kind", "List", "kind is not a valid owner"))
        if ref.get("controller") is True:
            controllers.append(f"{ref.get('kind')}/{ref.get('name')}")
    if len(controllers) > 1:
        causes.append(fe.invalid(path, fe.GoRepr("[]v1.OwnerReference{...}"),
                                 "Only one reference can have Controller set to true. Found \"true\" in references "
                                 "for " + " and ".join(controllers)))
    return causes


def _finalizers(finalizers) -> list[Cause]:
    if not isinstance(finalizers, list):
        return []
    causes = []
    for i, finalizer in enumerate(finalizers):
        causes += [fe.invalid(f"metadata.finalizers[{i}]", finalizer, m)
                   for m in names.qualified_name(_str(finalizer))]
    if all(f in finalizers for f in _FINALIZER_CONFLICT):
        causes.append(fe.invalid("metadata.finalizers", fe.GoRepr(fe.go_syntax(finalizers)),
                                 "finalizer orphan and foregroundDeletion cannot be both set"))
    return causes


def _update(meta: dict, old: dict) -> list[Cause]:
    causes = []
    for key in ("name", "namespace"):
        if _str(meta.get(key)) != _str(old.get(key)):
            causes.append(fe.invalid(f"metadata.{key}", _str(meta.get(key)), "field is immutable"))
    if old.get("deletionTimestamp"):
        added = [f for f in meta.get("finalizers") or [] if f not in (old.get("finalizers") or [])]
        if added:
            causes.append(fe.forbidden("metadata.finalizers", "no new finalizers can be added if the object is "
                                       f"being deleted, found new finalizers {fe.go_syntax(added)}"))
    return causes


def data_keys(obj: dict, fields: tuple[str, ...]) -> list[Cause]:
    """ConfigMap/Secret keys: valid config keys, and not in both data and binaryData."""
    causes = []
    seen: set[str] = set()
    for field in fields:
        values = obj.get(field)
        if not isinstance(values, dict):
            continue
        for key in values:
            causes += [fe.invalid(f"{field}[{key}]", key, m) for m in names.config_map_key(str(key))]
            if key in seen:
                causes.append(fe.invalid(f"{field}[{key}]", key, "duplicate of key present in data"))
            seen.add(key)
    return causes
