"""Failures the orders app must survive: Redis going away and coming back, workers killed or stopped mid-queue."""
import json

import pytest

from app.orders import Order
from app_harness import Component, free_port, http, wait_until

pytestmark = pytest.mark.redis

QUEUE = "orders"


@pytest.fixture(autouse=True)
def clean_redis(stack):
    stack.redis.client().flushall()
    yield
    for worker in stack.workers:
        worker.stop()
    stack.workers.clear()


def queued_ids(client, key: str) -> list[str]:
    return [json.loads(message)["confirmationId"] for message in client.lrange(key, 0, -1)]


def test_redis_down_gives_503_and_service_resumes_when_it_returns(stack):
    worker = stack.worker("survivor")
    stack.redis.kill()

    status, body, _ = stack.order(customer="dora")
    assert status == 503, body
    assert body == {"error": body["error"]}
    assert body["error"].startswith(f"queue Redis at {stack.redis.url} is unavailable: "), body
    assert "Connection refused" in body["error"], body
    status, body, _ = stack.confirmation("dora", "00000000-0000-4000-8000-000000000000")
    assert status == 503 and body["error"].startswith(f"cache Redis at {stack.redis.url} is unavailable"), body
    status, body, _ = http("GET", f"{stack.api_url}/readyz")
    assert status == 503 and body["status"] == "unavailable", body
    assert http("GET", f"{stack.api_url}/healthz")[0] == 200  # alive: no reason for the kubelet to restart it
    worker.wait_for_event("redis.unavailable")

    stack.redis.start()  # same port, empty (no persistence): the processes were not restarted
    wait_until(lambda: http("GET", f"{stack.api_url}/readyz")[0] == 200, what="the API to be ready again")
    status, body, _ = stack.order(customer="dora")
    assert status == 201, body
    wait_until(lambda: stack.processed("dora", body["confirmationId"]), what="the worker to process again")
    assert stack.api.running and worker.running


def test_a_worker_started_before_its_redis_beats_as_soon_as_redis_answers(stack):
    """Its liveness probe reads the heartbeat key: a worker that started first (its Redis still starting, as when
    a chapter applies both at once) must not look dead for a whole heartbeat period once Redis is up."""
    stack.redis.kill()
    worker = stack.worker("early", heartbeat=60)  # a period far longer than the wait below
    worker.wait_for_event("redis.unavailable")
    stack.redis.start()
    wait_until(lambda: stack.redis.client().exists(f"{QUEUE}:workers:early"), timeout=20,
               what="the worker's heartbeat once Redis is back")
    assert worker.running


def test_no_order_lost_when_the_worker_is_killed_mid_queue(stack):
    client = stack.redis.client()
    slow = stack.worker("w1", delay=60)  # takes one order and sits on it: a deterministic "mid-order"
    ids = [stack.order(customer="erin", amount=n + 1)[1]["confirmationId"] for n in range(6)]
    in_flight = wait_until(lambda: queued_ids(client, f"{QUEUE}:processing:w1"), what="w1 to claim an order")
    assert in_flight == [ids[0]]  # FIFO: the oldest order first

    slow.kill()  # SIGKILL: no chance to clean up
    assert queued_ids(client, f"{QUEUE}:processing:w1") == [ids[0]]
    assert sorted(queued_ids(client, QUEUE)) == sorted(ids[1:])

    restarted = stack.worker("w1")  # same pod name after a container restart
    restarted.wait_for_event("order.recovered")
    wait_until(lambda: all(stack.processed("erin", i) for i in ids), what="every order to be processed")
    assert client.llen(QUEUE) == 0 and client.llen(f"{QUEUE}:processing:w1") == 0
    first = restarted.wait_for_event("order.processed")[0]
    assert first["fields"]["confirmationId"] == ids[0]  # the recovered order goes first


def test_sigterm_hands_the_order_in_progress_back(stack):
    client = stack.redis.client()
    slow = stack.worker("leaving", delay=60)
    order_id = stack.order(customer="frank")[1]["confirmationId"]
    wait_until(lambda: queued_ids(client, f"{QUEUE}:processing:leaving"), what="the worker to claim the order")
    assert client.exists(f"{QUEUE}:workers:leaving")

    assert slow.terminate() == 0  # well within a pod's 30 s grace period, despite the 60 s delay
    assert [e["fields"]["confirmationId"] for e in slow.events("order.requeued")] == [order_id]
    assert queued_ids(client, QUEUE) == [order_id]
    assert client.llen(f"{QUEUE}:processing:leaving") == 0
    assert not client.exists(f"{QUEUE}:workers:leaving")
    stack.worker("next")
    wait_until(lambda: stack.processed("frank", order_id), what="another worker to process the order")


def test_sigterm_finishes_an_order_close_to_done_so_a_scale_down_does_not_hand_it_back(stack):
    """KEDA scales an idle queue's worker to zero while it processes the last order: handed back, the order would
    wake the worker again (and again, whenever the cooldown is shorter than an order)."""
    client = stack.redis.client()
    worker = stack.worker("draining", delay=1.5)  # WORKER_DRAIN_SECONDS: 10 by default
    order_id = stack.order(customer="gina")[1]["confirmationId"]
    worker.wait_for_event("order.processing")

    assert worker.terminate() == 0
    [finishing] = worker.events("order.finishing")
    assert finishing["fields"]["confirmationId"] == order_id and 0 <= finishing["fields"]["remainingSeconds"] <= 1.5
    assert worker.events("order.requeued") == []
    assert [e["fields"]["confirmationId"] for e in worker.events("order.processed")] == [order_id]
    assert stack.processed("gina", order_id)
    assert client.llen(QUEUE) == 0 and client.llen(f"{QUEUE}:processing:draining") == 0


def test_orders_of_a_vanished_worker_are_reclaimed(stack):
    client = stack.redis.client()
    ghost = Order("3f1c8a52-8d1e-4f0c-9a7e-2b6f3d4c5e6f", "grace", "p-9", 7, "2026-01-01T00:00:00.000Z")
    client.lpush(f"{QUEUE}:processing:ghost-pod", ghost.to_message())  # no heartbeat: its pod is gone
    rescuer = stack.worker("rescuer", heartbeat=0.2)
    reclaimed = rescuer.wait_for_event("orders.reclaimed")
    assert reclaimed[0]["fields"] == {"fromWorker": "ghost-pod", "orders": 1}
    confirmation = wait_until(lambda: stack.processed("grace", ghost.confirmationId), what="the reclaimed order")
    assert confirmation["processedBy"] == "rescuer"
    assert client.llen(f"{QUEUE}:processing:ghost-pod") == 0


def test_a_message_that_is_not_an_order_goes_to_the_dead_letters(stack):
    client = stack.redis.client()
    client.lpush(QUEUE, "definitely not JSON")
    worker = stack.worker("careful")
    event = worker.wait_for_event("order.dead_lettered")[0]
    assert event["level"] == "error" and event["fields"]["reason"].startswith("not an order message")
    assert client.lrange(f"{QUEUE}:dead-letter", 0, -1) == ["definitely not JSON"]
    order_id = stack.order(customer="heidi")[1]["confirmationId"]
    wait_until(lambda: stack.processed("heidi", order_id), what="the worker to carry on")


def test_validator_down_gives_503_and_processes_stop_gracefully(stack, tmp_path):
    dead_validator = f"http://127.0.0.1:{free_port()}"
    api = Component("api", {**stack.api_env(dead_validator), "ORDERS_PORT": str(free_port())}, tmp_path).start()
    url = f"http://127.0.0.1:{api.env['ORDERS_PORT']}"
    try:
        api.wait_for_event("http.listening")
        status, body, _ = http("POST", f"{url}/api/orders", {"amount": 1, "customerName": "ivan", "productId": "p"})
        assert status == 503 and body["error"].startswith(f"validator at {dead_validator} is unavailable"), body
    finally:
        assert api.terminate() == 0
    assert api.events("http.stopped")
