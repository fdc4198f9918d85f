"""Schema validation of custom resources as apiextensions-apiserver reports it (kube-openapi's validator):
`spec.pollingInterval: Invalid value: "string": spec.pollingInterval in body must be of type integer: "string"`
and `spec.triggers: Required value`."""
from __future__ import annotations

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
    for key in ("spec", "status"):
        if key in obj:
            _walk(obj[key], schemas.property_schema(schema, key), key, causes)
    for key in schemas.resolve(schema).get("required", []):
        if key not in obj:
            causes.append(fe.required(key, ""))
    return causes


def _walk(value, schema: dict, path: str, causes: list[Cause]) -> None:
    schema = schemas.resolve(schema)
    expected = schemas.types(schema)
    actual = _type_name(value)
    if expected and actual not in expected and not (actual == "integer" and "number" in expected):
        wanted = sorted(expected)[0]
        causes.append(fe.type_invalid(path, actual, f"{path} in body must be of type {wanted}: \"{actual}\""))
        return
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            child = props.get(key) if key in props else (extra if isinstance(extra, dict) else None)
            if child is not None:
                _walk(item, child, f"{path}.{key}" if key.isidentifier() else f"{path}[{key}]", causes)
        for key in schema.get("required", []):
            if key not in value:
                causes.append(fe.required(f"{path}.{key}", ""))
    elif isinstance(value, list):
        items = schemas.items_schema(schema)
        for i, item in enumerate(value):
            _walk(item, items, f"{path}[{i}]", causes)
