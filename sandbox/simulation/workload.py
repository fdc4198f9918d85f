"""The workload model behind the sandbox's metrics: no container runs, so this decides what they would use.

- Offered load (requests per second) on a Service or a Deployment is shared by the ready pods it selects; each
  container that serves traffic (declares a port) uses cpu = base + cost per request * requests per pod, and
  memory likewise. Other containers idle at their base.
- A redis list (namespace of the redis Service, list name) holds queued orders: pushes and an optional steady
  inflow fill it; every ready consumer pod drains it at 1 / WORKER_DELAY_SECONDS orders per second (the app's
  own setting, else a default). Consumers are the Deployments a ScaledObject scales on that list, those named
  through set_consumer, and pods with QUEUE_NAME=<list> in a container without ports (the worker).
- The queue advances with simulated time (Clock.now()), settled before every pod change so that each interval
  drains at the number of ready consumers it really had.

WorkloadModel is the Registry's metrics_provider: pod_metrics(namespace) and node_metrics() return
metrics.k8s.io/v1beta1 PodMetrics / NodeMetrics as metrics-server would."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from sandbox.autoscaling import quantities
from sandbox.machinery.podutil import is_running_and_ready
from sandbox.machinery.timestamps import epoch
from sandbox.machinery import labels, resources

METRICS_WINDOW = "15s"  # metrics-server's --metric-resolution
FIRST_SAMPLE_AFTER = 15.0  # simulated seconds a started pod waits for its first metrics scrape
DEFAULT_DRAIN_PER_POD = 1.0  # orders per second when the worker has no WORKER_DELAY_SECONDS
MAX_DRAIN_PER_POD = 50.0


@dataclass(frozen=True)
class Profile:
    """What one container uses: at rest, per request/s it serves, and while it works through a queue."""
    base_millicores: float = 2.0
    millicores_per_request: float = 1.0
    base_mebibytes: float = 40.0
    mebibytes_per_request: float = 0.4
    busy_millicores: float = 30.0
    busy_mebibytes: float = 16.0


# Nodes use this much on top of their pods (kubelet, containerd; the control plane's apiserver and etcd).
SYSTEM_USAGE = {"control-plane": (180.0, 900.0), "worker": (25.0, 220.0)}  # (millicores, MiB)

PODS = resources.lookup("", "v1", "pods")
NODES = resources.lookup("", "v1", "nodes")
SERVICES = resources.lookup("", "v1", "services")
DEPLOYMENTS = resources.lookup("apps", "v1", "deployments")
SCALED_OBJECTS = resources.lookup("keda.sh", "v1alpha1", "scaledobjects")
LOAD_KINDS = {"Service": SERVICES, "Deployment": DEPLOYMENTS}


@dataclass
class Queue:
    length: float = 0.0
    inflow_per_second: float = 0.0
    consumers: set[str] = field(default_factory=set)  # Deployment names set through set_consumer
    draining: float = 0.0  # orders per second the ready consumers took at the last settle
    consumer_pods: frozenset[str] = frozenset()
    settled_at: float = 0.0


class WorkloadModel:
    def __init__(self, registry, clock, profile: Profile = Profile()):
        self.registry, self.clock, self.profile = registry, clock, profile
        # Set by the process runtime: what containers that really run use, (name, millicores, MiB) per container;
        # None for a pod it does not run (the model answers) or has not sampled twice yet (not scraped yet).
        self.measured_usage = None
        self.runs_processes = None  # pod -> bool, set with measured_usage
        self.loads: dict[tuple[str, str, str], float] = {}  # (namespace, kind, name) -> requests per second
        self.queues: dict[tuple[str, str], Queue] = {}  # (namespace, list name)
        self.unsubscribe = registry.subscribe(self._on_write, ("namespaces", "pods", "keda.sh/scaledobjects"),
                                              lazy=True)  # a pod write only triggers a settle: no parse

    # offered load -------------------------------------------------------------------------------------------
    def set_load(self, namespace: str, kind: str, name: str, requests_per_second: float) -> None:
        if kind not in LOAD_KINDS:
            raise ValueError(f"load goes to a Service or a Deployment, not {kind!r}")
        if requests_per_second < 0:
            raise ValueError("requests per second cannot be negative")
        if requests_per_second == 0:
            self.loads.pop((namespace, kind, name), None)
        else:
            self.loads[(namespace, kind, name)] = float(requests_per_second)

    def load(self, namespace: str, kind: str, name: str) -> float:
        return self.loads.get((namespace, kind, name), 0.0)

    # the queue ----------------------------------------------------------------------------------------------
    def queue(self, namespace: str, list_name: str) -> Queue:
        key = (namespace, list_name)
        if key not in self.queues:
            self.queues[key] = Queue(settled_at=self.clock.now())
        self._settle(key)
        return self.queues[key]

    def push(self, namespace: str, list_name: str, count: int) -> int:
        if count < 0:
            raise ValueError("the number of orders cannot be negative")
        queue = self.queue(namespace, list_name)
        queue.length += count
        return self.queue_length(namespace, list_name)

    def queue_length(self, namespace: str, list_name: str) -> int:
        """LLEN: whole orders still waiting (one being processed is off the list)."""
        return int(self.queue(namespace, list_name).length)

    def set_inflow(self, namespace: str, list_name: str, per_second: float) -> None:
        if per_second < 0:
            raise ValueError("the inflow cannot be negative")
        self.queue(namespace, list_name).inflow_per_second = float(per_second)

    def set_consumer(self, namespace: str, list_name: str, deployment: str, consumes: bool = True) -> None:
        queue = self.queue(namespace, list_name)
        (queue.consumers.add if consumes else queue.consumers.discard)(deployment)
        self._settle((namespace, list_name))

    def clear(self, namespace: str) -> None:
        """Forget the load and the queues of a namespace (a reset, or the namespace deleted)."""
        self.loads = {k: v for k, v in self.loads.items() if k[0] != namespace}
        self.queues = {k: v for k, v in self.queues.items() if k[0] != namespace}

    def _settle(self, key: tuple[str, str]) -> None:
        """Advance one queue to now at the rates of the last interval, then measure its consumers afresh."""
        queue, now = self.queues[key], self.clock.now()
        elapsed = max(0.0, now - queue.settled_at)
        queue.length = max(0.0, queue.length + (queue.inflow_per_second - queue.draining) * elapsed)
        queue.settled_at = now
        pods = self._consumer_pods(*key, queue)
        queue.consumer_pods = frozenset(p["metadata"]["name"] for p in pods)
        queue.draining = float(sum(_drain_rate(pod, key[1]) for pod in pods))

    def _on_write(self, event_type: str, storage_key: str, load) -> None:
        if storage_key == "namespaces" and event_type == "DELETED":
            self.clear(load()["metadata"]["name"])
        elif storage_key in ("pods", "keda.sh/scaledobjects") and self.queues:
            for key in list(self.queues):
                self._settle(key)

    # who drains a queue -------------------------------------------------------------------------------------
    def _consumer_pods(self, namespace: str, list_name: str, queue: Queue) -> list[dict]:
        deployments = {(namespace, name) for name in queue.consumers} | self._scaled_consumers(namespace, list_name)
        found = {}
        for ns in {ns for ns, _ in deployments} | {namespace}:
            pods = [p for p in self._items(PODS, ns) if is_running_and_ready(p) and not p["metadata"].get(
                "deletionTimestamp")]
            selectors = [self._selector("Deployment", ns, name) for n, name in deployments if n == ns]
            for pod in pods:
                pod_labels = pod["metadata"].get("labels") or {}
                if any(s is not None and s.matches(pod_labels) for s in selectors) or _is_worker(pod, list_name):
                    found[(ns, pod["metadata"]["name"])] = pod
        return list(found.values())

    def _scaled_consumers(self, namespace: str, list_name: str) -> set[tuple[str, str]]:
        from sandbox.autoscaling import keda  # the ScaledObjects that scale a Deployment on this list
        consumers = set()
        for so in self._items(SCALED_OBJECTS, None):
            try:
                triggers = keda.triggers(so)
            except keda.TriggerError:
                continue
            if any(t.namespace == namespace and t.list_name == list_name for t in triggers):
                consumers.add((so["metadata"]["namespace"], keda.scale_target(so)[2]))
        return consumers

    # metrics.k8s.io -----------------------------------------------------------------------------------------
    def pod_metrics(self, namespace: str | None) -> list[dict]:
        """PodMetrics for the running pods (after their first scrape) of a namespace, or of all namespaces."""
        stamp = self.clock.timestamp()
        return [_pod_metrics(pod, containers, stamp) for pod, containers in self._usage(namespace)]

    def node_metrics(self) -> list[dict]:
        per_node: dict[str, list[float]] = {}
        for pod, containers in self._usage(None):
            total = per_node.setdefault(pod["spec"]["nodeName"], [0.0, 0.0])
            total[0] += sum(cpu for _, cpu, _ in containers)
            total[1] += sum(mem for _, _, mem in containers)
        stamp = self.clock.timestamp()
        return [_node_metrics(node, per_node.get(node["metadata"]["name"], (0.0, 0.0)), stamp)
                for node in self._items(NODES, None)]

    def _usage(self, namespace: str | None) -> list[tuple[dict, list[tuple[str, float, float]]]]:
        """(pod, [(container, millicores, MiB)]) for every pod metrics-server would have scraped."""
        per_pod, busy = self._requests_per_pod(namespace), self._busy_pods()
        usage = []
        for pod in self._items(PODS, namespace):
            if self.runs_processes is not None and self.runs_processes(pod):
                measured = self.measured_usage(pod)
                if measured is not None:
                    usage.append((pod, measured))
            elif self._scraped(pod):
                key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
                usage.append((pod, self._container_usage(pod, per_pod.get(key, 0.0), key in busy)))
        return usage

    def _scraped(self, pod: dict) -> bool:
        status = pod.get("status", {})
        start = epoch(status.get("startTime"))
        if status.get("phase") != "Running" or start is None or not pod.get("spec", {}).get("nodeName"):
            return False
        return (time.time() - start) * self.clock.time_scale >= FIRST_SAMPLE_AFTER

    def _requests_per_pod(self, namespace: str | None) -> dict[tuple[str, str], float]:
        shares: dict[tuple[str, str], float] = {}
        for (ns, kind, name), rps in self.loads.items():
            if namespace is not None and ns != namespace:
                continue
            selector = self._selector(kind, ns, name)
            if selector is None:
                continue
            serving = [p for p in self._items(PODS, ns) if is_running_and_ready(p) and not p["metadata"].get(
                "deletionTimestamp") and selector.matches(p["metadata"].get("labels") or {})]
            for pod in serving:
                key = (ns, pod["metadata"]["name"])
                shares[key] = shares.get(key, 0.0) + rps / len(serving)
        return shares

    def _busy_pods(self) -> set[tuple[str, str]]:
        busy = set()
        for namespace, list_name in list(self.queues):
            queue = self.queue(namespace, list_name)
            if queue.length >= 1 or queue.inflow_per_second > 0:
                busy |= {(namespace, name) for name in queue.consumer_pods}
        return busy

    def _container_usage(self, pod: dict, requests_per_second: float, busy: bool) -> list[tuple[str, float, float]]:
        p, usage = self.profile, []
        for i, c in enumerate(pod.get("spec", {}).get("containers") or []):
            cpu, mem = p.base_millicores, p.base_mebibytes
            if c.get("ports"):
                cpu += p.millicores_per_request * requests_per_second
                mem += p.mebibytes_per_request * requests_per_second
            if busy and i == 0:
                cpu, mem = cpu + p.busy_millicores, mem + p.busy_mebibytes
            usage.append((c["name"], cpu, mem))
        return usage

    def _selector(self, kind: str, namespace: str, name: str):
        try:
            obj = self.registry.get(LOAD_KINDS[kind], namespace, name)
        except Exception:  # noqa: BLE001 - a target that does not exist (yet) selects nothing
            return None
        if kind == "Service":
            selector = obj.get("spec", {}).get("selector")
            return labels.selector_from_set(selector) if selector else None
        return labels.from_label_selector(obj.get("spec", {}).get("selector"))

    def _items(self, rt, namespace: str | None) -> list[dict]:
        return self.registry.list(rt, namespace)["items"]


def _is_worker(pod: dict, list_name: str) -> bool:
    for c in pod.get("spec", {}).get("containers") or []:
        env = {e.get("name"): e.get("value") for e in c.get("env") or []}
        if env.get("QUEUE_NAME") == list_name and not c.get("ports"):
            return True
    return False


def _drain_rate(pod: dict, list_name: str) -> float:
    """Orders per second one ready worker processes: 1 / WORKER_DELAY_SECONDS when the container says so."""
    for c in pod.get("spec", {}).get("containers") or []:
        env = {e.get("name"): e.get("value") for e in c.get("env") or []}
        try:
            delay = float(env["WORKER_DELAY_SECONDS"])
        except (KeyError, TypeError, ValueError):
            continue
        return MAX_DRAIN_PER_POD if delay <= 0 else min(MAX_DRAIN_PER_POD, 1.0 / delay)
    return DEFAULT_DRAIN_PER_POD


def _pod_metrics(pod: dict, containers: list[tuple[str, float, float]], stamp: str) -> dict:
    meta = pod["metadata"]
    return {"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"], "creationTimestamp": stamp,
                         "labels": dict(meta.get("labels") or {})},
            "timestamp": stamp, "window": METRICS_WINDOW,
            "containers": [{"name": name, "usage": {"cpu": quantities.format_nanocores(round(cpu * 1e6)),
                                                    "memory": quantities.format_memory(round(mem * 2**20))}}
                           for name, cpu, mem in containers]}


def _node_metrics(node: dict, pods_usage, stamp: str) -> dict:
    meta = node["metadata"]
    role = "control-plane" if "node-role.kubernetes.io/control-plane" in (meta.get("labels") or {}) else "worker"
    cpu, mem = (base + pods for base, pods in zip(SYSTEM_USAGE[role], pods_usage))
    return {"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": meta["name"], "creationTimestamp": stamp, "labels": dict(meta.get("labels") or {})},
            "timestamp": stamp, "window": "20.05s",
            "usage": {"cpu": quantities.format_nanocores(round(cpu * 1e6)),
                      "memory": quantities.format_memory(round(mem * 2**20))}}


def attach(registry, clock) -> WorkloadModel:
    """The registry's workload model, created on first use (the HPA and ScaledObject controllers both call this)."""
    if not isinstance(registry.metrics_provider, WorkloadModel):
        registry.metrics_provider = WorkloadModel(registry, clock)
    return registry.metrics_provider
