"""Chapter 06: make load, queue orders, and watch the autoscalers answer.

    generate_load(200)             # 200 requests/s to the API's Service
    stop_load()
    enqueue_orders(40)             # 40 orders onto the queue the worker drains
    queue_length()                 # orders waiting
    wait_for_queue()               # until the worker has taken every order off the queue
    clear_queue()                  # throw them away
    wait_for_autoscaler()          # the HPA has read its metrics (or the ScaledObject is ready)
    explain_hpa()                  # the HPA's arithmetic, with the numbers it reports now

watch_scaling() (helpers.scaling_watch) draws replicas and the metric over time while the autoscaler works.

On the sandbox nothing is sent anywhere: no container runs. The load and the orders are set in the sandbox's
workload model through its simulation API (/simulation/v1, not a Kubernetes API), and what these helpers print
says "[simulation]". On kind or a cluster you named they do the real thing: a load-generator pod POSTs orders to
the API's Service, a Job POSTs n real orders through it (both run `python -m app.load` from the app's image,
helpers/load_jobs.py), and the queue's length is read from Redis.
"""
from __future__ import annotations

import math
import re
import time

from kubernetes.client.exceptions import ApiException

from . import hpa_math, load_jobs
from .cluster import Connection, current, friendly
from .errors import WorkshopError
from .kubectl import command, find_kubectl, run
from .progress import Progress, quietly
from .wait import State, finish_wait, wait_for_deleted, wait_for_pods, watch_until

API = "containo-orders-frontend"  # the API's Deployment, HPA and LoadBalancer Service share this name
WORKER = "containo-orders-queue-processor"
QUEUE_SERVICE = "containo-orders-queue"  # its Deployment has the same name
QUEUE_LIST = "orders"
ORDER = {"amount": 42, "customerName": "Ada", "productId": "keyboard"}
SIMULATION = "/simulation/v1"
JOB_TIMEOUT = 300.0


def is_sandbox(conn: Connection) -> bool:
    return conn.cluster == "sandbox"


def simulation(conn: Connection, method: str, path: str, body: dict | None = None) -> dict:
    """One call to the sandbox's simulation API (namespaced path); 4xx/5xx raise ApiException with its Status."""
    try:
        return conn.api.request(method, f"{SIMULATION}/namespaces/{path}", body=body)
    except ApiException as exc:
        if exc.status == 404 and "could not find the requested resource" in (exc.body or ""):
            raise WorkshopError("This sandbox does not serve the simulation API (/simulation/v1): restart it "
                                "with a newer workshop (`workshop sandbox stop`, then connect() again).") from None
        raise


def sandbox_time_scale(conn: Connection) -> float | None:
    """The sandbox's simulated seconds per real second, as it reports it (None: a sandbox too old to say)."""
    try:
        return float(conn.api.request("GET", f"{SIMULATION}/clock")["timeScale"])
    except (ApiException, KeyError, TypeError, ValueError):
        return None


def quiet_workload(conn: Connection, namespace: str) -> None:
    """No load and no waiting orders left over from an earlier run, so a chapter starts quiet (ensure_chapter and
    reset call this). Sandbox: every simulated load stopped, every simulated queue emptied with nothing flowing
    in. Real cluster: the load generator's pod deleted, and the Redis list emptied when the queue is running."""
    if not is_sandbox(conn):
        _delete_load_generator(conn, namespace)
        queue = conn.api.read("apps/v1", "Deployment", QUEUE_SERVICE, namespace)
        if ((queue or {}).get("status") or {}).get("readyReplicas"):
            redis_cli(conn, namespace, "DEL", QUEUE_LIST)
        return
    for item in simulation(conn, "GET", f"{namespace}/load").get("items") or []:
        plural = {"Service": "services", "Deployment": "deployments"}[item["target"]["kind"]]
        simulation(conn, "PUT", f"{namespace}/load/{plural}/{item['target']['name']}", {"requestsPerSecond": 0})
    for queue in simulation(conn, "GET", f"{namespace}/queues").get("items") or []:
        list_name = queue["metadata"]["name"]
        if queue.get("ordersPerSecond"):
            simulation(conn, "PUT", f"{namespace}/queues/{list_name}", {"ordersPerSecond": 0})
        if queue.get("length"):
            simulation(conn, "DELETE", f"{namespace}/queues/{list_name}")


def _number(value, what: str, *, integer: bool = False, positive: bool = False) -> float:
    kinds = (int,) if integer else (int, float)
    if (isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) or value < 0
            or (positive and value == 0)):
        raise WorkshopError(f"{what} must be a {'positive' if positive else 'non-negative'} "
                            f"{'whole number' if integer else 'number'}, got {value!r}")
    return value


# --- load on the API ----------------------------------------------------------------------------------------------

@friendly
def generate_load(rps: float, target: str = API, *, namespace: str | None = None) -> None:
    """Send `rps` requests per second to the Service `target` (the API's LoadBalancer Service by default).

    Sandbox: the workload model spreads the simulated requests over the Service's ready pods, whose CPU and
    memory rise accordingly (nothing is sent). Real cluster: a pod running the app's load generator POSTs orders
    to the Service until stop_load(). Calling it again changes the rate.
    """
    conn = current()
    namespace = namespace or conn.namespace
    rps = _number(rps, "requests per second")
    port = service_port(conn, namespace, target)
    if is_sandbox(conn):
        simulation(conn, "PUT", f"{namespace}/load/services/{target}", {"requestsPerSecond": rps})
        print(f"[simulation] {rps:g} requests/s offered to service/{target}: the sandbox's workload model turns "
              f"them into CPU and memory on its ready pods (nothing is sent).")
        return
    _delete_load_generator(conn, namespace)
    if rps == 0:
        print(f"no load on service/{target}")
        return
    _create(conn, load_jobs.load_pod(rps, target, port, namespace))
    with quietly():
        wait_for_pods(load_jobs.LOAD_SELECTOR, count=1, namespace=namespace, timeout=JOB_TIMEOUT)
    print(f"pod/{load_jobs.LOAD_POD} running: it POSTs {rps:g} orders/s to "
          f"{load_jobs.service_url(target, port, '/api/orders')} until stop_load() (its log: kubectl logs "
          f"{load_jobs.LOAD_POD}).")


@friendly
def stop_load(target: str = API, *, namespace: str | None = None) -> None:
    """Stop the load generate_load() started."""
    conn = current()
    namespace = namespace or conn.namespace
    if is_sandbox(conn):
        simulation(conn, "PUT", f"{namespace}/load/services/{target}", {"requestsPerSecond": 0})
        print(f"[simulation] no more requests offered to service/{target}.")
        return
    gone = _delete_load_generator(conn, namespace)
    print(f"pod/{load_jobs.LOAD_POD} {'deleted: the load stopped' if gone else 'was not running'}.")


def service_port(conn: Connection, namespace: str, service: str) -> int:
    """The Service's first port (1337 for the API); a clear error when the Service does not exist."""
    found = conn.api.read("v1", "Service", service, namespace)
    if found is None:
        raise WorkshopError(f'service "{service}" not found in namespace {namespace} (chapter 05 creates the API\'s)')
    ports = (found.get("spec") or {}).get("ports") or []
    if not ports:
        raise WorkshopError(f'service "{service}" has no port to send requests to')
    return ports[0]["port"]


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
        wait_for_deleted("pods", load_jobs.LOAD_POD, namespace=namespace, timeout=JOB_TIMEOUT)
    return True


# --- orders on the queue ------------------------------------------------------------------------------------------

@friendly
def enqueue_orders(n: int, *, namespace: str | None = None) -> None:
    """Put `n` orders on the queue the worker drains.

    Sandbox: n simulated orders are pushed onto the Redis list `orders` behind the queue's Service.
    Real cluster: a Job POSTs n real orders (amount 42) to the API's Service, which validates and queues them.
    """
    conn = current()
    namespace = namespace or conn.namespace
    n = int(_number(n, "the number of orders", integer=True, positive=True))
    if is_sandbox(conn):
        queue = simulation(conn, "POST", f"{namespace}/queues/{QUEUE_LIST}/orders", {"count": n})
        print(f"[simulation] {n} orders pushed onto the Redis list {QUEUE_LIST!r} behind service/{QUEUE_SERVICE} "
              f"({queue['length']} waiting; nothing was sent through the API).")
        return
    port = service_port(conn, namespace, API)
    job = _create(conn, load_jobs.orders_job(n, ORDER, API, port, namespace))
    name = job["metadata"]["name"]
    _wait_for_job(conn, name, namespace)
    print(f"job.batch/{name} complete: {n} orders POSTed to "
          f"{load_jobs.service_url(API, port, '/api/orders')} and queued by the API.")


def job_state(job: dict | None, name: str) -> State:
    """Complete, Failed (waiting longer cannot help), or still running."""
    if job is None:
        return State(False, 0, 1, f"waiting for job/{name} to be created")
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") != "True":
            continue
        if condition.get("type") == "Complete":
            return State(True, 1, 1, f"job/{name} complete")
        if condition.get("type") == "Failed":
            why = condition.get("message") or condition.get("reason")
            return State(False, 0, 1, "", failed=f"job/{name} failed: {why} (see kubectl logs job/{name})")
    return State(False, 0, 1, f"job/{name} running")


def _wait_for_job(conn: Connection, name: str, namespace: str) -> None:
    progress = Progress(f"job/{name}")
    state, _ = watch_until(conn, "batch/v1", "Job", namespace, lambda jobs: job_state(jobs.get(name), name),
                           timeout=JOB_TIMEOUT, progress=progress, field_selector=f"metadata.name={name}")
    finish_wait(progress, state, f"job/{name}", JOB_TIMEOUT, lambda: [])


@friendly
def queue_length(list_name: str = QUEUE_LIST, *, namespace: str | None = None) -> int:
    """How many orders wait on the queue (Redis LLEN of the list)."""
    conn = current()
    namespace = namespace or conn.namespace
    if is_sandbox(conn):
        return int(simulation(conn, "GET", f"{namespace}/queues/{list_name}")["length"])
    return redis_llen(conn, namespace, list_name)


def queue_state(length: int, most: int, list_name: str) -> State:
    where = f"on the Redis list {list_name!r}"
    if length <= most:
        return State(True, 1, 1, f"no order waiting {where}" if length == 0 else f"{length} orders waiting {where}")
    return State(False, 0, 1, f"{length} orders waiting {where}" + (f" (waiting for at most {most})" if most else ""))


@friendly
def wait_for_queue(most: int = 0, list_name: str = QUEUE_LIST, *, namespace: str | None = None,
                   timeout: float = 180) -> None:
    """Wait until at most `most` orders wait on the queue: by default until the worker has drained it.

    A queue's length is not a Kubernetes object, so it cannot be watched: it is read again every moment (every
    0.2 s on the sandbox, every second through redis-cli on a real cluster) until the condition holds.
    """
    conn = current()
    namespace = namespace or conn.namespace
    most = int(_number(most, "the number of orders", integer=True))
    progress = Progress(f"the Redis list {list_name!r} to drain")
    deadline = time.monotonic() + timeout
    while True:
        state = queue_state(queue_length(list_name, namespace=namespace), most, list_name)
        progress.update(state.count, state.total, state.message)
        if state.done or time.monotonic() > deadline:
            break
        time.sleep(0.2 if is_sandbox(conn) else 1.0)  # the polling period of a condition nothing can watch
    hint = (f"is the worker running and ready? kubectl get deployment {WORKER}; "
            f"its log: kubectl logs deployment/{WORKER}")
    finish_wait(progress, state, f"the Redis list {list_name!r}", timeout, lambda: [hint])


@friendly
def clear_queue(list_name: str = QUEUE_LIST, *, namespace: str | None = None) -> None:
    """Throw away every order waiting on the queue (Redis DEL of the list): a fresh start for the chapter."""
    conn = current()
    namespace = namespace or conn.namespace
    if is_sandbox(conn):
        simulation(conn, "DELETE", f"{namespace}/queues/{list_name}")
        print(f"[simulation] the Redis list {list_name!r} behind service/{QUEUE_SERVICE} is empty.")
        return
    redis_cli(conn, namespace, "DEL", list_name)
    print(f"the Redis list {list_name!r} in deployment/{QUEUE_SERVICE} is empty.")


def redis_command(conn: Connection, namespace: str, *words: str) -> list[str]:
    """kubectl exec into the queue's Redis: `redis-cli <words>`."""
    return command(["exec", f"deployment/{QUEUE_SERVICE}", "-c", "redis", "--", "redis-cli", *words],
                   kubectl=find_kubectl(), context=conn.context, namespace=namespace, kubeconfig=conn.kubeconfig)


def redis_cli(conn: Connection, namespace: str, *words: str) -> int:
    """Run one redis-cli command in the queue's pod; its integer reply."""
    done = run(redis_command(conn, namespace, *words), timeout=30)
    match = re.search(r"-?\d+", done.stdout or "")
    if done.returncode != 0 or not match:
        raise WorkshopError(f"redis-cli {' '.join(words)} in deployment/{QUEUE_SERVICE} failed: "
                            f"{(done.stderr or done.stdout).strip()}")
    return int(match.group())


def redis_llen(conn: Connection, namespace: str, list_name: str) -> int:
    return redis_cli(conn, namespace, "LLEN", list_name)


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
    """Wait until an HPA reads its metrics, or (kind="ScaledObject") until KEDA says the ScaledObject is ready.

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
    finish_wait(progress, state, f"{kind.lower()}/{name}", timeout, lambda: [hint])


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
    print(f"horizontalpodautoscaler/{name}: {status.get('currentReplicas', 0)} replicas now")
    for line in hpa_math.explain(hpa["spec"], status):
        print(line)
