"""pods/exec, pods/attach and pods/portforward: from the HTTP request to the node's kubelet (registry.kubelet),
over the protocols kubectl 1.37 and the Python client speak.

    server.py routes GET and POST on those subresources to `serve(request, registry, target)`.

The API server's checks come first (registry/pod_connections.py: the pod, the container, the node, the
options), so every refusal is a Status before any protocol switch, as on kube-apiserver. Then, by request:

    request                                                   module
    exec/attach, WebSocket v5/v4/v1 channel protocols         ws_remotecommand.py  (kubectl, Python client)
    exec/attach, POST Upgrade: SPDY/3.1                       spdy_remotecommand.py (kubectl's fallback)
    portforward, WebSocket SPDY/3.1+portforward.k8s.io        spdy_portforward.py over transports.WebSocketBytes
    portforward, POST Upgrade: SPDY/3.1                       spdy_portforward.py over transports.UpgradedConnection
    portforward, WebSocket v4.channel.k8s.io, ?ports=         ws_portforward.py    (Python client)
    anything else                                             400 "Upgrade request required"

Shared: channels.py (WebSocket channel framing and Status objects), remotecommand.py (a command's streams),
portforward.py (one forwarded connection), spdy_frames.py and spdy_session.py (SPDY/3.1)."""
from __future__ import annotations

from urllib.parse import parse_qsl

from aiohttp import web

from sandbox.api.streams import channels, spdy_portforward, spdy_remotecommand, ws_portforward, ws_remotecommand
from sandbox.api.streams.transports import UpgradedConnection, WebSocketBytes
from sandbox.machinery import errors
from sandbox.machinery.errors import StatusError
from sandbox.registry import pod_connections

__all__ = ["SUBRESOURCES", "METHODS", "serve"]

SUBRESOURCES = ("exec", "attach", "portforward")
METHODS = ("GET", "POST")  # kube-apiserver's upgradeableMethods (GET for browsers' WebSockets)
TUNNELING_PREFIX = "SPDY/3.1+"  # kubectl's port-forward WebSocket subprotocol: SPDY/3.1+portforward.k8s.io


async def serve(request: web.Request, registry, namespace: str, name: str, subresource: str) -> web.StreamResponse:
    query = parse_qsl(request.query_string, keep_blank_values=True)
    if subresource == "portforward":
        return await _port_forward(request, registry, namespace, name, query)
    return await _remote_command(request, registry, namespace, name, query, attach=subresource == "attach")


def _upgrade(request: web.Request) -> str:
    """The protocol an upgrade request asks for, lower case ("" for a plain request)."""
    connection = [token.strip().lower() for token in request.headers.get("Connection", "").split(",")]
    return request.headers.get("Upgrade", "").strip().lower() if "upgrade" in connection else ""


def _stream_protocols(request: web.Request) -> list[str]:
    """X-Stream-Protocol-Version: repeated or comma separated, in the client's order."""
    return [p.strip() for value in request.headers.getall("X-Stream-Protocol-Version", [])
            for p in value.split(",") if p.strip()]


def _negotiate_spdy(request: web.Request, supported: tuple[str, ...]) -> str:
    """apimachinery's httpstream.Handshake: the first protocol of the client's that the server accepts."""
    requested = _stream_protocols(request)
    if not requested:
        raise errors.bad_request("unable to upgrade: X-Stream-Protocol-Version is required")
    for protocol in requested:
        if protocol in supported:
            return protocol
    raise StatusError(403, "Forbidden", f"unable to upgrade: unable to negotiate protocol: client supports "
                      f"[{' '.join(requested)}], server accepts [{' '.join(supported)}]")


def _websocket_protocols(request: web.Request, supported: tuple[str, ...]) -> channels.ChannelProtocol:
    requested = channels.requested_protocols(request.headers.get("Sec-WebSocket-Protocol", ""))
    protocol = channels.choose(requested, supported)
    if protocol is None:
        raise errors.bad_request(f"requested protocol(s) are not supported: [{' '.join(requested)}]; "
                                 f"supports [{' '.join(supported)}]")
    return protocol


async def _remote_command(request, registry, namespace, name, query, *, attach: bool) -> web.StreamResponse:
    options = (pod_connections.attach_options if attach else pod_connections.exec_options)(query)
    connection = pod_connections.stream_connection(registry, namespace, name, options)

    def start():
        kubelet, pod, container = connection.kubelet, connection.pod, connection.container
        if attach:
            return kubelet.attach(pod, container, stdin=options.stdin, tty=options.tty)
        return kubelet.exec(pod, container, list(options.command), stdin=options.stdin, tty=options.tty)

    upgrade = _upgrade(request)
    if upgrade == "websocket":
        protocol = _websocket_protocols(request, channels.REMOTE_COMMAND)
        return await ws_remotecommand.serve(request, protocol, options, start, attach=attach)
    if upgrade == "spdy/3.1":
        protocol = _negotiate_spdy(request, spdy_remotecommand.SUPPORTED)
        return await spdy_remotecommand.serve(request, protocol, options, start, attach=attach)
    raise errors.bad_request("Upgrade request required")


async def _port_forward(request, registry, namespace, name, query) -> web.StreamResponse:
    options = pod_connections.port_forward_options(query)  # decoding the query comes before the pod
    connection = pod_connections.port_forward_connection(registry, namespace, name)
    upgrade = _upgrade(request)
    if upgrade == "websocket":
        requested = channels.requested_protocols(request.headers.get("Sec-WebSocket-Protocol", ""))
        tunneled = [p[len(TUNNELING_PREFIX):] for p in requested if p.startswith(TUNNELING_PREFIX)]
        if tunneled:  # kubectl: SPDY inside the WebSocket, the ports named per stream
            if spdy_portforward.PROTOCOL not in tunneled:
                raise StatusError(403, "Forbidden", "unable to upgrade: unable to negotiate protocol: client "
                                  f"supports [{' '.join(tunneled)}], server accepts [{spdy_portforward.PROTOCOL}]")
            ws = web.WebSocketResponse(protocols=(TUNNELING_PREFIX + spdy_portforward.PROTOCOL,),
                                       max_msg_size=channels.MAX_MESSAGE)
            await ws.prepare(request)
            await spdy_portforward.serve_session(WebSocketBytes(ws), connection)
            return ws
        pod_connections.check_websocket_ports(options)
        protocol = _websocket_protocols(request, channels.PORT_FORWARD)
        return await ws_portforward.serve(request, protocol, connection, options.ports)
    if upgrade == "spdy/3.1":
        _negotiate_spdy(request, (spdy_portforward.PROTOCOL,))
        upgraded = await UpgradedConnection.switch(request, {"Upgrade": "SPDY/3.1",
                                                             "X-Stream-Protocol-Version": spdy_portforward.PROTOCOL})
        await spdy_portforward.serve_session(upgraded, connection)
        return upgraded.response
    raise errors.bad_request("Upgrade request required")
