"""Field sets as sigs.k8s.io/structured-merge-diff models them, over plain JSON objects and the v1.37 schemas:
paths of elements `("f", name)` (struct field or map key), `("k", ((key, json), ...))` (an element of a list
of type map), `("v", json)` (an element of a set) and `("i", index)`; their FieldsV1 encoding
(`{"f:spec": {"f:replicas": {}}}`, `"."` marking a node that is itself a member); and the typed walks that
server-side apply needs: to_set, compare, merge and remove."""
from __future__ import annotations

import copy
import functools
import json

from . import schemas
from .decoding import ref_name

MISSING = object()
_SCALAR_REFS = {"io.k8s.apimachinery.pkg.api.resource.Quantity", "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
                "io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"}
# List-map key fields whose schema default the key uses when an element omits them.
_KEY_DEFAULTS = {"protocol": "TCP"}
SCALAR, ATOMIC, STRUCT, MAP, LIST_MAP, SET = "scalar", "atomic", "struct", "map", "list-map", "set"


def canon(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Node:
    """What a schema says about one position: its kind, and how to find its children's schemas."""
    __slots__ = ("kind", "schema", "keys", "props", "extra", "items")

    def __init__(self, kind: str, schema: dict, keys: tuple = ()):
        self.kind, self.schema, self.keys = kind, schema, keys
        resolved = schemas.resolve(schema)
        props = resolved.get("properties")
        self.props = props if isinstance(props, dict) else {}
        extra = resolved.get("additionalProperties")
        self.extra = extra if isinstance(extra, dict) else {}
        items = resolved.get("items")
        self.items = items if isinstance(items, dict) else {}

    def child(self, key) -> dict:
        if self.kind in (STRUCT, MAP):
            return self.props.get(key, self.extra) if key in self.props else self.extra
        if self.kind in (LIST_MAP, SET):
            return self.items
        return {}

    def declares(self, key: str) -> bool:
        return self.kind == STRUCT and key in self.props


_CACHE: dict[int, tuple[dict, Node]] = {}


def classify(schema: dict, value=MISSING) -> Node:
    """The Node for a schema (cached per schema object: the definitions live as long as the process)."""
    schema = schema if isinstance(schema, dict) else {}
    if not schema:
        return _classify(schema, value)  # deduced from the value
    hit = _CACHE.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    node = _classify(schema, value)
    if len(_CACHE) > 20000:
        _CACHE.clear()
    _CACHE[id(schema)] = (schema, node)
    return node


def _classify(schema: dict, value) -> Node:
    if ref_name(schema) in _SCALAR_REFS:
        return Node(SCALAR, schema)
    resolved = schemas.resolve(schema)
    kinds = schemas.types(resolved)
    if not kinds:  # no schema: structured-merge-diff's "deduced" type
        if isinstance(value, dict):
            return Node(MAP, {})
        return Node(ATOMIC if isinstance(value, list) else SCALAR, {})
    if "object" in kinds:
        if (schema.get("x-kubernetes-map-type") or resolved.get("x-kubernetes-map-type")) == "atomic":
            return Node(ATOMIC, schema)
        if isinstance(resolved.get("properties"), dict):
            return Node(STRUCT, schema)
        if isinstance(resolved.get("additionalProperties"), dict):
            return Node(MAP, schema)
        return Node(ATOMIC, schema)
    if "array" in kinds:
        list_type = schema.get("x-kubernetes-list-type") or resolved.get("x-kubernetes-list-type")
        if list_type == "map":
            keys = schema.get("x-kubernetes-list-map-keys") or resolved.get("x-kubernetes-list-map-keys") or []
            return Node(LIST_MAP, schema, tuple(sorted(keys)))
        if list_type == "set":
            return Node(SET, schema)
        return Node(ATOMIC, schema)
    return Node(SCALAR, schema)


def item_element(node: Node, item, index: int) -> tuple:
    """The path element naming a list item."""
    if node.kind == LIST_MAP and isinstance(item, dict):
        fields = []
        for key in node.keys:
            if key in item:
                fields.append((key, canon(item[key])))
            elif key in _KEY_DEFAULTS:
                fields.append((key, canon(_KEY_DEFAULTS[key])))
        if fields:
            return ("k", tuple(fields))
    if node.kind == SET:
        return ("v", canon(item))
    return ("i", index)


def _items(node: Node, value: list) -> list[tuple[tuple, object]]:
    return [(item_element(node, item, i), item) for i, item in enumerate(value)]


# --- to_set --------------------------------------------------------------------------------------------------
def to_set(value, schema: dict) -> set[tuple]:
    """The fields a value sets (ToFieldSet): leaves, list items, map entries, empty maps and nulls."""
    out: set[tuple] = set()
    _to_set(value, schema, (), out)
    return out


def _to_set(value, schema: dict, path: tuple, out: set) -> None:
    node = classify(schema, value)
    if node.kind in (SCALAR, ATOMIC) or value is None:
        if path:
            out.add(path)
        return
    if node.kind in (STRUCT, MAP):
        if not isinstance(value, dict):
            out.add(path)
            return
        for key, child in value.items():
            child_path = path + (("f", key),)
            if child is None or (isinstance(child, dict) and not child) or not node.declares(key):
                out.add(child_path)
            _to_set(child, node.child(key), child_path, out)
        return
    if not isinstance(value, list):
        out.add(path)
        return
    for element, item in _items(node, value):
        child_path = path + (element,)
        out.add(child_path)
        _to_set(item, node.child(None), child_path, out)


# --- compare -------------------------------------------------------------------------------------------------
def compare(old, new, schema: dict) -> tuple[set, set, set]:
    """(added, modified, removed), as typed.Compare: modified holds changed leaves, added and removed hold every
    path (leaf or not) present on one side only."""
    added, modified, removed = set(), set(), set()
    _compare(old, new, schema, (), added, modified, removed)
    return added, modified, removed


def _compare(old, new, schema, path, added, modified, removed) -> None:
    if old is not None and type(old) is type(new) and old == new:
        return  # equal subtrees (most of an update) hold no difference: skip the walk
    node = classify(schema, new if new is not MISSING else old)
    container = node.kind in (STRUCT, MAP, LIST_MAP, SET)
    if container and old is None and new is not MISSING and new is not None and _shape_ok(node, new):
        # a null container (a zero-value Go slice/map) being filled: only its content is new
        _compare(_empty(node), new, schema, path, added, modified, removed)
        return
    shapes_match = container and _shape_ok(node, old) and _shape_ok(node, new)
    if not shapes_match:
        if path:
            if old is MISSING:
                added.add(path)
            elif new is MISSING:
                removed.add(path)
            elif old != new or type(old) is not type(new):
                modified.add(path)
        return
    if node.kind in (STRUCT, MAP):
        left = old if isinstance(old, dict) else {}
        right = new if isinstance(new, dict) else {}
        for key in list(left) + [k for k in right if k not in left]:
            _compare(left.get(key, MISSING), right.get(key, MISSING), node.child(key), path + (("f", key),),
                     added, modified, removed)
    else:
        left = dict(_items(node, old)) if isinstance(old, list) else {}
        right = dict(_items(node, new)) if isinstance(new, list) else {}
        for element in list(left) + [e for e in right if e not in left]:
            _compare(left.get(element, MISSING), right.get(element, MISSING), node.child(None),
                     path + (element,), added, modified, removed)
    if path:
        if old is MISSING:
            added.add(path)
        elif new is MISSING:
            removed.add(path)


def _empty(node: Node):
    return {} if node.kind in (STRUCT, MAP) else []


def _shape_ok(node: Node, value) -> bool:
    if value is MISSING:
        return True
    if node.kind in (STRUCT, MAP):
        return isinstance(value, dict)
    return isinstance(value, list)


# --- merge ---------------------------------------------------------------------------------------------------
def merge(live, config, schema: dict):
    """The applied configuration merged into the live object: granular maps and structs key by key, lists of
    type map by their keys and sets by value (the live order kept, the applied order for applied items),
    anything atomic replaced."""
    if config is MISSING:
        return copy.deepcopy(live)
    if live is MISSING or live is None:
        return copy.deepcopy(config)
    node = classify(schema, config)
    if node.kind in (STRUCT, MAP) and isinstance(live, dict) and isinstance(config, dict):
        out = copy.deepcopy(live)
        for key, value in config.items():
            out[key] = merge(live.get(key, MISSING), value, node.child(key))
        return out
    if node.kind in (LIST_MAP, SET) and isinstance(live, list) and isinstance(config, list):
        return _merge_list(node, live, config)
    return copy.deepcopy(config)


def _merge_list(node: Node, live: list, config: list) -> list:
    """structured-merge-diff's two-pointer walk: live-only items stay where they were, applied items come in
    the applied order, shared items merged."""
    lhs, rhs = _items(node, live), _items(node, config)
    observed_l = {}
    for element, item in lhs:
        observed_l.setdefault(element, item)
    observed_r = {}
    for element, item in rhs:
        observed_r.setdefault(element, item)
    shared = [e for e, _ in rhs if e in observed_l]
    child_schema = node.child(None)
    out, done, i, j = [], set(), 0, 0
    next_shared = shared.pop(0) if shared else None
    while i < len(lhs) or j < len(rhs):
        if i < len(lhs) and j < len(rhs):
            element = lhs[i][0]
            if element == rhs[j][0]:
                done.add(element)
                out.append(merge(observed_l[element], observed_r[element], child_schema))
                i, j = i + 1, j + 1
                next_shared = shared.pop(0) if shared else None
                continue
            if element in observed_r and next_shared is not None and next_shared != element:
                i += 1
                continue
        if i < len(lhs):
            element = lhs[i][0]
            if element not in observed_r:
                out.append(copy.deepcopy(lhs[i][1]))
                i += 1
                continue
            if element in done:
                i += 1
                continue
        if j < len(rhs):
            element = rhs[j][0]
            if element not in done:
                done.add(element)
                out.append(merge(observed_l.get(element, MISSING), observed_r[element], child_schema))
            j += 1
            if next_shared is not None and next_shared == element:
                next_shared = shared.pop(0) if shared else None
    return out


# --- remove --------------------------------------------------------------------------------------------------
def remove(value, schema: dict, doomed) -> object:
    """A copy of value without the items whose path `doomed(path)` says must go."""
    return _remove(copy.deepcopy(value), schema, (), doomed)


def _remove(value, schema, path, doomed):
    node = classify(schema, value)
    if node.kind in (STRUCT, MAP) and isinstance(value, dict):
        for key in list(value):
            child_path = path + (("f", key),)
            if doomed(child_path):
                del value[key]
            else:
                value[key] = _remove(value[key], node.child(key), child_path, doomed)
    elif node.kind in (LIST_MAP, SET) and isinstance(value, list):
        kept = []
        for element, item in _items(node, value):
            child_path = path + (element,)
            if not doomed(child_path):
                kept.append(_remove(item, node.child(None), child_path, doomed))
        value[:] = kept
    return value


def with_named_fields(paths: set, schema: dict) -> set:
    """EnsureNamedFieldsAreMembers: struct fields on the way to a member count as members themselves."""
    out = set(paths)
    for path in paths:
        node_schema = schema
        for depth, element in enumerate(path[:-1]):
            node = classify(node_schema)
            if element[0] == "f" and node.declares(element[1]):
                out.add(path[:depth + 1])
            node_schema = node.child(element[1] if element[0] == "f" else None)
    return out


# --- FieldsV1 ------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=65536)  # elements repeat across every object of a kind: encode each once
def _encode_element(element: tuple) -> str:
    kind, body = element
    if kind == "f":
        return "f:" + body
    if kind == "k":
        return "k:{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{v}" for k, v in body) + "}"
    if kind == "v":
        return "v:" + body
    return f"i:{body}"


_ORDER = {"f": 0, "k": 1, "v": 2, "i": 3}


@functools.lru_cache(maxsize=65536)
def _element_sort_key(element: tuple):
    return (_ORDER[element[0]], str(element[1]) if element[0] != "i" else f"{element[1]:012d}")


_ENCODED: dict[frozenset, str] = {}  # field set -> its FieldsV1 text; sets repeat (pods of one ReplicaSet, events)


def encode(paths: set) -> dict:
    """A field set as FieldsV1 JSON (a fresh dict: callers may mutate what they get)."""
    key = frozenset(paths)
    text = _ENCODED.get(key)
    if text is None:
        if len(_ENCODED) >= 4096:
            _ENCODED.clear()
        text = _ENCODED[key] = json.dumps(_encode_paths(paths), separators=(",", ":"), ensure_ascii=False)
    return json.loads(text)


def _encode_paths(paths: set) -> dict:
    tree: dict = {}
    for path in paths:
        node = tree
        for element in path:
            node = node.setdefault(element, {})
        node[None] = True  # a member
    return _encode_tree(tree)


def _encode_tree(tree: dict) -> dict:
    out = {}
    children = sorted((e for e in tree if e is not None), key=_element_sort_key)
    if None in tree and children:
        out["."] = {}
    for element in children:
        out[_encode_element(element)] = _encode_tree(tree[element])
    return out


def decode(fields) -> set:
    """FieldsV1 JSON back to a set of paths (malformed entries are skipped)."""
    out: set = set()
    if isinstance(fields, dict):
        _decode(fields, (), out)
    return out


def _decode(tree: dict, path: tuple, out: set) -> None:
    if not tree and path:
        out.add(path)
    for key, child in tree.items():
        if key == ".":
            if path:
                out.add(path)
            continue
        element = _decode_element(key)
        if element is None or not isinstance(child, dict):
            continue
        _decode(child, path + (element,), out)


def _decode_element(key: str):
    kind, _, body = key.partition(":")
    try:
        if kind == "f":
            return ("f", body)
        if kind == "k":
            parsed = json.loads(body)
            return ("k", tuple(sorted((k, canon(v)) for k, v in parsed.items()))) if isinstance(parsed, dict) \
                else None
        if kind == "v":
            return ("v", canon(json.loads(body)))
        if kind == "i":
            return ("i", int(body))
    except ValueError:
        return None
    return None


def encoded_contains(fields, path: tuple) -> bool:
    """Whether a FieldsV1 tree holds `path` as a member, without decoding the whole tree."""
    node = fields
    for element in path:
        if not isinstance(node, dict):
            return False
        node = node.get(_encode_element(element))
        if node is None:
            return False
    return isinstance(node, dict) and (not node or "." in node)


def path_string(path: tuple) -> str:
    """fieldpath.Path.String(): `.spec.template.spec.containers[name="web"].image`."""
    parts = []
    for kind, body in path:
        if kind == "f":
            parts.append("." + body)
        elif kind == "k":
            parts.append("[" + ",".join(f"{k}={v}" for k, v in body) + "]")
        elif kind == "v":
            parts.append(f"[={body}]")
        else:
            parts.append(f"[{body}]")
    return "".join(parts)
