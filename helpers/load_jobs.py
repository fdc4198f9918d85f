"""The objects that make real traffic through the API's Service, as pure manifest builders: the load generator's Pod
(generate_load()), and an order sender Job that POSTs exactly n orders from inside the cluster (enqueue_orders()
sends them from the notebook's kernel instead, through the LoadBalancer, as a client does; the Job is for a burst
that should start inside the cluster, and the sandbox's Job tests run it). Both run the app's own image (`python -m app.load`, the load
generator of app/README.md), so one program serves every cluster: on kind it is a container, in the sandbox a local
process that reaches the Service through the sandbox's pod network. It POSTs orders to the API's Service at a steady
rate until it is deleted (or, forgotten, for at most 30 minutes), reporting sent, ok, errors by kind and latencies
in its log (`kubectl logs containo-load-generator`).

Why orders, and why refused ones. An order makes the API pod work as a client's traffic does: the API parses it and
asks the validator sidecar, and both containers count in the pod's CPU utilization (usage / the pod's 150m of
requests). `GET /` costs the API a third of that and the sidecar nothing. But an accepted order is also queued, and
at 200 a second thousands would pile up on the list for the worker. So chapter 06's load sends orders over the
validator's limit (REFUSED_ORDER): each costs the API and its sidecar the work of an order, is answered 400, and
leaves nothing on the queue. generate_load(amount=42) sends accepted ones instead (clear_queue() after).

Why chapter 06 sends 200 a second. Measured on the shared 2-core machine the notebooks are recorded on, with two
API pods (150m of CPU requests each): 100 refused orders/s put each pod at 43-62% of its requests, 150 at 65-79%,
200 at 80-96% (time scale 10) and 79-92% (time scale 1), 300 at 114-144%. The HPA acts only above 55% (its 50%
target plus the 10% tolerance), so 100 a second moves nothing on a quiet machine; 200 is well past it even on a
machine half again as fast, and spread over the 3 to 6 pods it then asks for it stays far from maxReplicas 8. The
time scale changes how often the controllers look, not what an order costs.
"""
from __future__ import annotations

import json

from .manifests import app_image

LOAD_POD = "containo-load-generator"
LOAD_SELECTOR = "service=load-generator"  # the load generator's pod, and only it, in the learner's namespace
LOAD_DURATION_SECONDS = 1800  # a load generator left running stops by itself (exit 0, pod Succeeded)
ORDER_LIMIT = 100  # the validator's ORDER_LIMIT in manifests/03-sidecar
REFUSED_ORDER = {"amount": 1000, "customerName": "load-generator", "productId": "keyboard"}  # over the limit
LABELS = {"app": "containo", "microservice": "orders", "type": "infrastructure"}
ORDERS_JOB_PREFIX = "containo-order-sender-"
ORDERS_PER_SECOND = 50  # the order sender's pace: 40 orders arrive within a second, as a burst of customers would


def service_url(service: str, port: int, path: str = "/") -> str:
    """The Service's in-cluster address (same namespace as the pod)."""
    return f"http://{service}:{port}{path}"


def load_env(rps: float, service: str, port: int, order: dict = REFUSED_ORDER) -> dict[str, str]:
    """The load generator's settings: `order` POSTed `rps` times per second to the Service, a summary every 5 s."""
    return {"LOAD_TARGET_URL": service_url(service, port, ""), "LOAD_MODE": "orders", "LOAD_RATE": f"{rps:g}",
            "LOAD_ORDER": json.dumps(order, separators=(",", ":")),
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


def load_pod(rps: float, service: str, port: int, namespace: str, order: dict = REFUSED_ORDER) -> dict:
    """The load generator: `order` POSTed to the Service at `rps` per second until the pod is deleted."""
    labels = {**LABELS, "service": "load-generator"}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": LOAD_POD, "namespace": namespace, "labels": labels},
            "spec": _pod_spec("load-generator", load_env(rps, service, port, order))}


def orders_job(count: int, order: dict, service: str, port: int, namespace: str) -> dict:
    """The order sender: `count` POST /api/orders through the Service; its own name each time (generateName)."""
    labels = {**LABELS, "service": "order-sender"}
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"generateName": ORDERS_JOB_PREFIX, "namespace": namespace, "labels": labels},
            "spec": {"backoffLimit": 0, "ttlSecondsAfterFinished": 600,
                     "template": {"metadata": {"labels": labels},
                                  "spec": _pod_spec("order-sender", orders_env(count, service, port, order))}}}
