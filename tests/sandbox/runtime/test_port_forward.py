"""port-forward to the running orders app with real kubectl 1.37 (pod/, svc/, deploy/; 20 orders POSTed at once
through one `kubectl port-forward svc/containo-orders-frontend`) and with the official Python client's
portforward, the connections reaching the app's real processes through the pod network."""
from __future__ import annotations

import json
import socket
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from kubernetes import client
from kubernetes.stream import portforward

from tests.sandbox.kubectl_sessions import KubectlPortForward
from tests.sandbox.runtime.conftest import APP_NAMESPACE, order, pods
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

CONCURRENT = 20


def post_order(port: int, amount: float = 42) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/orders", data=json.dumps(order(amount)).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def get(port: int, path: str) -> tuple[int, dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
        return response.status, json.load(response)


def test_concurrent_orders_through_a_forwarded_service(app_sandbox):
    with KubectlPortForward(app_sandbox, "svc/containo-orders-frontend", "0:1337", namespace=APP_NAMESPACE) as fwd:
        assert fwd.remote_port == 80  # kubectl maps the Service's 1337 to the pods' targetPort itself
        with ThreadPoolExecutor(CONCURRENT) as pool:
            answers = list(pool.map(lambda _: post_order(fwd.local_port), range(CONCURRENT)))
        assert [status for status, _ in answers] == [201] * CONCURRENT, answers
        assert len({body["confirmationId"] for _, body in answers}) == CONCURRENT
        assert post_order(fwd.local_port, amount=150) == (400, {"error": "amount 150 exceeds the limit of 100"})
        wait_until(lambda: fwd.output().count("Handling connection for") >= CONCURRENT + 1, timeout=60,
                   what="kubectl to report every connection", debug=fwd.output)
        assert fwd.process.poll() is None, fwd.output()


def test_a_pod_and_a_deployment_forwarded(app_sandbox):
    api_pod = pods(app_sandbox, APP_NAMESPACE, "service=api")[0]["metadata"]["name"]
    with KubectlPortForward(app_sandbox, f"pod/{api_pod}", "0:80", namespace=APP_NAMESPACE) as fwd:
        assert get(fwd.local_port, "/healthz")[0] == 200
        assert get(fwd.local_port, "/readyz")[0] == 200  # both Redises answer the pod, through their Services
    with KubectlPortForward(app_sandbox, "deploy/containo-orders-frontend", "0:81", namespace=APP_NAMESPACE) as fwd:
        # the validator's port is in no Service: port-forward is how a laptop reaches it
        assert get(fwd.local_port, "/api/orders/validation?amount=42") == (200, {"valid": True})


def test_a_program_that_is_not_in_the_pod_network_reaches_redis_through_port_forward(app_sandbox):
    with KubectlPortForward(app_sandbox, "deploy/containo-orders-queue", "0:6379", namespace=APP_NAMESPACE) as fwd:
        queue = redis.Redis(host="127.0.0.1", port=fwd.local_port, socket_timeout=30)
        assert queue.ping() is True
        assert queue.rpush("port-forward-check", "a", "b") == 2
        assert queue.lrange("port-forward-check", 0, -1) == [b"a", b"b"]
        queue.close()


def http_over(connection: socket.socket, request: bytes) -> tuple[int, bytes]:
    """One HTTP/1.1 exchange on an open connection: status and body (read to its Content-Length)."""
    connection.sendall(request)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        assert chunk, f"closed before the headers: {received!r}"
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(
        b"content-length:")))
    while len(body) < length:
        chunk = connection.recv(65536)
        assert chunk, f"closed in the body: {body!r}"
        body += chunk
    return int(head.split(b" ")[1]), body


def client_order(sandbox, pod: str) -> tuple[int, dict]:
    body = json.dumps(order()).encode()
    request = (b"POST /api/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    with sandbox.api_client() as api_client:  # one each: stream() swaps the ApiClient's request function
        forwarded = portforward(client.CoreV1Api(api_client).connect_get_namespaced_pod_portforward, pod,
                                APP_NAMESPACE, ports="80")
        connection = forwarded.socket(80)
        connection.settimeout(60)
        try:
            status, answer = http_over(connection, request)
        finally:
            connection.close()
    return status, json.loads(answer)


def test_the_python_clients_port_forward_carries_orders(app_sandbox):
    names = [p["metadata"]["name"] for p in pods(app_sandbox, APP_NAMESPACE, "service=api")]
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda i: client_order(app_sandbox, names[i % len(names)]), range(10)))
    assert [status for status, _ in answers] == [201] * 10, answers
    assert all(body["status"] == "queued" for _, body in answers)
