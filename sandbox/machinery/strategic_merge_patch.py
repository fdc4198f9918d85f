"""Strategic merge patch (application/strategic-merge-patch+json), as k8s.io/apimachinery/pkg/util/strategicpatch
applies it on the server: lists merge by the schema's x-kubernetes-patch-merge-key when
x-kubernetes-patch-strategy says "merge" (otherwise they are replaced), and the directives of kubectl's three-way
patches are honoured: `$patch: replace|delete`, `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
`$setElementOrder/<field>`. Errors keep the library's wording."""
from __future__ import annotations

from . import field_errors as fe, schemas

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"


class PatchError(Exception):
    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.code = code


_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
_BAD_SET_ORDER = "invalid patch format of setElementOrder list"


def merge(original: dict, patch: dict, schema: dict) -> dict:
    """Apply `patch` to `original` (both are modified; pass copies). Raises PatchError."""
    return _merge_map(original, patch, schema)


def _strategies(field_schema: dict) -> tuple[bool, str]:
    """(retainKeys?, the other strategy) from "merge,retainKeys"-style strategies."""
    strategy, _ = schemas.patch_meta(field_schema)
    parts = [p for p in strategy.split(",") if p] if strategy else []
    retain = "retainKeys" in parts
    others = [p for p in parts if p != "retainKeys"]
    if len(others) > 1:
        raise PatchError(f"unexpected patch strategy: [{' '.join(parts)}]")
    return retain, others[0] if others else ""


def _merge_map(original: dict, patch: dict, schema: dict) -> dict:
    if DIRECTIVE in patch:
        directive = patch[DIRECTIVE]
        if directive == "replace":
            del patch[DIRECTIVE]
            return patch
        if directive == "delete":
            return {}
        raise PatchError(f"unknown patch type: {fe.go_v(directive)} in map: {fe.go_v(patch)}")
    if original is None:
        original = {}
    _apply_retain_keys(original, patch)
    _apply_element_order(original, patch, schema)
    for key in list(patch):
        value = patch[key]
        delete_list = key.startswith(DELETE_FROM_PRIMITIVE_LIST)
        if delete_list:
            key = _directive_target(key, DELETE_FROM_PRIMITIVE_LIST, _BAD_PRIMITIVE_LIST)
        if value is None:
            original.pop(key, None)
            continue
        if key not in original or _go_kind(original[key]) != _go_kind(value):
            if not delete_list:
                _discard_nulls(value)
                cleaned, keep = _remove_directives(value)
                if keep:
                    original[key] = cleaned
                else:
                    original.pop(key, None)
            continue
        field_schema = schemas.property_schema(schema, key)
        if isinstance(value, dict):
            _, strategy = _strategies(field_schema)
            original[key] = value if strategy == "replace" else _merge_map(original[key], value, field_schema)
        elif isinstance(value, list):
            _, strategy = _strategies(field_schema)
            _, merge_key = schemas.patch_meta(field_schema)
            original[key] = _merge_slice_handler(original[key], value, field_schema, strategy, merge_key, delete_list)
        else:
            cleaned, keep = _remove_directives(value)
            if keep:
                original[key] = cleaned
            else:
                original.pop(key, None)
    return original


def _go_kind(value) -> str:
    """JSON values grouped the way Go's reflect types of decoded JSON differ (all numbers are float64)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _directive_target(key: str, prefix: str, error: str) -> str:
    head, _, tail = key.partition("/")
    if head != prefix or not tail:
        raise PatchError(error)
    return tail


def _discard_nulls(value) -> None:
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for v in value.values():
            _discard_nulls(v)
    elif isinstance(value, list):
        for v in value:
            _discard_nulls(v)


def _remove_directives(value):
    """(value without directives, keep?): a map carrying $patch is dropped entirely."""
    if isinstance(value, dict):
        if DIRECTIVE in value:
            return None, False
        out = {}
        for k, v in value.items():
            cleaned, keep = _remove_directives(v)
            if keep:
                out[k] = cleaned
        return out, True
    if isinstance(value, list):
        return [c for c, keep in (_remove_directives(v) for v in value) if keep], True
    return value, True


def _apply_retain_keys(original: dict, patch: dict) -> None:
    if RETAIN_KEYS not in patch:
        return
    keep = patch.pop(RETAIN_KEYS)
    if not isinstance(keep, list):
        raise PatchError(_BAD_RETAIN_KEYS)
    allowed = {k for k in keep if isinstance(k, str)}
    for key, value in patch.items():
        if value is None or key.startswith(DELETE_FROM_PRIMITIVE_LIST) or key.startswith(SET_ELEMENT_ORDER):
            continue
        if key not in allowed:
            raise PatchError(_BAD_RETAIN_KEYS)
    for key in [k for k in original if k not in allowed]:
        del original[key]


def _apply_element_order(original: dict, patch: dict, schema: dict) -> None:
    """`$setElementOrder/<field>`: merge that list now and order it as the directive says."""
    for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER)]:
        order = patch.pop(key)
        if not isinstance(order, list):
            raise PatchError(f"expected a []interface {{}}, but received a {_go_type_name(order)}")
        field = _directive_target(key, SET_ELEMENT_ORDER, _BAD_SET_ORDER)
        field_schema = schemas.property_schema(schema, field)
        _, strategy = _strategies(field_schema)
        _, merge_key = schemas.patch_meta(field_schema)
        in_original, in_patch = field in original, field in patch
        original_list = original.get(field) if in_original else None
        patch_list = patch.get(field) if in_patch else None
        for value in (original_list, patch_list):
            if value is not None and not isinstance(value, list):
                raise PatchError(f"expected a []interface {{}}, but received a {_go_type_name(value)}")
        _check_order(patch_list or [], order, merge_key)
        if in_original and not in_patch:
            merged = original_list
        elif in_patch and not in_original:
            merged = _remove_directives(patch_list)[0]
        elif in_patch and in_original:
            merged = _merge_slice_handler(original_list, patch_list, field_schema, strategy, merge_key, False)
        else:
            continue
        kind = _element_kind(original_list or [], patch_list or [])
        patch_items, server_only = _partition(merged, order, merge_key)
        original[field] = _normalize_order(patch_items, server_only, order, original_list or [], merge_key, kind)
        patch.pop(field, None)


def _go_type_name(value) -> str:
    return {"dict": "map[string]interface {}", "list": "[]interface {}", "str": "string", "bool": "bool",
            "NoneType": "<nil>"}.get(type(value).__name__, "float64")


def _check_order(patch_list: list, order: list, merge_key: str) -> None:
    """Items in the patch list must appear in $setElementOrder, in the same relative order."""
    if not order or not patch_list:
        return
    items = [v for v in patch_list if not (merge_key and isinstance(v, dict) and v.get(DIRECTIVE) == "delete")]
    i = j = 0
    while i < len(items) and j < len(order):
        if isinstance(items[i], dict) and DIRECTIVE in items[i]:
            i += 1
            continue
        if _key_of(items[i], merge_key) == _key_of(order[j], merge_key):
            i += 1
        j += 1
    if i < len(items) and j >= len(order):
        raise PatchError(f"the order in patch list:\n{fe.go_v(patch_list)}\n doesn't match {SET_ELEMENT_ORDER} "
                          f"list:\n{fe.go_v(order)}")


def _key_of(item, merge_key: str):
    if not merge_key:
        return _hashable(item)
    if not isinstance(item, dict):
        raise PatchError(f"expected a map[string]interface {{}}, but received a {_go_type_name(item)}")
    if merge_key not in item:
        raise PatchError(f"map: {fe.go_v(item)} does not contain declared merge key: {merge_key}")
    return _hashable(item[merge_key])


def _hashable(value):
    if isinstance(value, (dict, list)):
        return repr(value)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    return value


def _merge_slice_handler(original, patch, field_schema: dict, strategy: str, merge_key: str,
                         delete_list: bool) -> list:
    if not isinstance(original, list) or not isinstance(patch, list):
        raise PatchError("expected a []interface {}, but received a " + _go_type_name(original))
    if strategy == "merge" or delete_list:
        return _merge_slice(original, patch, schemas.items_schema(field_schema), merge_key, delete_list)
    return patch


def _element_kind(*lists: list) -> str:
    kind = None
    for items in lists:
        for item in items:
            current = _go_kind(item)
            if kind is None:
                if current == "list":
                    raise PatchError("lists of lists are not supported", 422)
                kind = current
            elif current != kind:
                raise PatchError(f"list element types are not identical: {fe.go_v(list(lists))}")
    if kind is None:
        raise PatchError("no elements in any of the given slices")
    return kind


def _merge_slice(original: list, patch: list, item_schema: dict, merge_key: str, delete_list: bool) -> list:
    if not original and not patch:
        return original
    kind = _element_kind(original, patch)
    if kind != "dict":
        if delete_list:
            doomed = {_hashable(v) for v in patch}
            return [v for v in original if _hashable(v) not in doomed]
        merged = _dedupe(original + patch)
        merge_key = ""
    else:
        if not merge_key:
            raise PatchError(f"cannot merge lists without merge key for {_schema_name(item_schema)}")
        original, patch = _special_elements(original, patch, merge_key)
        merged = _merge_maps_by_key(original, patch, merge_key, item_schema)
    patch_items, server_only = _partition(merged, patch, merge_key)
    return _normalize_order(patch_items, server_only, patch, original, merge_key, kind)


def _schema_name(schema: dict) -> str:
    ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
    return ref.rsplit("/", 1)[-1] or "the list"


def _dedupe(items: list) -> list:
    seen, out = set(), []
    for item in items:
        key = _hashable(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _special_elements(original: list, patch: list, merge_key: str) -> tuple[list, list]:
    """Elements carrying `$patch`: delete drops the matching originals, replace takes the patch list as is."""
    plain, replace = [], False
    for item in patch:
        directive = item.get(DIRECTIVE, None) if DIRECTIVE in item else None
        if DIRECTIVE not in item:
            plain.append(item)
        elif directive == "delete":
            if merge_key not in item:
                raise PatchError(f"map: {fe.go_v(item)} does not contain declared merge key: {merge_key}")
            wanted = _hashable(item[merge_key])
            original = [o for o in original if not (isinstance(o, dict) and merge_key in o
                                                    and _hashable(o[merge_key]) == wanted)]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise PatchError("merging lists cannot yet be specified in the patch")
        else:
            raise PatchError(f"unknown patch type: {fe.go_v(directive)} in map: {fe.go_v(item)}")
    if replace:
        return plain, []
    return original, plain


def _merge_maps_by_key(original: list, patch: list, merge_key: str, item_schema: dict) -> list:
    original = list(original)
    for item in patch:
        if merge_key not in item:
            raise PatchError(f"map: {fe.go_v(item)} does not contain declared merge key: {merge_key}")
        wanted = _hashable(item[merge_key])
        for i, existing in enumerate(original):
            if not isinstance(existing, dict):
                raise PatchError(f"value for key {i} is not a map")
            if merge_key in existing and _hashable(existing[merge_key]) == wanted:
                original[i] = _merge_map(existing, item, item_schema)
                break
        else:
            original.append(item)
    return original


def _partition(merged: list, present_in: list, merge_key: str) -> tuple[list, list]:
    wanted = {_key_of(v, merge_key) for v in present_in
              if not (merge_key and isinstance(v, dict) and merge_key not in v)}
    patch_items, server_only = [], []
    for item in merged:
        (patch_items if _key_of(item, merge_key) in wanted else server_only).append(item)
    return patch_items, server_only


def _normalize_order(patch_items: list, server_only: list, patch_order: list, server_order: list,
                     merge_key: str, kind: str) -> list:
    """Patch items in the patch's order, server-only items in the live order, interleaved by the live order."""
    key = merge_key if kind == "dict" else ""
    patch_items = _sort_by(patch_items, patch_order, key)
    server_only = _sort_by(server_only, server_order, key)
    positions = {}
    for i, item in enumerate(server_order):
        k = _position_key(item, key)
        if k is not None:
            positions.setdefault(k, i)
    out, i, j = [], 0, 0
    while i < len(server_only) or j < len(patch_items):
        if i >= len(server_only):
            out.append(patch_items[j])
            j += 1
        elif j >= len(patch_items):
            out.append(server_only[i])
            i += 1
        else:
            left = positions.get(_position_key(server_only[i], key))
            right = positions.get(_position_key(patch_items[j], key))
            if left is not None and right is not None and left < right:
                out.append(server_only[i])
                i += 1
            else:
                out.append(patch_items[j])
                j += 1
    return out


def _position_key(item, merge_key: str):
    if merge_key:
        return _hashable(item.get(merge_key)) if isinstance(item, dict) and merge_key in item else None
    return _hashable(item)


def _sort_by(items: list, order: list, merge_key: str) -> list:
    deleting = [v for v in items if merge_key and isinstance(v, dict) and v.get(DIRECTIVE) == "delete"]
    keep = [v for v in items if not (merge_key and isinstance(v, dict) and v.get(DIRECTIVE) == "delete")]
    index = {}
    for i, item in enumerate(order):
        k = _position_key(item, merge_key)
        if k is not None:
            index.setdefault(k, i)
    big = len(order)
    keep.sort(key=lambda v: index.get(_position_key(v, merge_key), big))
    return keep + deleting
