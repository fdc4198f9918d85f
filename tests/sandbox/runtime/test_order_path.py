"""An order's whole path through real pods, as chapter 05 tells it: POSTed to the LoadBalancer's address from
outside the cluster (a process with the pod network's host mode, as the notebook kernel), accepted by the validator
sidecar on localhost:81, queued in the queue Redis, KEDA waking the worker (0 -> 1) on the real list length, the
worker's log line, the confirmation read back through the API from the cache Redis; and an order over the limit
refused with the validator's 400, never queued."""
from __future__ import annotations

import json

import pytest

from tests.sandbox.runtime.conftest import (APP_NAMESPACE, host_requests, load_balancer_url, order, pods,
                                            wait_ready)
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

WORKER = "containo-orders-queue-processor"


@pytest.fixture(scope="module")
def app(app_sandbox):
    # The app's own delays are real seconds (the worker takes WORKER_DELAY_SECONDS=2 per order) while KEDA's are
    # scaled: at time scale 10 the 30 s cooldown would end 3 s after the list empties, about when the order is
    # done, and the worker would go (with its log) before the test reads it. A 600 s cooldown keeps it a minute.
    patched = app_sandbox.kubectl("-n", APP_NAMESPACE, "patch", "scaledobject", WORKER, "--type", "merge",
                                  "-p", '{"spec": {"cooldownPeriod": 600}}')
    assert patched.returncode == 0, patched.stderr
    # KEDA has put the worker to sleep: no order yet
    wait_until(lambda: not pods(app_sandbox, APP_NAMESPACE, "service=queue-processor") and app_sandbox.kubectl(
        "-n", APP_NAMESPACE, "get", "deploy", WORKER, "-o", "jsonpath={.spec.replicas}").stdout == "0",
               timeout=60, interval=0.2, what="KEDA to scale the idle worker to 0")
    return app_sandbox


def events(sandbox, name: str) -> str:
    return sandbox.kubectl("-n", APP_NAMESPACE, "get", "events", "--field-selector", f"involvedObject.name={name}",
                           "-o", "custom-columns=REASON:.reason,MESSAGE:.message").stdout


def test_an_order_travels_through_every_pod_and_comes_back_processed(app):
    url = load_balancer_url(app, APP_NAMESPACE, "containo-orders-frontend")
    assert url.startswith("http://172.18.0.") and url.endswith(":1337")
    [accepted] = host_requests(app, [{"method": "POST", "url": f"{url}/api/orders", "json": order(42, "ada")}])
    assert accepted["status"] == 201 and accepted["body"]["status"] == "queued", accepted
    confirmation = accepted["body"]["confirmationId"]

    # KEDA reads the real list (LLEN through the queue's Service) and wakes the worker
    wait_until(lambda: "Scaled apps/v1.Deployment containo/containo-orders-queue-processor from 0 to 1"
               in events(app, WORKER), timeout=60, interval=0.2, what="KEDA's activation")
    [worker] = wait_ready(app, APP_NAMESPACE, "service=queue-processor")
    processed = wait_until(lambda: next((line for line in app.kubectl(
        "-n", APP_NAMESPACE, "logs", worker["metadata"]["name"]).stdout.splitlines()
        if '"order.processed"' in line and confirmation in line), None), timeout=60, interval=0.2,
        what="the worker's order.processed line")
    assert json.loads(processed)["fields"]["customerName"] == "ada"

    [read_back] = host_requests(app, [{"method": "GET", "url": f"{url}/api/ada/orders/{confirmation}"}])
    assert read_back["status"] == 200, read_back
    assert read_back["body"]["status"] == "processed"
    assert read_back["body"]["processedBy"] == worker["metadata"]["name"]  # the worker's id is its pod's name
    [other] = host_requests(app, [{"method": "GET", "url": f"{url}/api/bob/orders/{confirmation}"}])
    assert other["status"] == 404  # another customer's id is as unknown as a made-up one


def test_an_order_over_the_limit_gets_the_validators_400_and_is_never_queued(app):
    url = load_balancer_url(app, APP_NAMESPACE, "containo-orders-frontend")
    [refused] = host_requests(app, [{"method": "POST", "url": f"{url}/api/orders", "json": order(150, "eve")}])
    assert (refused["status"], refused["body"]) == (400, {"error": "amount 150 exceeds the limit of 100"})
    api_logs = app.kubectl("-n", APP_NAMESPACE, "logs", "-l", "service=api", "-c", "orders-api",
                           "--tail=-1").stdout
    rejected = [json.loads(line) for line in api_logs.splitlines() if '"order.rejected"' in line]
    assert [r["fields"]["customerName"] for r in rejected] == ["eve"]
    queue = pods(app, APP_NAMESPACE, "service=queue")[0]["metadata"]["name"]
    queued = app.kubectl("-n", APP_NAMESPACE, "exec", queue, "--", "redis-cli", "lrange", "orders", "0", "-1")
    assert queued.returncode == 0 and "eve" not in queued.stdout
