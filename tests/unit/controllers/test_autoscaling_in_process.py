"""The chapter 06 manifests in one process (real Store, Registry and ControllerManager, time sped up): offered
load scales the API up and, once it stops, back down; queued orders wake the worker (0 -> 1), the HPA KEDA owns
scales it out, the queue drains and KEDA puts it back to zero after the cooldown."""
from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import yaml

from sandbox.clock import Clock
from sandbox.controllers.horizontal_pod_autoscaler import HorizontalPodAutoscalerController
from sandbox.controllers.manager import ControllerManager
from sandbox.controllers.scaled_object import ScaledObjectController
from sandbox.machinery import resources
from sandbox.registry.rest import Registry
from sandbox.storage.store import Store
from tests.waiting import wait_until_async

MANIFESTS = Path(__file__).resolve().parents[3] / "manifests"
FILES = ("03-sidecar/api-deployment.yaml", "05-expose/frontend-service.yaml", "05-queue/queue-deployment.yaml",
         "05-queue/queue-service.yaml", "05-queue/worker-deployment.yaml", "06-scaling/api-hpa.yaml",
         "06-scaling/worker-scaledobject.yaml")
NS = "containo"
API, WORKER = "containo-orders-frontend", "containo-orders-queue-processor"
DEPLOYMENTS = resources.lookup("apps", "v1", "deployments")
HPAS = resources.lookup("autoscaling", "v2", "horizontalpodautoscalers")
SCALED_OBJECTS = resources.lookup("keda.sh", "v1alpha1", "scaledobjects")
EVENTS = resources.lookup("", "v1", "events")
TIME_SCALE = 30.0
TIMEOUT = 90.0  # real seconds per wait: generous, the machine is shared


async def until(what: str, predicate, timeout: float = TIMEOUT):
    return await wait_until_async(predicate, timeout=timeout, interval=0.05, what=what)


def with_autoscaling(manager: ControllerManager) -> None:
    """Add the two autoscaling controllers unless the manager already runs them."""
    ctx = manager.controllers[0].ctx
    for cls in (HorizontalPodAutoscalerController, ScaledObjectController):
        if not any(isinstance(c, cls) for c in manager.controllers):
            manager.controllers.append(cls(ctx))


def apply_chapter(registry: Registry) -> None:
    registry.create(resources.lookup("", "v1", "namespaces"), None,
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    for name in FILES:
        for obj in yaml.safe_load_all((MANIFESTS / name).read_text()):
            if obj["kind"] == "Deployment" and obj["metadata"]["name"] == WORKER:
                obj["spec"]["replicas"] = 0  # KEDA owns it from zero
            registry.create(resources.by_kind(obj["apiVersion"], obj["kind"]), NS, obj)


async def scenario() -> None:
    clock = Clock(TIME_SCALE)
    registry = Registry(Store(), clock)
    manager = ControllerManager(registry, clock, nodes=3)
    with_autoscaling(manager)
    await manager.start()
    try:
        apply_chapter(registry)
        model = registry.metrics_provider
        replicas = lambda name: registry.get(DEPLOYMENTS, NS, name)["spec"]["replicas"]
        ready = lambda name: registry.get(DEPLOYMENTS, NS, name).get("status", {}).get("readyReplicas", 0)

        await until("the API's two pods", lambda: ready(API) == 2)
        hpa = await until("the HPA to read its metrics", lambda: _metrics(registry, API))
        assert {m["resource"]["name"] for m in hpa} == {"cpu", "memory"}
        assert replicas(API) == 2

        model.set_load(NS, "Service", API, 300)
        await until("the API to scale up", lambda: replicas(API) > 2)
        await until("the new API pods to be ready", lambda: ready(API) == replicas(API) > 2)
        peak = replicas(API)
        model.set_load(NS, "Service", API, 0)
        await until("the API to scale back to minReplicas", lambda: replicas(API) == 2)

        await until("the queue to answer", lambda: ready("containo-orders-queue") == 1)
        assert replicas(WORKER) == 0
        model.push(NS, "orders", 60)
        await until("KEDA to wake the worker up", lambda: replicas(WORKER) >= 1)
        await until("the HPA to scale the worker out", lambda: replicas(WORKER) > 1)
        workers = replicas(WORKER)
        await until("the queue to drain", lambda: model.queue_length(NS, "orders") == 0)
        await until("KEDA to scale the worker to zero", lambda: replicas(WORKER) == 0)

        manager.recorder.flush()  # events are written in the background: the last ones may still be queued
        rescales = _events(registry)
        up = re.compile(r"New size: \d+; reason: (cpu|memory) resource utilization \(percentage of request\) "
                        r"above target")
        assert any(up.fullmatch(m) for m in rescales["SuccessfulRescale"]), rescales["SuccessfulRescale"]
        assert any(m.endswith("; reason: All metrics below target") for m in rescales["SuccessfulRescale"])
        assert f"Scaled apps/v1.Deployment {NS}/{WORKER} from 0 to 1" in rescales["KEDAScaleTargetActivated"]
        assert any(re.fullmatch(rf"Deactivated apps/v1.Deployment {NS}/{WORKER} from \d+ to 0", m)
                   for m in rescales["KEDAScaleTargetDeactivated"])
        so = registry.get(SCALED_OBJECTS, NS, WORKER)
        conditions = {c["type"]: c for c in so["status"]["conditions"]}
        assert conditions["Ready"]["status"] == "True" and conditions["Active"]["status"] == "False"
        assert so["status"]["hpaName"] == f"keda-hpa-{WORKER}"
        assert peak > 2 and workers > 1
    finally:
        await manager.stop()


def _metrics(registry: Registry, name: str):
    status = registry.get(HPAS, NS, name).get("status") or {}
    metrics = status.get("currentMetrics") or []
    return metrics if metrics and all(m.get("type") == "Resource" for m in metrics) else None


def _events(registry: Registry) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for event in registry.list(EVENTS, NS)["items"]:
        found.setdefault(event["reason"], []).append(event["message"])
    return found


def test_load_scales_the_api_and_orders_scale_the_worker_from_zero_and_back():
    logging.getLogger("sandbox").setLevel(logging.ERROR)
    asyncio.run(scenario())
