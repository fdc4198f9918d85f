"""Decoding and validation of objects on create and update, as kube-apiserver does them:

- decode(): the serializer's pass. Type errors are 400 BadRequest (`<Kind> in version "v1" cannot be handled as a
  <Kind>: json: cannot unmarshal ...`); unknown fields fail under fieldValidation=Strict, come back as warnings under
  Warn, and are dropped silently under Ignore.
- validate(): the registry strategy's Validate/ValidateUpdate: ObjectMeta's rules and the kind's own (which its
  registration in sandbox/registry/kinds/ names), every problem reported as a cause of one 422 Invalid
  (errors.invalid)."""
from __future__ import annotations

from collections.abc import Callable

from . import crd_validation, decoding, errors, field_errors as fe, meta_validation, schemas
from .resources import ResourceType

Rules = Callable[[dict, "dict | None"], "list[errors.Cause]"]  # a kind's own rules: (obj, old) -> causes

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
    decoder = decoding.Decoder(typed=not rt.custom)
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


def validate(rt: ResourceType, obj: dict, old: dict | None = None, *, rules: Rules | None = None,
             metadata_first: bool = True) -> None:
    """Raise 422 Invalid listing every problem with `obj` (an update when `old` is given): ObjectMeta's, then the
    kind's own `rules`. metadata_first=False is a kind whose Validate leaves ObjectMeta to the generic store, which
    checks it on create only once the kind's rules pass (PodDisruptionBudget)."""
    if not isinstance(obj, dict):
        raise errors.bad_request("the object to validate must be a JSON object")
    try:
        causes = _causes(rt, obj, old if isinstance(old, dict) else None, rules, metadata_first)
    except RecursionError:
        raise errors.bad_request("the object is nested too deeply") from None
    if causes:
        name = (obj.get("metadata") or {}).get("name") if isinstance(obj.get("metadata"), dict) else ""
        raise errors.invalid(rt.group, rt.kind, name or "", causes)


def _causes(rt: ResourceType, obj: dict, old: dict | None, rules: Rules | None,
            metadata_first: bool) -> list[errors.Cause]:
    causes = meta_validation.object_meta(rt, obj.get("metadata"), old.get("metadata") if old else None)
    own = rules(obj, old) if rules is not None else []
    if own and old is None and not metadata_first:
        return own  # BeforeCreate checks metadata only once the kind's own validation has passed
    return causes + own


def custom_resource_rules(api_version: str, kind: str) -> Rules:
    """A custom resource's rules: its CRD's OpenAPI schema, as apiextensions-apiserver validates it."""
    def rules(obj: dict, old: dict | None) -> list[errors.Cause]:
        name = schemas.definition_name(api_version, kind)
        return crd_validation.validate(obj, schemas.definition(name)) if name else []
    return rules


def validate_config_map(obj: dict, old: dict | None) -> list[errors.Cause]:
    return meta_validation.data_keys(obj, ("data", "binaryData")) + _immutable_data(obj, old, ("data", "binaryData"))


def validate_secret(obj: dict, old: dict | None) -> list[errors.Cause]:
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
