"""Waiting without sleeping: each wait lists the objects, then watches them until a condition holds.

Progress shows while waiting. On timeout the error says what is not ready and why (a pod Pending with the
scheduler's FailedScheduling message, a container in CrashLoopBackOff...), as `kubectl describe` would.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.machinery.podutil import is_ready

from . import diagnose, selectors
from .cluster import Connection, current, friendly
from .errors import TimedOut
from .list_watch import LISTED, WINDOW, list_watch
from .progress import Progress

DEFAULT_TIMEOUT = 180.0


@dataclass
class State:
    done: bool
    count: int  # how far along (ready pods, available replicas)
    total: int
    message: str
    failed: str = ""  # set when waiting longer cannot help (a rollout past its progress deadline)


def watch_until(conn: Connection, api_version: str, kind: str, namespace: str | None,
                check: Callable[[dict[str, dict]], State], *, timeout: float, progress: Progress,
                label_selector: str = "", field_selector: str = "") -> tuple[State, dict[str, dict]]:
    """Follow the objects (list, then watch: list_watch) in a name -> object map until `check` says done or
    failed, or `timeout` seconds pass; returns the last state and the map."""
    deadline = time.monotonic() + timeout
    path = conn.api.resource(api_version, kind).path(namespace)
    objects: dict[str, dict] = {}
    events = list_watch(conn.api, path, label_selector=label_selector, field_selector=field_selector,
                        window=lambda: min(max(deadline - time.monotonic(), 0.0), 60))
    for event in events:
        if event.type == LISTED:
            objects = {o["metadata"]["name"]: o for o in event.items}
        elif event.type == "DELETED":
            objects.pop(event.object["metadata"]["name"], None)
        elif event.type != WINDOW:
            objects[event.object["metadata"]["name"]] = event.object
        state = check(objects)
        progress.update(state.count, state.total, state.message)
        if state.done or state.failed or time.monotonic() >= deadline:
            events.close()
            return state, objects


def finish_wait(progress: Progress, state: State, what: str, timeout: float,
                explain: Callable[[], list[str]]) -> None:
    """End a watch_until() wait: the progress line says done, or TimedOut says what is still missing (`explain`
    lists the details, only computed on failure)."""
    if state.done:
        progress.finish(state.message)
        return
    progress.finish(state.message, ok=False)
    headline = state.failed or f"{what}: not done after {timeout:g}s. {state.message}"
    details = explain()
    raise TimedOut(headline + ("\nNot ready:\n  " + "\n  ".join(details) if details else ""))


def _pods_and_events(conn: Connection, namespace: str, label_selector: str) -> tuple[list[dict], list[dict]]:
    pods = conn.api.items("v1", "Pod", namespace, label_selector=label_selector)
    events = conn.api.items("v1", "Event", namespace)
    return pods, events


# --- deployments ------------------------------------------------------------------------------------------------

def rollout_state(deployment: dict | None, name: str) -> State:
    """kubectl rollout status's DeploymentStatusViewer, as a State."""
    if deployment is None:
        return State(False, 0, 1, f'Waiting for deployment "{name}" to be created...')
    spec, status, meta = deployment.get("spec") or {}, deployment.get("status") or {}, deployment["metadata"]
    desired = spec.get("replicas", 1)
    updated, available = status.get("updatedReplicas", 0), status.get("availableReplicas", 0)
    if meta.get("generation", 0) > status.get("observedGeneration", 0):
        return State(False, 0, desired, "Waiting for deployment spec update to be observed...")
    progressing = next((c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), {})
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return State(False, available, desired, "", failed=f'deployment "{name}" exceeded its progress deadline')
    prefix = f'Waiting for deployment "{name}" rollout to finish: '
    if updated < desired:
        return State(False, min(updated, available), desired,
                     prefix + f"{updated} out of {desired} new replicas have been updated...")
    if status.get("replicas", 0) > updated:
        return State(False, available, desired,
                     prefix + f"{status['replicas'] - updated} old replicas are pending termination...")
    if available < updated:
        return State(False, available, desired, prefix + f"{available} of {updated} updated replicas are available...")
    return State(True, desired, desired, f'deployment "{name}" successfully rolled out')


@friendly
def wait_for_rollout(name: str, *, namespace: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until deployment `name` has rolled out: every replica updated and available (kubectl rollout status).

    wait_for_rollout("containo-orders-frontend")
    """
    conn = current()
    namespace = namespace or conn.namespace
    progress = Progress(f"deployment/{name}")
    state, objects = watch_until(conn, "apps/v1", "Deployment", namespace,
                                 lambda objs: rollout_state(objs.get(name), name), timeout=timeout,
                                 progress=progress, field_selector=f"metadata.name={name}")

    def explain() -> list[str]:
        deployment = objects.get(name)
        if deployment is None:
            return [f'deployment "{name}" does not exist in namespace {namespace}']
        selector = selectors.to_query((deployment.get("spec") or {}).get("selector"))
        return diagnose.not_ready_report(*_pods_and_events(conn, namespace, selector)) or [
            "no pod is failing; the ReplicaSet may not have created them yet"]

    finish_wait(progress, state, f'deployment "{name}"', timeout, explain)


# --- pods -------------------------------------------------------------------------------------------------------

def pods_state(pods: dict[str, dict], count: int | None, selector: str, exact: bool = False) -> State:
    """Ready pods: at least `count` (all of them when None); `exact`: exactly that many and none terminating."""
    alive = [p for p in pods.values() if not p["metadata"].get("deletionTimestamp")]
    leaving = len(pods) - len(alive)
    ready = sum(1 for p in alive if is_ready(p))
    wanted = count if count is not None else max(len(alive), 1)
    if exact:
        done = ready == wanted == len(pods)
    else:
        done = ready >= wanted if count is not None else (alive and ready == len(alive))
    noun = "pod" if wanted == 1 else "pods"
    if done:
        message = f"{ready} {'pod' if ready == 1 else 'pods'} ready ({selector})"
    elif exact and leaving:
        message = (f"{ready} of {wanted} {noun} ready; {leaving} terminating "
                   f"{'pod' if leaving == 1 else 'pods'} still there ({selector})")
    elif exact and len(alive) > wanted:
        message = f"{len(alive)} pods where {wanted} {'is' if wanted == 1 else 'are'} wanted ({selector})"
    else:
        message = f"{ready} of {wanted} {noun} ready ({selector})"
    return State(bool(done), ready, wanted, message)


@friendly
def wait_for_pods(selector: str | dict, *, count: int | None = None, exact: bool = False,
                  namespace: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until the pods matching a label selector are Ready (all of them, or at least `count`).

    wait_for_pods("service=cache")
    wait_for_pods({"app": "containo", "service": "api"}, count=3)
    wait_for_pods("service=api", count=2, exact=True)   # exactly 2, ready, and the pods scaled away are gone
    """
    conn = current()
    namespace = namespace or conn.namespace
    query = selectors.to_query(selector)
    progress = Progress(f"pods {query}")
    state, objects = watch_until(conn, "v1", "Pod", namespace, lambda objs: pods_state(objs, count, query, exact),
                                 timeout=timeout, progress=progress, label_selector=query)

    def explain() -> list[str]:
        if not objects:
            return [f"no pod in namespace {namespace} matches {query}"]
        events = conn.api.items("v1", "Event", namespace)
        return diagnose.not_ready_report(list(objects.values()), events)

    finish_wait(progress, state, f"pods {query}", timeout, explain)


def wait_for_settled(name: str, *, namespace: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until deployment `name` has exactly the pods it asks for now, all ready and none terminating: what a
    listing right after a rollout or a restart should show. Its replicas are read at every step (an autoscaler may
    move them meanwhile: KEDA takes an idle worker to zero)."""
    conn = current()
    namespace = namespace or conn.namespace
    deployment = conn.api.read("apps/v1", "Deployment", name, namespace)
    selector = selectors.to_query(((deployment or {}).get("spec") or {}).get("selector"))
    if not selector:
        return
    progress = Progress(f"pods of deployment/{name}")

    def check(pods: dict[str, dict]) -> State:
        live = conn.api.read("apps/v1", "Deployment", name, namespace) or {}
        return pods_state(pods, (live.get("spec") or {}).get("replicas", 1), selector, exact=True)

    state, objects = watch_until(conn, "v1", "Pod", namespace, check, timeout=timeout, progress=progress,
                                 label_selector=selector)
    finish_wait(progress, state, f"pods of deployment {name}", timeout,
                lambda: diagnose.not_ready_report(*_pods_and_events(conn, namespace, selector)))


# --- deletion ---------------------------------------------------------------------------------------------------

@friendly
def wait_for_deleted(kind: str, name: str | None = None, *, selector: str | dict | None = None,
                     namespace: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until an object (or every object matching a selector) is gone.

    wait_for_deleted("pod", "containo-orders-frontend-5d9c7-x2x9q")
    wait_for_deleted("pods", selector="service=cache")
    wait_for_deleted("namespace", "containo")
    """
    conn = current()
    spec = conn.api.named(kind)
    namespace = (namespace or conn.namespace) if spec.namespaced else None
    query = selectors.to_query(selector)
    what = f"{spec.kind.lower()}/{name}" if name else f"{spec.plural} {query}".strip()
    progress = Progress(f"{what} to be deleted")

    def check(objs: dict[str, dict]) -> State:
        left = len(objs)
        return State(left == 0, 0 if left else 1, 1,
                     f"{what} deleted" if left == 0 else f"waiting for {left} {spec.plural} to be deleted")

    state, objects = watch_until(conn, spec.api_version, spec.kind, namespace, check, timeout=timeout,
                                 progress=progress, label_selector=query,
                                 field_selector=f"metadata.name={name}" if name else "")

    def explain() -> list[str]:
        lines = []
        for obj in objects.values():
            meta = obj["metadata"]
            blockers = ", ".join(meta.get("finalizers") or []) or "none"
            lines.append(f"{spec.kind.lower()} {meta['name']}: "
                         f"{'deleting' if meta.get('deletionTimestamp') else 'not being deleted'}, "
                         f"finalizers: {blockers}")
        return lines

    finish_wait(progress, state, f"deleting {what}", timeout, explain)


# --- services ---------------------------------------------------------------------------------------------------

def ready_endpoints(slices: list[dict]) -> list[str]:
    """Addresses of ready endpoints (a missing `ready` condition counts as ready, as kube-proxy does)."""
    out = []
    for es in slices:
        for endpoint in es.get("endpoints") or []:
            if (endpoint.get("conditions") or {}).get("ready") is not False:
                out.extend(endpoint.get("addresses") or [])
    return sorted(set(out))


@friendly
def wait_for_endpoints(service: str, *, count: int = 1, namespace: str | None = None,
                       timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until a Service has at least `count` ready endpoints (pods it can send traffic to).

    wait_for_endpoints("containo-orders-cache-service")
    """
    conn = current()
    namespace = namespace or conn.namespace
    progress = Progress(f"endpoints of service/{service}")

    def check(objs: dict[str, dict]) -> State:
        n = len(ready_endpoints(list(objs.values())))
        return State(n >= count, n, count, f"service/{service} has {n} ready endpoint{'s' if n != 1 else ''}")

    state, _ = watch_until(conn, "discovery.k8s.io/v1", "EndpointSlice", namespace, check, timeout=timeout,
                           progress=progress, label_selector=f"kubernetes.io/service-name={service}")
    finish_wait(progress, state, f"service/{service}", timeout, lambda: _service_report(conn, namespace, service))


def _service_report(conn: Connection, namespace: str, service: str) -> list[str]:
    svc = conn.api.read("v1", "Service", service, namespace)
    if svc is None:
        return [f"service {service} does not exist in namespace {namespace}"]
    selector = (svc.get("spec") or {}).get("selector") or {}
    if not selector:
        return [f"service {service} has no selector: its endpoints must be managed by hand"]
    query = selectors.to_query(selector)
    pods, events = _pods_and_events(conn, namespace, query)
    if not pods:
        return [f"the selector {query} of service {service} matches no pod"]
    return diagnose.not_ready_report(pods, events)


@friendly
def wait_for_load_balancer(service: str, *, namespace: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until a LoadBalancer Service has an external address.

    wait_for_load_balancer("containo-orders-frontend")
    """
    conn = current()
    namespace = namespace or conn.namespace
    progress = Progress(f"an external IP for service/{service}")

    def check(objs: dict[str, dict]) -> State:
        svc = objs.get(service)
        ingress = (((svc or {}).get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        addresses = [i.get("ip") or i.get("hostname") for i in ingress]
        if addresses:
            return State(True, 1, 1, f"service/{service} has an external address")
        kind = ((svc or {}).get("spec") or {}).get("type", "ClusterIP")
        if svc and kind != "LoadBalancer":  # waiting cannot help: say so at once
            return State(False, 0, 1, f"service/{service} is of type {kind}",
                         failed=f"service/{service} is of type {kind}, not LoadBalancer: it gets no external "
                                f"address (set spec.type: LoadBalancer)")
        return State(False, 0, 1, f"service/{service}: EXTERNAL-IP <pending>" if svc else
                     f"waiting for service/{service} to be created")

    state, objects = watch_until(conn, "v1", "Service", namespace, check, timeout=timeout, progress=progress,
                                 field_selector=f"metadata.name={service}")

    def explain() -> list[str]:
        svc = objects.get(service)
        if svc is None:
            return [f"service {service} does not exist in namespace {namespace}"]
        kind = (svc.get("spec") or {}).get("type", "ClusterIP")
        if kind != "LoadBalancer":
            return [f"service {service} is of type {kind}, not LoadBalancer"]
        return ["no load-balancer provider assigned an address. On kind, `workshop up --kind` runs "
                "cloud-provider-kind; without it, use `kubectl port-forward service/" + service + " 1337:1337`"]

    finish_wait(progress, state, f"service/{service}", timeout, explain)
