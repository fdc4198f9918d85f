"""The objects that make real traffic through the API's Service, as pure manifest builders. Both run the app's own
image (`python -m app.load`, the load generator of app/README.md), so one program serves every cluster: on kind it
is a container, in the sandbox a local process that reaches the Service through the sandbox's pod network.

- the load generator, a Pod: POSTs orders to the API's Service at a steady rate until it is deleted (or, forgotten,
  for at most 30 minutes), reporting sent, ok, errors by kind and latencies in its log (`kubectl logs`);
- the order sender, a Job: POSTs exactly n real orders, which the API validates and pushes onto the queue.

The load sends orders, not `GET /`, because an order is the request that makes the API pod work as a client's
traffic does: the API parses it, asks the validator sidecar, queues it in Redis (measured in app/README.md: 1.6 ms
of CPU per order over both containers, 0.4 ms for `GET /`, too little for the HPA's 50% target at 200 requests/s).
Its orders are queued too: the worker processes them, and `clear_queue()` throws away the rest.
"""
from __future__ import annotations

import json

from .manifests import app_image

LOAD_POD = "containo-load-generator"
LOAD_SELECTOR = "service=load-generator"  # the load generator's pod, and only it, in the learner's namespace
ORDERS_JOB_PREFIX = "containo-order-sender-"
LOAD_DURATION_SECONDS = 1800  # a load generator left running stops by itself (exit 0, pod Succeeded)
ORDERS_PER_SECOND = 50  # the order sender's pace: 40 orders arrive within a second, as a burst of customers would
LABELS = {"app": "containo", "microservice": "orders", "type": "infrastructure"}


def service_url(service: str, port: int, path: str = "/") -> str:
    """The Service's in-cluster address (same namespace as the pod)."""
    return f"http://{service}:{port}{path}"


def load_env(rps: float, service: str, port: int) -> dict[str, str]:
    """The load generator's settings: orders at `rps` per second to the Service, a summary every 5 s."""
    return {"LOAD_TARGET_URL": service_url(service, port, ""), "LOAD_MODE": "orders", "LOAD_RATE": f"{rps:g}",
            "LOAD_DURATION_SECONDS": str(LOAD_DURATION_SECONDS), "LOAD_REPORT_SECONDS": "5"}


def orders_env(count: int, service: str, port: int, order: dict) -> dict[str, str]:
    """The order sender's settings: exactly `count` POSTs of `order`, ORDERS_PER_SECOND at most."""
    return {"LOAD_TARGET_URL": service_url(service, port, ""), "LOAD_MODE": "orders", "LOAD_REQUESTS": str(count),
            "LOAD_RATE": str(ORDERS_PER_SECOND), "LOAD_ORDER": json.dumps(order, separators=(",", ":")),
            "LOAD_REPORT_SECONDS": "5"}


def _pod_spec(name: str, env: dict[str, str]) -> dict:
    container = {
        "name": name, "image": app_image(), "imagePullPolicy": "IfNotPresent",  # kind: loaded, never pulled
        "command": ["python", "-m", "app.load"],
        "env": [{"name": key, "value": value} for key, value in env.items()],
        # Measured: 0.7 ms of CPU per request and 35 MiB resident, so 1 CPU carries well over 1,000 requests/s.
        "resources": {"requests": {"cpu": "200m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False},
    }
    # The image's user is 10001 (app/Dockerfile). A stopped generator waits for its requests in flight, each at most
    # LOAD_TIMEOUT_SECONDS (5 s), then logs its summary: 15 s of grace is plenty.
    return {"restartPolicy": "Never", "terminationGracePeriodSeconds": 15,
            "securityContext": {"runAsNonRoot": True}, "containers": [container]}


def load_pod(rps: float, service: str, port: int, namespace: str) -> dict:
    """The load generator: orders POSTed to the Service at `rps` per second until the pod is deleted."""
    labels = {**LABELS, "service": "load-generator"}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": LOAD_POD, "namespace": namespace, "labels": labels},
            "spec": _pod_spec("load-generator", load_env(rps, service, port))}


def orders_job(count: int, order: dict, service: str, port: int, namespace: str) -> dict:
    """The order sender: `count` POST /api/orders through the Service; its own name each time (generateName)."""
    labels = {**LABELS, "service": "order-sender"}
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"generateName": ORDERS_JOB_PREFIX, "namespace": namespace, "labels": labels},
            "spec": {"backoffLimit": 0, "ttlSecondsAfterFinished": 600,
                     "template": {"metadata": {"labels": labels},
                                  "spec": _pod_spec("order-sender", orders_env(count, service, port, order))}}}
