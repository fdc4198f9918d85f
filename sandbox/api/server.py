"""The HTTP face of the sandbox: an aiohttp app that authenticates (bearer token), limits bodies, decodes the
request, calls the Registry and encodes the answer (JSON, a Table, aggregated discovery or a watch stream).
Every failure leaves as a `Status` object; nothing a client sends can make it answer 500."""
from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from urllib.parse import parse_qsl

import yaml
from aiohttp import web

from sandbox.api import discovery, openapi, protobuf, tables, watch as watch_stream
from sandbox.machinery import errors, resources
from sandbox.machinery.errors import StatusError
from sandbox.machinery.resources import ResourceType
from sandbox.simulation import controls as simulation_controls
from sandbox.registry import deletion
from sandbox.registry.patch_types import APPLY_PATCH, PATCH_TYPES
from sandbox.registry.rest import Registry
from sandbox.storage.store import dumps

log = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024  # the apiserver's request body limit
JSON = "application/json"
HEALTH_PATHS = ("/healthz", "/livez", "/readyz")
HEALTH_CHECKS = ("ping", "log", "etcd", "informer-sync", "poststarthook/start-apiserver-admission-initializer")
TABLE_VERSIONS = ("v1", "v1beta1")
UNSIMULATED = ("exec", "attach", "portforward", "proxy")  # they need a running container
# The methods each subresource serves (anything else is 405, as the apiserver registers no handler for it).
SUBRESOURCE_METHODS = {"status": ("GET", "PUT", "PATCH"), "scale": ("GET", "PUT", "PATCH"), "log": ("GET",),
                       "binding": ("POST",), "eviction": ("POST",), "finalize": ("PUT",)}
REGISTRY = web.AppKey("registry", Registry)
BOOKMARK_INTERVAL = web.AppKey("bookmark_interval", float)


@dataclass
class Target:
    """What a resource URL names."""
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str
    legacy_watch: bool


def make_app(registry: Registry, token: str, *, bookmark_interval: float = 60.0) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_errors, _authenticate(token)],
                          handler_args={"max_field_size": 16384})
    app[REGISTRY] = registry
    app[BOOKMARK_INTERVAL] = bookmark_interval
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    return app


# middlewares ------------------------------------------------------------------------------------------------------
def _status_response(error: StatusError) -> web.Response:
    response = web.Response(status=error.code, body=dumps(error.status()).encode(), content_type=JSON)
    retry_after = (error.details or {}).get("retryAfterSeconds")
    if retry_after:  # ErrorNegotiated says it in a header too (a 429 from a budget still being processed)
        response.headers["Retry-After"] = str(retry_after)
    return response


@web.middleware
async def _errors(request: web.Request, handler):
    try:
        return await handler(request)
    except StatusError as e:
        return _status_response(e)
    except web.HTTPRequestEntityTooLarge:
        return _status_response(errors.too_large())
    except web.HTTPException as e:
        return _status_response(StatusError(e.status, e.reason.replace(" ", ""), e.text or e.reason))
    except ConnectionResetError:
        raise
    except Exception as e:  # a bug, not the client's fault: say so as a Status and log it
        log.exception("unexpected error serving %s %s", request.method, request.path_qs)
        return _status_response(errors.internal(f"{type(e).__name__}: {e}"))


def _authenticate(token: str):
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def authenticate(request: web.Request, handler):
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return _status_response(errors.unauthorized())
        return await handler(request)
    return authenticate


# routing ----------------------------------------------------------------------------------------------------------
async def _dispatch(request: web.Request) -> web.StreamResponse:
    path = request.path.rstrip("/") or "/"
    if path == "/version":
        return _json(discovery.version_info())
    if path.startswith(HEALTH_PATHS) and path.split("/")[1] in ("healthz", "livez", "readyz"):
        return _health(path.split("/")[1], "verbose" in request.query)
    if path == "/api":
        if _wants_aggregated(request):
            return _aggregated(discovery.aggregated(core=True))
        return _json(discovery.api_versions(f"{request.host}"))
    if path == "/apis":
        if _wants_aggregated(request):
            return _aggregated(discovery.aggregated(core=False))
        return _json(discovery.api_group_list())
    if path.startswith("/openapi/"):
        return _openapi(path)
    if path.startswith("/simulation/"):  # the workload model's controls: offered load, queued orders
        status, body = simulation_controls.handle(request.app[REGISTRY].metrics_provider, request.method, path,
                                                  await request.read())
        return _json(body, status)
    parts = path.split("/")[1:]
    if parts[0] == "apis" and len(parts) == 2:
        return _json_or_404(discovery.api_group(parts[1]))
    if parts[0] == "api" and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise _not_served()
    if not rest:
        return _json_or_404(discovery.resource_list(group, version))
    return await _serve_resource(request, _target(group, version, rest))


def _target(group: str, version: str, rest: list[str]) -> Target:
    legacy_watch = rest[0] == "watch"
    if legacy_watch:
        rest = rest[1:]
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        rt = resources.lookup(group, version, rest[2])
        if rt is not None and rt.namespaced:
            namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise _not_served()
    rt = resources.lookup(group, version, rest[0])
    if rt is None or (rt.namespaced and namespace is None and len(rest) > 1):
        raise _not_served()
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else ""
    if subresource in UNSIMULATED and rt.plural in ("pods", "services", "nodes") and not rt.group:
        raise StatusError(400, "BadRequest", f"{rt.plural}/{subresource} is not available in the workshop sandbox: "
                          "its pods are simulated and no container runs (use a kind cluster for exec, attach, "
                          "port-forward and proxy)")
    if subresource and subresource not in _subresources(rt):
        raise _not_served()
    if (name is not None and not _valid_path_segment(name)) or \
            (namespace is not None and not _valid_path_segment(namespace)):
        raise _not_served()
    return Target(rt, namespace, name, subresource, legacy_watch)


def _subresources(rt: ResourceType) -> set[str]:
    """The subresources resources.py lists, plus namespaces/finalize and pods/binding (served for controllers)."""
    extra = {"namespaces": "finalize", "pods": "binding"}.get(rt.plural) if not rt.group else None
    return set(rt.subresources) | ({extra} if extra else set())


def _valid_path_segment(segment: str) -> bool:
    return segment not in ("", ".", "..")


def _not_served() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


async def _serve_resource(request: web.Request, target: Target) -> web.StreamResponse:
    method = request.method
    if target.subresource and method not in SUBRESOURCE_METHODS[target.subresource]:
        raise errors.method_not_allowed()
    if method == "GET":
        return await _get(request, target)
    if target.legacy_watch:
        raise errors.method_not_allowed()
    if method == "POST":
        return await _post(request, target)
    if method == "PUT" and target.name:
        return await _put(request, target)
    if method == "PATCH" and target.name:
        return await _patch(request, target)
    if method == "DELETE":
        return await _delete(request, target)
    raise errors.method_not_allowed()


# verbs ------------------------------------------------------------------------------------------------------------
async def _get(request: web.Request, t: Target) -> web.StreamResponse:
    registry: Registry = request.app[REGISTRY]
    q = _query(request)
    rt = t.rt
    if t.subresource == "log":
        text = registry.pod_log(t.namespace, t.name, q.get("container") or None, _int(q, "tailLines"))
        return web.Response(text=text, content_type="text/plain")
    if t.subresource == "scale":
        return _json(registry.get_scale(rt, t.namespace, t.name))
    table = _table_request(request)
    if t.legacy_watch or _bool(q, "watch"):
        _need_verb(rt, "watch")
        return await _watch(request, t, q, table)
    if t.name:
        _need_verb(rt, "get")
        if table is not None:
            return _json(tables.table(rt, [registry.get(rt, t.namespace, t.name)], **table))
        return _raw(registry.get_json(rt, t.namespace, t.name))
    _need_verb(rt, "list")
    args = (rt, t.namespace, q.get("labelSelector", ""), q.get("fieldSelector", ""), _int(q, "limit") or 0,
            q.get("continue", ""))
    if table is not None:
        listed = registry.list(*args)
        return _json(tables.table(rt, listed["items"], list_metadata=listed["metadata"], **table))
    return _raw(registry.list_json(*args))


async def _watch(request: web.Request, t: Target, q: dict, table: dict | None) -> web.StreamResponse:
    registry: Registry = request.app[REGISTRY]
    field_selector = q.get("fieldSelector", "")
    if t.name:  # watching one object is a watch with a name field selector
        field_selector = ",".join(filter(None, [f"metadata.name={t.name}", field_selector]))
    send_initial = q.get("sendInitialEvents")
    try:
        watch = registry.watch(t.rt, t.namespace, q.get("resourceVersion", ""), q.get("labelSelector", ""),
                               field_selector, _bool(q, "allowWatchBookmarks"),
                               None if send_initial is None else send_initial == "true")
    except StatusError as e:
        if e.code not in (410, 504):
            raise
        # as the watch cache does (newErrWatcher): a 200 stream carrying one ERROR event, which clients read
        # as "relist" rather than as a failed request
        return await watch_stream.error_stream(request, e.status())
    render = _table_renderer(t.rt, table) if table is not None else None
    return await watch_stream.stream(request, watch, timeout=watch_stream.watch_timeout(_int(q, "timeoutSeconds")),
                                     bookmark_interval=request.app[BOOKMARK_INTERVAL], table=render)


def _table_renderer(rt: ResourceType, options: dict):
    """Each watched object as a Table; column definitions go with the first event only."""
    first = [True]

    def render(obj: dict) -> dict:
        headers, first[0] = first[0], False
        return tables.table(rt, [obj], no_headers=not headers, **options)
    return render


async def _post(request: web.Request, t: Target) -> web.Response:
    registry: Registry = request.app[REGISTRY]
    q = _query(request)
    if t.subresource == "binding":
        body = await _body(request)
        node = ((body or {}).get("target") or {}).get("name") if isinstance(body, dict) else None
        if not node:
            raise errors.invalid("", "Binding", t.name, [errors.Cause("target.name", "Required value",
                                                                        "FieldValueRequired")])
        return _json(registry.bind(t.namespace, t.name, node, dry_run=_dry_run(q)), status=201)
    warnings: list[str] = []
    if t.subresource == "eviction":
        evicted = registry.evict(t.namespace, t.name, await _body(request), dry_run=_dry_run(q),
                                 field_validation=q.get("fieldValidation", "Warn"), warnings=warnings)
        return _json(evicted, status=201, warnings=warnings)
    if t.name or (t.rt.namespaced and t.namespace is None):
        raise errors.method_not_allowed()
    body = await _body(request)
    created = registry.create(t.rt, t.namespace, body, dry_run=_dry_run(q), field_manager=_manager(request, q),
                              field_validation=q.get("fieldValidation", "Warn"), warnings=warnings)
    return _json(created, status=201, warnings=warnings)


async def _put(request: web.Request, t: Target) -> web.Response:
    registry: Registry = request.app[REGISTRY]
    q = _query(request)
    body = await _body(request)
    warnings: list[str] = []
    updated = registry.update(t.rt, t.namespace, t.name, body, subresource=t.subresource, dry_run=_dry_run(q),
                              field_manager=_manager(request, q), field_validation=q.get("fieldValidation", "Warn"),
                              warnings=warnings)
    return _json(updated, warnings=warnings)


async def _patch(request: web.Request, t: Target) -> web.Response:
    registry: Registry = request.app[REGISTRY]
    q = _query(request)
    patch_type = request.content_type
    if patch_type not in PATCH_TYPES:
        raise errors.unsupported_media_type(patch_type)
    patch = await _body(request, yaml_ok=patch_type == APPLY_PATCH)
    existed = patch_type != APPLY_PATCH or _exists(registry, t)
    warnings: list[str] = []
    patched = registry.patch(t.rt, t.namespace, t.name, patch_type, patch, subresource=t.subresource,
                             dry_run=_dry_run(q), field_manager=q.get("fieldManager", "") if patch_type == APPLY_PATCH
                             else _manager(request, q), force=_bool(q, "force"),
                             field_validation=q.get("fieldValidation", "Warn"), warnings=warnings)
    return _json(patched, status=200 if existed else 201, warnings=warnings)


async def _delete(request: web.Request, t: Target) -> web.Response:
    registry: Registry = request.app[REGISTRY]
    q = _query(request)
    options = _delete_options(await _body(request, allow_empty=True), q)
    if t.name:
        return _json(registry.delete(t.rt, t.namespace, t.name, **options))
    if t.rt.namespaced and t.namespace is None:
        raise errors.method_not_allowed()
    return _json(registry.delete_collection(t.rt, t.namespace, q.get("labelSelector", ""),
                                            q.get("fieldSelector", ""), **options))


def _exists(registry: Registry, t: Target) -> bool:
    return registry.store.get(t.rt.storage_key, t.namespace or "" if t.rt.namespaced else "", t.name) is not None


def _delete_options(body, q: dict) -> dict:
    """The body's DeleteOptions (JSON, YAML or protobuf), with the query's parameters taking precedence."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise errors.bad_request("json: cannot unmarshal into Go value of type v1.DeleteOptions")
    body = dict(body)
    if "gracePeriodSeconds" in q:
        body["gracePeriodSeconds"] = _int(q, "gracePeriodSeconds")
    if q.get("propagationPolicy"):
        body["propagationPolicy"] = q["propagationPolicy"]
    if "orphanDependents" in q:
        body["orphanDependents"] = q["orphanDependents"]
    options = deletion.delete_options(body)
    options["dry_run"] = _dry_run(q) or options["dry_run"]
    return options


# request decoding -------------------------------------------------------------------------------------------------
def _query(request: web.Request) -> dict[str, str]:
    """Query parameters (the first value of each; dryRun may repeat and is read with _dry_run)."""
    q: dict[str, str] = {}
    for key, value in parse_qsl(request.query_string, keep_blank_values=True):
        q.setdefault(key, value)
    q["__dryRun"] = ",".join(v for k, v in parse_qsl(request.query_string) if k == "dryRun")
    return q


def _dry_run(q: dict) -> bool:
    return deletion.check_dry_run([v for v in q.get("__dryRun", "").split(",") if v])


def _int(q: dict, key: str) -> int | None:
    value = q.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.bad_request(f'invalid value for {key}: "{value}": must be an integer') from None


def _bool(q: dict, key: str) -> bool:
    return q.get(key, "").lower() in ("true", "1")


def _manager(request: web.Request, q: dict) -> str:
    """fieldManager, or (as the apiserver defaults it) the User-Agent up to its first '/'."""
    manager = q.get("fieldManager")
    if manager:
        if len(manager) > 128:
            raise errors.bad_request("fieldManager: Too long: may not be more than 128 bytes")
        return manager
    return request.headers.get("User-Agent", "unknown").split("/")[0][:128] or "unknown"


async def _body(request: web.Request, *, yaml_ok: bool = True, allow_empty: bool = False):
    data = await request.read()
    if not data.strip():
        if allow_empty:
            return None
        raise errors.bad_request("the body of the request was empty")
    content_type = request.content_type
    if content_type in ("application/yaml", "application/apply-patch+yaml") and yaml_ok:
        return _yaml(data)
    if content_type == protobuf.CONTENT_TYPE:
        return protobuf.decode(data)
    if content_type.startswith("application/vnd.kubernetes.protobuf"):
        raise errors.unsupported_media_type(content_type)
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise errors.bad_request("the body of the request is not valid UTF-8") from None
    except RecursionError:
        raise errors.bad_request("couldn't get version/kind; json parse error: exceeded max depth") from None
    except ValueError as e:
        if content_type in ("application/json", "application/octet-stream", "") or content_type.endswith("+json"):
            raise errors.bad_request(f"couldn't get version/kind; json parse error: {e}") from None
        return _yaml(data)


class _JSONCompatibleLoader(yaml.SafeLoader):
    """YAML as kube-apiserver reads it (YAML to JSON): timestamps stay strings, not datetime objects."""


_JSONCompatibleLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _yaml(data: bytes):
    try:
        value = yaml.load(data, Loader=_JSONCompatibleLoader)  # a SafeLoader
        json.dumps(value)  # what JSON cannot hold (a self-referencing alias, binary, sets) is the client's error
        return value
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, TypeError, RecursionError) as e:
        raise errors.bad_request(f"error converting YAML to JSON: {str(e).splitlines()[0]}") from None


def _accepted(request: web.Request) -> list[dict[str, str]]:
    """The Accept header's media ranges, each as {"type": ..., parameter: value}."""
    ranges = []
    for item in request.headers.get("Accept", "").split(","):
        fields = [f.strip() for f in item.split(";")]
        entry = {"type": fields[0]}
        for param in fields[1:]:
            key, _, value = param.partition("=")
            entry[key.strip()] = value.strip()
        ranges.append(entry)
    return ranges


def _table_request(request: web.Request) -> dict | None:
    """Table options when the client asks for `application/json;as=Table;g=meta.k8s.io;v=v1`, else None.
    Like kube-apiserver, the server prints wide and kubectl hides priority-1 columns unless `-o wide`."""
    for entry in _accepted(request):
        if entry.get("as") == "Table" and entry.get("g") == "meta.k8s.io" and entry.get("v") in TABLE_VERSIONS:
            return {"wide": True, "include_object": request.query.get("includeObject") or "Metadata"}
    return None


def _wants_aggregated(request: web.Request) -> bool:
    return any(e.get("as") == "APIGroupDiscoveryList" and e.get("g") == "apidiscovery.k8s.io" and e.get("v") == "v2"
               for e in _accepted(request))


def _need_verb(rt: ResourceType, verb: str) -> None:
    if verb not in rt.verbs:
        raise errors.method_not_allowed()


# responses --------------------------------------------------------------------------------------------------------
def _json(obj, status: int = 200, warnings: list[str] | None = None) -> web.Response:
    return _raw(dumps(obj), status, warnings)


def _raw(text: str, status: int = 200, warnings: list[str] | None = None) -> web.Response:
    response = web.Response(status=status, body=text.encode(), content_type=JSON)
    for warning in warnings or ():
        response.headers.add("Warning", '299 - ' + json.dumps(warning))
    return response


def _health(endpoint: str, verbose: bool) -> web.Response:
    """/healthz, /livez, /readyz: "ok", or with ?verbose the checks listed as kube-apiserver lists them."""
    if not verbose:
        return web.Response(text="ok", content_type="text/plain")
    checks = "".join(f"[+]{check} ok\n" for check in HEALTH_CHECKS)
    return web.Response(text=f"{checks}{endpoint} check passed\n", content_type="text/plain")


def _json_or_404(obj: dict | None) -> web.Response:
    if obj is None:
        raise _not_served()
    return _json(obj)


def _aggregated(obj: dict) -> web.Response:
    response = web.Response(body=dumps(obj).encode())
    response.headers["Content-Type"] = discovery.AGGREGATED_CONTENT_TYPE
    return response


def _openapi(path: str) -> web.Response:
    if not path.startswith("/openapi/v3"):  # v2 is not served: kubectl 1.37 uses v3
        raise _not_served()
    if path == "/openapi/v3":
        return _json(openapi.index())
    parts = path.split("/")[3:]  # after /openapi/v3
    if len(parts) == 2 and parts[0] == "api":
        return _json_or_404(openapi.document("", parts[1]))
    if len(parts) == 3 and parts[0] == "apis":
        return _json_or_404(openapi.document(parts[1], parts[2]))
    raise _not_served()
