"""field.Error from k8s.io/apimachinery/pkg/util/validation/field: one cause per problem, worded as the API
server words it (`Invalid value: "x": detail`, `Required value`, `Duplicate value: ...`), with Go's rendering of
the bad value (%q for strings, %v for numbers and bools, %#v for maps, slices and structs)."""
from __future__ import annotations

import json

from .errors import Cause


def go_quote(s: str) -> str:
    """Go's %q for a string (close enough: JSON escaping without forcing ASCII)."""
    return json.dumps(s, ensure_ascii=False)


def go_value(value) -> str:
    """How field.Error renders a bad value: strings quoted, scalars bare, null for nil."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _go_number(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, GoRepr):
        return value.text
    return go_syntax(value)


def _go_number(n) -> str:
    if isinstance(n, float) and n.is_integer() and abs(n) < 1e21:
        return str(int(n))
    return str(n)


class GoRepr:
    """A value already rendered the way Go's %#v prints it (e.g. a struct)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def go_syntax(value, type_name: str = "") -> str:
    """Go's %#v for the JSON shapes that reach error messages: map[string]string{"a":"b"}, []string{"x"}."""
    if isinstance(value, GoRepr):
        return value.text
    if isinstance(value, dict):
        name = type_name or "map[string]string"
        if not value:
            return f"{name}{{}}"
        items = ", ".join(f"{go_quote(str(k))}:{_go_element(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
        return f"{name}{{{items}}}"
    if isinstance(value, list):
        name = type_name or "[]string"
        return f"{name}{{{', '.join(_go_element(v) for v in value)}}}"
    return go_value(value)


def _go_element(v) -> str:
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, (dict, list)):
        return go_syntax(v, "map[string]interface {}" if isinstance(v, dict) else "[]interface {}")
    return go_value(v)


def _cause(path: str, reason: str, body: str) -> Cause:
    return Cause(field=path, message=body, reason=reason)


def invalid(path: str, value, detail: str = "") -> Cause:
    body = f"Invalid value: {go_value(value)}"
    return _cause(path, "FieldValueInvalid", f"{body}: {detail}" if detail else body)


def required(path: str, detail: str = "") -> Cause:
    return _cause(path, "FieldValueRequired", f"Required value: {detail}" if detail else "Required value")


def duplicate(path: str, value) -> Cause:
    return _cause(path, "FieldValueDuplicate", f"Duplicate value: {go_value(value)}")


def not_found(path: str, value) -> Cause:
    return _cause(path, "FieldValueNotFound", f"Not found: {go_value(value)}")


def not_supported(path: str, value, supported) -> Cause:
    body = f"Unsupported value: {go_value(value)}"
    if supported:
        body += ": supported values: " + ", ".join(go_quote(str(s)) for s in supported)
    return _cause(path, "FieldValueNotSupported", body)


def forbidden(path: str, detail: str) -> Cause:
    return _cause(path, "FieldValueForbidden", f"Forbidden: {detail}")


def too_long(path: str, max_length: int) -> Cause:
    return _cause(path, "FieldValueTooLong", f"Too long: may not be more than {max_length} bytes")


def too_many(path: str, actual: int, max_items: int) -> Cause:
    return _cause(path, "FieldValueTooMany", f"Too many: {actual}: must have at most {max_items} items")


def type_invalid(path: str, value, detail: str) -> Cause:
    return _cause(path, "FieldValueTypeInvalid", f"Invalid value: {go_value(value)}: {detail}")


def render(cause: Cause) -> str:
    """`field: message`, as field.Error.Error() prints it (used inside other messages)."""
    return f"{cause.field or '<nil>'}: {cause.message}"


def aggregate(causes: list[Cause]) -> str:
    """utilerrors.Aggregate's message: one error bare, several in brackets."""
    texts = [render(c) for c in causes]
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


def go_v(value) -> str:
    """Go's %v for decoded JSON (map[string]interface{} prints `map[k:v]` with sorted keys, slices `[a b]`)."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_v(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_v(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _go_number(value)
    return str(value)
