"""What `kubectl top` and a HorizontalPodAutoscaler read, and waiting until they can read it (chapter 06).

    wait_for_metrics()                              # every running pod of your namespace is measured
    wait_for_metrics("service=api")                 # only these pods
    wait_for_hpa_status("containo-orders-frontend") # the HPA controller has judged the HPA: a count, or why not

The metrics API (metrics.k8s.io) is served by metrics-server on a real cluster. It scrapes every kubelet every
15 seconds and reports a pod once it has two scrapes to compute a CPU rate from: a pod that just started has no
metrics yet (`kubectl top` says "metrics not available yet", and an HPA cannot count it). The sandbox measures its
pods' processes the same way. These waits exist so that what you look at next is complete; they print one line.
"""
from __future__ import annotations

import time

from kubernetes.client.exceptions import ApiException

from sandbox.machinery.podutil import condition

from . import selectors
from .cluster import Connection, current, friendly
from .progress import Progress
from .scaling import hpa_state
from .simulation import is_simulated
from .wait import State, finish_wait, watch_until

POLL_SECONDS = 0.5  # metrics are not objects one can watch: they are read again this often
METRICS_HINT = ("the metrics API is served by metrics-server: is it running? "
                "kubectl get apiservice v1beta1.metrics.k8s.io")
# What an HPA says while its pods are not measured yet: waiting mends it (any other verdict is the HPA's answer).
NOT_MEASURED_YET = ("no metrics returned from resource metrics API", "did not receive metrics for targeted pods")


def pod_metrics(conn: Connection, namespace: str) -> dict[str, dict] | None:
    """The metrics API's PodMetrics of a namespace by pod name; None while the API is not served (yet)."""
    try:
        found = conn.api.get(f"/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods")
    except ApiException as exc:
        if exc.status in (404, 503):
            return None
        raise
    return {item["metadata"]["name"]: item for item in found.get("items") or []}


def running_pods(pods: list[dict]) -> list[str]:
    """The pods metrics-server measures: running, and not on their way out."""
    return sorted(p["metadata"]["name"] for p in pods
                  if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp"))


def metrics_state(pods: list[str], measured: dict[str, dict] | None, where: str) -> State:
    """Done once every pod has metrics (pure)."""
    if measured is None:
        return State(False, 0, max(len(pods), 1), f"the metrics API does not answer yet ({where})")
    missing = [name for name in pods if name not in measured]
    have = len(pods) - len(missing)
    if pods and not missing:
        return State(True, have, len(pods), f"metrics.k8s.io reports CPU and memory for {have} "
                                             f"pod{'s' if have != 1 else ''} ({where})")
    if not pods:
        return State(False, 0, 1, f"no running pod ({where})")
    return State(False, have, len(pods), f"{have} of {len(pods)} pods measured ({where}); "
                                         f"waiting for {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")


@friendly
def wait_for_metrics(selector: str | dict | None = None, *, namespace: str | None = None,
                     timeout: float = 120) -> None:
    """Wait until the metrics API reports CPU and memory for every running pod (of a label selector, if given):
    what `kubectl top pods` and the HorizontalPodAutoscaler read.

    wait_for_metrics()                  # every running pod of your namespace
    wait_for_metrics("service=api")     # the API's pods only

    metrics-server reports a pod once it has scraped it twice (15 s apart): up to half a minute after it starts.
    """
    conn = current()
    namespace = namespace or conn.namespace
    query = selectors.to_query(selector)
    where = query or f"namespace {namespace}"
    progress = Progress(f"metrics of the pods ({where})")
    deadline = time.monotonic() + timeout
    while True:
        pods = running_pods(conn.api.items("v1", "Pod", namespace, label_selector=query))
        state = metrics_state(pods, pod_metrics(conn, namespace), where)
        progress.update(state.count, state.total, state.message)
        if state.done or time.monotonic() > deadline:
            break
        time.sleep(POLL_SECONDS)
    if state.done and is_simulated(conn):
        state.message = (f"[simulation] {state.message}: numbers of the sandbox's workload model, not measured "
                         f"(this sandbox runs with --runtime simulated)")
    finish_wait(progress, state, f"metrics of the pods ({where})", timeout, lambda: [METRICS_HINT])


def hpa_verdict(hpa: dict | None, name: str) -> State:
    """Done once the controller has judged the HPA with its pods measured (pure): it reads every metric
    (ScalingActive True), or it says why it cannot compute a replica count (ScalingActive False)."""
    if hpa is None:
        return State(False, 0, 1, f"waiting for horizontalpodautoscaler/{name} to be created")
    active = condition(hpa, "ScalingActive") or {}
    if not active:
        return State(False, 0, 1, f"horizontalpodautoscaler/{name}: not synced yet (its controller looks every 15 s)")
    if active.get("status") == "True":
        return hpa_state(hpa, name)
    message = active.get("message") or ""
    if any(words in message for words in NOT_MEASURED_YET):
        return State(False, 0, 1, f"horizontalpodautoscaler/{name}: its pods are not measured yet")
    return State(True, 1, 1, f"horizontalpodautoscaler/{name} cannot compute a replica count: "
                             f"ScalingActive=False {active.get('reason')}: {message}")


@friendly
def wait_for_hpa_status(name: str, *, namespace: str | None = None, timeout: float = 120) -> None:
    """Wait until the HorizontalPodAutoscaler controller has judged the HPA `name`, and print its verdict: the
    metrics it reads (ScalingActive=True), or why it cannot compute a replica count (ScalingActive=False, with the
    reason `kubectl describe hpa` shows). A new HPA is first looked at one sync period (15 s) after it is created.

    wait_for_hpa_status("containo-orders-frontend")
    """
    conn = current()
    namespace = namespace or conn.namespace
    progress = Progress(f"horizontalpodautoscaler/{name}")
    state, objects = watch_until(conn, "autoscaling/v2", "HorizontalPodAutoscaler", namespace,
                                 lambda objs: hpa_verdict(objs.get(name), name), timeout=timeout, progress=progress,
                                 field_selector=f"metadata.name={name}")
    if state.done and "reads its metrics" in state.message and is_simulated(conn):
        state.message = f"[simulation] {state.message} (of the sandbox's workload model)"
    finish_wait(progress, state, f"horizontalpodautoscaler/{name}", timeout, lambda: [
        METRICS_HINT if name in objects else f'horizontalpodautoscaler "{name}" does not exist in namespace {namespace}'])
