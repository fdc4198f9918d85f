"""A minimal HTTP server that serves only the presentation documents (discovery, OpenAPI, and whatever objects
a test hands it), so real kubectl can be pointed at them before the sandbox's own server exists.

It records every request, so a test can assert what kubectl asked for (and what it never needed)."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
from dataclasses import dataclass, field

from aiohttp import web

from sandbox.api import discovery, openapi, tables
from sandbox.machinery import resources


@dataclass
class Request:
    method: str
    path: str
    query: dict
    content_type: str
    body: bytes


@dataclass
class FakeServer:
    objects: dict = field(default_factory=dict)  # (plural, name) -> object served on GET
    requests: list = field(default_factory=list)
    url: str = ""

    def kubectl(self, *args: str, home: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        config = os.path.join(home, "config")
        with open(config, "w") as f:
            f.write(f"apiVersion: v1\nkind: Config\nclusters: [{{name: fake, cluster: {{server: '{self.url}'}}}}]\n"
                    "users: [{name: u, user: {}}]\n"
                    "contexts: [{name: fake, context: {cluster: fake, user: u, namespace: default}}]\n"
                    "current-context: fake\n")
        env = {**os.environ, "HOME": home, "KUBECONFIG": config, "KUBECACHEDIR": os.path.join(home, "cache")}
        return subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True, env=env,
                              timeout=60)


def _json(doc, status: int = 200, content_type: str = "application/json") -> web.Response:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return web.Response(status=status, body=body, headers={"Content-Type": content_type})


def _not_found(message: str = "the server could not find the requested resource") -> web.Response:
    return _json({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                  "reason": "NotFound", "code": 404}, 404)


def _app(server: FakeServer) -> web.Application:
    async def record(request: web.Request) -> web.Response:
        body = await request.read()
        server.requests.append(Request(request.method, request.path, dict(request.query),
                                       request.headers.get("Content-Type", ""), body))
        return await route(request, body)

    async def route(request: web.Request, body: bytes) -> web.Response:
        path = request.path.rstrip("/")
        accept = request.headers.get("Accept", "")
        if path == "/version":
            return _json(discovery.version_info())
        if path in ("/api", "/apis"):
            if discovery.wants_aggregated(accept):
                return _json(discovery.aggregated(path == "/api"), content_type=discovery.AGGREGATED_CONTENT_TYPE)
            return _json(discovery.api_versions() if path == "/api" else discovery.api_group_list())
        if path == "/openapi/v3":
            return _json(openapi.index())
        if path.startswith("/openapi/v3/"):
            doc = openapi.document_for_path(path[len("/openapi/v3/"):])
            return _json(doc) if doc else _not_found()
        parts = path.strip("/").split("/")
        group, version, rest = ("", parts[1], parts[2:]) if parts[0] == "api" else (parts[1], parts[2], parts[3:])
        if not rest:
            doc = discovery.resource_list(group, version)
            return _json(doc) if doc else _not_found()
        return objects(request, group, version, rest, body, accept)

    def objects(request, group, version, rest, body, accept) -> web.Response:
        if rest[0] == "namespaces" and len(rest) > 2:
            rest = rest[2:]
        rt = resources.lookup(group, version, rest[0])
        if rt is None:
            return _not_found()
        if request.method == "GET" and len(rest) == 1:
            items = [o for (plural, _), o in server.objects.items() if plural == rt.plural]
            if "as=Table" in accept:
                return _json(tables.table(rt, items, wide=True, include_object=request.query.get(
                    "includeObject", "Metadata"), list_metadata={"resourceVersion": "7"}))
            return _json({"kind": rt.list_kind_name, "apiVersion": rt.api_version,
                          "metadata": {"resourceVersion": "7"}, "items": items})
        if request.method == "GET":
            obj = server.objects.get((rt.plural, rest[1]))
            return _json(obj) if obj else _not_found(f'{rt.plural} "{rest[1]}" not found')
        if request.method in ("POST", "PATCH", "PUT"):
            obj = server.objects.get((rt.plural, rest[-1]), {}) if request.method == "PATCH" else json.loads(body)
            return _json(obj, 201 if request.method == "POST" else 200)
        return _not_found()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    return app


def start() -> tuple[FakeServer, callable]:
    """Starts the server on a free loopback port in a thread; returns it and a stop function."""
    server = FakeServer()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(_app(server), access_log=None)
    ready = threading.Event()

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]
        server.url = f"http://127.0.0.1:{port}"
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("fake API server did not start")

    def stop():
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)

    return server, stop
