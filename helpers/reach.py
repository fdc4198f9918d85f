"""How this machine (the notebook's kernel) reaches a LoadBalancer Service: one implementation, used by chapter 05's
cells and by enqueue_orders().

    with reach_service("containo-orders-frontend") as base:          # e.g. "http://172.18.0.6:1337"
        status, answer = http_request("POST", base + "/api/orders", {"amount": 42, ...})

The Service's external address comes first. On the sandbox the kernel reaches it through the pod network's host
mode (connect() installs it: the kernel is like a Linux host on kind's network), on kind with Docker Engine on Linux
directly, on a cloud directly. When it does not answer (Docker Desktop keeps kind's network inside its VM; a cluster
without a load-balancer provider gives no address at all), `kubectl port-forward service/<name>` to a free local
port stands in for it while the block runs, as a developer would do by hand.
"""
from __future__ import annotations

import contextlib
import json
import re
import selectors
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

from kubernetes.client.exceptions import ApiException

from .cluster import Connection, current
from .errors import WorkshopError, explain
from .kubectl import command_for
from .simulation import is_simulated

API = "containo-orders-frontend"  # the API's LoadBalancer Service
PROBE_PATH = "/healthz"  # the API answers it without Redis; any HTTP answer proves the address is reached
PROBE_TIMEOUT = 3.0
FORWARD_TIMEOUT = 30.0  # kubectl port-forward prints its local port within a second or two; a cloud's API may be slow
_FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)")


def http_request(method: str, url: str, body: dict | None = None, *, timeout: float = 5.0) -> tuple[int, dict]:
    """One JSON request, as a client of the API sends it: (HTTP status, the JSON answer). A 4xx or 5xx answer is
    returned like a 2xx one (the API's `{"error": ...}` says why); no answer at all raises OSError."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read())


def _json(raw: bytes) -> dict:
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return {"body": raw.decode(errors="replace")}
    return answer if isinstance(answer, dict) else {"body": answer}


def answers(base: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether anything answers HTTP at `base` from here (any status: a reply proves the address is reached)."""
    try:
        http_request("GET", base + PROBE_PATH, timeout=timeout)
    except (OSError, ValueError):  # refused, unreachable, timed out, or not HTTP at all
        return False
    return True


def external_address(service: dict) -> str | None:
    """The load balancer's address (IP or host name) in the Service's status; None while there is none."""
    for ingress in ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
        if ingress.get("ip") or ingress.get("hostname"):
            return ingress.get("ip") or ingress.get("hostname")
    return None


def read_service(conn: Connection, namespace: str, name: str) -> tuple[dict, int]:
    """The Service and its first port; a WorkshopError that says what to do when it is missing."""
    try:
        service = conn.api.read("v1", "Service", name, namespace)
    except ApiException as exc:
        raise WorkshopError(explain(exc, conn.server, conn.advice)) from None
    if service is None:
        raise WorkshopError(f'service "{name}" not found in namespace {namespace} (chapter 05 creates the API\'s)')
    ports = (service.get("spec") or {}).get("ports") or []
    if not ports:
        raise WorkshopError(f'service "{name}" has no port to send requests to')
    return service, ports[0]["port"]


def port_forward_command(conn: Connection, namespace: str, service: str, port: int) -> list[str]:
    """`kubectl port-forward service/<name> :<port>`: kubectl picks a free local port and prints it."""
    return command_for(conn, ["port-forward", "--address", "127.0.0.1", f"service/{service}", f":{port}"], namespace)


def forwarded_port(line: str) -> int | None:
    """The local port in kubectl's "Forwarding from 127.0.0.1:41234 -> 80" line."""
    match = _FORWARDING.search(line)
    return int(match.group(1)) if match else None


@contextlib.contextmanager
def port_forward(conn: Connection, namespace: str, service: str, port: int) -> Iterator[int]:
    """A running `kubectl port-forward` to the Service's port: yields the local port; stopped at the end."""
    process = subprocess.Popen(port_forward_command(conn, namespace, service, port), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        yield _wait_for_forwarding(process, service)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_forwarding(process: subprocess.Popen, service: str) -> int:
    """Read kubectl's output until it says which local port forwards (it prints that once it listens)."""
    deadline = time.monotonic() + FORWARD_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                line = process.stdout.readline()
                local = forwarded_port(line)
                if local:
                    return local
                if line:
                    continue
            if process.poll() is not None:
                break
    process.kill()
    why = (process.stderr.read() or "").strip() if process.poll() is not None else f"no port after {FORWARD_TIMEOUT:g}s"
    raise WorkshopError(f"kubectl port-forward service/{service} failed: {why}\nIs a pod of the Service ready? "
                        f"kubectl get endpoints {service}")


def _refuse_on_simulated_runtime(conn: Connection, service: str) -> None:
    if is_simulated(conn):
        raise WorkshopError(
            f"This sandbox runs with --runtime simulated: no process serves service/{service}, so there is nothing "
            "to send a request to. Restart it with the process runtime (the default): `workshop sandbox stop`, "
            "then `workshop sandbox start` (or run connect() again).")


@contextlib.contextmanager
def reach_service(service: str = API, *, namespace: str | None = None) -> Iterator[str]:
    """The base URL (`http://<address>:<port>`) at which this machine reaches a LoadBalancer Service, for the
    duration of a `with` block: its external address when that answers, else a `kubectl port-forward` to it.

        with reach_service() as base:
            http_request("POST", base + "/api/orders", {"amount": 42, "customerName": "Ada", "productId": "x"})
    """
    conn = current()
    namespace = namespace or conn.namespace
    _refuse_on_simulated_runtime(conn, service)
    found, port = read_service(conn, namespace, service)
    address = external_address(found)
    if address and answers(f"http://{address}:{port}"):
        yield f"http://{address}:{port}"
        return
    with port_forward(conn, namespace, service, port) as local:
        why = f"its external IP {address} does not answer from here" if address else "it has no external IP"
        print(f"service/{service}: {why}; kubectl port-forward service/{service} {local}:{port} stands in for it.")
        yield f"http://127.0.0.1:{local}"
