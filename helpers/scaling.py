"""Chapter 06: make load on the API, and watch the autoscalers answer.

    generate_load(200)             # a load-generator pod POSTs 200 orders/s to the API's Service
    stop_load()                    # deletes it
    wait_for_autoscaler()          # the HPA has read its metrics (or the ScaledObject is ready)
    explain_hpa()                  # the HPA's arithmetic, with the numbers it reports now

The orders and the queue (enqueue_orders, queue_length, wait_for_queue, clear_queue) are in helpers.orders;
watch_scaling() (helpers.scaling_watch) draws replicas and the metric over time while the autoscaler works.

The load is real on the sandbox and on kind alike: a pod running the app's own load generator (`python -m app.load`,
helpers/load_jobs.py) sends orders to the Service, the API's containers spend real CPU on them, and the HPA reads
that CPU from metrics.k8s.io (the sandbox measures its processes; on kind, metrics-server). Only on a sandbox
started with `--runtime simulated` is the load a number set in its workload model, and what these helpers print
says "[simulation]".
"""
from __future__ import annotations

from kubernetes.client.exceptions import ApiException

from . import hpa_math, load_jobs
from .cluster import Connection, current, friendly
from .errors import WorkshopError
from .orders import ORDER as ORDER  # re-exported: the accepted order the order sender Job's tests send
from .orders import QUEUE_LIST, QUEUE_SERVICE, number, redis_cli
from .progress import Progress, quietly
from .reach import API, read_service
from .simulation import is_simulated, quiet_simulation, simulation
from .wait import State, finish_wait, wait_for_deleted, wait_for_pods, watch_until

POD_TIMEOUT = 300.0


def quiet_workload(conn: Connection, namespace: str) -> None:
    """No load and no waiting orders left over from an earlier run, so a chapter starts quiet (ensure_chapter and
    reset call this): the load generator's pod deleted, and the Redis list emptied when the queue is running.
    On a --runtime simulated sandbox: every simulated load stopped, every simulated queue emptied."""
    if is_simulated(conn):
        quiet_simulation(conn, namespace)
        return
    _delete_load_generator(conn, namespace)
    queue = conn.api.read("apps/v1", "Deployment", QUEUE_SERVICE, namespace)
    if ((queue or {}).get("status") or {}).get("readyReplicas"):
        redis_cli(conn, namespace, "DEL", QUEUE_LIST)


# --- load on the API ----------------------------------------------------------------------------------------------

def load_order(amount: float) -> dict:
    """The order the load generator sends: the refused one of load_jobs unless another amount is asked for."""
    amount = number(amount, "the amount of the load's orders", positive=True)
    return {**load_jobs.REFUSED_ORDER, "amount": amount}


def load_words(order: dict) -> str:
    """What the load's orders do, for the message generate_load() prints."""
    if order["amount"] > load_jobs.ORDER_LIMIT:
        return (f"Their amount, {order['amount']:g}, is over the validator's limit of {load_jobs.ORDER_LIMIT}: "
                f"each is refused (400), so none is queued.")
    return f"Their amount, {order['amount']:g}, is accepted: each is queued (clear_queue() throws them away)."


@friendly
def generate_load(rps: float, target: str = API, *, amount: float = load_jobs.REFUSED_ORDER["amount"],
                  namespace: str | None = None) -> None:
    """Send `rps` orders per second to the Service `target` (the API's LoadBalancer Service) until stop_load().

    A pod running the app's load generator (`python -m app.load`) POSTs them; the API and its validator sidecar
    spend real CPU on each, which the HPA sees. By default the orders ask for 1000 keyboards, over the validator's
    limit: each costs the pod the work of an order and is refused, so nothing piles up on the queue.
    `amount=42` sends orders the API accepts and queues. Calling it again changes the rate.

    On a sandbox started with --runtime simulated, the rate is set in the sandbox's workload model instead.
    """
    conn = current()
    namespace = namespace or conn.namespace
    rps = number(rps, "requests per second")
    order = load_order(amount)
    _, port = read_service(conn, namespace, target)
    if is_simulated(conn):
        simulation(conn, "PUT", f"{namespace}/load/services/{target}", {"requestsPerSecond": rps})
        print(f"[simulation] {rps:g} requests/s offered to service/{target}: the sandbox's workload model turns "
              f"them into CPU and memory on its ready pods (nothing is sent).")
        return
    _delete_load_generator(conn, namespace)
    if rps == 0:
        print(f"no load on service/{target}")
        return
    _create(conn, load_jobs.load_pod(rps, target, port, namespace, order))
    with quietly():
        wait_for_pods(load_jobs.LOAD_SELECTOR, count=1, namespace=namespace, timeout=POD_TIMEOUT)
    print(f"pod/{load_jobs.LOAD_POD} running: it POSTs {rps:g} orders/s to "
          f"{load_jobs.service_url(target, port, '/api/orders')} until stop_load(). {load_words(order)} "
          f"Its log: kubectl logs {load_jobs.LOAD_POD}")


@friendly
def stop_load(target: str = API, *, namespace: str | None = None) -> None:
    """Stop the load generate_load() started."""
    conn = current()
    namespace = namespace or conn.namespace
    if is_simulated(conn):
        simulation(conn, "PUT", f"{namespace}/load/services/{target}", {"requestsPerSecond": 0})
        print(f"[simulation] no more requests offered to service/{target}.")
        return
    gone = _delete_load_generator(conn, namespace)
    print(f"pod/{load_jobs.LOAD_POD} {'deleted: the load stopped' if gone else 'was not running'}.")


def _create(conn: Connection, obj: dict) -> dict:
    res = conn.api.resource(obj["apiVersion"], obj["kind"])
    return conn.api.request("POST", res.path(obj["metadata"]["namespace"]), body=obj,
                            params={"fieldManager": "workshop"})


def _delete_load_generator(conn: Connection, namespace: str) -> bool:
    """Delete the load generator's pod and wait until it is gone (SIGTERM: it logs its final summary first)."""
    res = conn.api.resource("v1", "Pod")
    try:
        conn.api.request("DELETE", res.path(namespace, load_jobs.LOAD_POD))
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    with quietly():
        wait_for_deleted("pods", load_jobs.LOAD_POD, namespace=namespace, timeout=POD_TIMEOUT)
    return True


# --- the autoscalers ------------------------------------------------------------------------------------------------

def _conditions(obj: dict | None) -> dict[str, dict]:
    return {c.get("type"): c for c in ((obj or {}).get("status") or {}).get("conditions") or []}


def hpa_state(hpa: dict | None, name: str) -> State:
    """Done once the HPA has computed a replica count from every one of its metrics (kubectl's TARGETS shows no
    <unknown>): its first status may carry only the metrics it could read so far."""
    if hpa is None:
        return State(False, 0, 1, f"waiting for horizontalpodautoscaler/{name} to be created")
    active = _conditions(hpa).get("ScalingActive") or {}
    metrics = hpa_math.proposals(hpa["spec"], hpa.get("status") or {})
    wanted = len((hpa.get("spec") or {}).get("metrics") or [])
    if active.get("status") == "True" and metrics and len(metrics) >= wanted:
        shown = ", ".join(f"{p.label} {hpa_math.number(p.current)}{'%' if p.percent else ''}/"
                          f"{hpa_math.number(p.target)}{'%' if p.percent else ''}" for p in metrics)
        return State(True, 1, 1, f"horizontalpodautoscaler/{name} reads its metrics: {shown}")
    why = f": {active.get('reason')}: {active.get('message')}" if active.get("status") == "False" else ""
    return State(False, 0, 1, f"horizontalpodautoscaler/{name} has no metrics yet{why}")


def scaled_object_state(so: dict | None, name: str) -> State:
    if so is None:
        return State(False, 0, 1, f"waiting for scaledobject/{name} to be created")
    ready = _conditions(so).get("Ready") or {}
    if ready.get("status") == "True":
        hpa = (so.get("status") or {}).get("hpaName")
        return State(True, 1, 1, f"scaledobject/{name} is ready (KEDA owns hpa/{hpa})")
    return State(False, 0, 1, f"scaledobject/{name} is not ready yet: {ready.get('message', 'not processed by KEDA')}")


@friendly
def wait_for_autoscaler(name: str = API, *, kind: str = "HorizontalPodAutoscaler", namespace: str | None = None,
                        timeout: float = 180) -> None:
    """Wait until an HPA reads its metrics, or (kind="ScaledObject") until KEDA says the ScaledObject is ready and,
    while no event is waiting (not active), has put its Deployment at minReplicaCount.

    wait_for_autoscaler()                                         # the API's HPA
    wait_for_autoscaler(WORKER, kind="ScaledObject")              # the worker's ScaledObject
    """
    conn = current()
    namespace = namespace or conn.namespace
    api_version, check = {"HorizontalPodAutoscaler": ("autoscaling/v2", hpa_state),
                          "ScaledObject": ("keda.sh/v1alpha1", scaled_object_state)}.get(kind, (None, None))
    if check is None:
        raise WorkshopError(f"kind must be HorizontalPodAutoscaler or ScaledObject, not {kind!r}")
    progress = Progress(f"{kind.lower()}/{name}")
    state, objects = watch_until(conn, api_version, kind, namespace, lambda objs: check(objs.get(name), name),
                                 timeout=timeout, progress=progress, field_selector=f"metadata.name={name}")
    hint = ("on a real cluster the HPA reads metrics.k8s.io: is metrics-server running? "
            "(kubectl get apiservice v1beta1.metrics.k8s.io)" if kind == "HorizontalPodAutoscaler"
            else "is KEDA installed and running? (kubectl get pods -n keda)")
    if state.done and kind == "HorizontalPodAutoscaler" and is_simulated(conn):
        state.message = f"[simulation] {state.message} (of the sandbox's workload model)"
    finish_wait(progress, state, f"{kind.lower()}/{name}", timeout, lambda: [hint])
    if kind == "ScaledObject":
        _wait_for_idle_minimum(conn, objects[name], namespace, timeout)


def idle_target_state(deployment: dict | None, name: str, minimum: int) -> State:
    """Done once an idle ScaledObject's Deployment is at its minimum: wanted and counted (pure)."""
    if deployment is None:
        return State(False, 0, 1, f"waiting for deployment/{name}")
    have = ((deployment.get("status") or {}).get("replicas") or 0, (deployment.get("spec") or {}).get("replicas", 1))
    if have == (minimum, minimum):
        return State(True, 1, 1, f"deployment/{name} is at minReplicaCount, {minimum} replicas: no event waits")
    return State(False, 0, 1, f"deployment/{name}: {have[1]} replicas wanted, {have[0]} counted; KEDA brings it to "
                              f"minReplicaCount {minimum}")


def _wait_for_idle_minimum(conn: Connection, so: dict, namespace: str, timeout: float) -> None:
    """A ScaledObject that is not active puts its target at minReplicaCount: wait for it, and say so."""
    if (_conditions(so).get("Active") or {}).get("status") == "True":
        return
    spec = so.get("spec") or {}
    target, minimum = (spec.get("scaleTargetRef") or {}).get("name", ""), spec.get("minReplicaCount", 0)
    progress = Progress(f"deployment/{target} at its minimum")
    state, _ = watch_until(conn, "apps/v1", "Deployment", namespace,
                           lambda objs: idle_target_state(objs.get(target), target, minimum), timeout=timeout,
                           progress=progress, field_selector=f"metadata.name={target}")
    finish_wait(progress, state, f"deployment/{target}", timeout, lambda: [
        "is KEDA running? (kubectl get pods -n keda); kubectl describe scaledobject " + so["metadata"]["name"]])


@friendly
def explain_hpa(name: str = API, *, namespace: str | None = None) -> None:
    """Print the HPA's arithmetic with the numbers its status reports now: each metric's proposal, then the result.

    desired replicas = ceil(current replicas × current value / target value), per metric; the highest wins.
    """
    conn = current()
    namespace = namespace or conn.namespace
    hpa = conn.api.read("autoscaling/v2", "HorizontalPodAutoscaler", name, namespace)
    if hpa is None:
        raise WorkshopError(f'horizontalpodautoscaler "{name}" not found in namespace {namespace}')
    status = hpa.get("status") or {}
    print(f"{'[simulation] ' if is_simulated(conn) else ''}horizontalpodautoscaler/{name}: "
          f"{status.get('currentReplicas', 0)} replicas now")
    for line in hpa_math.explain(hpa["spec"], status):
        print(line)
