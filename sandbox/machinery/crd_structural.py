"""A CRD version's schema as the OpenAPI definitions of its custom resource (`com.example.stable.v1.CronTab` and
its List, in the `$defs` style of machinery/schemas.py): the openAPIV3Schema with apiVersion, kind and an
ObjectMeta metadata, and the group-version-kind extension that lookups by kind read."""
from __future__ import annotations

import copy

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_API_VERSION = {"type": "string", "description": "APIVersion defines the versioned schema of this representation of "
                "an object. Servers should convert recognized schemas to the latest internal value, and may reject "
                "unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
                "api-conventions.md#resources"}
_KIND = {"type": "string", "description": "Kind is a string value representing the REST resource this object "
         "represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. "
         "In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
         "api-conventions.md#types-kinds"}


def definition_name(group: str, version: str, kind: str) -> str:
    """The reversed group, then version and kind: keda.sh v1alpha1 ScaledObject -> sh.keda.v1alpha1.ScaledObject."""
    return ".".join([*reversed(group.split(".")), version, kind])


def definitions(crd: dict) -> dict[str, dict]:
    """The definitions of every served version of `crd`: the kind and its list."""
    spec = crd.get("spec") or {}
    group, names = spec.get("group", ""), spec.get("names") or {}
    kind, list_kind = names.get("kind", ""), names.get("listKind") or f"{names.get('kind', '')}List"
    out: dict[str, dict] = {}
    for version in spec.get("versions") or []:
        if not isinstance(version, dict) or not version.get("served"):
            continue
        name = version.get("name", "")
        schema = copy.deepcopy(((version.get("schema") or {}).get("openAPIV3Schema")) or {"type": "object"})
        props = schema.setdefault("properties", {})
        props["apiVersion"] = {**_API_VERSION, **(props.get("apiVersion") or {})}
        props["kind"] = {**_KIND, **(props.get("kind") or {})}
        props["metadata"] = {"$ref": f"#/$defs/{_META}ObjectMeta"}
        schema["x-kubernetes-group-version-kind"] = [{"group": group, "kind": kind, "version": name}]
        item = definition_name(group, name, kind)
        out[item] = schema
        out[definition_name(group, name, list_kind)] = {
            "type": "object", "required": ["items"], "description": f"{list_kind} is a list of {kind}",
            "properties": {"apiVersion": dict(_API_VERSION), "kind": dict(_KIND),
                           "items": {"type": "array", "items": {"$ref": f"#/$defs/{item}"}},
                           "metadata": {"$ref": f"#/$defs/{_META}ListMeta"}},
            "x-kubernetes-group-version-kind": [{"group": group, "kind": list_kind, "version": name}]}
    return out
