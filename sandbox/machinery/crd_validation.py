"""Schema validation of custom resources as apiextensions-apiserver reports it (kube-openapi's validator, its
errors turned into field errors): `spec.pollingInterval: Invalid value: "string": spec.pollingInterval in body must
be of type integer: "string"`, `spec.triggers: Required value`, `spec.size: Unsupported value: "XL": supported
values: "S", "M"`, `spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1`.
Also the defaults a structural schema declares (applied where the object has the parent, as on decoding)."""
from __future__ import annotations

import copy
import re

from . import field_errors as fe, schemas
from .errors import Cause

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def _type_name(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return "integer"
    return _JSON_TYPES.get(type(value), "object")


def validate(obj: dict, schema: dict) -> list[Cause]:
    causes: list[Cause] = []
    resolved = schemas.resolve(schema)
    for key, value in obj.items():
        if key in ("metadata", "apiVersion", "kind"):
            continue
        child = schemas.property_schema(schema, key)
        if child:
            _walk(value, child, key, causes)
    for key in resolved.get("required", []):
        if key not in obj:
            causes.append(fe.required(key, ""))
    return causes


def _number(value) -> str:
    return fe.go_value(value)


def _walk(value, schema: dict, path: str, causes: list[Cause]) -> None:
    schema = schemas.resolve(schema)
    if value is None:
        if not schema.get("nullable"):
            causes.append(fe.type_invalid(path, "null", f"{path} in body must be of type "
                                          f"{sorted(schemas.types(schema) or {'object'})[0]}: \"null\""))
        return
    expected = schemas.types(schema)
    actual = _type_name(value)
    if schema.get("x-kubernetes-int-or-string") is True:
        expected = {"integer", "string"}
    if expected and actual not in expected and not (actual == "integer" and "number" in expected):
        wanted = sorted(expected)[0]
        causes.append(fe.type_invalid(path, actual, f"{path} in body must be of type {wanted}: \"{actual}\""))
        return
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        causes.append(fe.not_supported(path, value, [e if isinstance(e, str) else fe.go_value(e) for e in enum]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _bounds(value, schema, path, causes)
    elif isinstance(value, str):
        _string(value, schema, path, causes)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            child = props.get(key) if key in props else (extra if isinstance(extra, dict) else None)
            if child is not None:
                _walk(item, child, f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key)
                      else f"{path}[{key}]", causes)
        for key in schema.get("required", []):
            if key not in value:
                causes.append(fe.required(f"{path}.{key}", ""))
        _count(len(value), schema, "Properties", "properties", path, causes)
    elif isinstance(value, list):
        items = schemas.items_schema(schema)
        for i, item in enumerate(value):
            _walk(item, items, f"{path}[{i}]", causes)
        _count(len(value), schema, "Items", "items", path, causes)
        if schema.get("uniqueItems") or schema.get("x-kubernetes-list-type") == "set":
            for i, item in enumerate(value):
                if item in value[:i]:
                    causes.append(fe.duplicate(f"{path}[{i}]", item))


def _bounds(value, schema: dict, path: str, causes: list[Cause]) -> None:
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(low, (int, float)):
        if schema.get("exclusiveMinimum") and value <= low:
            causes.append(fe.invalid(path, value, f"{path} in body should be greater than {_number(low)}"))
        elif value < low:
            causes.append(fe.invalid(path, value, f"{path} in body should be greater than or equal to "
                                                  f"{_number(low)}"))
    if isinstance(high, (int, float)):
        if schema.get("exclusiveMaximum") and value >= high:
            causes.append(fe.invalid(path, value, f"{path} in body should be less than {_number(high)}"))
        elif value > high:
            causes.append(fe.invalid(path, value, f"{path} in body should be less than or equal to "
                                                  f"{_number(high)}"))
    multiple = schema.get("multipleOf")
    if isinstance(multiple, (int, float)) and multiple and value % multiple:
        causes.append(fe.invalid(path, value, f"{path} in body should be a multiple of {_number(multiple)}"))


def _string(value: str, schema: dict, path: str, causes: list[Cause]) -> None:
    if isinstance(schema.get("minLength"), int) and len(value) < schema["minLength"]:
        causes.append(fe.invalid(path, value, f"{path} in body should be at least {schema['minLength']} chars long"))
    if isinstance(schema.get("maxLength"), int) and len(value) > schema["maxLength"]:
        causes.append(fe.too_long(path, schema["maxLength"]))
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            matched = re.search(pattern, value) is not None
        except re.error:
            matched = True
        if not matched:
            causes.append(fe.invalid(path, value, f"{path} in body should match '{pattern}'"))


def _count(count: int, schema: dict, suffix: str, noun: str, path: str, causes: list[Cause]) -> None:
    low, high = schema.get(f"min{suffix}"), schema.get(f"max{suffix}")
    if isinstance(low, int) and count < low:
        causes.append(fe.invalid(path, count, f"{path} in body should have at least {low} {noun}"))
    if isinstance(high, int) and count > high:
        causes.append(fe.too_many(path, count, high))


# defaults ------------------------------------------------------------------------------------------------------
def apply_defaults(obj, schema: dict) -> None:
    """structuraldefaulting.Default: every property with a `default` that the object lacks gets it (a copy), in
    objects that exist, recursively, including the items of lists and the values of maps."""
    schema = schemas.resolve(schema)
    if isinstance(obj, dict):
        props = schema.get("properties") or {}
        for key, child in props.items():
            if not isinstance(child, dict):
                continue
            if key not in obj and "default" in child:
                obj[key] = copy.deepcopy(child["default"])
            if key in obj and key != "metadata":
                apply_defaults(obj[key], child)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in obj:
                if key not in props:
                    apply_defaults(obj[key], extra)
    elif isinstance(obj, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for item in obj:
                apply_defaults(item, items)
