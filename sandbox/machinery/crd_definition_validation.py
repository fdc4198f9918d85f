"""apiextensions.k8s.io/v1 CustomResourceDefinition validation, as apiextensions-apiserver's
ValidateCustomResourceDefinition words it: the name (plural.group), group, scope, names, versions (exactly one
storage version, DNS-1035 names, unique), each version's schema (required in v1, structural: a type everywhere, items
for arrays, metadata limited to name and generateName), subresources, printer columns and conversion (None; a
webhook needs a client config). Plus the v1 defaulters (singular, listKind, conversion None)."""
from __future__ import annotations

from . import field_errors as fe, names
from .errors import Cause

_TYPES = ("array", "boolean", "integer", "number", "object", "string")
_COLUMN_TYPES = ("integer", "number", "string", "boolean", "date")
_COLUMN_FORMATS = ("int32", "int64", "float", "double", "byte", "date", "date-time", "password")


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value) -> list:
    return value if isinstance(value, list) else []


def _s(value) -> str:
    return value if isinstance(value, str) else ""


def set_crd_defaults(crd: dict) -> None:
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return
    names_ = spec.get("names")
    if isinstance(names_, dict):
        if not names_.get("singular") and isinstance(names_.get("kind"), str):
            names_["singular"] = names_["kind"].lower()
        if not names_.get("listKind") and names_.get("kind"):
            names_["listKind"] = f"{names_['kind']}List"
    if not isinstance(spec.get("conversion"), dict):
        spec["conversion"] = {"strategy": "None"}
    service = _d(_d(_d(spec.get("conversion")).get("webhook")).get("clientConfig")).get("service")
    if isinstance(service, dict):
        service.setdefault("port", 443)


def _versions_text(versions: list) -> fe.GoRepr:
    """spec.Versions as Go's %#v prints the internal slice in these messages (pointers as addresses)."""
    items = []
    for v in versions:
        v = _d(v)
        schema = "(*apiextensions.CustomResourceValidation)(0xc000a1c2d0)" if v.get("schema") else \
            "(*apiextensions.CustomResourceValidation)(nil)"
        subresources = "(*apiextensions.CustomResourceSubresources)(0xc000a1c2e0)" if v.get("subresources") \
            else "(*apiextensions.CustomResourceSubresources)(nil)"
        items.append(f'apiextensions.CustomResourceDefinitionVersion{{Name:{fe.go_quote(_s(v.get("name")))}, '
                     f'Served:{str(v.get("served") is True).lower()}, '
                     f'Storage:{str(v.get("storage") is True).lower()}, Deprecated:false, '
                     f'DeprecationWarning:(*string)(nil), Schema:{schema}, Subresources:{subresources}, '
                     'AdditionalPrinterColumns:[]apiextensions.CustomResourceColumnDefinition(nil), '
                     'SelectableFields:[]apiextensions.SelectableField(nil)}')
    return fe.GoRepr("[]apiextensions.CustomResourceDefinitionVersion{" + ", ".join(items) + "}")


def validate_crd(crd: dict, old: dict | None) -> list[Cause]:
    spec = _d(crd.get("spec"))
    causes: list[Cause] = []
    group, names_ = _s(spec.get("group")), _d(spec.get("names"))
    name = _s(_d(crd.get("metadata")).get("name"))
    if name and name != f"{_s(names_.get('plural'))}.{group}":
        causes.append(fe.invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    if not group:
        causes.append(fe.required("spec.group", ""))
    elif names.dns1123_subdomain(group):
        causes.append(fe.invalid("spec.group", group, ",".join(names.dns1123_subdomain(group))))
    elif len(group.split(".")) < 2:
        causes.append(fe.invalid("spec.group", group, "should be a domain with at least one dot"))
    scope = _s(spec.get("scope"))
    if not scope:
        causes.append(fe.required("spec.scope", ""))
    elif scope not in ("Cluster", "Namespaced"):
        causes.append(fe.not_supported("spec.scope", scope, ("Cluster", "Namespaced")))
    causes += _versions(spec)
    causes += _names(names_, "spec.names")
    causes += _conversion(_d(spec.get("conversion")))
    if old is not None:
        causes += _update(spec, _d(old.get("spec")), _established(old))
    return causes


def _established(crd: dict) -> bool:
    return any(_d(c).get("type") == "Established" and _d(c).get("status") == "True"
               for c in _l(_d(crd.get("status")).get("conditions")))


def _versions(spec: dict) -> list[Cause]:
    causes: list[Cause] = []
    versions = _l(spec.get("versions"))
    if not versions:
        causes.append(fe.invalid("spec.versions", _versions_text(versions), "must have exactly one version marked "
                                 "as storage version"))
        return causes
    seen: set[str] = set()
    unique, storage = True, 0
    for i, version in enumerate(versions):
        version, path = _d(version), f"spec.versions[{i}]"
        storage += version.get("storage") is True
        vname = _s(version.get("name"))
        unique = unique and vname not in seen
        seen.add(vname)
        found = names.dns1035_label(vname)
        if found:
            causes.append(fe.invalid(f"{path}.name", vname, ",".join(found)))
        schema = _d(version.get("schema")).get("openAPIV3Schema")
        if not isinstance(schema, dict):
            causes.append(fe.required(f"{path}.schema.openAPIV3Schema", "schemas are required"))
        else:
            causes += structural(schema, f"{path}.schema.openAPIV3Schema", root=True)
        causes += _subresources(_d(version.get("subresources")), f"{path}.subresources")
        for j, column in enumerate(_l(version.get("additionalPrinterColumns"))):
            causes += _column(_d(column), f"{path}.additionalPrinterColumns[{j}]")
    if not unique:
        causes.append(fe.invalid("spec.versions", _versions_text(versions), "must contain unique version names"))
    if storage != 1:
        causes.append(fe.invalid("spec.versions", _versions_text(versions),
                                 "must have exactly one version marked as storage version"))
    return causes


def structural(schema: dict, path: str, root: bool = False) -> list[Cause]:
    """The structural schema rules (apiextensions' schema.ValidateStructural), worded as it words them."""
    causes: list[Cause] = []
    kind = schema.get("type")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields")
    int_or_string = schema.get("x-kubernetes-int-or-string") is True
    if preserve is not None and preserve is not True:
        causes.append(fe.invalid(f"{path}.x-kubernetes-preserve-unknown-fields", preserve, "must be true or undefined"))
    if root:
        if not kind:
            causes.append(fe.required(f"{path}.type", "must not be empty at the root"))
        elif kind != "object":
            causes.append(fe.invalid(f"{path}.type", kind, "must be object at the root"))
    elif not kind and not int_or_string and preserve is not True:
        causes.append(fe.required(f"{path}.type", "must not be empty for specified array items"
                                  if path.endswith(".items") else "must not be empty for specified object fields"))
    if kind and kind not in _TYPES:
        causes.append(fe.not_supported(f"{path}.type", kind, _TYPES))
    if "$ref" in schema:
        causes.append(fe.forbidden(f"{path}.$ref", "$ref is not supported"))
    properties = schema.get("properties")
    if isinstance(properties, dict) and isinstance(schema.get("additionalProperties"), dict):
        causes.append(fe.forbidden(f"{path}.additionalProperties", "additionalProperties and properties are mutual "
                                   "exclusive"))
    if isinstance(properties, dict):
        for key, child in properties.items():
            child_path = f"{path}.properties[{key}]"
            if root and key == "metadata" and isinstance(child, dict):
                extra = set(_d(child.get("properties"))) - {"name", "generateName"}
                if extra or set(child) - {"type", "properties", "description"}:
                    causes.append(fe.forbidden(child_path, "must not specify anything other than name and "
                                               "generateName, but metadata is implicitly specified"))
                continue
            if isinstance(child, dict):
                causes += structural(child, child_path)
    if kind == "array":
        items = schema.get("items")
        if not isinstance(items, dict):
            causes.append(fe.required(f"{path}.items", "must be specified"))
        else:
            causes += structural(items, f"{path}.items")
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        causes += structural(extra, f"{path}.additionalProperties")
    return causes


def _subresources(subresources: dict, path: str) -> list[Cause]:
    scale = subresources.get("scale")
    if not isinstance(scale, dict):
        return []
    causes: list[Cause] = []
    for key, under in (("specReplicasPath", ".spec"), ("statusReplicasPath", ".status")):
        value = _s(scale.get(key))
        if not value:
            causes.append(fe.required(f"{path}.scale.{key}", ""))
        elif not value.startswith("."):
            causes.append(fe.invalid(f"{path}.scale.{key}", value, "should be a json path and start with ."))
        elif not value.startswith(under + "."):
            causes.append(fe.invalid(f"{path}.scale.{key}", value, f"should be a json path under {under}"))
    selector = scale.get("labelSelectorPath")
    if isinstance(selector, str) and selector and not (selector.startswith(".spec.") or
                                                       selector.startswith(".status.")):
        causes.append(fe.invalid(f"{path}.scale.labelSelectorPath", selector,
                                 "should be a json path under either .spec or .status"))
    return causes


def _column(column: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    if not _s(column.get("name")):
        causes.append(fe.required(f"{path}.name", ""))
    kind = _s(column.get("type"))
    if not kind:
        causes.append(fe.required(f"{path}.type", f"must be one of {', '.join(_COLUMN_TYPES)}"))
    elif kind not in _COLUMN_TYPES:
        causes.append(fe.not_supported(f"{path}.type", kind, _COLUMN_TYPES))
    fmt = _s(column.get("format"))
    if fmt and fmt not in _COLUMN_FORMATS:
        causes.append(fe.not_supported(f"{path}.format", fmt, _COLUMN_FORMATS))
    json_path = _s(column.get("jsonPath"))
    if not json_path:
        causes.append(fe.required(f"{path}.jsonPath", ""))
    elif not json_path.startswith("."):
        causes.append(fe.invalid(f"{path}.jsonPath", json_path, "must be a simple json path starting with ."))
    return causes


def _names(names_: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for key in ("plural", "singular", "kind", "listKind"):
        if not _s(names_.get(key)):
            causes.append(fe.required(f"{path}.{key}", ""))
    for key in ("plural", "singular"):
        value = _s(names_.get(key))
        if value and names.dns1035_label(value):
            causes.append(fe.invalid(f"{path}.{key}", value, ",".join(names.dns1035_label(value))))
    for key in ("kind", "listKind"):
        value = _s(names_.get(key))
        if value and names.dns1035_label(value.lower()):
            causes.append(fe.invalid(f"{path}.{key}", value, "may have mixed case, but should otherwise match: "
                                     + ",".join(names.dns1035_label(value.lower()))))
    if names_.get("kind") and names_.get("kind") == names_.get("listKind"):
        causes.append(fe.invalid(f"{path}.listKind", names_["listKind"], "kind and listKind may not be the same"))
    for i, short in enumerate(_l(names_.get("shortNames"))):
        found = names.dns1035_label(_s(short))
        if found:
            causes.append(fe.invalid(f"{path}.shortNames[{i}]", short, ",".join(found)))
    return causes


def _conversion(conversion: dict) -> list[Cause]:
    strategy = _s(conversion.get("strategy"))
    if not strategy:
        return [fe.required("spec.conversion.strategy", "")]
    if strategy not in ("None", "Webhook"):
        return [fe.not_supported("spec.conversion.strategy", strategy, ("None", "Webhook"))]
    if strategy == "Webhook" and not isinstance(conversion.get("webhook"), dict):
        return [fe.required("spec.conversion.webhook", "required when strategy is set to Webhook")]
    if strategy == "None" and conversion.get("webhook") is not None:
        return [fe.forbidden("spec.conversion.webhook", "should not be set when strategy is not set to Webhook")]
    return []


def _update(spec: dict, old: dict, established: bool) -> list[Cause]:
    causes: list[Cause] = []
    immutable = [("spec.group", spec.get("group"), old.get("group")),
                 ("spec.names.plural", _d(spec.get("names")).get("plural"), _d(old.get("names")).get("plural"))]
    if established:
        immutable += [("spec.scope", spec.get("scope"), old.get("scope")),
                      ("spec.names.kind", _d(spec.get("names")).get("kind"), _d(old.get("names")).get("kind"))]
    for path, new, before in immutable:
        if new != before:
            causes.append(fe.invalid(path, new if new is not None else "", "field is immutable"))
    return causes
