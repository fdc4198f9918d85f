"""A real Store and Registry with a hand-driven clock, and builders for the objects the workload model reads."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sandbox.clock import Clock
from sandbox.machinery import resources
from sandbox.registry.rest import Registry
from sandbox.storage.store import Store

NAMESPACES = resources.lookup("", "v1", "namespaces")
PODS = resources.lookup("", "v1", "pods")
SERVICES = resources.lookup("", "v1", "services")
DEPLOYMENTS = resources.lookup("apps", "v1", "deployments")
NODES = resources.lookup("", "v1", "nodes")


class HandClock(Clock):
    """Simulated time that moves only when a test says so (timestamps stay wall-clock, as in Clock)."""

    def __init__(self, time_scale: float = 1.0):
        super().__init__(time_scale)
        self.t = 0.0

    def now(self) -> float:
        return self.t


def ago(seconds: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


class World:
    def __init__(self, registry: Registry, clock: HandClock):
        self.registry, self.clock = registry, clock

    def namespace(self, name: str) -> None:
        self.registry.create(NAMESPACES, None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    def deployment(self, ns: str, name: str, labels: dict, containers: list[dict], replicas: int = 1) -> dict:
        return self.registry.create(DEPLOYMENTS, ns, {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}}}})

    def service(self, ns: str, name: str, selector: dict, port: int = 80) -> dict:
        return self.registry.create(SERVICES, ns, {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": selector, "ports": [{"port": port}]}})

    def pod(self, ns: str, name: str, labels: dict, containers: list[dict], *, ready: bool = True,
            started: float = 120.0, node: str = "sandbox-worker") -> dict:
        self.registry.create(PODS, ns, {"apiVersion": "v1", "kind": "Pod",
                                        "metadata": {"name": name, "namespace": ns, "labels": labels},
                                        "spec": {"nodeName": node, "containers": containers}})
        return self.set_pod_status(ns, name, ready=ready, started=started)

    def set_pod_status(self, ns: str, name: str, *, ready: bool = True, started: float = 120.0,
                       phase: str = "Running") -> dict:
        pod = self.registry.get(PODS, ns, name)
        pod["status"] = {"phase": phase, "startTime": ago(started), "conditions": [
            {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": ago(started)}]}
        return self.registry.update(PODS, ns, name, pod, subresource="status")


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
def world(clock) -> World:
    return World(Registry(Store(), clock), clock)
