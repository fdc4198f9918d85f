"""Orders and the queue they wait on, the same way on the sandbox and on kind.

    enqueue_orders(40)             # 40 real orders POSTed through the API's LoadBalancer Service, queued by the API
    wait_for_order(url)            # GET a confirmation until the worker has processed it (404 until then)
    queue_length()                 # orders waiting: LLEN of the Redis list, through kubectl exec and redis-cli
    wait_for_queue()               # until the workers have taken every order off the list
    clear_queue()                  # DEL the list: a fresh start

The orders travel as a client's do: from this machine to the Service's external address (helpers.reach), through
the API, which asks its validator sidecar and pushes the order onto the queue Redis, where the worker finds it.
The queue is read inside its own pod (`kubectl exec deployment/containo-orders-queue -- redis-cli ...`): the list
is not reachable from outside the cluster, which is the point of a ClusterIP Service.

Only on a sandbox started with `--runtime simulated` (nothing runs there) do these helpers use its workload model
instead, and say "[simulation]" (helpers.simulation).
"""
from __future__ import annotations

import math
import re
import time
from collections import Counter

from .cluster import Connection, current, friendly
from .errors import WorkshopError
from .kubectl import command_for, run
from .progress import Progress
from .reach import API, http_request, reach_service
from .simulation import is_simulated, simulation
from .wait import State, finish_wait

WORKER = "containo-orders-queue-processor"
QUEUE_SERVICE = "containo-orders-queue"  # its Deployment has the same name; the Redis container is "redis"
QUEUE_LIST = "orders"
ORDER = {"amount": 42, "customerName": "Ada", "productId": "keyboard"}  # one the validator accepts (limit 100)
POLL_SECONDS = 0.5  # how often a length or a confirmation is read again: neither is an object one can watch
WORKER_HINT = (f"is the worker running and ready? kubectl get deployment {WORKER}; "
               f"its log: kubectl logs deployment/{WORKER}")


def number(value, what: str, *, integer: bool = False, positive: bool = False) -> float:
    """`value` when it is a finite number >= 0 (> 0 with positive, whole with integer); else a WorkshopError."""
    kinds = (int,) if integer else (int, float)
    if (isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) or value < 0
            or (positive and value == 0)):
        raise WorkshopError(f"{what} must be a {'positive' if positive else 'non-negative'} "
                            f"{'whole number' if integer else 'number'}, got {value!r}")
    return value


# --- orders through the API -----------------------------------------------------------------------------------------

def post_orders(base: str, n: int, order: dict) -> Counter:
    """POST `order` n times to the API at `base`; how many answers of each status (201 accepted)."""
    answers: Counter = Counter()
    for _ in range(n):
        status, answer = http_request("POST", base + "/api/orders", order)
        answers[status] += 1
        if status != 201:
            answers[f"error {status}"] = answer.get("error", answer)  # the API's reason, for the message
    return answers


def orders_sent(n: int, url: str, answers: Counter) -> str:
    """What enqueue_orders() prints; a WorkshopError when the API refused some (its reason, and where to look)."""
    accepted = answers.get(201, 0)
    if accepted == n:
        return f"{n} orders POSTed to {url}: {n} accepted (201) and queued by the API."
    reasons = "; ".join(f"{key}: {value}" for key, value in answers.items() if isinstance(key, str))
    raise WorkshopError(f"{n} orders POSTed to {url}: only {accepted} accepted ({reasons}). "
                        f"The API's log says why: kubectl logs deployment/{API} -c orders-api")


@friendly
def enqueue_orders(n: int, *, namespace: str | None = None) -> None:
    """Send `n` real orders (amount 42: the validator accepts them) through the API's LoadBalancer Service: the API
    validates each with its sidecar and pushes it onto the Redis list `orders`, which the worker drains.

    On a sandbox started with --runtime simulated: n simulated orders pushed onto its stand-in for the list.
    """
    conn = current()
    namespace = namespace or conn.namespace
    n = int(number(n, "the number of orders", integer=True, positive=True))
    if is_simulated(conn):
        queue = simulation(conn, "POST", f"{namespace}/queues/{QUEUE_LIST}/orders", {"count": n})
        print(f"[simulation] {n} orders pushed onto the Redis list {QUEUE_LIST!r} behind service/{QUEUE_SERVICE} "
              f"({queue['length']} waiting; nothing was sent through the API).")
        return
    with reach_service(API, namespace=namespace) as base:
        answers = post_orders(base, n, ORDER)
        print(orders_sent(n, f"{base}/api/orders", answers))


def order_state(status: int, answer: dict, url: str) -> State:
    if status == 200:
        return State(True, 1, 1, f"order processed: GET {url} -> 200")
    if status == 404:
        return State(False, 0, 1, "waiting for the worker to process the order (404 until it has)")
    return State(False, 0, 1, "", failed=f"GET {url} -> {status} {answer.get('error', answer)}")


@friendly
def wait_for_order(url: str, *, timeout: float = 60) -> tuple[int, dict]:
    """GET an order's confirmation (`<base>/api/<customer>/orders/<confirmationId>`) until the worker has processed
    it: the API answers 404 until the worker has written the confirmation to the cache. Returns (200, the order)."""
    progress = Progress("the worker to process the order")
    deadline = time.monotonic() + timeout
    while True:
        status, answer = http_request("GET", url)
        state = order_state(status, answer, url)
        progress.update(state.count, state.total, state.message)
        if state.done or state.failed or time.monotonic() > deadline:
            break
        time.sleep(POLL_SECONDS)
    finish_wait(progress, state, "the order's confirmation", timeout, lambda: [WORKER_HINT])
    return status, answer


# --- the queue ------------------------------------------------------------------------------------------------------

def redis_command(conn: Connection, namespace: str, *words: str) -> list[str]:
    """kubectl exec into the queue's Redis: `redis-cli <words>`."""
    return command_for(conn, ["exec", f"deployment/{QUEUE_SERVICE}", "-c", "redis", "--", "redis-cli", *words],
                       namespace)


def redis_cli(conn: Connection, namespace: str, *words: str) -> int:
    """Run one redis-cli command in the queue's pod; its integer reply."""
    done = run(redis_command(conn, namespace, *words), timeout=30)
    match = re.search(r"-?\d+", done.stdout or "")
    if done.returncode != 0 or not match:
        raise WorkshopError(f"redis-cli {' '.join(words)} in deployment/{QUEUE_SERVICE} failed: "
                            f"{(done.stderr or done.stdout).strip()}")
    return int(match.group())


def list_length(conn: Connection, namespace: str, list_name: str = QUEUE_LIST) -> int:
    """LLEN of the list (the simulated one's length on a --runtime simulated sandbox)."""
    if is_simulated(conn):
        return int(simulation(conn, "GET", f"{namespace}/queues/{list_name}")["length"])
    return redis_cli(conn, namespace, "LLEN", list_name)


@friendly
def queue_length(list_name: str = QUEUE_LIST, *, namespace: str | None = None) -> int:
    """How many orders wait on the queue (Redis LLEN of the list, asked inside the queue's pod)."""
    conn = current()
    return list_length(conn, namespace or conn.namespace, list_name)


def queue_state(length: int, most: int, list_name: str) -> State:
    waiting = {0: "no order", 1: "1 order"}.get(length, f"{length} orders") + f" waiting on the Redis list {list_name!r}"
    if length <= most:
        return State(True, 1, 1, waiting)
    return State(False, 0, 1, waiting + (f" (waiting for at most {most})" if most else ""))


@friendly
def wait_for_queue(most: int = 0, list_name: str = QUEUE_LIST, *, namespace: str | None = None,
                   timeout: float = 180) -> None:
    """Wait until at most `most` orders wait on the queue: by default until the workers have drained it.

    A list's length is not a Kubernetes object, so it cannot be watched: it is read again every POLL_SECONDS.
    """
    conn = current()
    namespace = namespace or conn.namespace
    most = int(number(most, "the number of orders", integer=True))
    progress = Progress(f"the Redis list {list_name!r} to drain")
    deadline = time.monotonic() + timeout
    while True:
        state = queue_state(list_length(conn, namespace, list_name), most, list_name)
        progress.update(state.count, state.total, state.message)
        if state.done or time.monotonic() > deadline:
            break
        time.sleep(POLL_SECONDS)
    if state.done and is_simulated(conn):
        state.message = f"[simulation] {state.message} (the sandbox's stand-in for the list)"
    finish_wait(progress, state, f"the Redis list {list_name!r}", timeout, lambda: [WORKER_HINT])


@friendly
def clear_queue(list_name: str = QUEUE_LIST, *, namespace: str | None = None) -> None:
    """Throw away every order waiting on the queue (Redis DEL of the list): a fresh start for the chapter."""
    conn = current()
    namespace = namespace or conn.namespace
    if is_simulated(conn):
        simulation(conn, "DELETE", f"{namespace}/queues/{list_name}")
        print(f"[simulation] the Redis list {list_name!r} behind service/{QUEUE_SERVICE} is empty.")
        return
    redis_cli(conn, namespace, "DEL", list_name)
    print(f"the Redis list {list_name!r} in deployment/{QUEUE_SERVICE} is empty.")

