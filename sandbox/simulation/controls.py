"""The sandbox's simulation controls: what stands in for real traffic and real orders, under a path that no
Kubernetes API uses, so nobody mistakes it for one. The HTTP layer authenticates the request, decodes the JSON
body and calls handle(); helpers reach it through the kubeconfig's client (ApiClient.call_api).

  GET    /simulation/v1/clock                                      -> {"timeScale": 10}  (simulated seconds per second)
  GET    /simulation/v1/runtime                                    -> {"runtime": "process"}  (or "simulated")
  GET    /simulation/v1/namespaces/{ns}/load                       -> SimulatedLoadList
  GET    /simulation/v1/namespaces/{ns}/load/{services|deployments}/{name}
  PUT    /simulation/v1/namespaces/{ns}/load/{services|deployments}/{name}   {"requestsPerSecond": 120}
  GET    /simulation/v1/namespaces/{ns}/queues                     -> SimulatedQueueList (the lists used so far)
  GET    /simulation/v1/namespaces/{ns}/queues/{list}             -> SimulatedQueue (length, inflow, consumers)
  PUT    /simulation/v1/namespaces/{ns}/queues/{list}             {"ordersPerSecond": 2}  (a steady producer)
  POST   /simulation/v1/namespaces/{ns}/queues/{list}/orders      {"count": 40}  (LPUSH 40 orders)
  DELETE /simulation/v1/namespaces/{ns}/queues/{list}             (empty the list)

{ns} of a queue is the namespace of the redis Service that holds it (the trigger's `service.namespace:port`)."""
from __future__ import annotations

import json
import re

from sandbox.machinery import errors

API_VERSION = "simulation.workshop/v1"
_KINDS = {"services": "Service", "deployments": "Deployment"}
_CLOCK = re.compile(r"^/simulation/v1/clock/?$")
_RUNTIME = re.compile(r"^/simulation/v1/runtime/?$")
_ROUTE = re.compile(r"^/simulation/v1/namespaces/(?P<ns>[^/]+)/(?:"
                    r"(?P<load>load)(?:/(?P<plural>[^/]+)/(?P<name>[^/]+))?"
                    r"|queues(?:/(?P<list>[^/]+)(?P<orders>/orders)?)?)/?$")


def handle(model, method: str, path: str, body: dict | bytes | str | None = None, *,
           kubelet=None) -> tuple[int, dict]:
    """(HTTP status, JSON body) for one request (body: parsed, or the raw request bytes); raises StatusError.
    `kubelet` is the node connection the API server asks (registry.kubelet): it says whether pods run."""
    body = _decode(body)
    if _RUNTIME.match(path):  # clients choose real traffic or this model's stand-ins by it
        _allow(method.upper(), "GET")
        return 200, runtime(kubelet)
    if model is None:
        raise errors.StatusError(503, "ServiceUnavailable", "the workload simulation is not running")
    method = method.upper()
    if _CLOCK.match(path):  # clients draw charts in the cluster's seconds: they need the time scale
        _allow(method, "GET")
        return 200, {"kind": "SimulatedClock", "apiVersion": API_VERSION, "timeScale": model.clock.time_scale}
    match = _ROUTE.match(path)
    if not match:
        raise errors.StatusError(404, "NotFound", "the server could not find the requested resource")
    ns = match["ns"]
    if match["load"]:
        return _load(model, method, ns, match["plural"], match["name"], body)
    if match["list"] is None:
        _allow(method, "GET")
        items = [_queue(model, n_s, name) for n_s, name in sorted(model.queues) if n_s == ns]
        return 200, {"kind": "SimulatedQueueList", "apiVersion": API_VERSION, "items": items}
    if match["orders"]:
        _allow(method, "POST")
        count = _number(body, "count", integer=True)
        model.push(ns, match["list"], count)
        return 201, _queue(model, ns, match["list"])
    return _queue_request(model, method, ns, match["list"], body)


def runtime(kubelet) -> dict:
    """Whether containers the sandbox knows run as processes ("process") or every pod is simulated ("simulated",
    also without controllers: no kubelet at all). Read off the node connection's own flag (runs_processes)."""
    runs = bool(getattr(kubelet, "runs_processes", False))
    return {"kind": "SandboxRuntime", "apiVersion": API_VERSION, "runtime": "process" if runs else "simulated"}


def _load(model, method: str, ns: str, plural: str | None, name: str | None, body: dict | None) -> tuple[int, dict]:
    if plural is None:
        _allow(method, "GET")
        items = [_load_item(ns, kind, n, rps) for (n_s, kind, n), rps in sorted(model.loads.items()) if n_s == ns]
        return 200, {"kind": "SimulatedLoadList", "apiVersion": API_VERSION, "items": items}
    kind = _KINDS.get(plural)
    if kind is None:
        raise errors.bad_request(f"load goes to services or deployments, not {plural!r}")
    _allow(method, "GET", "PUT")
    if method == "PUT":
        model.set_load(ns, kind, name, _number(body, "requestsPerSecond"))
    return 200, _load_item(ns, kind, name, model.load(ns, kind, name))


def _queue_request(model, method: str, ns: str, list_name: str, body: dict | None) -> tuple[int, dict]:
    _allow(method, "GET", "PUT", "DELETE")
    if method == "PUT":
        model.set_inflow(ns, list_name, _number(body, "ordersPerSecond"))
    elif method == "DELETE":
        queue = model.queue(ns, list_name)
        queue.length = 0.0
    return 200, _queue(model, ns, list_name)


def _decode(body):
    if not isinstance(body, (bytes, str)):
        return body
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise errors.bad_request("the body of the request must be a JSON object") from None


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise errors.method_not_allowed()


def _number(body: dict | None, key: str, *, integer: bool = False) -> float:
    value = (body or {}).get(key) if isinstance(body, dict) else None
    valid = isinstance(value, int) if integer else isinstance(value, (int, float))
    if not valid or isinstance(value, bool) or value < 0:
        kind = "a non-negative integer" if integer else "a non-negative number"
        raise errors.bad_request(f"{key} must be {kind}, got {value!r}")
    return value


def _load_item(ns: str, kind: str, name: str, rps: float) -> dict:
    return {"kind": "SimulatedLoad", "apiVersion": API_VERSION,
            "metadata": {"namespace": ns, "name": name},
            "target": {"kind": kind, "name": name}, "requestsPerSecond": rps}


def _queue(model, ns: str, list_name: str) -> dict:
    queue = model.queue(ns, list_name)
    return {"kind": "SimulatedQueue", "apiVersion": API_VERSION,
            "metadata": {"namespace": ns, "name": list_name},
            "length": int(queue.length), "ordersPerSecond": queue.inflow_per_second,
            "drainingPerSecond": round(queue.draining, 3), "consumerPods": sorted(queue.consumer_pods)}
