"""The real aiohttp app on a Registry of the test's making, served over HTTPS from a background event loop, for
what only a node double can produce (content the process runtime will write): real kubectl and the official
client talk to it through a kubeconfig, as they talk to `python -m sandbox`. The app is built as
sandbox/__main__.py builds it; `on_loop(fn, ...)` runs fn on the server's loop (the Registry and the log writers
belong to it)."""
from __future__ import annotations

import asyncio
import secrets
import subprocess
import threading
from pathlib import Path

from aiohttp import web

from sandbox import kubeconfig, tls
from sandbox.api.server import make_app
from sandbox.clock import Clock
from sandbox.machinery import resources
from sandbox.registry.bootstrap import bootstrap
from sandbox.registry.rest import Registry
from sandbox.storage.store import Store

PODS = resources.lookup("", "v1", "pods")


class InProcessServer:
    def __init__(self, workdir: Path, kubelet):
        self.workdir, self.kubeconfig = workdir, workdir / "kubeconfig"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="in-process-apiserver", daemon=True)
        self.registry = Registry(Store(), Clock())
        bootstrap(self.registry)
        self.registry.kubelet = kubelet
        self.runner: web.AppRunner | None = None

    def start(self) -> "InProcessServer":
        self.thread.start()
        self.on_loop(self._serve)
        return self

    async def _serve(self) -> None:
        files = tls.load_or_create(self.workdir / "tls")
        token = secrets.token_urlsafe(16)
        self.runner = web.AppRunner(make_app(self.registry, token), access_log=None, handle_signals=False,
                                    shutdown_timeout=1.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=files.server_context(self.workdir / "tls"))
        await site.start()
        kubeconfig.write(self.kubeconfig, f"https://127.0.0.1:{self.runner.addresses[0][1]}", files.ca_pem, token)

    def on_loop(self, fn, *args, timeout: float = 30):
        """fn(*args) on the server's loop (awaited when it is a coroutine function); its result here."""
        async def call():
            result = fn(*args)
            return await result if asyncio.iscoroutine(result) else result
        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout)

    def stop(self) -> None:
        if self.runner is not None:
            self.on_loop(self.runner.cleanup)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    # shortcuts ---------------------------------------------------------------------------------------------------
    def put_pod(self, pod: dict, status: dict) -> dict:
        """Create the pod (spec.nodeName set) and write its status, as a kubelet would."""
        def write():
            created = self.registry.create(PODS, "default", pod)
            return self.registry.update(PODS, "default", created["metadata"]["name"], {**created, "status": status},
                                        subresource="status")
        return self.on_loop(write)

    def kubectl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(["kubectl", "--kubeconfig", str(self.kubeconfig), *args], capture_output=True,
                              text=True, timeout=timeout)

    def api_client(self):
        from kubernetes import config
        return config.new_client_from_config(config_file=str(self.kubeconfig), context="workshop-sandbox")
