"""/openapi/v2 as kube-apiserver serves it: one Swagger 2.0 document for every served group-version (the same
schemas and paths as the v3 documents, written the v2 way: `#/definitions/` refs, a body parameter, consumes and
produces), as JSON, or as the gnostic openapi_v2.Document protobuf message that client-go asks for
(`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, with no fallback to JSON: kubectl's
validation reads it to learn which kinds the server knows). Rebuilt when the served types change."""
from __future__ import annotations

import functools
import json
import struct

import yaml

from sandbox.machinery import resources

from . import openapi
from .discovery import KUBERNETES_VERSION

# what clients ask for; kube-openapi answers with the second (Go's mime parser refuses the '@')
PROTOBUF_TYPES = ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
                  "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
_V3_REF, _V2_REF = "#/components/schemas/", "#/definitions/"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


def wants_protobuf(accept: str) -> str:
    """The protobuf media type the Accept header asks for first ("" for JSON)."""
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip()
        if media in PROTOBUF_TYPES:
            return media
        if media in ("application/json", "*/*", "application/*"):
            return ""
    return ""


def document() -> dict:
    return json.loads(document_bytes())


def document_bytes() -> bytes:
    return _built(resources.generation())[0]


def protobuf_bytes() -> bytes:
    return _built(resources.generation())[1]


@functools.lru_cache(maxsize=1)
def _built(generation: int) -> tuple[bytes, bytes]:
    doc = _swagger()
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode(), _encode_document(doc)


# --- v3 -> v2 -----------------------------------------------------------------------------------------------------
def _swagger() -> dict:
    paths: dict = {}
    definitions: dict = {}
    for group, version in sorted({(rt.group, rt.version) for rt in resources.served()}):
        v3 = openapi.document(group, version) or {}
        for name, schema in (v3.get("components") or {}).get("schemas", {}).items():
            definitions[name] = _schema(schema)
        for path, item in (v3.get("paths") or {}).items():
            paths[path] = _path_item(item)
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
            "paths": dict(sorted(paths.items())), "definitions": dict(sorted(definitions.items())),
            "securityDefinitions": {"BearerToken": {"description": "Bearer Token authentication", "type": "apiKey",
                                                    "name": "authorization", "in": "header"}},
            "security": [{"BearerToken": []}]}


def _schema(node):
    if isinstance(node, list):
        return [_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = _V2_REF + value[len(_V3_REF):] if value.startswith(_V3_REF) else value
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _schema(prop) for name, prop in value.items()}
        elif key == "nullable":
            continue
        else:
            out[key] = _schema(value)
    all_of = out.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and set(all_of[0]) == {"$ref"}:
        out = {"$ref": all_of[0]["$ref"], **{k: v for k, v in out.items() if k != "allOf"}}
    return out


def _parameter(param: dict) -> dict:
    out = {k: v for k, v in param.items() if k != "schema"}
    out.update((param.get("schema") or {}))
    return out


def _path_item(item: dict) -> dict:
    out = {}
    for key, value in item.items():
        if key in _METHODS:
            out[key] = _operation(value)
        elif key == "parameters":
            out[key] = [_parameter(p) for p in value]
        else:
            out[key] = value
    return out


def _operation(op: dict) -> dict:
    out = {k: v for k, v in op.items() if k not in ("parameters", "requestBody", "responses")}
    params = [_parameter(p) for p in op.get("parameters") or []]
    body = op.get("requestBody")
    consumes = ["*/*"]
    if isinstance(body, dict):
        content = body.get("content") or {}
        consumes = list(content)
        schema = next(iter(content.values()), {}).get("schema", {})
        params.insert(0, {"in": "body", "name": "body", "required": True, "schema": _schema(schema)})
    produces: list[str] = []
    responses = {}
    for code, response in (op.get("responses") or {}).items():
        entry = {"description": response.get("description", "")}
        content = response.get("content") or {}
        if content:
            produces = produces or list(content)
            entry["schema"] = _schema(next(iter(content.values())).get("schema", {}))
        responses[code] = entry
    out.update(consumes=consumes, produces=produces or ["application/json"], schemes=["https"], responses=responses)
    if params:
        out["parameters"] = params
    return out


# --- protobuf: gnostic's openapi_v2 messages (field numbers of openapiv2/OpenAPIv2.proto) -------------------------
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _bytes(number: int, data: bytes) -> bytes:
    return _key(number, 2) + _varint(len(data)) + data


def _str(number: int, text) -> bytes:
    return _bytes(number, str(text).encode()) if text not in (None, "") else b""


def _bool(number: int, value) -> bytes:
    return _key(number, 0) + b"\x01" if value is True else b""


def _int(number: int, value) -> bytes:
    return _key(number, 0) + _varint(value) if isinstance(value, int) and not isinstance(value, bool) and value \
        else b""


def _double(number: int, value) -> bytes:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return b""
    return _key(number, 1) + struct.pack("<d", float(value))


def _any(value) -> bytes:
    """Any{yaml}: a value as gnostic keeps what it does not model."""
    return _str(2, yaml.safe_dump(value, default_flow_style=False, sort_keys=True))


def _extensions(number: int, node: dict) -> bytes:
    return b"".join(_bytes(number, _str(1, k) + _bytes(2, _any(v))) for k, v in node.items() if k.startswith("x-"))


def _encode_schema(s: dict) -> bytes:
    out = [_str(1, s.get("$ref")), _str(2, s.get("format")), _str(3, s.get("title")),
           _str(4, s.get("description"))]
    if "default" in s:
        out.append(_bytes(5, _any(s["default"])))
    out += [_double(6, s.get("multipleOf")), _double(7, s.get("maximum")), _bool(8, s.get("exclusiveMaximum")),
            _double(9, s.get("minimum")), _bool(10, s.get("exclusiveMinimum")), _int(11, s.get("maxLength")),
            _int(12, s.get("minLength")), _str(13, s.get("pattern")), _int(14, s.get("maxItems")),
            _int(15, s.get("minItems")), _bool(16, s.get("uniqueItems")), _int(17, s.get("maxProperties")),
            _int(18, s.get("minProperties"))]
    out += [_str(19, r) for r in s.get("required") or []]
    out += [_bytes(20, _any(e)) for e in s.get("enum") or []]
    extra = s.get("additionalProperties")
    if isinstance(extra, dict):
        out.append(_bytes(21, _bytes(1, _encode_schema(extra))))
    elif isinstance(extra, bool):
        out.append(_bytes(21, _key(2, 0) + (b"\x01" if extra else b"\x00")))
    kind = s.get("type")
    if kind:
        out.append(_bytes(22, b"".join(_str(1, t) for t in ([kind] if isinstance(kind, str) else kind))))
    if isinstance(s.get("items"), dict):
        out.append(_bytes(23, _bytes(1, _encode_schema(s["items"]))))
    out += [_bytes(24, _encode_schema(a)) for a in s.get("allOf") or [] if isinstance(a, dict)]
    if isinstance(s.get("properties"), dict):
        out.append(_bytes(25, b"".join(_bytes(1, _str(1, name) + _bytes(2, _encode_schema(prop)))
                                       for name, prop in s["properties"].items() if isinstance(prop, dict))))
    out.append(_bool(27, s.get("readOnly")))
    out.append(_extensions(31, s))
    return b"".join(out)


def _encode_parameter(p: dict) -> bytes:
    if p.get("in") == "body":
        body = (_str(1, p.get("description")) + _str(2, p.get("name")) + _str(3, "body") +
                _bool(4, p.get("required")) + _bytes(5, _encode_schema(p.get("schema") or {})))
        return _bytes(1, _bytes(1, body))  # ParametersItem.parameter -> Parameter.body_parameter
    common = (_bool(1, p.get("required")) + _str(2, p.get("in")) + _str(3, p.get("description")) +
              _str(4, p.get("name")))
    if p.get("in") == "query":  # QueryParameterSubSchema: allow_empty_value 5, type 6, unique_items 20
        sub = common + _str(6, p.get("type")) + _bool(20, p.get("uniqueItems"))
        number = 3
    else:  # PathParameterSubSchema (header parameters are not served): type 5, unique_items 19
        sub = common + _str(5, p.get("type")) + _bool(19, p.get("uniqueItems"))
        number = 4 if p.get("in") == "path" else 1
    return _bytes(1, _bytes(2, _bytes(number, sub)))  # ParametersItem.parameter -> Parameter.non_body_parameter


def _encode_operation(op: dict) -> bytes:
    out = [_str(1, t) for t in op.get("tags") or []]
    out += [_str(3, op.get("description")), _str(5, op.get("operationId"))]
    out += [_str(6, m) for m in op.get("produces") or []] + [_str(7, m) for m in op.get("consumes") or []]
    out += [_bytes(8, _encode_parameter(p)) for p in op.get("parameters") or []]
    responses = b"".join(
        _bytes(1, _str(1, code) + _bytes(2, _bytes(1, _str(1, r.get("description")) +
                                                   (_bytes(2, _bytes(1, _encode_schema(r["schema"])))
                                                    if isinstance(r.get("schema"), dict) else b""))))
        for code, r in (op.get("responses") or {}).items())
    out.append(_bytes(9, responses))
    out += [_str(10, s) for s in op.get("schemes") or []]
    out.append(_extensions(13, op))
    return b"".join(out)


def _encode_path_item(item: dict) -> bytes:
    out = [_bytes(2 + _METHODS.index(m), _encode_operation(item[m])) for m in _METHODS if m in item]
    out += [_bytes(9, _encode_parameter(p)) for p in item.get("parameters") or []]
    return b"".join(out)


def _encode_document(doc: dict) -> bytes:
    info = _str(1, doc["info"]["title"]) + _str(2, doc["info"]["version"])
    paths = b"".join(_bytes(2, _str(1, path) + _bytes(2, _encode_path_item(item)))
                     for path, item in doc["paths"].items())
    definitions = b"".join(_bytes(1, _str(1, name) + _bytes(2, _encode_schema(schema)))
                           for name, schema in doc["definitions"].items())
    api_key = _str(1, "apiKey") + _str(2, "authorization") + _str(3, "header") + \
        _str(4, "Bearer Token authentication")
    security_definitions = _bytes(1, _str(1, "BearerToken") + _bytes(2, _bytes(2, api_key)))
    security = _bytes(1, _str(1, "BearerToken") + _bytes(2, b""))
    return (_str(1, doc["swagger"]) + _bytes(2, info) + _bytes(8, paths) + _bytes(9, definitions) +
            _bytes(12, security) + _bytes(13, security_definitions))
