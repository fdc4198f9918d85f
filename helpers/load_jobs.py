"""The Jobs that make real traffic on a real cluster (kind, or a cluster you named), as pure manifest builders.

Both run fortio (Istio's load tester: one static binary, a small image, pinned here) against the API's Service:
- the load generator sends GET / at a steady rate until it is deleted (or, forgotten, for at most 30 minutes);
- the order sender POSTs n real orders to /api/orders, which the API validates and pushes onto the queue.
The sandbox needs neither: no container runs there, and helpers.scaling sets the simulated load instead.
"""
from __future__ import annotations

import json

FORTIO_IMAGE = "fortio/fortio:1.69.4"
LOAD_JOB = "containo-load-generator"
ORDERS_JOB_PREFIX = "containo-order-sender-"
LOAD_DEADLINE_SECONDS = 1800  # a load generator left running stops by itself
CONNECTIONS = 8
LABELS = {"app": "containo", "microservice": "orders", "type": "infrastructure"}


def service_url(service: str, port: int, path: str = "/") -> str:
    """The Service's in-cluster address (same namespace as the Job)."""
    return f"http://{service}:{port}{path}"


def load_args(rps: float, url: str, connections: int = CONNECTIONS) -> list[str]:
    """`fortio load` at `rps` requests per second in total, until stopped (-t 0)."""
    return ["load", "-qps", f"{rps:g}", "-c", str(connections), "-t", "0",
            "-allow-initial-errors", "-timeout", "5s", "-loglevel", "Warning", url]


def orders_args(count: int, url: str, order: dict) -> list[str]:
    """`fortio load` making exactly `count` POSTs of `order`, one at a time (-n, -c 1), without pauses (-qps 0)."""
    return ["load", "-n", str(count), "-c", "1", "-qps", "0", "-content-type", "application/json",
            "-payload", json.dumps(order, separators=(",", ":")), "-loglevel", "Warning", url]


def _job(meta: dict, service: str, args: list[str], spec: dict) -> dict:
    labels = {**LABELS, "service": service}
    container = {"name": "fortio", "image": FORTIO_IMAGE, "imagePullPolicy": "IfNotPresent", "args": args,
                 "resources": {"requests": {"cpu": "100m", "memory": "32Mi"},
                               "limits": {"cpu": "500m", "memory": "128Mi"}},
                 "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "allowPrivilegeEscalation": False}}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {**meta, "labels": labels},
            "spec": {**spec, "template": {"metadata": {"labels": labels},
                                          "spec": {"restartPolicy": "Never", "containers": [container]}}}}


def load_job(rps: float, service: str, port: int, namespace: str) -> dict:
    """The load generator: GET / on the Service at `rps` requests per second until the Job is deleted."""
    args = load_args(rps, service_url(service, port))
    return _job({"name": LOAD_JOB, "namespace": namespace}, "load-generator", args,
                {"backoffLimit": 2, "activeDeadlineSeconds": LOAD_DEADLINE_SECONDS, "ttlSecondsAfterFinished": 300})


def orders_job(count: int, order: dict, service: str, port: int, namespace: str) -> dict:
    """The order sender: `count` POST /api/orders through the Service; its own name each time (generateName)."""
    return _job({"generateName": ORDERS_JOB_PREFIX, "namespace": namespace}, "order-sender",
                orders_args(count, service_url(service, port, "/api/orders"), order),
                {"backoffLimit": 0, "ttlSecondsAfterFinished": 600})
