"""Readiness probes that ask what a pod depends on, run for real: the API pod's readinessProbe calls its /readyz,
which PINGs both Redises through their Services, and the queue processor's exec probe PINGs the queue Redis. When
a Redis is stopped, exactly the pods that depend on it leave their Service's EndpointSlice (the LoadBalancer then
has nothing to send to), and they come back when it returns, without a restart."""
from __future__ import annotations

import json

import pytest

from tests.sandbox.runtime.conftest import (APP_NAMESPACE, TIME_SCALE, apply_documents, apply_folders, host_requests,
                                            load_balancer_url, pods, rendered, wait_ready)
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

FRONTEND = "containo-orders-frontend"


def api_ready_on_readyz() -> list[dict]:
    """Chapter 03's API Deployment (one replica) whose readiness is /readyz, not /healthz: the variant the
    manifest's comment describes for when Redis is there."""
    [deployment] = [d for d in rendered("03-sidecar") if d["kind"] == "Deployment"]
    deployment["spec"]["replicas"] = 1
    api = deployment["spec"]["template"]["spec"]["containers"][0]
    api["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5,
                             "failureThreshold": 3}
    return [deployment]


def queue_with_a_heartbeat_at_the_time_scale() -> list[dict]:
    """05-queue, the worker's heartbeat (real seconds: the app does not know the time scale) brought to the
    sandbox's time scale. Its liveness probe fails while the queue Redis holds no heartbeat key, as a new Redis
    pod does until the worker's next beat: 5 s, longer than the probe's 3 x 15 s scaled down 10 times."""
    documents = rendered("05-queue")
    for d in documents:
        if d["kind"] == "Deployment" and d["metadata"]["name"] == "containo-orders-queue-processor":
            env = d["spec"]["template"]["spec"]["containers"][0]["env"]
            env.append({"name": "WORKER_HEARTBEAT_SECONDS", "value": str(5 / TIME_SCALE)})
    return documents


@pytest.fixture(scope="module")
def app(runtime_sandbox):
    assert runtime_sandbox.kubectl("create", "namespace", APP_NAMESPACE).returncode == 0
    apply_folders(runtime_sandbox, "04-cache", "05-expose")
    apply_documents(runtime_sandbox, APP_NAMESPACE, queue_with_a_heartbeat_at_the_time_scale() + api_ready_on_readyz())
    for service in ("cache", "queue", "queue-processor", "api"):
        wait_ready(runtime_sandbox, APP_NAMESPACE, f"service={service}")
    return runtime_sandbox


def endpoints(sandbox, service: str) -> dict[str, bool]:
    """Pod name -> ready, from the Service's EndpointSlices."""
    result = sandbox.kubectl("-n", APP_NAMESPACE, "get", "endpointslices", "-l",
                             f"kubernetes.io/service-name={service}", "-o", "json")
    assert result.returncode == 0, result.stderr
    return {e["targetRef"]["name"]: bool(e["conditions"].get("ready"))
            for s in json.loads(result.stdout)["items"] for e in s.get("endpoints") or []}


def ready(sandbox, service: str) -> bool:
    """Whether the one pod of a service label is Ready."""
    [p] = pods(sandbox, APP_NAMESPACE, f"service={service}")
    return any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions") or [])


def scale(sandbox, deployment: str, replicas: int) -> None:
    result = sandbox.kubectl("-n", APP_NAMESPACE, "scale", f"deployment/{deployment}", f"--replicas={replicas}")
    assert result.returncode == 0, result.stderr


def restarts(sandbox, service: str) -> int:
    [p] = pods(sandbox, APP_NAMESPACE, f"service={service}")
    return sum(c.get("restartCount", 0) for c in p["status"]["containerStatuses"])


def test_stopping_the_cache_takes_the_api_out_of_its_service_and_back(app):
    url = load_balancer_url(app, APP_NAMESPACE, FRONTEND)
    [api] = [name for name, is_ready in endpoints(app, FRONTEND).items() if is_ready]
    scale(app, "containo-orders-cache", 0)
    wait_until(lambda: endpoints(app, FRONTEND) == {api: False}, timeout=60, interval=0.2,
               what="the API pod to stay in its EndpointSlice, not ready")
    [down] = host_requests(app, [{"url": f"{url}/healthz"}])
    assert down["status"] == 0 and "refused" in down["body"].lower(), down  # no ready endpoint behind the address
    assert ready(app, "queue-processor"), "the worker needs only the queue Redis"
    events = app.kubectl("-n", APP_NAMESPACE, "get", "events", "--field-selector",
                         f"involvedObject.name={api},reason=Unhealthy", "-o", "jsonpath={.items[*].message}").stdout
    assert "Readiness probe failed: HTTP probe failed with statuscode: 503" in events

    scale(app, "containo-orders-cache", 1)
    wait_until(lambda: endpoints(app, FRONTEND) == {api: True}, timeout=90, interval=0.2,
               what="the API pod back in its EndpointSlice once the cache answers")
    [back] = host_requests(app, [{"url": f"{url}/readyz"}])
    assert back["status"] == 200, back
    assert restarts(app, "api") == 0, "readiness never restarts a container"


def test_stopping_the_queue_takes_both_of_its_users_out(app):
    scale(app, "containo-orders-queue", 0)
    wait_until(lambda: not ready(app, "api") and not ready(app, "queue-processor"), timeout=90, interval=0.2,
               what="the API and the worker to be unready without the queue")
    scale(app, "containo-orders-queue", 1)
    wait_until(lambda: ready(app, "api") and ready(app, "queue-processor"), timeout=90, interval=0.2,
               what="the API and the worker ready again")
    assert restarts(app, "queue-processor") == 0, "an unreachable queue counts as alive for the worker"
