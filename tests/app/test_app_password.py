"""The orders app against a Redis that requires a password (chapter 07: `--requirepass` from a Secret).

REDIS_PASSWORD is sent to every Redis whose URL carries no password of its own; without it (or with a wrong one)
the API is not ready and says why in Redis' own words (NOAUTH, WRONGPASS); with it, an order goes all the way.
"""
import pytest

from app import config
from app.redis_client import connect, unavailable
from app_harness import REDIS_SERVER, Component, RedisServer, Stack, free_port, http, redis_binaries, wait_until

pytestmark = pytest.mark.redis

PASSWORD = "s3cret with spaces"  # a password is used exactly as set: spaces and all


@pytest.fixture(scope="module")
def locked_redis(tmp_path_factory):
    if REDIS_SERVER is None:
        pytest.skip(f"the app's integration tests need a real Redis server: {redis_binaries.missing_reason()}")
    server = RedisServer(tmp_path_factory.mktemp("locked-redis"), password=PASSWORD).start()
    yield server
    if server.process.poll() is None:
        server.kill()


def answers(url: str):
    try:
        return http("GET", url, timeout=5)[:2]
    except OSError:  # not listening yet
        return None


@pytest.fixture(scope="module")
def apis(locked_redis, tmp_path_factory):
    """One validator, and three APIs started side by side: with the password, without one, with a wrong one."""
    workdir = tmp_path_factory.mktemp("apis")
    stack = Stack(locked_redis, workdir)
    stack.validator.start()
    started = {}
    for label, password in (("right", PASSWORD), ("none", None), ("wrong", "wrong")):
        port = free_port()
        env = {**stack.api_env(), "ORDERS_PORT": str(port)}
        if password is not None:
            env["REDIS_PASSWORD"] = password
        started[label] = (Component("api", env, workdir, label=f"api-{label}").start(), f"http://127.0.0.1:{port}")
    try:
        for label, (component, url) in started.items():
            wait_until(lambda c=component, u=url: Stack._alive(c) and answers(f"{u}/healthz"),
                       what=f"the API ({label} password) to listen")
        yield {label: url for label, (_, url) in started.items()}, {label: c for label, (c, _) in started.items()}
    finally:
        for component, _ in started.values():
            component.stop()
        stack.validator.stop()


def order(url: str, customer: str):
    return http("POST", f"{url}/api/orders", {"amount": 42, "customerName": customer, "productId": "p-1"})


def test_with_the_password_an_order_goes_all_the_way(locked_redis, apis, tmp_path):
    urls, components = apis
    assert answers(f"{urls['right']}/readyz") == (200, {"status": "ready"})
    worker = Component("worker", {"QUEUE_REDIS_URL": locked_redis.url, "CACHE_REDIS_URL": locked_redis.url,
                                  "WORKER_ID": "w-auth", "WORKER_DELAY_SECONDS": "0", "WORKER_POLL_SECONDS": "0.2",
                                  "REDIS_PASSWORD": PASSWORD}, tmp_path, label="worker-auth").start()
    try:
        assert worker.wait_for_event("worker.starting")[0]["fields"].get("redisPassword") == "set"
        status, body, _ = order(urls["right"], "ada")
        assert status == 201, body
        path = f"{urls['right']}/api/ada/orders/{body['confirmationId']}"
        assert wait_until(lambda: http("GET", path)[0] == 200, what="the worker to process the order")
    finally:
        worker.stop()
    logs = components["right"].log_path.read_text() + worker.log_path.read_text()
    assert "s3cret" not in logs


@pytest.mark.parametrize("label, code, words", [
    ("none", "NOAUTH", "NOAUTH Authentication required."),
    ("wrong", "WRONGPASS", "WRONGPASS invalid username-password pair or user is disabled."),
])
def test_without_the_right_password_the_api_is_not_ready_and_says_why(locked_redis, apis, label, code, words):
    urls, components = apis
    status, body = answers(f"{urls[label]}/readyz")
    assert status == 503, body
    assert body["error"] == f"queue Redis at {locked_redis.url} is unavailable: {words}", body
    assert http("GET", f"{urls[label]}/healthz")[0] == 200  # alive: a restart would not fix a password
    status, body, _ = order(urls[label], "bob")
    assert status == 503 and body["error"].endswith(f"is unavailable: {words}"), body
    fields = components[label].wait_for_event("api.starting")[0]["fields"]
    assert fields.get("redisPassword") == ("set" if label == "wrong" else None)


def test_a_password_in_the_url_wins_over_redis_password():
    own = connect("redis://:from-url@cache:6666/0", timeout=1, password="from-env")
    none = connect("redis://cache:6666/0", timeout=1, password="from-env")
    plain = connect("redis://cache:6666/0", timeout=1)
    kwargs = [client.connection_pool.connection_kwargs.get("password") for client in (own, none, plain)]
    assert kwargs == ["from-url", "from-env", None]


def test_redis_password_is_read_as_set_and_never_shown():
    cfg = config.api({"REDIS_PASSWORD": " pass word "})
    assert cfg.redis_password == " pass word "
    assert "pass word" not in repr(cfg) and "pass word" not in repr(config.worker({"REDIS_PASSWORD": "pass word",
                                                                                    "WORKER_ID": "w"}))
    assert config.api({"REDIS_PASSWORD": ""}).redis_password is None and config.api({}).redis_password is None
    assert config.password_field(cfg) == {"redisPassword": "set"} and config.password_field(config.api({})) == {}


def test_an_authentication_error_is_worded_as_redis_sent_it():
    from redis.exceptions import AuthenticationError

    error = AuthenticationError("invalid username-password pair or user is disabled.", status_code="WRONGPASS")
    assert unavailable("cache", "redis://:x@cache:6666/0", error) == (
        "cache Redis at redis://:***@cache:6666/0 is unavailable: "
        "WRONGPASS invalid username-password pair or user is disabled.")
