"""A recording stand-in for the helpers' Api, and connections to it: what the load, order and queue helpers send,
checked without a cluster. Imported as a plain module (tests/helpers/conftest.py puts this folder on sys.path)."""
from __future__ import annotations

from helpers.api import Resource
from helpers.cluster import Connection

LB_IP = "172.18.0.6"


class FakeApi:
    """Records requests; answers the simulation API (runtime, clock, load, queues), GETs of the API's Service, and
    the pod listing a deletion waits on."""

    def __init__(self, services=("containo-orders-frontend",), fail=None, clock=10, loads=(), queues=(),
                 runtime="process", ingress=LB_IP, queue_ready=True):
        self.calls, self.services, self.fail, self.clock = [], services, fail, clock
        self.loads, self.queues, self.runtime = loads, queues, runtime
        self.ingress, self.queue_ready = ingress, queue_ready

    def request(self, method, path, *, params=None, body=None, content_type=None, timeout=30):
        self.calls.append((method, path, body))
        if self.fail is not None:
            raise self.fail
        if path == "/simulation/v1/runtime":
            return {"kind": "SandboxRuntime", "runtime": self.runtime}
        if path == "/simulation/v1/clock":
            return {"kind": "SimulatedClock", "timeScale": self.clock}
        if path.startswith("/simulation/v1/") and path.endswith("/load"):
            return {"kind": "SimulatedLoadList", "items": list(self.loads)}
        if path.startswith("/simulation/v1/") and path.endswith("/queues"):
            return {"kind": "SimulatedQueueList", "items": list(self.queues)}
        if path.startswith("/simulation/v1/") and "/queues/" in path:
            return {"kind": "SimulatedQueue", "length": 40 if method == "POST" else 7}
        return {}

    def get(self, path, **params):
        self.calls.append(("GET", path, params))
        return {"items": [], "metadata": {"resourceVersion": "7"}}  # the pod is gone

    def read(self, api_version, kind, name, namespace=None):
        if kind == "Service" and name in self.services:
            ingress = [{"ip": self.ingress, "ipMode": "Proxy"}] if self.ingress else []
            return {"spec": {"ports": [{"port": 1337}]}, "status": {"loadBalancer": {"ingress": ingress}}}
        if kind == "Deployment" and name == "containo-orders-queue":
            return {"status": {"readyReplicas": 1 if self.queue_ready else 0}}
        return None

    def resource(self, api_version, kind):
        return {"Pod": Resource("", "v1", "Pod", "pods", True)}[kind]

    def named(self, name):  # discovery's answer for "pods"
        return self.resource("v1", {"pods": "Pod"}[name])


CONTEXTS = {"sandbox": "workshop-sandbox", "kind": "kind-workshop"}


def connection(cluster="sandbox", api=None, **fake) -> Connection:
    return Connection(cluster, CONTEXTS[cluster], "/tmp/kubeconfig", "containo", None, api or FakeApi(**fake))


def connect_fake(monkeypatch, cluster="sandbox", api=None, **fake) -> Connection:
    """Every helper module that looks up the connection gets this one."""
    from helpers import orders, reach, scaling, wait

    conn = connection(cluster, api, **fake)
    for module in (scaling, orders, reach, wait):
        monkeypatch.setattr(module, "current", lambda: conn)
    return conn
