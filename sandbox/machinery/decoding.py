"""Decoding a JSON object into a Kubernetes type, as kube-apiserver's JSON serializer does (sigs.k8s.io/json):
the first type mismatch fails the request with Go's wording (`json: cannot unmarshal string into Go struct field
DeploymentSpec.spec.replicas of type int32`), unknown fields are collected with their paths for strict field
validation, nulls mean "not set", and quantities come out in canonical form.

Custom resources are decoded as unstructured JSON: only unknown fields are pruned here; their type checks are
schema validation (crd_validation.py), which answers 422 like apiextensions-apiserver."""
from __future__ import annotations

import base64
import binascii
import json
import re

from . import quantity, schemas

_DROP = object()
_REF_PREFIX = "#/$defs/"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_TIMES = ("io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime")
_GO_NAMES = {_QUANTITY: "resource.Quantity", _INT_OR_STRING: "intstr.IntOrString"}
_INT_RANGES = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class DecodeError(ValueError):
    """The first hard decoding error; str() is what follows `cannot be handled as a <Kind>: `."""


def ref_name(schema: dict) -> str:
    ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
    return ref[len(_REF_PREFIX):] if ref.startswith(_REF_PREFIX) else ""


def go_type(schema: dict) -> str:
    """The Go type a schema stands for, as encoding/json names it in errors."""
    name = ref_name(schema)
    if name:
        if name in _GO_NAMES:
            return _GO_NAMES[name]
        parts = name.split(".")
        return f"{parts[-2]}.{parts[-1]}" if len(parts) > 1 else name
    kinds = schemas.types(schema)
    if "array" in kinds:
        return "[]" + go_type(schemas.items_schema(schema))
    if "object" in kinds:
        extra = schema.get("additionalProperties")
        return "map[string]" + (go_type(extra) if isinstance(extra, dict) else "interface {}")
    if "integer" in kinds:
        return schema.get("format", "int64") if schema.get("format") in _INT_RANGES else "int64"
    if "number" in kinds:
        return "float64"
    if "boolean" in kinds:
        return "bool"
    if "string" in kinds:
        return "[]uint8" if schema.get("format") == "byte" else "string"
    return "interface {}"


def json_kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


class _Info:
    """Everything decoding asks of one schema, worked out once per schema object."""
    __slots__ = ("name", "resolved", "kinds", "props", "extra", "items", "go_type")

    def __init__(self, schema: dict):
        self.name = ref_name(schema)
        self.resolved = schemas.resolve(schema)
        self.kinds = schemas.types(self.resolved)
        props = self.resolved.get("properties")
        self.props = props if isinstance(props, dict) else None
        extra = self.resolved.get("additionalProperties")
        self.extra = extra if isinstance(extra, dict) else None
        self.items = schemas.items_schema(self.resolved)
        self.go_type = go_type(schema)


_INFO: dict[int, tuple[dict, _Info]] = {}


def _info(schema: dict) -> _Info:
    hit = _INFO.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    info = _Info(schema)
    if len(_INFO) > 20000:
        _INFO.clear()
    _INFO[id(schema)] = (schema, info)
    return info


def _plain_leaf(value, info: _Info) -> bool:
    """A string, bool or in-range integer where the schema wants exactly that (no conversion, no error)."""
    if info.name:
        return False
    kinds = info.kinds
    kind = type(value)
    if kind is str:
        return kinds == {"string"} and info.resolved.get("format") != "byte"
    if kind is bool:
        return kinds == {"boolean"}
    if kind is int:
        low, high = _INT_RANGES.get(info.resolved.get("format"), _INT_RANGES["int64"])
        return kinds == {"integer"} and low <= value <= high
    return False


class Decoder:
    """One decode: `typed` for built-in kinds (Go type errors), untyped for custom resources."""

    def __init__(self, typed: bool = True):
        self.typed = typed
        self.unknown: list[str] = []

    def decode_object(self, obj: dict, definition: str) -> dict:
        struct = definition.rsplit(".", 1)[-1]
        return self._struct(obj, schemas.definition(definition), "", "", struct)

    # The path with list indices (unknown fields) and the Go path without them (type errors) travel together.
    def _value(self, value, schema: dict, path: str, go_path: str, struct: str):
        if value is None:
            return _DROP
        info = _info(schema)
        name = info.name
        if name == _QUANTITY:
            return self._quantity(value)
        if name == _INT_OR_STRING:
            return self._int_or_string(value, go_path, struct)
        if name in _TIMES:
            return self._time(value)
        kinds = info.kinds
        if "object" in kinds:
            if not isinstance(value, dict):
                return self._mismatch(value, schema, go_path, struct)
            if info.props is not None:
                inner = name.rsplit(".", 1)[-1] if name else struct
                return self._struct(value, info.resolved, path, go_path, inner)
            if info.extra is not None:
                return self._map(value, info.extra, path, go_path, struct)
            return value  # free-form (RawExtension, FieldsV1)
        if "array" in kinds:
            if not isinstance(value, list):
                return self._mismatch(value, schema, go_path, struct)
            items = info.items
            out = []
            for i, item in enumerate(value):
                decoded = self._value(item, items, f"{path}[{i}]", go_path, struct)
                out.append(None if decoded is _DROP else decoded)
            return out
        return self._scalar(value, info.resolved, kinds, go_path, struct)

    def _struct(self, value: dict, schema: dict, path: str, go_path: str, struct: str) -> dict:
        props = schema.get("properties") or {}
        preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True  # a CRD schema's: kept, not pruned
        out = {}
        for key, item in value.items():
            if key not in props:
                if preserve:
                    out[key] = item
                else:
                    self.unknown.append(f"{path}.{key}" if path else key)
                continue
            if self.typed and _plain_leaf(item, _info(props[key])):
                out[key] = item  # the common case, without building paths
                continue
            decoded = self._value(item, props[key], f"{path}.{key}" if path else key,
                                  f"{go_path}.{key}" if go_path else key, struct)
            if decoded is not _DROP:
                out[key] = decoded
        return out

    def _map(self, value: dict, extra: dict, path: str, go_path: str, struct: str) -> dict:
        out = {}
        for key, item in value.items():
            decoded = self._value(item, extra, f"{path}[{key}]", go_path, struct)
            if decoded is _DROP:  # null map values decode to the zero value
                decoded = "" if _info(extra).go_type == "string" else None
            if decoded is not None:
                out[key] = decoded
        return out

    def _scalar(self, value, schema: dict, kinds: set, go_path: str, struct: str):
        if not self.typed:
            return value
        if "string" in kinds:
            if not isinstance(value, str):
                return self._mismatch(value, schema, go_path, struct)
            if schema.get("format") == "byte":
                _check_base64(value)
            return value
        if "boolean" in kinds:
            return value if isinstance(value, bool) else self._mismatch(value, schema, go_path, struct)
        if "integer" in kinds:
            low, high = _INT_RANGES.get(schema.get("format"), _INT_RANGES["int64"])
            if isinstance(value, int) and not isinstance(value, bool):
                if low <= value <= high:
                    return value
                raise self._error(f"number {value}", schema, go_path, struct)
            if isinstance(value, float):
                raise self._error(f"number {_float_text(value)}", schema, go_path, struct)
            return self._mismatch(value, schema, go_path, struct)
        if "number" in kinds:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return value
            return self._mismatch(value, schema, go_path, struct)
        return value

    def _mismatch(self, value, schema: dict, go_path: str, struct: str):
        if not self.typed:
            return value
        raise self._error(json_kind(value), schema, go_path, struct)

    @staticmethod
    def _error(what: str, schema: dict, go_path: str, struct: str) -> DecodeError:
        return DecodeError(f"json: cannot unmarshal {what} into Go struct field {struct}.{go_path} of type "
                           f"{go_type(schema)}")

    def _quantity(self, value):
        if not self.typed:
            return value
        try:
            return quantity.canonical(value)
        except quantity.QuantityError as e:
            raise DecodeError(str(e)) from None

    def _int_or_string(self, value, go_path: str, struct: str):
        if not self.typed or isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and -2**31 <= value < 2**31:
            return value
        what = f"number {_float_text(value) if isinstance(value, float) else value}" \
            if isinstance(value, (int, float)) and not isinstance(value, bool) else json_kind(value)
        raise DecodeError(f"json: cannot unmarshal {what} into Go value of type int32")

    def _time(self, value):
        if not self.typed:
            return value
        if not isinstance(value, str):
            raise DecodeError(f"json: cannot unmarshal {json_kind(value)} into Go value of type string")
        if not _RFC3339.match(value):
            raise DecodeError(f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": cannot parse "{value}" as '
                              f'"2006"')
        return value


def _float_text(value: float) -> str:
    text = repr(value)
    return text.replace("e+", "e") if "e" in text else text


def _check_base64(text: str) -> None:
    try:
        base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise DecodeError(f"illegal base64 data at input byte {_base64_error_offset(text)}") from None


def _base64_error_offset(text: str) -> int:
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    for i, ch in enumerate(text):
        if ch == "=":
            return i if (len(text) % 4 or i < len(text) - 2) else len(text) - len(text) % 4
        if ch not in alphabet:
            return i
    return len(text) - len(text) % 4


# Go's encoding/json syntax errors for what Python's json module reports --------------------------------------------
def _go_char(c: str) -> str:
    """encoding/json's quoteChar: 'x', with \\' and \\" escaped, others as strconv.Quote would write them."""
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    if c.isprintable():
        return f"'{c}'"
    return "'" + json.dumps(c)[1:-1] + "'"


def go_json_error(error: json.JSONDecodeError) -> str:
    """The SyntaxError text Go's encoding/json gives for the same input (the common cases)."""
    text, pos = error.doc, error.pos
    if pos >= len(text.rstrip()) and error.msg != "Extra data":
        return "unexpected end of JSON input"
    char = _go_char(text[pos]) if pos < len(text) else ""
    msg = error.msg
    if msg.startswith("Invalid control character") or msg.startswith("Unterminated string"):
        return f"invalid character {char} in string literal" if pos < len(text) else "unexpected end of JSON input"
    if msg == "Extra data":
        return f"invalid character {char} after top-level value"
    if msg.startswith("Expecting property name"):
        return f"invalid character {char} looking for beginning of object key string"
    if msg == "Expecting ':' delimiter":
        return f"invalid character {char} after object key"
    if msg == "Expecting ',' delimiter":
        opened = _innermost(text, pos)
        return f"invalid character {char} after {'array element' if opened == '[' else 'object key:value pair'}"
    if msg.startswith("Invalid \\escape") or msg.startswith("Invalid \\u"):
        return f"invalid character {char} in string escape code"
    return f"invalid character {char} looking for beginning of value"


def _innermost(text: str, pos: int) -> str:
    """The bracket that is open at `pos` ('{' or '['), ignoring those inside strings."""
    stack, in_string, escaped = [], False, False
    for c in text[:pos]:
        if in_string:
            escaped = (c == "\\") and not escaped
            if c == '"' and not escaped:
                in_string = False
            continue
        if c == '"':
            in_string = True
        elif c in "{[":
            stack.append(c)
        elif c in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else "{"


def summarize(data: bytes, max_length: int = 30) -> str:
    """The apiserver's summarizeData: the body itself when it starts like an object, else its bytes in hex."""
    if not data:
        return "<empty>"
    if data[:1] == b"{":
        shown = data[:max_length].decode("utf-8", "replace")
    else:
        shown = data[:max_length].hex()
    return shown + " ..." if len(data) > max_length else shown
