"""One probe run against real servers on 127.0.0.1 behind a connect callable that maps the pod IP, as the pod
network will: the kubelet's request, its verdicts and the exact output of each failure."""
import asyncio
import socket
import ssl

import pytest
import trustme

from sandbox.runtime.probes import FAILURE, MAX_BODY, SUCCESS, UNKNOWN, WARNING, ProbeError, run_probe

POD_IP = "10.244.1.5"
CONTAINER = {"name": "api", "ports": [{"name": "http", "containerPort": 80}],
             "env": [{"name": "FILE", "value": "/tmp/ready"}, {"name": "IP", "valueFrom": {"fieldRef": {}}}]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Network:
    """connect(host, port) for the probe: the pod's (and another host's) ports live on 127.0.0.1."""

    def __init__(self):
        self.ports = {}  # (host, port) -> local port
        self.stall = False

    async def connect(self, host, port, timeout):
        if self.stall:
            await asyncio.sleep(3600)
        local = self.ports.get((host, port), free_port())
        return await asyncio.open_connection("127.0.0.1", local)


class Server:
    """An HTTP server that answers from a script and records each request's head."""

    def __init__(self, respond, tls=None):
        self.respond, self.tls, self.requests = respond, tls, []

    async def start(self):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0, ssl=self.tls)
        return self.server.sockets[0].getsockname()[1]

    async def handle(self, reader, writer):
        head = []
        while (line := await reader.readline()) not in (b"\r\n", b"") and not line.startswith(b"\x16"):
            head.append(line.decode("latin-1").rstrip("\r\n"))
        self.requests.append(head)
        answer = self.respond(head, len(self.requests))
        if answer is not None:
            writer.write(answer)
            await writer.drain()
            writer.close()
        else:
            await asyncio.sleep(3600)  # never answers


def http(status, body=b"", *headers):
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def probe_against(respond, probe, *, other=None, tls=None):
    """Run `probe` with the pod's port 80 served by `respond` (and 10.0.0.9:80 by `other`)."""
    async def scenario():
        network = Network()
        server = Server(respond, tls)
        network.ports[(POD_IP, 80)] = await server.start()
        if other is not None:
            network.ports[("10.0.0.9", 80)] = await Server(other).start()
        result = await run_probe(probe, CONTAINER, pod_ip=POD_IP, connect=network.connect, run=None)
        return result, server.requests
    return asyncio.run(scenario())


def get(path="/healthz", port=80, **action):
    return {"httpGet": {"path": path, "port": port, **action}, "timeoutSeconds": 1}


def test_the_request_the_kubelet_sends():
    result, [head] = probe_against(lambda h, n: http(200, b"ok"), get(port="http", httpHeaders=[
        {"name": "X-Probe", "value": "yes"}]))
    assert (result.result, result.output) == (SUCCESS, "ok")
    assert head[0] == "GET /healthz HTTP/1.1"
    assert {"Host: 10.244.1.5:80", "User-Agent: kube-probe/1.37", "Accept: */*", "X-Probe: yes",
            "Connection: close"} <= set(head)
    _, [head] = probe_against(lambda h, n: http(200), get("healthz", httpHeaders=[
        {"name": "Host", "value": "shop.example"}, {"name": "Accept", "value": ""},
        {"name": "User-Agent", "value": "mine"}]))
    assert head[0] == "GET /healthz HTTP/1.1" and "Host: shop.example" in head and "User-Agent: mine" in head
    assert not [line for line in head if line.startswith("Accept")]  # an empty Accept removes it


@pytest.mark.parametrize("respond, result, output", [
    (lambda h, n: http(204), SUCCESS, ""),
    (lambda h, n: http(399, b"odd"), WARNING, "Probe terminated redirects, Response body: odd"),
    (lambda h, n: http(302, b"moved"), WARNING, "Probe terminated redirects, Response body: moved"),  # no Location
    (lambda h, n: http(503, b"down"), FAILURE, "HTTP probe failed with statuscode: 503"),
    (lambda h, n: http(404), FAILURE, "HTTP probe failed with statuscode: 404"),
    (lambda h, n: b"garbage\r\n\r\n", FAILURE, 'Get "http://10.244.1.5:80/healthz": net/http: HTTP/1.x transport '
                                               'connection broken: malformed HTTP response "garbage"'),
    (lambda h, n: b"", FAILURE, 'Get "http://10.244.1.5:80/healthz": EOF'),
    (lambda h, n: http(200, b"x" * (MAX_BODY + 5000)), SUCCESS, "x" * MAX_BODY),  # 10 KiB of the body at most
])
def test_verdicts_and_outputs(respond, result, output):
    got, _ = probe_against(respond, get())
    assert (got.result, got.output) == (result, output)


def test_redirects_on_the_same_host_are_followed_to_the_10th():
    def respond(head, n):
        return http(302, b"", "Location: /next") if head[0].startswith("GET /healthz") else http(200, b"there")
    result, requests = probe_against(respond, get())
    assert (result.result, result.output, len(requests)) == (SUCCESS, "there", 2)
    loop, requests = probe_against(lambda h, n: http(302, b"", f"Location: /loop{n}"), get())
    assert (loop.result, loop.output) == (FAILURE, 'Get "/loop10": stopped after 10 redirects')
    assert len(requests) == 10


def test_a_redirect_to_another_host_is_a_warning():
    moved = lambda h, n: http(301, b"<a>gone</a>", "Location: http://10.0.0.9:80/")
    result, _ = probe_against(moved, get(), other=lambda h, n: http(200))
    assert (result.result, result.output) == (WARNING, "Probe terminated redirects, Response body: <a>gone</a>")


def test_connection_refused_and_timeouts():
    async def scenario():
        network = Network()
        refused = await run_probe(get(), CONTAINER, pod_ip=POD_IP, connect=network.connect, run=None)
        tcp_refused = await run_probe({"tcpSocket": {"port": 6379}}, CONTAINER, pod_ip=POD_IP,
                                      connect=network.connect, run=None)
        network.stall = True
        tcp_timeout = await run_probe({"tcpSocket": {"port": 6379}, "timeoutSeconds": 0.2}, CONTAINER,
                                      pod_ip=POD_IP, connect=network.connect, run=None)
        return refused, tcp_refused, tcp_timeout
    refused, tcp_refused, tcp_timeout = asyncio.run(scenario())
    assert refused.output == 'Get "http://10.244.1.5:80/healthz": dial tcp 10.244.1.5:80: connect: connection refused'
    assert (tcp_refused.result, tcp_refused.output) == (FAILURE, "dial tcp 10.244.1.5:6379: connect: connection "
                                                                 "refused")
    assert (tcp_timeout.result, tcp_timeout.output) == (FAILURE, "dial tcp 10.244.1.5:6379: i/o timeout")
    silent, _ = probe_against(lambda h, n: None, {**get(), "timeoutSeconds": 0.2})
    assert (silent.result, silent.output) == (FAILURE, 'Get "http://10.244.1.5:80/healthz": context deadline '
                                                       'exceeded (Client.Timeout exceeded while awaiting headers)')


def test_a_tcp_probe_that_connects():
    async def scenario():
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        network = Network()
        network.ports[("10.0.0.9", 6379)] = server.sockets[0].getsockname()[1]
        return await run_probe({"tcpSocket": {"port": 6379, "host": "10.0.0.9"}}, CONTAINER, pod_ip=POD_IP,
                               connect=network.connect, run=None)
    assert asyncio.run(scenario()).result == SUCCESS


def test_https_without_verification_and_https_to_plain_http():
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("somewhere.else").configure_cert(context)  # a certificate for another name: not checked
    result, [head] = probe_against(lambda h, n: http(200, b"secure"), get(scheme="HTTPS"), tls=context)
    assert (result.result, result.output) == (SUCCESS, "secure") and head[0] == "GET /healthz HTTP/1.1"
    plain, _ = probe_against(lambda h, n: http(200), get(scheme="HTTPS"))
    assert plain.output == 'Get "https://10.244.1.5:80/healthz": http: server gave HTTP response to HTTPS client'


@pytest.mark.parametrize("probe, error", [
    (get(port="metrics"), 'strconv.Atoi: parsing "metrics": invalid syntax'),
    (get(port=70000), "invalid port number: 70000"),
    ({"grpc": {"port": 9000}}, "gRPC probes are not performed in the workshop sandbox (no grpc.health.v1 client): "
                               "use httpGet, tcpSocket or exec"),
])
def test_probes_that_cannot_run_are_errors_not_failures(probe, error):
    result = asyncio.run(run_probe(probe, CONTAINER, pod_ip=POD_IP, connect=Network().connect, run=None))
    assert (result.result, result.error) == (UNKNOWN, error)


def test_exec_probes():
    calls = []

    async def run(argv, timeout):
        calls.append((argv, timeout))
        if argv[0] == "sleep":
            raise TimeoutError
        if argv[0] == "nosuch":
            raise ProbeError('OCI runtime exec failed: exec failed: unable to start container process: exec: '
                             '"nosuch": executable file not found in $PATH: unknown')
        return (0 if argv[0] == "true" else 1), "x" * (MAX_BODY + 10) if argv[0] == "noisy" else "not ready\n"

    async def scenario():
        probe = lambda *argv, timeout=1: {"exec": {"command": list(argv)}, "timeoutSeconds": timeout}
        return [await run_probe(probe(*argv, **kw), CONTAINER, pod_ip=POD_IP, connect=None, run=run) for argv, kw in
                [(("true", "$(FILE)", "$(IP)", "$(HOME)"), {}), (("cat", "/tmp/ready"), {}), (("noisy",), {}),
                 (("sleep", "5"), {"timeout": 2}), (("nosuch",), {})]]
    ok, failed, noisy, slow, missing = asyncio.run(scenario())
    assert calls[0] == (["true", "/tmp/ready", "", "$(HOME)"], 1.0)  # only literal env values expand
    assert (ok.result, failed.result, failed.output) == (SUCCESS, FAILURE, "not ready\n")
    assert len(noisy.output) == MAX_BODY
    assert (slow.result, slow.output) == (FAILURE, 'command timed out: "sleep 5" timed out after 2s')
    assert missing.result == UNKNOWN and missing.error.startswith("OCI runtime exec failed")
