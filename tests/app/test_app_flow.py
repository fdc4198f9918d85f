"""The orders app end to end: validator, API and worker as real processes on a real Redis server (Valkey)."""
import uuid

import pytest

from app_harness import http, wait_until

pytestmark = pytest.mark.redis

QUEUE = "orders"


@pytest.fixture(scope="module")
def worker(stack):
    return stack.worker("flow-worker")


def test_health_endpoints(stack):
    assert http("GET", f"{stack.api_url}/healthz")[:2] == (200, {"status": "ok"})
    assert http("GET", f"{stack.api_url}/readyz")[:2] == (200, {"status": "ready"})
    assert http("GET", f"{stack.validator_url}/healthz")[:2] == (200, {"status": "ok"})


@pytest.mark.parametrize("query, status, body", [
    ("amount=42", 200, {"valid": True}),
    ("amount=100", 200, {"valid": True}),
    ("amount=150", 400, {"valid": False, "reason": "amount 150 exceeds the limit of 100"}),
    ("amount=100.5", 400, {"valid": False, "reason": "amount 100.5 exceeds the limit of 100"}),
    ("amount=-3", 400, {"valid": False, "reason": "amount must be greater than 0, got -3"}),
    ("amount=lots", 400, {"valid": False, "reason": "amount must be a number, got 'lots'"}),
    ("", 400, {"valid": False, "reason": "query parameter amount is required, for example ?amount=42"}),
])
def test_validator_rule(stack, query, status, body):
    assert http("GET", f"{stack.validator_url}/api/orders/validation?{query}")[:2] == (status, body)


def test_order_is_queued_processed_and_readable(stack, worker):
    status, body, headers = stack.order(customer="Ada Lovelace", amount=42, product="keyboard")
    assert status == 201, body
    assert body == {"confirmationId": body["confirmationId"], "status": "queued"}
    order_id = body["confirmationId"]
    assert headers["Location"] == f"/api/Ada%20Lovelace/orders/{order_id}"
    confirmation = wait_until(lambda: stack.processed("Ada Lovelace", order_id), what="the order to be processed")
    assert confirmation["status"] == "processed"
    assert (confirmation["customerName"], confirmation["productId"], confirmation["amount"]) == \
        ("Ada Lovelace", "keyboard", 42)
    assert confirmation["processedBy"] == "flow-worker"
    assert confirmation["queuedAt"] <= confirmation["processedAt"]
    # Structured logs tell the same story, one JSON object per line.
    queued = [e for e in stack.api.events("order.queued") if e["fields"]["confirmationId"] == order_id]
    assert queued and queued[0]["component"] == "api" and queued[0]["level"] == "info"
    done = worker.wait_for_event("order.processed")
    assert order_id in {e["fields"]["confirmationId"] for e in done}


def test_validator_rejection_is_a_400_with_its_reason(stack):
    status, body, _ = stack.order(customer="big-spender", amount=150)
    assert (status, body) == (400, {"error": "amount 150 exceeds the limit of 100"})
    rejected = [e for e in stack.api.events("order.rejected") if e["fields"]["customerName"] == "big-spender"]
    assert rejected, stack.api.tail()
    assert not [e for e in stack.api.events("order.queued") if e["fields"]["customerName"] == "big-spender"]


@pytest.mark.parametrize("raw, reason", [
    (b"amount=42", "the body is not valid JSON: Expecting value"),
    (b"", "the body is not valid JSON: the body is empty"),
    (b'{"amount": NaN, "customerName": "a", "productId": "p"}', "the body is not valid JSON: NaN is not a JSON value"),
    (b"[1, 2]", "the body must be a JSON object with amount, customerName and productId, got an array"),
    (b'{"customerName": "a"}', "missing required fields: amount, productId"),
    (b'{"amount": "42", "customerName": "a", "productId": "p"}', 'amount must be a number, got a string ("42")'),
    (b'{"amount": true, "customerName": "a", "productId": "p"}', "amount must be a number, got a boolean"),
    (b'{"amount": -5, "customerName": "a", "productId": "p"}', "amount must be greater than 0, got -5"),
    (b'{"amount": 5, "customerName": " ", "productId": "p"}', "customerName must not be empty"),
    (b'{"amount": 5, "customerName": "a/b", "productId": "p"}', "customerName must not contain '/'"),
    (b'{"amount": 5, "customerName": "a", "productId": 7}', "productId must be a string, got a number (7)"),
])
def test_bad_input_is_a_400_with_a_reason(stack, raw, reason):
    status, body, _ = http("POST", f"{stack.api_url}/api/orders", raw=raw)
    assert status == 400, body
    assert list(body) == ["error"] and body["error"].startswith(reason), body


def test_http_errors_are_json(stack):
    assert http("GET", f"{stack.api_url}/nope")[:2] == (404, {"error": "no such endpoint: GET /nope"})
    assert http("PUT", f"{stack.api_url}/api/orders", {})[:2] == \
        (405, {"error": "PUT is not allowed on /api/orders (allowed: POST)"})
    status, body, _ = http("POST", f"{stack.api_url}/api/orders", raw=b"x" * (65 * 1024))
    assert status == 413 and body["error"].startswith("Maximum request body size 65536 exceeded"), body


def test_unknown_or_foreign_orders_are_404(stack, worker):
    for made_up in (str(uuid.uuid4()), "not-an-id"):
        status, body, _ = stack.confirmation("alice", made_up)
        assert status == 404 and "not processed yet, or unknown" in body["error"]
    order_id = stack.order(customer="bob")[1]["confirmationId"]
    wait_until(lambda: stack.processed("bob", order_id), what="bob's order to be processed")
    assert stack.confirmation("mallory", order_id)[0] == 404


def test_worker_drains_the_queue(stack, worker):
    ids = [stack.order(customer="carol", amount=n + 1)[1]["confirmationId"] for n in range(25)]
    client = stack.redis.client()
    wait_until(lambda: all(stack.processed("carol", i) for i in ids), what="all 25 orders to be processed")
    assert client.llen(QUEUE) == 0
    assert client.llen(f"{QUEUE}:processing:flow-worker") == 0
    amounts = sorted(stack.processed("carol", i)["amount"] for i in ids)
    assert amounts == list(range(1, 26))
