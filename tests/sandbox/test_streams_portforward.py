"""port-forward through the sandbox's real HTTPS app: real kubectl 1.37 (SPDY tunnelled in a WebSocket, and the
plain SPDY/3.1 upgrade it falls back to) to a pod, a Service and a Deployment, and the official Python client
(WebSocket v4.channel.k8s.io), each with many connections carrying data both ways; the node forwards to TCP
echo servers the test starts (tests/sandbox/streams_harness.py)."""
from __future__ import annotations

import hashlib
import os
import re
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from kubernetes import client
from kubernetes.stream import portforward

from tests.sandbox.kubectl_sessions import KubectlPortForward
from tests.sandbox.streams_harness import create_pod, echo_server
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

CONNECTIONS = 25
PAYLOAD = 256 * 1024
TRANSPORTS = {"websocket": {}, "spdy": {"KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"}}


@pytest.fixture(scope="module")
def pods(server):
    server.node.ports[80] = echo_server(server)
    labels = {"app": "web"}
    create_pod(server, "web-1", labels=labels)
    with server.api_client() as api_client:
        client.CoreV1Api(api_client).create_namespaced_service("default", {
            "metadata": {"name": "web"},
            "spec": {"selector": labels, "ports": [{"port": 8080, "targetPort": "http"}]}})
        client.AppsV1Api(api_client).create_namespaced_deployment("default", {
            "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": labels}, "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "python:3.11"}]}}}})
    return "web-1"


def round_trip(port: int, payload: bytes) -> bytes:
    """Send everything, say so (FIN), read the echo to its end."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(payload)
        connection.shutdown(socket.SHUT_WR)
        received = bytearray()
        while chunk := connection.recv(65536):
            received += chunk
    return bytes(received)


def closed_at_once(port: int) -> bool:
    """Connect and see kubectl close the connection without a byte (it may close before we even write)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        try:
            connection.sendall(b"anyone there?")
            return connection.recv(100) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True


def many_round_trips(port: int) -> None:
    payloads = [os.urandom(PAYLOAD) for _ in range(CONNECTIONS)]
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        echoes = list(pool.map(lambda p: round_trip(port, p), payloads))
    for payload, echo in zip(payloads, echoes):
        assert hashlib.sha256(echo).digest() == hashlib.sha256(payload).digest(), (len(echo), len(payload))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_kubectl_forwards_many_concurrent_connections_to_a_pod(server, pods, transport):
    forward = KubectlPortForward(server, f"pod/{pods}", "0:80", TRANSPORTS[transport])
    try:
        many_round_trips(forward.local_port)
        assert forward.process.poll() is None, forward.output()
        wait_until(lambda: forward.output().count("Handling connection for") == CONNECTIONS, timeout=60,
                   what="kubectl to report every connection", debug=forward.output)
    finally:
        forward.stop()


@pytest.mark.parametrize("target, ports, remote", [
    ("svc/web", "0:8080", 80),  # kubectl maps the Service's port to the pod's named container port itself
    ("deploy/web", "0:80", 80),  # kubectl picks one of the Deployment's pods by its selector
])
def test_kubectl_forwards_to_a_service_or_a_deployment(server, pods, target, ports, remote):
    forward = KubectlPortForward(server, target, ports)
    try:
        assert forward.remote_port == remote
        payload = os.urandom(100_000)
        assert round_trip(forward.local_port, payload) == payload
    finally:
        forward.stop()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_kubectl_reports_a_connection_the_node_refuses(server, pods, transport):
    forward = KubectlPortForward(server, f"pod/{pods}", "0:81", TRANSPORTS[transport])
    try:
        assert closed_at_once(forward.local_port)
        assert forward.wait() == 1, "kubectl 1.37 stops on an error from the pod's side"
        errors = "".join(forward.errors)
        assert re.search(r"error forwarding port 81 to pod [0-9a-f]{64}, uid : failed to execute portforward in "
                         r"network namespace .*connect: connection refused", errors), errors
        assert errors.endswith("error: lost connection to pod\n"), errors
    finally:
        forward.stop()


def client_round_trip(server, pod: str, payload: bytes) -> bytes:
    with server.api_client() as api_client:  # one each: stream() swaps the ApiClient's request function
        forwarded = portforward(client.CoreV1Api(api_client).connect_get_namespaced_pod_portforward, pod, "default",
                                ports="80")
        connection = forwarded.socket(80)
        connection.settimeout(60)
        connection.sendall(payload)
        received = bytearray()
        while len(received) < len(payload):
            chunk = connection.recv(65536)
            assert chunk, f"closed after {len(received)} bytes; error: {forwarded.error(80)}"
            received += chunk
        connection.close()
        return bytes(received)


def test_client_forwards_many_concurrent_connections(server, pods):
    payloads = [os.urandom(PAYLOAD // 4) for _ in range(24)]
    with ThreadPoolExecutor(len(payloads)) as pool:
        echoes = list(pool.map(lambda p: client_round_trip(server, pods, p), payloads))
    assert echoes == payloads


def test_client_sees_the_port_pairing_and_the_nodes_refusal(server, pods):
    with server.api_client() as api_client:
        forwarded = portforward(client.CoreV1Api(api_client).connect_get_namespaced_pod_portforward, pods, "default",
                                ports="80,81")
        good, refused = forwarded.socket(80), forwarded.socket(81)
        for connection in (good, refused):
            connection.settimeout(60)
        good.sendall(b"still fine")
        assert good.recv(100) == b"still fine"
        assert refused.recv(100) == b""
        assert re.fullmatch(r"error forwarding port 81 to pod [0-9a-f]{64}, uid : .*connection refused ",
                            forwarded.error(81))
        good.close()
        refused.close()
