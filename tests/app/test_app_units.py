"""Pure logic of the orders app: order checks, the amount rule, messages, configuration, log lines."""
import io
import json
import logging
import socket

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from app import config, logs, orders
from app.redis_client import unavailable
from app_harness import Component

ID = "3f1c8a52-8d1e-4f0c-9a7e-2b6f3d4c5e6f"
WHEN = "2026-01-01T00:00:00.000Z"


def parse(payload):
    return orders.parse_order(payload, confirmation_id=ID, queued_at=WHEN)


def test_a_valid_order_is_trimmed_and_kept():
    order = parse({"amount": 12.5, "customerName": "  Ada ", "productId": "kb-1", "extra": "ignored"})
    assert order == orders.Order(ID, "Ada", "kb-1", 12.5, WHEN, "queued")


@pytest.mark.parametrize("payload, reason", [
    ("text", 'the body must be a JSON object with amount, customerName and productId, got a string ("text")'),
    (None, "the body must be a JSON object with amount, customerName and productId, got null"),
    ({"amount": 1, "customerName": "a"}, "missing required field: productId"),
    ({"amount": None, "customerName": "a", "productId": "p"}, "amount must be a number, got null"),
    ({"amount": [1], "customerName": "a", "productId": "p"}, "amount must be a number, got an array ([1])"),
    ({"amount": False, "customerName": "a", "productId": "p"}, "amount must be a number, got a boolean (false)"),
    ({"amount": 0, "customerName": "a", "productId": "p"}, "amount must be greater than 0, got 0"),
    ({"amount": -0.5, "customerName": "a", "productId": "p"}, "amount must be greater than 0, got -0.5"),
    ({"amount": float("inf"), "customerName": "a", "productId": "p"}, "amount must be a finite number, got inf"),
    ({"amount": 1, "customerName": "x" * 101, "productId": "p"}, "customerName must be at most 100 characters"),
    ({"amount": 1, "customerName": "a\nb", "productId": "p"}, "customerName must not contain control characters"),
    ({"amount": 1, "customerName": "a", "productId": ""}, "productId must not be empty"),
    ({"amount": 1, "customerName": {}, "productId": "p"}, "customerName must be a string, got an object ({})"),
])
def test_bad_orders_say_what_is_wrong(payload, reason):
    with pytest.raises(orders.OrderError) as caught:
        parse(payload)
    assert str(caught.value).startswith(reason)


@pytest.mark.parametrize("text, amount, violation", [
    ("100", 100, None),
    ("99.99", 99.99, None),
    (" 101 ", 101, "amount 101 exceeds the limit of 100"),
    ("150.0", 150.0, "amount 150 exceeds the limit of 100"),
    ("1e3", 1000.0, "amount 1000 exceeds the limit of 100"),
])
def test_the_amount_rule(text, amount, violation):
    parsed = orders.parse_amount_text(text)
    assert parsed == amount and type(parsed) is type(amount)
    assert orders.limit_violation(parsed, 100) == violation


@pytest.mark.parametrize("text, reason", [
    (None, "query parameter amount is required"),
    ("  ", "query parameter amount is required"),
    ("ten", "amount must be a number, got 'ten'"),
    ("nan", "amount must be a finite number"),
    ("-1", "amount must be greater than 0, got -1"),
])
def test_bad_amount_text(text, reason):
    with pytest.raises(orders.OrderError, match=f"^{reason}"):
        orders.parse_amount_text(text)


def test_format_amount():
    assert [orders.format_amount(a) for a in (150, 150.0, 12.5, 1e20)] == ["150", "150", "12.5", "1e+20"]


def test_a_message_round_trips_and_the_confirmation_adds_who_and_when():
    order = parse({"amount": 3, "customerName": "bo", "productId": "p"})
    assert orders.from_message(order.to_message()) == order
    confirmation = orders.processed(order, worker_id="w-1", processed_at="2026-01-01T00:00:01.000Z")
    assert confirmation == {"confirmationId": ID, "customerName": "bo", "productId": "p", "amount": 3,
                            "queuedAt": WHEN, "status": "processed", "processedAt": "2026-01-01T00:00:01.000Z",
                            "processedBy": "w-1"}


@pytest.mark.parametrize("message", [
    "not json", "[]", '{"confirmationId": "x"}',
    json.dumps({"confirmationId": "not-a-uuid", "customerName": "a", "productId": "p", "amount": 1,
                "queuedAt": WHEN, "status": "queued"}),
    json.dumps({"confirmationId": ID, "customerName": "a", "productId": "p", "amount": -1, "queuedAt": WHEN,
                "status": "queued"}),
])
def test_what_is_not_an_order_message_is_refused(message):
    with pytest.raises(orders.OrderError):
        orders.from_message(message)


def test_confirmation_ids():
    new = orders.new_confirmation_id()
    assert orders.is_confirmation_id(new) and new != orders.new_confirmation_id()
    assert not orders.is_confirmation_id("3F1C8A52-8D1E-4F0C-9A7E-2B6F3D4C5E6F")  # one spelling per order
    assert not orders.is_confirmation_id("../etc")


def test_configuration_defaults_match_the_pod_layout():
    api = config.api({})
    assert (api.port, api.validator_url, api.queue_name) == (80, "http://localhost:81", "orders")
    assert config.validator({}).port == 81 and config.validator({}).order_limit == 100
    worker = config.worker({"WORKER_ID": "pod-1"})
    assert (worker.worker_id, worker.delay, worker.confirmation_ttl) == ("pod-1", 1.0, 86400)


def test_configuration_is_read_from_the_environment():
    api = config.api({"ORDERS_PORT": "8080", "VALIDATOR_URL": "http://localhost:8081/", "LOG_LEVEL": "DEBUG",
                      "QUEUE_REDIS_URL": "redis://containo-orders-queue-service:6379/0"})
    assert (api.port, api.validator_url, api.log_level) == (8080, "http://localhost:8081", "debug")
    assert api.queue_redis_url == "redis://containo-orders-queue-service:6379/0"
    worker = config.worker({"WORKER_DELAY_SECONDS": "0", "CONFIRMATION_TTL_SECONDS": "0", "WORKER_ID": "w"})
    assert (worker.delay, worker.confirmation_ttl) == (0.0, 0)


@pytest.mark.parametrize("read, env, reason", [
    (config.api, {"ORDERS_PORT": "70000"}, "ORDERS_PORT must be a TCP port between 1 and 65535, got '70000'"),
    (config.api, {"VALIDATOR_URL": "localhost:81"}, "VALIDATOR_URL must be an http:// or https:// URL"),
    (config.api, {"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of debug, info, warning, error, got 'loud'"),
    (config.api, {"REDIS_TIMEOUT_SECONDS": "0"}, "REDIS_TIMEOUT_SECONDS must be a finite number greater than 0"),
    (config.worker, {"WORKER_DELAY_SECONDS": "-1"}, "WORKER_DELAY_SECONDS must be a finite number at least 0"),
    (config.worker, {"WORKER_ID": "pod:1"}, "WORKER_ID must be letters, digits"),
    (config.worker, {"QUEUE_NAME": "orders*"}, "QUEUE_NAME must be letters, digits"),
    (config.worker, {"CONFIRMATION_TTL_SECONDS": "1.5"}, "CONFIRMATION_TTL_SECONDS must be a whole number"),
    (config.worker, {"CACHE_REDIS_URL": "http://u:secret@cache:6379"}, "CACHE_REDIS_URL must be a redis://"),
])
def test_bad_configuration_names_the_variable(read, env, reason):
    with pytest.raises(config.ConfigError) as caught:
        read({"WORKER_ID": "w", **env})
    assert str(caught.value).startswith(reason)
    assert "secret" not in str(caught.value)


def test_passwords_never_reach_messages():
    assert config.redact("redis://:s3cret@cache:6666/0") == "redis://:***@cache:6666/0"
    assert config.redact("redis://cache:6666/0") == "redis://cache:6666/0"
    try:
        raise RedisConnectionError("Error 111 connecting to cache:6666.") from ConnectionRefusedError(111, "x")
    except RedisConnectionError as error:
        message = unavailable("cache", "redis://user:s3cret@cache:6666/0", error)
    assert message == ("cache Redis at redis://user:***@cache:6666/0 is unavailable: "
                       "Connection refused: Error 111 connecting to cache:6666.")


def test_a_log_line_is_one_json_object():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    log = logs.setup("worker", "info", stream=stream)
    try:
        log.info("order.processed", confirmationId=ID, amount=3)
        log.debug("hidden")
        logging.getLogger("aiohttp.server").warning("library %s", "words")
        try:
            _ = 1 / 0
        except ZeroDivisionError:
            log.exception("boom", step="divide")
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    lines = stream.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["event"] for e in entries] == ["order.processed", "log", "boom"]
    first = entries[0]
    assert set(first) == {"time", "level", "component", "event", "fields"}
    assert (first["level"], first["component"], first["fields"]) == ("info", "worker", {"confirmationId": ID,
                                                                                        "amount": 3})
    assert first["time"].endswith("Z") and len(first["time"]) == len("2026-01-01T00:00:00.000Z")
    assert entries[1]["fields"] == {"logger": "aiohttp.server", "message": "library words"}
    assert "ZeroDivisionError" in entries[2]["fields"]["exception"] and entries[2]["fields"]["step"] == "divide"


@pytest.mark.parametrize("component, env, reason", [
    ("api", {"ORDERS_PORT": "eighty"}, "ORDERS_PORT must be a TCP port between 1 and 65535, got 'eighty'"),
    ("worker", {"QUEUE_REDIS_URL": "http://redis:6379"}, "QUEUE_REDIS_URL must be a redis://"),
    ("validator", {"ORDER_LIMIT": "-1"}, "ORDER_LIMIT must be a finite number greater than 0, got '-1'"),
])
def test_bad_configuration_exits_with_one_clear_log_line(tmp_path, component, env, reason):
    """The real entry point (no Redis needed): exit code 2 and one JSON line, no traceback."""
    process = Component(component, env, tmp_path).start()
    assert process.process.wait(timeout=20) == 2
    [entry] = process.events()
    assert entry["event"] == "config.invalid" and entry["fields"]["error"].startswith(reason), entry


def test_a_port_that_cannot_be_bound_is_one_clear_log_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = Component("validator", {"BIND_ADDRESS": "127.0.0.1", "VALIDATOR_PORT": str(port)}, tmp_path)
        assert process.start().process.wait(timeout=20) == 1
    [failed] = process.events("http.bind_failed")
    assert failed["fields"]["port"] == port and "address already in use" in failed["fields"]["error"].lower()
