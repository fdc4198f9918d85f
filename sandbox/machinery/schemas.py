"""The OpenAPI definitions of Kubernetes v1.37 (shipped by kubernetes-validate as JSON schema `$defs`), plus the
schemas of metrics.k8s.io (crd_schemas.py) and those of the custom resources the served CRDs define (kept in step
with resources.served_crds(): refreshed whenever the served types change). Loaded on first use; read-only."""
from __future__ import annotations

import functools
import json
import os

import importlib.util

from . import crd_schemas


def _package_dir(name: str) -> str:
    """Where an installed package lives, without importing it (kubernetes_validate pulls in jsonschema: ~4 s)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {name} package is not installed; run `make install`")
    return list(spec.submodule_search_locations)[0]

SCHEMA_VERSION = "v1.37.0-local"
_REF_PREFIX = "#/$defs/"


@functools.cache
def _builtin_definitions() -> dict:
    path = os.path.join(_package_dir("kubernetes_validate"), "kubernetes-json-schema",
                        SCHEMA_VERSION, "_definitions.json")
    with open(path, encoding="utf-8") as f:
        defs = json.load(f)["$defs"]
    defs.update(crd_schemas.DEFINITIONS)
    return defs


_custom = {"generation": -1, "names": ()}


def _definitions() -> dict:
    """The definitions, with those of the served CRDs' custom resources brought up to date."""
    from . import crd_structural, resources  # resources serves KEDA's CRDs on import: load it lazily
    defs = _builtin_definitions()
    if _custom["generation"] != resources.generation():
        for name in _custom["names"]:
            defs.pop(name, None)
        added: dict = {}
        for crd in resources.served_crds():
            added.update(crd_structural.definitions(crd))
        defs.update(added)
        _custom.update(generation=resources.generation(), names=tuple(added))
        _by_gvk_at.cache_clear()
    return defs


def _by_gvk() -> dict[tuple[str, str, str], str]:
    defs = _definitions()
    return _by_gvk_at(id(defs), _custom["generation"])


@functools.cache
def _by_gvk_at(_defs_id: int, _generation: int) -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, schema in _definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            key = (gvk.get("group", ""), gvk["version"], gvk["kind"])
            # A few meta types (DeleteOptions, WatchEvent) are listed under every group; the kind's own
            # definition is the one whose name ends with the kind.
            if key not in index or name.rsplit(".", 1)[-1] == gvk["kind"]:
                index[key] = name
    return index


def definition_name(api_version: str, kind: str) -> str | None:
    """`("apps/v1", "Deployment")` -> `"io.k8s.api.apps.v1.Deployment"`; None for an unknown kind."""
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    group, _, version = api_version.rpartition("/")
    return _by_gvk().get((group, version, kind))


def definition(name: str) -> dict:
    """The schema of a definition by name; {} (anything goes) when there is no such definition."""
    return _definitions().get(name, {})


def resolve(schema: dict | None) -> dict:
    """Follows `$ref` (repeatedly) so the caller sees the definition's properties/items/type."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        ref = schema["$ref"]
        schema = definition(ref[len(_REF_PREFIX):]) if ref.startswith(_REF_PREFIX) else {}
        seen += 1
    return schema if isinstance(schema, dict) else {}


def patch_meta(schema: dict | None) -> tuple[str, str]:
    """(x-kubernetes-patch-strategy, x-kubernetes-patch-merge-key) of a field's schema, "" when absent.

    The extensions sit on the property itself (next to a `$ref`), so read them before resolving."""
    if not isinstance(schema, dict):
        return "", ""
    return schema.get("x-kubernetes-patch-strategy", ""), schema.get("x-kubernetes-patch-merge-key", "")


def for_kind(api_version: str, kind: str) -> dict:
    """The resolved top-level schema of a kind ({} when unknown)."""
    name = definition_name(api_version, kind)
    return definition(name) if name else {}


def property_schema(schema: dict | None, key: str) -> dict:
    """The (unresolved) schema of `key` inside an object schema: a named property or additionalProperties."""
    schema = resolve(schema)
    props = schema.get("properties")
    if isinstance(props, dict) and key in props:
        return props[key]
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else {}


def items_schema(schema: dict | None) -> dict:
    """The (unresolved) schema of a list's items."""
    items = resolve(schema).get("items")
    return items if isinstance(items, dict) else {}


def types(schema: dict | None) -> set[str]:
    """The JSON types a schema allows, without "null" ({} when it says nothing, e.g. Quantity's oneOf)."""
    schema = resolve(schema)
    t = schema.get("type")
    if isinstance(t, str):
        return {t} - {"null"}
    if isinstance(t, list):
        return set(t) - {"null"}
    if "oneOf" in schema:
        out: set[str] = set()
        for alt in schema["oneOf"]:
            out |= types(alt)
        return out
    return set()
