"""An in-process cluster for controller tests: a real Store, Registry and ControllerManager on one event loop,
with the Clock sped up. No HTTP, no mocks; tests wait on conditions, never on fixed sleeps."""
from __future__ import annotations

import asyncio
import json

from sandbox.clock import Clock
from sandbox.controllers.manager import ControllerManager
from sandbox.machinery import resources
from sandbox.registry.bootstrap import bootstrap
from sandbox.registry.rest import Registry
from sandbox.storage.store import Store
from tests.waiting import wait_until_async

KINDS = {rt.plural if not rt.group else f"{rt.plural}.{rt.group}": rt for rt in resources.served()
         if rt.version == resources.preferred_version(rt.group)}


def rt(name: str):
    """"pods", "deployments.apps", "endpointslices.discovery.k8s.io" ..."""
    return KINDS[name]


class Cluster:
    def __init__(self, *, time_scale: float = 50.0, nodes: int = 3):
        self.clock = Clock(time_scale)
        self.store = Store()
        self.registry = Registry(self.store, self.clock)
        self.registry.check_trusted = True  # every controller write must be exactly what decoding produces
        bootstrap(self.registry)
        self.manager = ControllerManager(self.registry, self.clock, nodes=nodes)

    async def __aenter__(self) -> "Cluster":
        await self.manager.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.manager.stop()

    # API shortcuts -----------------------------------------------------------------------------------------------
    def create(self, kind: str, body: dict, namespace: str | None = "default") -> dict:
        return self.registry.create(rt(kind), namespace, body)

    def get(self, kind: str, name: str, namespace: str | None = "default") -> dict | None:
        try:
            return self.registry.get(rt(kind), namespace, name)
        except Exception as e:  # only NotFound is expected here
            if getattr(e, "code", None) == 404:
                return None
            raise

    def list(self, kind: str, namespace: str | None = "default", **kw) -> list[dict]:
        return self.registry.list(rt(kind), namespace, **kw)["items"]

    def patch(self, kind: str, name: str, patch: dict, namespace: str | None = "default", subresource: str = "") -> dict:
        return self.registry.patch(rt(kind), namespace, name, "application/merge-patch+json", patch,
                                   subresource=subresource)

    def delete(self, kind: str, name: str, namespace: str | None = "default", **kw) -> dict:
        return self.registry.delete(rt(kind), namespace, name, **kw)

    def events(self, namespace: str = "default", name: str | None = None) -> list[dict]:
        self.manager.recorder.flush()
        items = self.list("events", namespace)
        return [e for e in items if name is None or e["involvedObject"].get("name") == name]

    async def wait_for(self, condition, timeout: float = 30.0, what: str = ""):
        """Poll `condition()` until it returns something truthy; fail with `what` after `timeout` real seconds."""
        return await wait_until_async(condition, timeout=timeout, what=what or str(condition))


def deployment(name: str = "web", replicas: int = 3, image: str = "nginx:1.27", **spec) -> dict:
    labels = {"app": name}
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "main", "image": image}]}}}}
    body["spec"].update(spec)
    return json.loads(json.dumps(body))


def run(scenario, **cluster_options):
    """Run `async scenario(cluster)` against a fresh cluster."""
    async def main():
        async with Cluster(**cluster_options) as cluster:
            return await scenario(cluster)
    return asyncio.run(main())
