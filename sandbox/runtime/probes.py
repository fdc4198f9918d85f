"""Running one probe of a container, as the kubelet's prober runs it (pkg/probe/http, tcp, exec), with the
output the kubelet puts in the Unhealthy event:

    httpGet    GET <scheme>://<host or pod IP>:<port><path> with kube-probe/1.37 and Accept */*, TLS unverified;
               200-399 passes, a redirect to another host passes with a warning, same-host redirects are followed
               (the 10th one fails), at most 10 KiB of the body is read; the whole exchange within timeoutSeconds
               -> "HTTP probe failed with statuscode: 503"
               -> 'Get "http://10.244.1.5:80/healthz": dial tcp 10.244.1.5:80: connect: connection refused'
               -> 'Get "http://10.244.1.5:80/": context deadline exceeded (Client.Timeout exceeded while awaiting
                  headers)'
    tcpSocket  a connection opened and closed -> "dial tcp 10.244.1.5:6379: connect: connection refused"
    exec       the command (its $(VAR) from literal env values) exits 0; its output (10 KiB at most) is the
               message -> 'command timed out: "sh -c sleep 5" timed out after 1s'
    grpc       not performed in the sandbox: an error (see ProbeResult.error), which the kubelet never counts

The network goes through `connect(host, port, timeout) -> (reader, writer)`, which the kubelet passes because
pod addresses are the pod network's to translate; commands through `run(argv, timeout) -> (exit_code, output)`,
which raises TimeoutError when the command outlives the timeout and ProbeError when it cannot start."""
from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from dataclasses import dataclass
from typing import Awaitable, Callable
from urllib.parse import urljoin, urlsplit

from sandbox.runtime.commands import expand_static
from sandbox.simulation.nodes import KUBELET_VERSION
from sandbox.simulation.stages import go_duration

SUCCESS, FAILURE, WARNING, UNKNOWN = "Success", "Failure", "Warning", "Unknown"
MAX_BODY = 10 * 1024  # the kubelet reads this much of a response body, and of an exec probe's output
MAX_REDIRECTS = 10
USER_AGENT = "kube-probe/" + ".".join(KUBELET_VERSION.lstrip("v").split(".")[:2])
_REDIRECTS = (301, 302, 303, 307, 308)  # the statuses Go's client follows

Connect = Callable[[str, int, float], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]
Run = Callable[[list[str], float], Awaitable[tuple[int, str]]]


class ProbeError(Exception):
    """The probe could not be run at all (a command that cannot start, a port that does not resolve)."""


@dataclass(frozen=True)
class ProbeResult:
    result: str  # Success | Failure | Warning | Unknown
    output: str = ""  # the event's text after "<Kind> probe failed: " / "<Kind> probe warning: "
    error: str | None = None  # set with Unknown: "<Kind> probe errored: <error>", and the result is thrown away


async def run_probe(probe: dict, container: dict, *, pod_ip: str, connect: Connect, run: Run) -> ProbeResult:
    """One run of `probe` (a container's livenessProbe, readinessProbe or startupProbe)."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    try:
        if probe.get("exec") is not None:
            command = expand_static(probe["exec"].get("command") or [], container.get("env") or [])
            return await exec_probe(command, timeout, run)
        if probe.get("httpGet") is not None:
            return await http_probe(probe["httpGet"], container, pod_ip=pod_ip, timeout=timeout, connect=connect)
        if probe.get("tcpSocket") is not None:
            action = probe["tcpSocket"]
            port = resolve_port(action.get("port"), container)
            return await tcp_probe(action.get("host") or pod_ip, port, timeout, connect)
        if probe.get("grpc") is not None:
            return ProbeResult(UNKNOWN, error="gRPC probes are not performed in the workshop sandbox (no "
                                              "grpc.health.v1 client): use httpGet, tcpSocket or exec")
    except ProbeError as e:
        return ProbeResult(UNKNOWN, error=str(e))
    return ProbeResult(UNKNOWN, error=f"missing probe handler for {container.get('name')}")


def resolve_port(port, container: dict) -> int:
    """A number, or the name of one of the container's ports (ResolveContainerPort's words when neither)."""
    if isinstance(port, str):
        named = [p.get("containerPort") for p in container.get("ports") or [] if p.get("name") == port]
        if named:
            port = named[0]
        else:
            try:
                port = int(port)
            except ValueError:
                raise ProbeError(f'strconv.Atoi: parsing "{port}": invalid syntax') from None
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ProbeError(f"invalid port number: {port}")
    return port


# tcpSocket -------------------------------------------------------------------------------------------------------
def host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def dial_error(host: str, port: int, error: BaseException) -> str:
    """A failed connection as Go's dialer words it."""
    where = f"dial tcp {host_port(host, port)}"
    if isinstance(error, socket.gaierror):
        return f"dial tcp: lookup {host}: no such host"
    if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        return f"{where}: i/o timeout"
    if isinstance(error, ConnectionRefusedError):
        return f"{where}: connect: connection refused"
    code = getattr(error, "errno", None)
    words = {errno.EHOSTUNREACH: "no route to host", errno.ENETUNREACH: "network is unreachable"}.get(code)
    return f"{where}: connect: {words or str(getattr(error, 'strerror', None) or error).lower()}"


async def tcp_probe(host: str, port: int, timeout: float, connect: Connect) -> ProbeResult:
    try:
        _, writer = await asyncio.wait_for(connect(host, port, timeout), timeout)
    except (OSError, asyncio.TimeoutError) as e:
        return ProbeResult(FAILURE, dial_error(host, port, e))
    writer.close()
    return ProbeResult(SUCCESS)


# exec ------------------------------------------------------------------------------------------------------------
async def exec_probe(command: list[str], timeout: float, run: Run) -> ProbeResult:
    try:
        code, output = await run(command, timeout)
    except (asyncio.TimeoutError, TimeoutError):
        # the CRI client's ErrCommandTimedOut, with the command joined and Go-quoted
        return ProbeResult(FAILURE, f'command timed out: "{_go_escape(" ".join(command))}" timed out after '
                                    f"{go_duration(timeout)}")
    data = output if isinstance(output, bytes) else output.encode()
    output = data[:MAX_BODY].decode("utf-8", "replace")
    return ProbeResult(SUCCESS if code == 0 else FAILURE, output)


def _go_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")


# httpGet ---------------------------------------------------------------------------------------------------------
def probe_url(action: dict, container: dict, pod_ip: str) -> str:
    """The URL the kubelet requests (GetProbeUrl): the scheme in lower case, the host or the pod IP, the port
    resolved, the path as given (with a leading slash)."""
    scheme = (action.get("scheme") or "HTTP").lower()
    host = action.get("host") or pod_ip
    path = action.get("path") or ""
    if path and not path.startswith("/"):
        path = "/" + path
    return f"{scheme}://{host_port(host, resolve_port(action.get('port'), container))}{path}"


def request_headers(action: dict, host: str) -> list[tuple[str, str]]:
    """The probe's headers: httpHeaders as given, User-Agent kube-probe/<major.minor> and Accept */* unless
    given (an empty Accept removes it), and the Host header the URL or a given Host says."""
    given = [(h.get("name") or "", h.get("value") or "") for h in action.get("httpHeaders") or []]
    names = {name.lower() for name, _ in given}
    headers = [("Host", next((v for n, v in given if n.lower() == "host"), host))]
    if "user-agent" not in names:
        headers.append(("User-Agent", USER_AGENT))
    if "accept" not in names:
        headers.append(("Accept", "*/*"))
    headers += [(n, v) for n, v in given if n.lower() != "host" and not (n.lower() == "accept" and v == "")]
    return headers + [("Connection", "close")]  # DisableKeepAlives


async def http_probe(action: dict, container: dict, *, pod_ip: str, timeout: float, connect: Connect) -> ProbeResult:
    url = probe_url(action, container, pod_ip)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    first_host = urlsplit(url).hostname
    for hop in range(MAX_REDIRECTS + 1):
        exchange = _Exchange(url, action, connect)
        try:
            status, location, body = await asyncio.wait_for(exchange.run(deadline), max(0.0, deadline - loop.time()))
        except (asyncio.TimeoutError, TimeoutError):
            if exchange.reading_body:  # DoHTTPProbe's body read fails: a prober error, not a failure
                return ProbeResult(UNKNOWN, error="net/http: request canceled (Client.Timeout or context "
                                                  "cancellation while reading body)")
            return ProbeResult(FAILURE, f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while '
                                        "awaiting headers)")
        except _Failed as e:
            return ProbeResult(FAILURE, f'Get "{url}": {e}')
        except (asyncio.IncompleteReadError, ValueError):  # the body broke off: a prober error
            return ProbeResult(UNKNOWN, error="unexpected EOF")
        if status in _REDIRECTS and location is not None:
            target = urljoin(url, location)
            if urlsplit(target).hostname != first_host:
                pass  # RedirectChecker: another host ends the redirects with this response
            elif hop + 1 >= MAX_REDIRECTS:
                return ProbeResult(FAILURE, f'Get "{location}": stopped after {MAX_REDIRECTS} redirects')
            else:
                url = target
                continue
        text = body.decode("utf-8", "replace")
        if 200 <= status < 300:
            return ProbeResult(SUCCESS, text)
        if 300 <= status < 400:
            return ProbeResult(WARNING, f"Probe terminated redirects, Response body: {text}")
        return ProbeResult(FAILURE, f"HTTP probe failed with statuscode: {status}")
    raise AssertionError("unreachable")


class _Failed(Exception):
    """What Go's client says after `Get "<url>": `."""


class _Exchange:
    """One request and its response on a connection of its own (the prober keeps none alive)."""

    def __init__(self, url: str, action: dict, connect: Connect):
        self.url, self.action, self.connect = url, action, connect
        self.reading_body = False

    async def run(self, deadline: float) -> tuple[int, str | None, bytes]:
        parts = urlsplit(self.url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        try:
            reader, writer = await self.connect(host, port, max(0.0, deadline - loop.time()))
        except OSError as e:
            raise _Failed(dial_error(host, port, e)) from None
        try:
            if parts.scheme == "https":
                await self._start_tls(writer, host)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            head = [f"GET {target} HTTP/1.1"] + [f"{n}: {v}" for n, v in request_headers(self.action, parts.netloc)]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace"))
            await writer.drain()
            return await self._response(reader, writer)
        except ConnectionResetError:
            raise _Failed(f"read tcp {_local(writer)}->{host_port(host, port)}: read: connection reset by peer") \
                from None
        finally:
            writer.close()

    async def _start_tls(self, writer: asyncio.StreamWriter, host: str) -> None:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # InsecureSkipVerify
        try:
            await writer.start_tls(context, server_hostname=None if _is_ip(host) else host)
        except ssl.SSLError as e:
            if "WRONG_VERSION_NUMBER" in str(e) or "wrong version number" in str(e):
                raise _Failed("http: server gave HTTP response to HTTPS client") from None
            raise _Failed(f"tls: {e.reason or e}".lower()) from None

    async def _response(self, reader: asyncio.StreamReader, writer) -> tuple[int, str | None, bytes]:
        line = await reader.readline()
        if not line:
            raise _Failed("EOF")
        words = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        if len(words) < 2 or not words[0].startswith("HTTP/") or not words[1].isdigit():
            raise _Failed("net/http: HTTP/1.x transport connection broken: malformed HTTP response "
                          f'"{line.decode("latin-1").rstrip()}"')
        status = int(words[1])
        headers: dict[str, str] = {}
        while True:
            header = await reader.readline()
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        self.reading_body = True
        body = await _body(reader, headers, status)
        return status, headers.get("location"), body


async def _body(reader: asyncio.StreamReader, headers: dict[str, str], status: int) -> bytes:
    """At most MAX_BODY bytes of the body (the rest is never read: the connection closes)."""
    if status in (204, 304) or 100 <= status < 200:
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        out = b""
        while len(out) < MAX_BODY:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            out += await reader.readexactly(size)
            await reader.readline()
        return out[:MAX_BODY]
    length = headers.get("content-length")
    if length is not None and length.isdigit():
        return await reader.readexactly(min(int(length), MAX_BODY))
    out = b""
    while len(out) < MAX_BODY:
        data = await reader.read(MAX_BODY - len(out))
        if not data:
            break
        out += data
    return out


def _is_ip(host: str) -> bool:
    return host.replace(".", "").isdigit() or ":" in host


def _local(writer: asyncio.StreamWriter) -> str:
    name = writer.get_extra_info("sockname")
    return host_port(str(name[0]), int(name[1])) if name else "0.0.0.0:0"
