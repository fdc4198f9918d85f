"""Decoding and validation of objects on create and update, as kube-apiserver does them:

- decode(): the serializer's pass. Type errors are 400 BadRequest (`<Kind> in version "v1" cannot be handled as a
  <Kind>: json: cannot unmarshal ...`); unknown fields fail under fieldValidation=Strict, come back as warnings under
  Warn, and are dropped silently under Ignore.
- validate(): the registry strategy's Validate/ValidateUpdate: semantic rules per kind, every problem reported as a
  cause of one 422 Invalid (errors.invalid)."""
from __future__ import annotations

from . import (autoscaling_validation, crd_schemas, crd_validation, decoding, errors, field_errors as fe,
               meta_validation, pod_validation, policy_validation, schemas, service_validation, workload_validation)
from .resources import ResourceType

FIELD_VALIDATION = ("Ignore", "Warn", "Strict")


def _cannot_handle(rt: ResourceType, why: str) -> errors.StatusError:
    return errors.bad_request(f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {why}')


def decode(rt: ResourceType, obj: dict, field_validation: str = "Strict") -> list[str]:
    """Decode `obj` (a parsed JSON body) in place as `rt`; returns the warnings for the response header."""
    if field_validation in ("", None):
        field_validation = "Warn"
    if field_validation not in FIELD_VALIDATION:
        raise errors.bad_request(f'fieldValidation: Unsupported value: "{field_validation}": supported values: '
                                 '"Ignore", "Strict", "Warn"')
    if not isinstance(obj, dict):
        raise _cannot_handle(rt, f"json: cannot unmarshal {decoding.json_kind(obj)} into Go value of type "
                                 f"{rt.group or 'core'}.{rt.kind}")
    name = schemas.definition_name(rt.api_version, rt.kind)
    if name is None:
        return []
    decoder = decoding.Decoder(typed=rt.group not in crd_schemas.CUSTOM_RESOURCE_GROUPS)
    try:
        decoded = decoder.decode_object(obj, name)
    except decoding.DecodeError as e:
        raise _cannot_handle(rt, str(e)) from None
    except RecursionError:
        raise _cannot_handle(rt, "json: exceeded max depth") from None
    unknown = [f'unknown field "{path}"' for path in decoder.unknown]
    if unknown and field_validation == "Strict":
        raise _cannot_handle(rt, "strict decoding error: " + ", ".join(unknown))
    obj.clear()
    obj.update(decoded)
    return unknown if field_validation == "Warn" else []


def validate(rt: ResourceType, obj: dict, old: dict | None = None) -> None:
    """Raise 422 Invalid listing every problem with `obj` (an update when `old` is given)."""
    if not isinstance(obj, dict):
        raise errors.bad_request("the object to validate must be a JSON object")
    try:
        causes = _causes(rt, obj, old if isinstance(old, dict) else None)
    except RecursionError:
        raise errors.bad_request("the object is nested too deeply") from None
    if causes:
        name = (obj.get("metadata") or {}).get("name") if isinstance(obj.get("metadata"), dict) else ""
        raise errors.invalid(rt.group, rt.kind, name or "", causes)


def _causes(rt: ResourceType, obj: dict, old: dict | None) -> list[errors.Cause]:
    causes = meta_validation.object_meta(rt, obj.get("metadata"), old.get("metadata") if old else None)
    if rt.group in crd_schemas.CUSTOM_RESOURCE_GROUPS:
        name = schemas.definition_name(rt.api_version, rt.kind)
        return causes + (crd_validation.validate(obj, schemas.definition(name)) if name else [])
    rules = _RULES.get((rt.group, rt.kind))
    own = rules(obj, old) if rules is not None else []
    if own and old is None and (rt.group, rt.kind) in _METADATA_LEFT_TO_THE_STORE:
        return own  # BeforeCreate checks metadata only once the kind's own validation has passed
    return causes + own


def _config_map(obj: dict, old: dict | None) -> list[errors.Cause]:
    return meta_validation.data_keys(obj, ("data", "binaryData")) + _immutable_data(obj, old, ("data", "binaryData"))


def _secret(obj: dict, old: dict | None) -> list[errors.Cause]:
    causes = meta_validation.data_keys(obj, ("data",))
    if old is not None and old.get("type", "Opaque") != obj.get("type", "Opaque"):
        causes.append(fe.invalid("type", obj.get("type", ""), "field is immutable"))
    return causes + _immutable_data(obj, old, ("data",))


def _immutable_data(obj: dict, old: dict | None, fields: tuple[str, ...]) -> list[errors.Cause]:
    """`immutable: true` freezes the data and cannot be undone."""
    if old is None or old.get("immutable") is not True:
        return []
    causes = []
    if obj.get("immutable") is not True:
        causes.append(fe.forbidden("immutable", "field is immutable when `immutable` is set"))
    for field in fields:
        if (obj.get(field) or {}) != (old.get(field) or {}):
            causes.append(fe.forbidden(field, "field is immutable when `immutable` is set"))
    return causes


_RULES = {
    ("", "Pod"): pod_validation.validate_pod,
    ("", "Service"): service_validation.validate_service,
    ("", "ConfigMap"): _config_map,
    ("", "Secret"): _secret,
    ("apps", "Deployment"): workload_validation.validate_deployment,
    ("apps", "ReplicaSet"): workload_validation.validate_replica_set,
    ("autoscaling", "HorizontalPodAutoscaler"): autoscaling_validation.validate_hpa,
    ("policy", "PodDisruptionBudget"): policy_validation.validate_pdb,
}
# Kinds whose validation does not call ValidateObjectMeta: the generic store checks their metadata itself.
_METADATA_LEFT_TO_THE_STORE = {("policy", "PodDisruptionBudget")}
