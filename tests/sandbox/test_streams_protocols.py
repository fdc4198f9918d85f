"""The older and rarer ways in, spoken directly with websocket-client (the Python client's own WebSocket library)
and requests: the v4 and base64 channel protocols, the text error channel of channel.k8s.io, and the Status
every refusal gets before any protocol switch."""
from __future__ import annotations

import base64
import json
import ssl
import struct

import pytest
import requests
import websocket

from sandbox import kubeconfig
from tests.sandbox.streams_harness import create_pod, echo_server

pytestmark = pytest.mark.sandbox

EXEC = "/api/v1/namespaces/default/pods/{pod}/exec?command=sh&command=-c&command={script}&stdout=1&stderr=1"


@pytest.fixture(scope="module")
def conn(server, tmp_path_factory):
    create_pod(server, "plain")
    create_pod(server, "two", [{"name": "a", "image": "python:3.11"}, {"name": "b", "image": "python:3.11"}])
    server.node.ports[80] = echo_server(server)
    config = kubeconfig.read(server.kubeconfig)
    ca = tmp_path_factory.mktemp("ca") / "ca.crt"
    ca.write_bytes(config["ca_pem"])
    return {"url": config["url"], "token": config["token"], "ca": str(ca)}


def open_ws(conn, path: str, protocols: list[str] | None):
    return websocket.create_connection(
        conn["url"].replace("https", "wss") + path, header=[f"Authorization: Bearer {conn['token']}"],
        subprotocols=protocols, sslopt={"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": conn["ca"]}, timeout=60)


def messages(ws) -> list[tuple[int, bytes | str]]:
    """Every data message until the server closes: (opcode, payload)."""
    received = []
    while True:
        opcode, frame = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return received
        if opcode in (websocket.ABNF.OPCODE_BINARY, websocket.ABNF.OPCODE_TEXT):
            received.append((opcode, frame))


def test_v4_binary_exec_with_a_json_status(conn):
    ws = open_ws(conn, EXEC.format(pod="plain", script="echo%20out;%20exit%207"), ["v4.channel.k8s.io"])
    assert ws.getsubprotocol() == "v4.channel.k8s.io"
    got = messages(ws)
    assert got[0] == (websocket.ABNF.OPCODE_BINARY, b"\x01"), "an empty stdout message first: streams are up"
    assert (websocket.ABNF.OPCODE_BINARY, b"\x01out\n") in got
    status = json.loads(got[-1][1][1:])
    assert got[-1][1][0] == 3 and status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "7"}]


def test_v4_base64_exec_is_text_with_a_channel_digit(conn):
    ws = open_ws(conn, EXEC.format(pod="plain", script="echo%20out"), ["v4.base64.channel.k8s.io"])
    got = messages(ws)
    assert all(opcode == websocket.ABNF.OPCODE_TEXT for opcode, _ in got)
    assert "1" + base64.b64encode(b"out\n").decode() in [payload.decode() for _, payload in got]
    assert json.loads(base64.b64decode(got[-1][1][1:])) == {"metadata": {}, "status": "Success"}


def test_channel_k8s_io_writes_failures_as_text_and_nothing_on_success(conn):
    ok = messages(open_ws(conn, EXEC.format(pod="plain", script="true"), ["channel.k8s.io"]))
    assert not [payload for _, payload in ok if payload[:1] == b"\x03" and len(payload) > 1]
    failed = messages(open_ws(conn, EXEC.format(pod="plain", script="exit%202"), ["channel.k8s.io"]))
    assert failed[-1][1] == b"\x03command terminated with non-zero exit code: command terminated with exit code 2"


def test_python_client_port_forward_frames(conn):
    ws = open_ws(conn, "/api/v1/namespaces/default/pods/plain/portforward?ports=80", ["v4.channel.k8s.io"])
    port = struct.pack("<H", 80)
    assert [ws.recv(), ws.recv()] == [b"\x00" + port, b"\x01" + port]  # data channel, error channel
    ws.send_binary(b"\x00ping")
    assert ws.recv() == b"\x00ping"
    ws.close()


@pytest.mark.parametrize("method, path, headers, code, message", [
    ("GET", "/api/v1/namespaces/default/pods/plain/exec?command=true&stdout=1", {}, 400, "Upgrade request required"),
    ("PUT", "/api/v1/namespaces/default/pods/plain/exec", {}, 405,
     "the server does not allow this method on the requested resource"),
    ("GET", "/api/v1/namespaces/default/pods/ghost/portforward?ports=80", {}, 404, 'pods "ghost" not found'),
    ("GET", "/api/v1/namespaces/default/pods/plain/portforward?ports=http", {}, 400,
     'cannot convert to []int32: strconv.ParseUint: parsing "http": invalid syntax'),
    ("GET", "/api/v1/namespaces/default/pods/two/attach?stdout=1", {}, 400,
     "a container name must be specified for pod two, choose one of: [a b]"),
    ("GET", "/api/v1/namespaces/default/pods/plain/exec?command=true", {}, 400,
     "you must specify at least 1 of stdin, stdout, stderr"),
    ("POST", "/api/v1/namespaces/default/pods/plain/portforward",
     {"Connection": "Upgrade", "Upgrade": "SPDY/3.1", "X-Stream-Protocol-Version": "v9.portforward.k8s.io"}, 403,
     "unable to upgrade: unable to negotiate protocol: client supports [v9.portforward.k8s.io], server accepts "
     "[portforward.k8s.io]"),
    ("GET", "/api/v1/namespaces/default/services/kubernetes/proxy", {}, 400,
     "services/proxy is not available in the workshop sandbox (use kubectl port-forward, or a kind cluster)"),
])
def test_refusals_are_statuses_before_any_protocol_switch(conn, method, path, headers, code, message):
    response = requests.request(method, conn["url"] + path, verify=conn["ca"], timeout=60,
                                headers={"Authorization": f"Bearer {conn['token']}", **headers})
    assert response.status_code == code
    status = response.json()
    assert (status["kind"], status["code"], status["message"]) == ("Status", code, message)


def test_a_websocket_port_forward_needs_its_ports(conn):
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        open_ws(conn, "/api/v1/namespaces/default/pods/plain/portforward", ["v4.channel.k8s.io"])
    assert caught.value.status_code == 400 and b'query parameter \\"port\\" is required' in caught.value.resp_body
