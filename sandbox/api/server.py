"""The HTTP face of the sandbox: an aiohttp app that authenticates (bearer token), limits bodies, answers the paths
that are not resources (version, health, discovery, OpenAPI, the simulation's controls) and hands resource paths
to handlers.py, which calls the Registry. Every failure leaves as a `Status` object; nothing a client sends can make
it answer 500."""
from __future__ import annotations

import hmac
import logging

from aiohttp import web

from sandbox.api import discovery, handlers, openapi, openapi_v2, requests
from sandbox.api.handlers import BOOKMARK_INTERVAL, REGISTRY
from sandbox.api.responses import json_response, status_response
from sandbox.machinery import errors
from sandbox.machinery.errors import StatusError
from sandbox.registry.rest import Registry
from sandbox.registry.tokens import REQUEST_USER
from sandbox.simulation import controls as simulation_controls
from sandbox.storage.store import dumps

log = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024  # the apiserver's request body limit
HEALTH_PATHS = ("/healthz", "/livez", "/readyz")
HEALTH_CHECKS = ("ping", "log", "etcd", "informer-sync", "poststarthook/start-apiserver-admission-initializer")


def make_app(registry: Registry, token: str, *, bookmark_interval: float = 60.0) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_errors, _authenticate(token, registry)],
                          handler_args={"max_field_size": 16384})
    app[REGISTRY] = registry
    app[BOOKMARK_INTERVAL] = bookmark_interval
    app.router.add_route("*", r"/{tail:[\s\S]*}", _dispatch)  # any path, an encoded newline included
    return app


# middlewares ------------------------------------------------------------------------------------------------------
@web.middleware
async def _errors(request: web.Request, handler):
    try:
        return await handler(request)
    except StatusError as e:
        return status_response(e)
    except web.HTTPRequestEntityTooLarge:
        return status_response(errors.too_large())
    except web.HTTPException as e:
        return status_response(StatusError(e.status, e.reason.replace(" ", ""), e.text or e.reason))
    except ConnectionResetError:
        raise
    except Exception as e:  # a bug, not the client's fault: say so as a Status and log it
        log.exception("unexpected error serving %s %s", request.method, request.path_qs)
        return status_response(errors.internal(f"{type(e).__name__}: {e}"))


def _authenticate(token: str, registry: Registry):
    """The sandbox's own token (its kubeconfig's user), else a service account token it issued (TokenRequest:
    registry/tokens.py), whose user the request then carries (tokens.REQUEST_USER)."""
    expected = token.encode()

    @web.middleware
    async def authenticate(request: web.Request, handler):
        # As kube-apiserver's bearertoken authenticator reads the header: the scheme in any case (the kubernetes
        # client's in-cluster config sends "bearer <token>"), the token its second space-separated word.
        parts = request.headers.get("Authorization", "").strip().split(" ")
        given = parts[1].encode() if len(parts) >= 2 and parts[0].lower() == "bearer" else b""
        if not given:
            return status_response(errors.unauthorized())
        user = None
        if not hmac.compare_digest(given, expected):
            user = registry.authenticate_token(given.decode(errors="replace"))
            if user is None:
                return status_response(errors.unauthorized())
        reset = REQUEST_USER.set(user)
        try:
            return await handler(request)
        finally:
            REQUEST_USER.reset(reset)
    return authenticate


# routing ----------------------------------------------------------------------------------------------------------
async def _dispatch(request: web.Request) -> web.StreamResponse:
    path = request.path.rstrip("/") or "/"
    if path == "/version":
        return json_response(discovery.version_info())
    if path.startswith(HEALTH_PATHS) and path.split("/")[1] in ("healthz", "livez", "readyz"):
        return _health(path.split("/")[1], "verbose" in request.query)
    if path == "/api":
        if requests.wants_aggregated(request):
            return _aggregated(discovery.aggregated(core=True))
        return json_response(discovery.api_versions(f"{request.host}"))
    if path == "/apis":
        if requests.wants_aggregated(request):
            return _aggregated(discovery.aggregated(core=False))
        return json_response(discovery.api_group_list())
    if path == "/openapi/v2":
        return _openapi_v2(request)
    if path.startswith("/openapi/"):
        return _openapi(path)
    if path.startswith("/simulation/"):  # the workload model's controls: offered load, queued orders
        registry = request.app[REGISTRY]
        status, body = simulation_controls.handle(registry.metrics_provider, request.method, path,
                                                  await request.read(), kubelet=registry.kubelet)
        return json_response(body, status)
    parts = path.split("/")[1:]
    if parts[0] == "apis" and len(parts) == 2:
        return _json_or_404(discovery.api_group(parts[1]))
    if parts[0] == "api" and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise requests.not_served()
    if not rest:
        return _json_or_404(discovery.resource_list(group, version))
    return await handlers.serve(request, requests.target(group, version, rest))


# the paths that are not resources ---------------------------------------------------------------------------------
def _health(endpoint: str, verbose: bool) -> web.Response:
    """/healthz, /livez, /readyz: "ok", or with ?verbose the checks listed as kube-apiserver lists them."""
    if not verbose:
        return web.Response(text="ok", content_type="text/plain")
    checks = "".join(f"[+]{check} ok\n" for check in HEALTH_CHECKS)
    return web.Response(text=f"{checks}{endpoint} check passed\n", content_type="text/plain")


def _json_or_404(obj: dict | None) -> web.Response:
    if obj is None:
        raise requests.not_served()
    return json_response(obj)


def _aggregated(obj: dict) -> web.Response:
    response = web.Response(body=dumps(obj).encode())
    response.headers["Content-Type"] = discovery.AGGREGATED_CONTENT_TYPE
    return response


def _openapi_v2(request: web.Request) -> web.Response:
    """/openapi/v2: protobuf when the client asks for it (client-go always does), else JSON."""
    media = openapi_v2.wants_protobuf(request.headers.get("Accept", ""))
    if media:
        return web.Response(body=openapi_v2.protobuf_bytes(), headers={"Content-Type": openapi_v2.PROTOBUF_TYPES[1]})
    return web.Response(body=openapi_v2.document_bytes(), headers={"Content-Type": "application/json"})


def _openapi(path: str) -> web.Response:
    if not path.startswith("/openapi/v3"):
        raise requests.not_served()
    if path == "/openapi/v3":
        return json_response(openapi.index())
    parts = path.split("/")[3:]  # after /openapi/v3
    if len(parts) == 2 and parts[0] == "api":
        return _json_or_404(openapi.document("", parts[1]))
    if len(parts) == 3 and parts[0] == "apis":
        return _json_or_404(openapi.document(parts[1], parts[2]))
    raise requests.not_served()
