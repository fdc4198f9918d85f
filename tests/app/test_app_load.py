"""The load generator (`python -m app.load`) as a real process: against the real API (the rate it keeps, every order
reaching the queue), against targets that fail (errors counted by kind, latency measured from the schedule),
SIGTERM, bad configuration; and its pure parts (the latency histogram, the requests it builds)."""
import http.server
import json
import socket
import threading
import time

import pytest

from app import config
from app.load_requests import Request, failure_kind
from app.load_stats import LatencyHistogram, Tally
from app_harness import Component, free_port


def load(tmp_path, label: str, **env) -> Component:
    return Component("load", {"LOAD_REPORT_SECONDS": "0.5", **env}, tmp_path, label=label).start()


def finished(generator: Component, timeout: float = 60) -> dict:
    """The final summary of a generator that stops by itself: exit code 0, load.finished the last line."""
    assert generator.process.wait(timeout=timeout) == 0, generator.tail()
    entries = generator.events()
    assert entries[0]["event"] == "load.started" and entries[-1]["event"] == "load.finished", generator.tail()
    summary = entries[-1]["fields"]
    assert summary["sent"] == summary["ok"] + sum(summary["errors"].values())  # nothing left in flight
    return summary


# --- against the real API ----------------------------------------------------------------------------------------

@pytest.mark.redis
def test_the_rate_is_kept_and_every_order_reaches_the_queue(stack, tmp_path):
    queue = stack.redis.client()
    before = queue.llen("orders")
    generator = load(tmp_path, "orders", LOAD_TARGET_URL=stack.api_url, LOAD_RATE="40", LOAD_DURATION_SECONDS="3")
    summary = finished(generator)
    # Open loop: exactly rate x duration requests, however slow the machine (a late request is sent late, not
    # dropped), spread over the duration rather than sent at once.
    assert summary["sent"] == 120 and summary["reason"] == "duration reached"
    assert summary["ok"] >= 100, summary
    assert queue.llen("orders") - before == summary["ok"]
    assert 2.5 <= summary["elapsedSeconds"] < 30
    progress = generator.events("load.progress")
    assert progress and progress[0]["fields"]["sent"] <= 60, progress[:1]  # about 20 in the first 0.5 s
    assert summary["latencyMs"]["p50"] is not None and summary["latencyMs"]["p50"] <= summary["latencyMs"]["p99"]
    started = generator.events("load.started")[0]["fields"]
    assert (started["method"], started["url"]) == ("POST", f"{stack.api_url}/api/orders")


@pytest.mark.redis
def test_get_mode_counts_answers_by_status(stack, tmp_path):
    healthy = finished(load(tmp_path, "healthz", LOAD_TARGET_URL=stack.api_url, LOAD_MODE="get",
                            LOAD_PATH="/healthz", LOAD_RATE="50", LOAD_REQUESTS="25"))
    assert (healthy["sent"], healthy["ok"], healthy["errors"], healthy["reason"]) == (25, 25, {}, "requests sent")
    missing = finished(load(tmp_path, "missing", LOAD_TARGET_URL=stack.api_url, LOAD_MODE="get",
                            LOAD_PATH="/no-such-page", LOAD_RATE="50", LOAD_REQUESTS="25"))
    assert (missing["ok"], missing["errors"]) == (0, {"http_404": 25})
    assert missing["latencyMs"]["max"] is not None  # an HTTP answer, however unwelcome, has a latency


@pytest.mark.redis
def test_the_order_posted_is_load_order(stack, tmp_path):
    rejected = finished(load(tmp_path, "big-spender", LOAD_TARGET_URL=stack.api_url, LOAD_RATE="50",
                             LOAD_REQUESTS="5", LOAD_ORDER='{"amount": 150, "customerName": "big", "productId": "p"}'))
    assert (rejected["ok"], rejected["errors"]) == (0, {"http_400": 5})
    assert len([e for e in stack.api.events("order.rejected") if e["fields"]["customerName"] == "big"]) == 5


@pytest.mark.redis
def test_sigterm_stops_it_with_the_final_summary(stack, tmp_path):
    generator = load(tmp_path, "forever", LOAD_TARGET_URL=stack.api_url, LOAD_RATE="20", LOAD_REPORT_SECONDS="0.3")
    generator.wait_for_event("load.progress")
    assert generator.terminate() == 0
    summary = generator.events()[-1]
    assert summary["event"] == "load.finished", generator.tail()
    assert summary["fields"]["reason"] == "stopped by SIGTERM" and summary["fields"]["sent"] >= 1
    assert summary["fields"]["sent"] == summary["fields"]["ok"] + sum(summary["fields"]["errors"].values())


# --- against targets that fail -----------------------------------------------------------------------------------

def test_a_target_that_refuses_is_counted_as_connection_refused(tmp_path):
    summary = finished(load(tmp_path, "refused", LOAD_TARGET_URL=f"http://127.0.0.1:{free_port()}",
                            LOAD_RATE="50", LOAD_REQUESTS="10"))
    assert (summary["sent"], summary["ok"], summary["errors"]) == (10, 0, {"connection_refused": 10})
    assert summary["latencyMs"] == {"p50": None, "p90": None, "p99": None, "max": None}  # no answer, no latency


def test_a_target_that_never_answers_is_counted_as_timeout(tmp_path):
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never reads or answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        summary = finished(load(tmp_path, "silent", LOAD_TARGET_URL=f"http://127.0.0.1:{silent.getsockname()[1]}",
                                LOAD_RATE="50", LOAD_REQUESTS="10", LOAD_TIMEOUT_SECONDS="0.3"))
    assert (summary["ok"], summary["errors"]) == (0, {"timeout": 10})


class SlowHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.2)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_latency_is_measured_from_the_schedule_not_from_the_send(tmp_path):
    """Coordinated omission: a server that takes 0.2 s per request, one at a time (LOAD_CONCURRENCY=1), offered
    20 requests/s. Request 9 was due at 0.45 s and cannot be answered before 10 x 0.2 = 2 s: its latency is at
    least 1.55 s, not the 0.2 s a closed loop would report. Lower bounds only: a slow machine makes them larger."""
    server = http.server.HTTPServer(("127.0.0.1", 0), SlowHandler)  # one request at a time
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        generator = load(tmp_path, "slow", LOAD_TARGET_URL=f"http://127.0.0.1:{server.server_port}",
                         LOAD_MODE="get", LOAD_RATE="20", LOAD_REQUESTS="10", LOAD_CONCURRENCY="1",
                         LOAD_REPORT_SECONDS="0.5")
        summary = finished(generator)
    finally:
        server.shutdown()
        server.server_close()
    assert (summary["ok"], summary["errors"]) == (10, {})
    assert summary["latencyMs"]["max"] >= 1500 and summary["latencyMs"]["p50"] >= 600, summary
    assert any(p["fields"]["behindSchedule"] > 0 for p in generator.events("load.progress"))


class CountingHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    peers: set = set()

    def do_GET(self):
        CountingHandler.peers.add(self.client_address)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_connections_are_kept_alive_and_renewed(tmp_path):
    """A Service balances connections: one connection per request would waste the server's CPU on handshakes, one
    connection forever would keep pods added by the HPA idle. 100 requests over 5 s, new connections every 2 s:
    at least 3 connections (0 s, 2 s, 4 s), far fewer than 100."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        summary = finished(load(tmp_path, "keepalive", LOAD_TARGET_URL=f"http://127.0.0.1:{server.server_port}",
                                LOAD_MODE="get", LOAD_RATE="20", LOAD_REQUESTS="100"))
    finally:
        server.shutdown()
        server.server_close()
    assert summary["ok"] == 100
    assert 3 <= len(CountingHandler.peers) <= 30, CountingHandler.peers


# --- configuration -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("env, reason", [
    ({"LOAD_RATE": "0"}, "LOAD_RATE must be a finite number greater than 0, got '0'"),
    ({"LOAD_RATE": "fast"}, "LOAD_RATE must be a number, got 'fast'"),
    ({"LOAD_RATE": "200000"}, "LOAD_RATE must be at most 10000 requests per second, got 200000"),
    ({"LOAD_MODE": "put"}, "LOAD_MODE must be one of orders, get, got 'put'"),
    ({"LOAD_TARGET_URL": "containo-orders-frontend:1337"}, "LOAD_TARGET_URL must be an http:// or https:// URL"),
    ({"LOAD_TARGET_URL": "http://api:1337/api/orders"}, "LOAD_TARGET_URL must be scheme://host:port without a path"),
    ({"LOAD_PATH": "healthz"}, "LOAD_PATH must start with '/'"),
    ({"LOAD_ORDER": "[42]"}, "LOAD_ORDER must be a JSON object such as {\"amount\": 42, "),
    ({"LOAD_ORDER": "{amount: 42}"}, "LOAD_ORDER must be a JSON object"),
    ({"LOAD_DURATION_SECONDS": "-1"}, "LOAD_DURATION_SECONDS must be a finite number at least 0, got '-1'"),
    ({"LOAD_REQUESTS": "2.5"}, "LOAD_REQUESTS must be a whole number between 0 and 1000000000, got '2.5'"),
    ({"LOAD_CONCURRENCY": "0"}, "LOAD_CONCURRENCY must be a whole number between 1 and 10000, got '0'"),
    ({"LOAD_TIMEOUT_SECONDS": "0"}, "LOAD_TIMEOUT_SECONDS must be a finite number greater than 0"),
    ({"LOAD_REPORT_SECONDS": "nan"}, "LOAD_REPORT_SECONDS must be a finite number greater than 0"),
])
def test_bad_configuration_names_the_variable(env, reason):
    with pytest.raises(config.ConfigError) as caught:
        config.load(env)
    assert str(caught.value).startswith(reason)


def test_bad_configuration_exits_with_one_clear_log_line(tmp_path):
    generator = Component("load", {"LOAD_RATE": "lots"}, tmp_path).start()
    assert generator.process.wait(timeout=20) == 2
    [entry] = generator.events()
    assert entry["event"] == "config.invalid"
    assert entry["fields"]["error"] == "LOAD_RATE must be a number, got 'lots'"


def test_the_defaults_aim_at_the_api_service_with_orders():
    cfg = config.load({})
    assert (cfg.target_url, cfg.mode, cfg.rate, cfg.duration, cfg.requests, cfg.concurrency) == \
        ("http://containo-orders-frontend:1337", "orders", 10.0, 0.0, 0, 50)
    order = Request.for_config(cfg)
    assert (order.method, order.url) == ("POST", "http://containo-orders-frontend:1337/api/orders")
    assert json.loads(order.body) == {"amount": 42, "customerName": "load-generator", "productId": "keyboard"}
    get = Request.for_config(config.load({"LOAD_MODE": "GET", "LOAD_PATH": "/healthz"}))
    assert (get.method, get.url, get.body) == ("GET", "http://containo-orders-frontend:1337/healthz", None)


# --- what it counts ----------------------------------------------------------------------------------------------

def test_percentiles_are_read_off_the_histogram_within_two_percent():
    histogram = LatencyHistogram()
    assert histogram.summary_ms() == {"p50": None, "p90": None, "p99": None, "max": None}
    for ms in range(1, 1001):  # 1 ms .. 1000 ms, one each
        histogram.record(ms / 1000)
    shown = histogram.summary_ms()
    for name, exact in (("p50", 500), ("p90", 900), ("p99", 990)):
        assert exact <= shown[name] <= exact * 1.02, (name, shown)
    assert shown["max"] == 1000.0
    histogram.record(3600.0)  # beyond the last bucket: still counted, and the maximum says how slow
    assert histogram.total == 1001 and histogram.summary_ms()["max"] == 3600000.0


def test_a_tally_counts_answers_errors_and_only_answered_latencies():
    tally = Tally(sent=4)
    tally.finished(None, 0.010)
    tally.finished("http_503", 0.020)
    tally.finished("connection_refused", None)
    fields = tally.fields(2.0)
    assert {k: fields[k] for k in ("sent", "ok", "errors", "sentPerSecond")} == \
        {"sent": 4, "ok": 1, "errors": {"connection_refused": 1, "http_503": 1}, "sentPerSecond": 2.0}
    assert tally.latency.total == 2 and tally.done == 3


def test_failure_kinds():
    import asyncio

    import aiohttp
    assert failure_kind(asyncio.TimeoutError()) == "timeout"
    assert failure_kind(aiohttp.ServerTimeoutError("read")) == "timeout"
    assert failure_kind(aiohttp.ServerDisconnectedError()) == "disconnected"
    assert failure_kind(aiohttp.ClientOSError(104, "Connection reset by peer")) == "connection_error"

