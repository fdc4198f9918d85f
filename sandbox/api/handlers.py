"""The resource URLs' handlers: each decodes the request (requests.py), makes one Registry call and encodes the
answer. Nothing here reads the store or knows a kind: a Table's printer, a subresource's rules, a verb a type
does not serve all come from the Registry and the kinds' registrations.

serve() routes a resource request: subresources go through serve_subresource(), the one place they are routed
(handlers of other subresources, such as the pod connections' log, exec, attach and port-forward, join its
table), the rest to the verb handlers."""
from __future__ import annotations

from aiohttp import web

from sandbox.api import pod_logs, requests, streams, tables, watch as watch_stream
from sandbox.api.requests import RequestQuery, Target
from sandbox.api.responses import json_response, raw_response
from sandbox.machinery import errors
from sandbox.machinery.errors import StatusError
from sandbox.machinery.resources import ResourceType
from sandbox.registry.patch_types import APPLY_PATCH, PATCH_TYPES
from sandbox.registry.rest import Registry

REGISTRY = web.AppKey("registry", Registry)
BOOKMARK_INTERVAL = web.AppKey("bookmark_interval", float)

# The methods each subresource serves (anything else is 405, as the apiserver registers no handler for it).
SUBRESOURCE_METHODS = {"status": ("GET", "PUT", "PATCH"), "scale": ("GET", "PUT", "PATCH"), "log": ("GET",),
                       "binding": ("POST",), "eviction": ("POST",), "token": ("POST",), "finalize": ("PUT",),
                       **{name: streams.METHODS for name in streams.SUBRESOURCES}}


async def serve(request: web.Request, target: Target) -> web.StreamResponse:
    if target.subresource:
        return await serve_subresource(request, target)
    return await _serve_verb(request, target)


async def _serve_verb(request: web.Request, target: Target) -> web.StreamResponse:
    method = request.method
    if method == "GET":
        return await _get(request, target)
    if target.legacy_watch:
        raise errors.method_not_allowed()
    if method == "POST":
        return await _create(request, target)
    if method == "PUT" and target.name:
        return await _update(request, target)
    if method == "PATCH" and target.name:
        return await _patch(request, target)
    if method == "DELETE":
        return await _delete(request, target)
    raise errors.method_not_allowed()


# subresources: the one routing point ----------------------------------------------------------------------------
async def serve_subresource(request: web.Request, t: Target) -> web.StreamResponse:
    """A subresource's own handler (SUBRESOURCE_HANDLERS), else the verbs of the object itself, written or read
    through the subresource (status, scale's writes, finalize)."""
    if request.method not in SUBRESOURCE_METHODS[t.subresource]:
        raise errors.method_not_allowed()
    handler = SUBRESOURCE_HANDLERS.get((t.subresource, request.method))
    if handler is not None:
        return await handler(request, t)
    return await _serve_verb(request, t)


async def _pod_log(request: web.Request, t: Target) -> web.StreamResponse:
    return await pod_logs.serve(request, request.app[REGISTRY], t.namespace, t.name)


async def _pod_connection(request: web.Request, t: Target) -> web.StreamResponse:
    """exec, attach, portforward: api/streams/ upgrades the connection."""
    return await streams.serve(request, request.app[REGISTRY], t.namespace, t.name, t.subresource)


async def _get_scale(request: web.Request, t: Target) -> web.Response:
    return json_response(request.app[REGISTRY].get_scale(t.rt, t.namespace, t.name))


async def _bind(request: web.Request, t: Target) -> web.Response:
    q = RequestQuery(request)
    body = await requests.body(request)
    node = ((body or {}).get("target") or {}).get("name") if isinstance(body, dict) else None
    if not node:
        raise errors.invalid("", "Binding", t.name, [errors.Cause("target.name", "Required value",
                                                                    "FieldValueRequired")])
    return json_response(request.app[REGISTRY].bind(t.namespace, t.name, node, dry_run=q.dry_run()), status=201)


async def _evict(request: web.Request, t: Target) -> web.Response:
    q = RequestQuery(request)
    warnings: list[str] = []
    body = await requests.body(request)
    evicted = request.app[REGISTRY].evict(t.namespace, t.name, body, q.write_options(warnings, with_manager=False))
    return json_response(evicted, status=201, warnings=warnings)


async def _request_token(request: web.Request, t: Target) -> web.Response:
    q = RequestQuery(request)
    warnings: list[str] = []
    body = await requests.body(request)
    issued = request.app[REGISTRY].request_token(t.namespace, t.name, body, q.write_options(warnings, with_manager=False))
    return json_response(issued, status=201, warnings=warnings)


SUBRESOURCE_HANDLERS = {("log", "GET"): _pod_log, ("scale", "GET"): _get_scale, ("binding", "POST"): _bind,
                        ("eviction", "POST"): _evict, ("token", "POST"): _request_token,
                        **{(name, method): _pod_connection for name in streams.SUBRESOURCES for method in streams.METHODS}}


# reads ----------------------------------------------------------------------------------------------------------
async def _get(request: web.Request, t: Target) -> web.StreamResponse:
    registry: Registry = request.app[REGISTRY]
    q = RequestQuery(request)
    rt = t.rt
    table = requests.table_request(request)
    if t.legacy_watch or q.bool("watch"):
        registry.check_verb(rt, "watch")
        return await _watch(request, t, q, table)
    if t.name:
        if table is not None:
            return json_response(tables.table(rt, [registry.get(rt, t.namespace, t.name)], **table))
        return raw_response(registry.get_json(rt, t.namespace, t.name))
    registry.check_verb(rt, "list")  # before the query's limit is read, as kube-apiserver answers
    args = (rt, t.namespace, q.get("labelSelector"), q.get("fieldSelector"), q.int("limit") or 0, q.get("continue"))
    if table is not None:
        listed = registry.list(*args)
        return json_response(tables.table(rt, listed["items"], list_metadata=listed["metadata"], **table))
    return raw_response(registry.list_json(*args))


async def _watch(request: web.Request, t: Target, q: RequestQuery, table: dict | None) -> web.StreamResponse:
    registry: Registry = request.app[REGISTRY]
    field_selector = q.get("fieldSelector")
    if t.name:  # watching one object is a watch with a name field selector
        field_selector = ",".join(filter(None, [f"metadata.name={t.name}", field_selector]))
    send_initial = q.values.get("sendInitialEvents")
    try:
        watch = registry.watch(t.rt, t.namespace, q.get("resourceVersion"), q.get("labelSelector"), field_selector,
                               q.bool("allowWatchBookmarks"), None if send_initial is None else send_initial == "true")
    except StatusError as e:
        if e.code not in (410, 504):
            raise
        # as the watch cache does (newErrWatcher): a 200 stream carrying one ERROR event, which clients read
        # as "relist" rather than as a failed request
        return await watch_stream.error_stream(request, e.status())
    render = _table_renderer(t.rt, table) if table is not None else None
    return await watch_stream.stream(request, watch, timeout=watch_stream.watch_timeout(q.int("timeoutSeconds")),
                                     bookmark_interval=request.app[BOOKMARK_INTERVAL], table=render)


def _table_renderer(rt: ResourceType, options: dict):
    """Each watched object as a Table; column definitions go with the first event only."""
    first = [True]

    def render(obj: dict) -> dict:
        headers, first[0] = first[0], False
        return tables.table(rt, [obj], no_headers=not headers, **options)
    return render


# writes ---------------------------------------------------------------------------------------------------------
async def _create(request: web.Request, t: Target) -> web.Response:
    if t.name or (t.rt.namespaced and t.namespace is None):
        raise errors.method_not_allowed()
    q = RequestQuery(request)
    body = await requests.body(request, kind=t.rt.kind)
    warnings: list[str] = []
    created = request.app[REGISTRY].create(t.rt, t.namespace, body, q.write_options(warnings))
    return json_response(created, status=201, warnings=warnings)


async def _update(request: web.Request, t: Target) -> web.Response:
    q = RequestQuery(request)
    body = await requests.body(request, kind=t.rt.kind)
    warnings: list[str] = []
    updated = request.app[REGISTRY].update(t.rt, t.namespace, t.name, body, q.write_options(warnings),
                                           subresource=t.subresource)
    return json_response(updated, warnings=warnings)


async def _patch(request: web.Request, t: Target) -> web.Response:
    registry: Registry = request.app[REGISTRY]
    q = RequestQuery(request)
    patch_type = request.content_type
    if patch_type not in PATCH_TYPES:
        raise errors.unsupported_media_type(patch_type)
    apply = patch_type == APPLY_PATCH
    patch = await requests.body(request, yaml_ok=apply)
    existed = not apply or registry.exists(t.rt, t.namespace, t.name)
    warnings: list[str] = []
    patched = registry.patch(t.rt, t.namespace, t.name, patch_type, patch, q.write_options(warnings, apply=apply),
                             subresource=t.subresource)
    return json_response(patched, status=200 if existed else 201, warnings=warnings)


async def _delete(request: web.Request, t: Target) -> web.Response:
    registry: Registry = request.app[REGISTRY]
    q = RequestQuery(request)
    options = q.delete_options(await requests.body(request, allow_empty=True))
    if t.name:
        return json_response(registry.delete(t.rt, t.namespace, t.name, options))
    if t.rt.namespaced and t.namespace is None:
        raise errors.method_not_allowed()
    return json_response(registry.delete_collection(t.rt, t.namespace, q.get("labelSelector"),
                                                    q.get("fieldSelector"), options))
