"""Small builders for the object dicts the pure helper tests feed in (what the API server would return)."""
from __future__ import annotations

from helpers.api import Resource
from helpers.tables import Table, render
from sandbox.api import tables as server_tables
from sandbox.machinery import resources
from sandbox.printers.workloads import job_printer

JOBS = resources.lookup("batch", "v1", "jobs")

LABELS = {"app": "containo", "microservice": "orders"}


def labels(service: str, kind: str = "platform") -> dict:
    return {**LABELS, "service": service, "type": kind}


def deployment(name, service, replicas=2, ready=None, containers=("orders-api",), uid=None, generation=1):
    ready = replicas if ready is None else ready
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "containo", "uid": uid or f"uid-{name}", "labels": labels(service),
                         "generation": generation, "creationTimestamp": "2026-05-01T11:59:00Z"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {**LABELS, "service": service}},
                     "template": {"metadata": {"labels": labels(service)},
                                  "spec": {"containers": [{"name": c, "image": "img",
                                                           "ports": [{"containerPort": 80 + i}]}
                                                          for i, c in enumerate(containers)]}}},
            "status": {"observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas,
                       "readyReplicas": ready, "availableReplicas": ready}}


def replicaset(name, owner, revision, replicas, service):
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "uid": f"uid-{name}", "labels": labels(service),
                         "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                         "ownerReferences": [{"kind": "Deployment", "name": owner["metadata"]["name"],
                                              "uid": owner["metadata"]["uid"], "controller": True}]},
            "spec": {"replicas": replicas}, "status": {"replicas": replicas, "readyReplicas": replicas}}


def pod(name, owner=None, service="api", ready=True, containers=("orders-api",), node="sandbox-worker", **status):
    meta = {"name": name, "uid": f"uid-{name}", "labels": labels(service), "creationTimestamp": "2026-05-01T11:59:30Z"}
    if owner is not None:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True}]
    state = {"running": {"startedAt": "2026-05-01T11:59:40Z"}} if ready else {"waiting": {"reason": "ContainerCreating"}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": c} for c in containers], "nodeName": node},
            "status": {"phase": "Running" if ready else "Pending", "podIP": "10.244.1.5",
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                       "containerStatuses": [{"name": c, "ready": ready, "restartCount": 0, "state": state}
                                             for c in containers], **status}}


def service(name, selector_service, kind="ClusterIP", port=6666, target=6379, ingress=None):
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": name, "labels": labels(selector_service, "infrastructure")},
           "spec": {"type": kind, "selector": {**LABELS, "service": selector_service},
                    "ports": [{"port": port, "targetPort": target, "protocol": "TCP"}]}}
    if ingress is not None:
        svc["status"] = {"loadBalancer": {"ingress": ingress}}
    return svc


def endpointslice(service_name, addresses, ready=True):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"{service_name}-abcde", "labels": {"kubernetes.io/service-name": service_name}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [a], "conditions": {"ready": ready}} for a in addresses]}


def event(pod_name, reason, message, when="2026-05-01T11:59:50Z"):
    return {"involvedObject": {"kind": "Pod", "name": pod_name}, "reason": reason, "message": message,
            "lastTimestamp": when, "metadata": {"name": f"{pod_name}.1"}}


def shown(plural: str, objects: list[dict], now, *, wide: bool = False, namespace: str | None = None) -> Table:
    """What show() displays for these objects: the Table the server builds (its printers), rendered by the helpers
    (`now` is a datetime)."""
    rt = JOBS if plural == "jobs" else next(r for r in resources.served() if r.plural == plural
                                            and r.group in ("", "apps"))
    served = server_tables.table(rt, objects, wide=True, now=now.timestamp(),
                                 printer=job_printer() if rt is JOBS else None)
    return render(Resource(rt.group, rt.version, rt.kind, rt.plural, rt.namespaced), served, wide=wide,
                  namespace=namespace)
