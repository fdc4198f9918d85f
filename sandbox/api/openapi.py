"""OpenAPI v3 as kube-apiserver 1.37 serves it: the /openapi/v3 index and one document per group-version.

The schemas are the v1.37 definitions kubernetes-validate ships (plus the sandbox's CRD/metrics schemas), turned
back from JSON-schema form into OpenAPI 3.0 (`#/components/schemas/...` refs, no "null" types). The paths carry
what kubectl reads: every PATCH operation lists the `fieldValidation` query parameter and names its
x-kubernetes-group-version-kind (kubectl's query-param verifier then trusts server-side field validation), and
built-in kinds accept application/strategic-merge-patch+json (so client-side `kubectl apply` computes a strategic
merge patch from these schemas). Documents are built once, on first use, and cached as bytes."""
from __future__ import annotations

import functools
import hashlib
import json

from sandbox.machinery import resources, schemas
from sandbox.machinery.resources import ResourceType

from .discovery import KUBERNETES_VERSION, subresource_kind

_DEFS = "#/$defs/"
_COMPONENTS = "#/components/schemas/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_PATCH_TYPES = ("application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
                "application/strategic-merge-patch+json")
_BUILTIN_MEDIA = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")
_CRD_MEDIA = ("application/json", "application/yaml")

_QUERY_DOCS = {
    "allowWatchBookmarks": ("boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers "
                            "that do not implement bookmarks may ignore this flag and bookmarks are sent at the "
                            "server's discretion. Clients should not assume bookmarks are returned at any specific "
                            "interval, nor may they assume the server will send any BOOKMARK event during a session."),
    "continue": ("string", "The continue option should be set when retrieving more results from the server. Since "
                 "this value is server defined, clients may only use the continue value from a previous query "
                 "result with identical query parameters (except for the value of continue)."),
    "dryRun": ("string", "When present, indicates that modifications should not be persisted. An invalid or "
               "unrecognized dryRun directive will result in an error response and no further processing of the "
               "request. Valid values are: - All: all dry run stages will be processed"),
    "fieldManager": ("string", "fieldManager is a name associated with the actor or entity that is making these "
                     "changes. The value must be less than or 128 characters long, and only contain printable "
                     "characters, as defined by https://golang.org/pkg/unicode/#IsPrint."),
    "fieldSelector": ("string", "A selector to restrict the list of returned objects by their fields. Defaults to "
                      "everything."),
    "fieldValidation": ("string", "fieldValidation instructs the server on how to handle objects in the request "
                        "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This "
                        "will ignore any unknown fields that are silently dropped from the object, and will ignore "
                        "all but the last duplicate field that the decoder encounters. This is the default behavior "
                        "prior to v1.23. - Warn: This will send a warning via the standard warning response header "
                        "for each unknown field that is dropped from the object, and for each duplicate field that "
                        "is encountered. The request will still succeed if there are no other errors, and will only "
                        "persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will "
                        "fail the request with a BadRequest error if any unknown fields would be dropped from the "
                        "object, or if any duplicate fields are present. The error returned from the server will "
                        "contain all unknown and duplicate fields encountered."),
    "force": ("boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting "
              "fields owned by other people. Force flag must be unset for non-apply patch requests."),
    "gracePeriodSeconds": ("integer", "The duration in seconds before the object should be deleted. Value must be "
                           "non-negative integer. The value zero indicates delete immediately. If this value is "
                           "nil, the default grace period for the specified type will be used. Defaults to a per "
                           "object value if not specified. zero means delete immediately."),
    "ignoreStoreReadErrorWithClusterBreakingPotential": (
        "boolean", "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion "
        "flow fails with a corrupt object error."),
    "labelSelector": ("string", "A selector to restrict the list of returned objects by their labels. Defaults to "
                      "everything."),
    "limit": ("integer", "limit is a maximum number of responses to return for a list call. If more items exist, "
              "the server will set the `continue` field on the list metadata to a value that can be used with the "
              "same initial query to retrieve the next set of results."),
    "orphanDependents": ("boolean", "Deprecated: please use the PropagationPolicy, this field will be deprecated in "
                         "1.7. Should the dependent objects be orphaned."),
    "pretty": ("string", "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent "
               "indicates a browser or command-line HTTP tool (curl and wget)."),
    "propagationPolicy": ("string", "Whether and how garbage collection will be performed. Acceptable values are: "
                          "'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete "
                          "the dependents in the background; 'Foreground' - a cascading policy that deletes all "
                          "dependents in the foreground."),
    "resourceVersion": ("string", "resourceVersion sets a constraint on what resource versions a request may be "
                        "served from. Defaults to unset"),
    "resourceVersionMatch": ("string", "resourceVersionMatch determines how resourceVersion is applied to list "
                             "calls. Defaults to unset"),
    "sendInitialEvents": ("boolean", "`sendInitialEvents=true` may be set together with `watch=true`. In that case, "
                          "the watch stream will begin with synthetic events to produce the current state of "
                          "objects in the collection."),
    "timeoutSeconds": ("integer", "Timeout for the list/watch call. This limits the duration of the call, "
                       "regardless of any activity or inactivity."),
    "watch": ("boolean", "Watch for changes to the described resources and return them as a stream of add, update, "
              "and remove notifications. Specify resourceVersion."),
    "container": ("string", "The container for which to stream logs. Defaults to only container if there is one "
                  "container in the pod."),
    "follow": ("boolean", "Follow the log stream of the pod. Defaults to false."),
    "limitBytes": ("integer", "If set, the number of bytes to read from the server before terminating the log "
                   "output."),
    "previous": ("boolean", "Return previous terminated container logs. Defaults to false."),
    "sinceSeconds": ("integer", "A relative time in seconds before the current time from which to show logs."),
    "tailLines": ("integer", "If set, the number of lines from the end of the logs to show."),
    "timestamps": ("boolean", "If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of "
                   "log output. Defaults to false."),
}
_LIST_PARAMS = ("allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
                "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch")
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
_DELETE_PARAMS = ("dryRun", "gracePeriodSeconds", "ignoreStoreReadErrorWithClusterBreakingPotential",
                  "orphanDependents", "propagationPolicy")
_DELETE_COLLECTION_PARAMS = tuple(sorted(set(_DELETE_PARAMS) | set(_LIST_PARAMS) - {"watch", "allowWatchBookmarks"}))
_CREATE_CODES = (("200", "OK"), ("201", "Created"), ("202", "Accepted"))
_LOG_PARAMS = ("container", "follow", "limitBytes", "previous", "sinceSeconds", "tailLines", "timestamps")


# --- schemas ------------------------------------------------------------------------------------------------

def _openapi_type(value):
    """JSON schema's ["string", "null"] back to OpenAPI's "string"."""
    kinds = [value] if isinstance(value, str) else [t for t in value if t != "null"]
    return kinds[0] if len(kinds) == 1 else None


def _convert(node, top_level: bool = False):
    """One JSON-schema node as OpenAPI 3.0: component refs, single types, `allOf` around a ref with siblings."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "type":
            value = _openapi_type(value)
            if value is None:
                continue
        elif key == "$ref" and isinstance(value, str) and value.startswith(_DEFS):
            value = _COMPONENTS + value[len(_DEFS):]
        elif key == "properties" and isinstance(value, dict):
            value = {name: _property(name, prop, top_level) for name, prop in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            value = _convert(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            value = [_convert(v) for v in value]
        out[key] = value
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        out = {"allOf": [{"$ref": ref}], **out}
    return out


def _property(name: str, schema, top_level: bool):
    converted = _convert(schema)
    if top_level and name in ("apiVersion", "kind") and isinstance(converted, dict):
        converted.pop("enum", None)  # added by the JSON-schema conversion; the API's own schemas have none
    return converted


def _refs(node, found: set[str], prefix: str = _DEFS) -> None:
    """Collects the definition names `node` references (refs starting with `prefix`)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix):
            found.add(ref[len(prefix):])
        for value in node.values():
            _refs(value, found, prefix)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found, prefix)


def _closure(names: set[str]) -> dict[str, dict]:
    """The named definitions and everything they reference, converted."""
    pending, done = sorted(n for n in names if schemas.definition(n)), {}
    while pending:
        name = pending.pop()
        if name in done:
            continue
        raw = schemas.definition(name)
        done[name] = _convert(raw, top_level=True)
        found: set[str] = set()
        _refs(raw, found)
        pending.extend(sorted(n for n in found - set(done) if schemas.definition(n)))
    return dict(sorted(done.items()))


# --- paths --------------------------------------------------------------------------------------------------

def _ref(name: str) -> dict:
    return {"$ref": _COMPONENTS + name}


def _query(name: str) -> dict:
    kind, doc = _QUERY_DOCS[name]
    return {"name": name, "in": "query", "description": doc, "schema": {"type": kind, "uniqueItems": True}}


def _path_param(name: str, kind: str) -> dict:
    doc = {"name": f"name of the {kind}", "namespace": "object name and auth scope, such as for teams and projects"}
    return {"name": name, "in": "path", "description": doc[name], "required": True,
            "schema": {"type": "string", "uniqueItems": True}}


def _camel(group: str) -> str:
    """operationId spelling of a group: "" -> Core, discovery.k8s.io -> Discovery, keda.sh -> KedaSh."""
    if not group:
        return "Core"
    words = group.removesuffix(".k8s.io").replace("-", ".").split(".")
    return words[0].capitalize() + "".join(w.capitalize() for w in words[1:])


def _definition_for(api_version: str, kind: str) -> str | None:
    return schemas.definition_name(api_version, kind)


class _Operations:
    """Builds the operations of one resource type (and its subresources)."""

    def __init__(self, rt: ResourceType):
        self.rt = rt
        self.custom = rt.custom
        self.media = _CRD_MEDIA if self.custom else _BUILTIN_MEDIA
        self.tag = f"{_camel(rt.group)[0].lower()}{_camel(rt.group)[1:]}_{rt.version}"
        self.op_prefix = f"{_camel(rt.group)}{rt.version.capitalize()}"
        self.kind_def = _definition_for(rt.api_version, rt.kind)
        self.list_def = _definition_for(rt.api_version, rt.list_kind_name)

    def gvk(self, sub: str = "") -> dict:
        group, version, kind = subresource_kind(self.rt, sub)
        if not (group or version):
            group, version = self.rt.group, self.rt.version
        return {"group": group, "kind": kind, "version": version}

    def response(self, schema_name: str | None, *codes: tuple[str, str]) -> dict:
        content = {m: {"schema": _ref(schema_name)} for m in self.media} if schema_name else {}
        out = {code: {"description": text, **({"content": content} if content else {})} for code, text in codes}
        out["401"] = {"description": "Unauthorized"}
        return out

    def operation(self, verb: str, action: str, op_name: str, doc: str, params: tuple, returns: str | None,
                  codes=(("200", "OK"),), body: dict | None = None, sub: str = "") -> dict:
        op = {"tags": [self.tag], "description": doc, "operationId": f"{verb}{self.op_prefix}{op_name}",
              "parameters": [_query(p) for p in params]}
        if body is not None:
            op["requestBody"] = body
        op["responses"] = self.response(returns, *codes)
        op["x-kubernetes-action"] = action
        op["x-kubernetes-group-version-kind"] = self.gvk(sub)
        return op

    def body(self, schema_name: str, content_types=("*/*",), required: bool = True) -> dict:
        return {"content": {t: {"schema": _ref(schema_name)} for t in content_types}, "required": required}

    def patch_types(self) -> tuple[str, ...]:
        # custom resources take no strategic merge patch (kubectl falls back to a merge patch for them)
        return tuple(t for t in _PATCH_TYPES if not (self.custom and "strategic" in t))


def _collection_ops(ops: _Operations, scoped: str) -> dict:
    rt, item = ops.rt, {}
    verbs = set(rt.verbs)
    if "list" in verbs:
        item["get"] = ops.operation("list", "list", scoped + rt.kind, f"list or watch objects of kind {rt.kind}",
                                    _LIST_PARAMS, ops.list_def)
    if "create" in verbs:
        item["post"] = ops.operation("create", "post", scoped + rt.kind, f"create a {rt.kind}", _WRITE_PARAMS,
                                     ops.kind_def, _CREATE_CODES, ops.body(ops.kind_def))
    if "deletecollection" in verbs:
        item["delete"] = ops.operation("delete", "deletecollection", f"Collection{scoped}{rt.kind}",
                                       f"delete collection of {rt.kind}", _DELETE_COLLECTION_PARAMS,
                                       _META + "Status", body=ops.body(_META + "DeleteOptions", required=False))
    return item


def _item_ops(ops: _Operations, scoped: str) -> dict:
    rt, item = ops.rt, {}
    verbs = set(rt.verbs)
    if "get" in verbs:
        item["get"] = ops.operation("read", "get", scoped + rt.kind, f"read the specified {rt.kind}", (),
                                    ops.kind_def)
    if "update" in verbs:
        item["put"] = ops.operation("replace", "put", scoped + rt.kind, f"replace the specified {rt.kind}",
                                    _WRITE_PARAMS, ops.kind_def, (("200", "OK"), ("201", "Created")),
                                    ops.body(ops.kind_def))
    if "patch" in verbs:
        item["patch"] = ops.operation("patch", "patch", scoped + rt.kind, f"partially update the specified {rt.kind}",
                                      _WRITE_PARAMS + ("force",), ops.kind_def, (("200", "OK"), ("201", "Created")),
                                      ops.body(_META + "Patch", ops.patch_types()))
    if "delete" in verbs:
        item["delete"] = ops.operation("delete", "delete", scoped + rt.kind, f"delete a {rt.kind}", _DELETE_PARAMS,
                                       _META + "Status", (("200", "OK"), ("202", "Accepted")),
                                       ops.body(_META + "DeleteOptions", required=False))
    return item


def _subresource_ops(ops: _Operations, scoped: str, sub: str) -> dict:
    rt = ops.rt
    if sub == "log":
        op = ops.operation("read", "get", f"{scoped}{rt.kind}Log", f"read log of the specified {rt.kind}",
                           _LOG_PARAMS, None, sub=sub)
        op["responses"]["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
        return {"get": op}
    if sub == "eviction":  # create only, with a policy/v1 Eviction in and out
        eviction = _definition_for("policy/v1", "Eviction")
        return {"post": ops.operation("create", "post", f"{scoped}{rt.kind}Eviction", f"create eviction of a {rt.kind}",
                                      _WRITE_PARAMS, eviction, _CREATE_CODES, ops.body(eviction), sub=sub)}
    returns = "io.k8s.api.autoscaling.v1.Scale" if sub == "scale" else ops.kind_def
    name, what = f"{scoped}{rt.kind}{sub.capitalize()}", f"{sub} of the specified {rt.kind}"
    return {
        "get": ops.operation("read", "get", name, f"read {what}", (), returns, sub=sub),
        "put": ops.operation("replace", "put", name, f"replace {what}", _WRITE_PARAMS, returns,
                             (("200", "OK"), ("201", "Created")), ops.body(returns), sub=sub),
        "patch": ops.operation("patch", "patch", name, f"partially update {what}", _WRITE_PARAMS + ("force",),
                               returns, (("200", "OK"), ("201", "Created")),
                               ops.body(_META + "Patch", ops.patch_types()), sub=sub),
    }


def _with_params(item: dict, *names: str, kind: str = "") -> dict:
    item["parameters"] = [_path_param(n, kind) for n in names] + [_query("pretty")]
    return item


def _resource_paths(rt: ResourceType, prefix: str) -> dict:
    ops = _Operations(rt)
    paths = {}
    if rt.namespaced:
        base, scoped, scope_params = f"{prefix}/namespaces/{{namespace}}/{rt.plural}", "Namespaced", ("namespace",)
        if "list" in rt.verbs:
            everywhere = {"get": ops.operation("list", "list", f"{rt.kind}ForAllNamespaces",
                                               f"list or watch objects of kind {rt.kind}", _LIST_PARAMS,
                                               ops.list_def)}
            paths[f"{prefix}/{rt.plural}"] = _with_params(everywhere)
    else:
        base, scoped, scope_params = f"{prefix}/{rt.plural}", "", ()
    collection = _collection_ops(ops, scoped)
    if collection:
        paths[base] = _with_params(collection, *scope_params)
    item = _item_ops(ops, scoped)
    if item:
        paths[f"{base}/{{name}}"] = _with_params(item, "name", *scope_params, kind=rt.kind)
    for sub in sorted(rt.subresources):
        paths[f"{base}/{{name}}/{sub}"] = _with_params(_subresource_ops(ops, scoped, sub), "name", *scope_params,
                                                   kind=subresource_kind(rt, sub)[2])  # the object it names
    return paths


def _gv_paths(group: str, version: str, types: list[ResourceType]) -> dict:
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    resources_op = {"tags": [f"{_camel(group)[0].lower()}{_camel(group)[1:]}_{version}"],
                    "description": "get available resources",
                    "operationId": f"get{_camel(group)}{version.capitalize()}APIResources",
                    "responses": {"200": {"description": "OK", "content": {
                        m: {"schema": _ref(_META + "APIResourceList")} for m in _BUILTIN_MEDIA}},
                        "401": {"description": "Unauthorized"}}}
    paths = {f"{prefix}/": {"get": resources_op}}
    for rt in sorted(types, key=lambda t: t.plural):
        paths.update(_resource_paths(rt, prefix))
    return dict(sorted(paths.items()))


def _build(group: str, version: str) -> dict:
    types = resources.in_group_version(group, version)
    paths = _gv_paths(group, version, types)
    found: set[str] = set()
    _refs(paths, found, _COMPONENTS)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": paths,
        "components": {
            "schemas": _closure(found),
            "securitySchemes": {"BearerToken": {"type": "apiKey", "description": "Bearer Token authentication",
                                                "name": "authorization", "in": "header"}},
        },
        "security": [{"BearerToken": []}],
    }


def _key(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _documents() -> dict[str, tuple[bytes, str]]:
    """Every group-version's document as JSON bytes, with the hash the index advertises; built anew when the
    served types change (a CRD created, changed or deleted)."""
    return _documents_at(resources.generation())


@functools.lru_cache(maxsize=1)
def _documents_at(generation: int) -> dict[str, tuple[bytes, str]]:
    built = {}
    for group, version in sorted({(rt.group, rt.version) for rt in resources.served()}):
        body = json.dumps(_build(group, version), sort_keys=True, separators=(",", ":")).encode()
        built[_key(group, version)] = (body, hashlib.sha512(body).hexdigest().upper())
    return built


def index() -> dict:
    """GET /openapi/v3: where each group-version's document lives (the hash changes with its content)."""
    return {"paths": {key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
                      for key, (_, digest) in _documents().items()}}


def document_bytes(group: str, version: str) -> bytes | None:
    """The cached JSON of /openapi/v3/api/v1 or /openapi/v3/apis/<group>/<version> (serve as application/json)."""
    entry = _documents().get(_key(group, version))
    return entry[0] if entry else None


def document(group: str, version: str) -> dict | None:
    """GET /openapi/v3/api/v1 or /openapi/v3/apis/<group>/<version> as a fresh dict; None when not served."""
    body = document_bytes(group, version)
    return json.loads(body) if body is not None else None


def document_for_path(path: str) -> bytes | None:
    """The document for a request path under /openapi/v3/ ("api/v1", "apis/apps/v1"), None when unknown."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "api":
        return document_bytes("", parts[1])
    if len(parts) == 3 and parts[0] == "apis":
        return document_bytes(parts[1], parts[2])
    return None
