"""The three patch formats of PATCH requests, applied the way kube-apiserver applies them:

- JSON patch (RFC 6902, application/json-patch+json) with the `jsonpatch` library;
- JSON merge patch (RFC 7386, application/merge-patch+json);
- strategic merge patch (application/strategic-merge-patch+json), in strategic_merge_patch.py.

Every function works on copies and returns a new dict; bad patches raise StatusError."""
from __future__ import annotations

import copy
import json
import re

import jsonpatch
import jsonpointer

from . import errors, field_errors as fe, resources, schemas, strategic_merge_patch

MAX_JSON_PATCH_OPERATIONS = 10000


class PatchRejected(errors.StatusError):
    """What the apiserver answers when a JSON patch cannot be applied: NewGenericServerResponse(422), whose
    message is generic and whose details carry no causes. The library's own explanation is kept in `.why`."""

    def __init__(self, why: str):
        super().__init__(422, "Invalid", "the server rejected our request due to an error in our request", {})
        self.why = why


def _rejected(message: str) -> errors.StatusError:
    return PatchRejected(message)


# --- JSON patch --------------------------------------------------------------------------------------------------
def apply_json_patch(obj: dict, ops) -> dict:
    if not isinstance(ops, list):
        raise errors.bad_request(f"json: cannot unmarshal {_kind(ops)} into Go value of type jsonpatch.Patch")
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise errors.StatusError(413, "RequestEntityTooLarge", "Request entity too large: The allowed maximum "
                                 f"operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}")
    for op in ops:
        if not isinstance(op, dict):
            raise errors.bad_request(f"json: cannot unmarshal {_kind(op)} into Go value of type jsonpatch.Operation")
    try:
        doc = copy.deepcopy(obj)
        for op in ops:  # one at a time, so a failure names its operation as evanphx/json-patch does
            doc = _apply_operation(doc, op)
    except RecursionError:
        raise errors.bad_request("the patch is nested too deeply") from None
    return doc


_MISSING = {"add": 'add operation does not apply: doc is missing path: "{path}": missing value',
            "remove": 'remove operation does not apply: doc is missing path: "{path}": missing value',
            "replace": "replace operation does not apply: doc is missing key: {path}: missing value",
            "move": "move operation does not apply: doc is missing from path: {from_}: missing value",
            "copy": "copy operation does not apply: doc is missing from path: {from_}: missing value",
            "test": "testing value {path} failed: test failed"}


def _apply_operation(doc, op: dict):
    kind = op.get("op")
    if kind not in _MISSING:
        raise _rejected(f"Unexpected kind: {kind if isinstance(kind, str) else ''}")
    for field in ("path",) + (("from",) if kind in ("move", "copy") else ()):
        if not isinstance(op.get(field), str):
            raise _rejected(f"{kind} operation does not apply: doc is missing {field} field: missing value")
    if kind in ("add", "replace", "test") and "value" not in op:
        raise _rejected(f"{kind} operation does not apply: doc is missing value field: missing value")
    try:
        return jsonpatch.JsonPatch([copy.deepcopy(op)]).apply(doc)
    except jsonpatch.JsonPatchTestFailed:
        raise _rejected(_MISSING["test"].format(path=op["path"])) from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, IndexError, KeyError, TypeError,
            ValueError, AttributeError):
        raise _rejected(_MISSING[kind].format(path=op["path"], from_=op.get("from", ""))) from None


def _kind(value) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return "number"


# --- JSON merge patch --------------------------------------------------------------------------------------------
def apply_merge_patch(obj: dict, patch) -> dict:
    """RFC 7386: objects merge key by key, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        raise errors.bad_request(f"json: cannot unmarshal {_kind(patch)} into Go value of type "
                                 "map[string]interface {}")
    try:
        return _merge(copy.deepcopy(obj) if isinstance(obj, dict) else {}, patch)
    except RecursionError:
        raise errors.bad_request("the patch is nested too deeply") from None


def _merge(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge(target.get(key), value)
    return target


# --- strategic merge patch ---------------------------------------------------------------------------------------
def apply_strategic_merge_patch(obj: dict, patch, api_version: str, kind: str) -> dict:
    rt = resources.by_kind(api_version, kind) if isinstance(api_version, str) else None
    if rt is not None and rt.custom:  # CRDs carry no patch strategies: the server refuses
        raise errors.StatusError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                                 "accepted media types include: application/json-patch+json, "
                                 "application/merge-patch+json, application/apply-patch+yaml")
    if not isinstance(patch, dict):
        raise errors.bad_request(f"json: cannot unmarshal {_kind(patch)} into Go value of type "
                                 "map[string]interface {}")
    schema = schemas.for_kind(api_version, kind)
    try:
        return strategic_merge_patch.merge(copy.deepcopy(obj) if isinstance(obj, dict) else {},
                                           copy.deepcopy(patch), schema)
    except strategic_merge_patch.PatchError as e:
        if e.code == 422:
            raise errors.StatusError(422, "Invalid", str(e)) from None
        raise errors.bad_request(str(e)) from None
    except RecursionError:
        raise errors.bad_request("the patch is nested too deeply") from None


# --- a patch whose result does not decode -------------------------------------------------------------------------
_UNMARSHAL = re.compile(r"cannot unmarshal (\w+) into Go (?:struct field \S+|value) of type (\S+)")
_GO_KINDS = {"string": "string", "number": "float64", "bool": "bool", "array": "slice", "object": "map"}


def _restore_error(decode_message: str) -> str:
    """What runtime.DefaultUnstructuredConverter says where the decoder said `cannot unmarshal X into ... of type
    T` (a strategic merge patch's result is converted from a map, not decoded from JSON)."""
    found = _UNMARSHAL.search(decode_message)
    if found is None:
        return decode_message
    kind, target = _GO_KINDS.get(found[1], found[1]), found[2]
    if target.startswith("map["):
        return f"cannot restore map from {kind}"
    if target.startswith("[]"):
        return f"cannot restore slice from {kind}"
    if "." in target:
        return f"cannot restore struct from: {kind}"
    return decode_message


def invalid_patch(patch_type: str, patch, patched, decode_message: str) -> errors.StatusError:
    """422 Invalid on field `patch`, as the patch handler answers when the patched object cannot be decoded: a
    strategic merge patch names the patch (%+v) and the converter's error, a JSON or merge patch the patched object
    and the decoder's error."""
    if patch_type == "application/strategic-merge-patch+json":
        value, why = fe.go_v(patch), _restore_error(decode_message)
    else:
        value, why = json.dumps(patched, sort_keys=True, separators=(",", ":")), decode_message
    cause = fe.invalid("patch", value, why)
    return errors.StatusError(422, "Invalid", f' "" is invalid: patch: {cause.message}', {
        "causes": [{"reason": cause.reason, "message": cause.message, "field": cause.field}]})
