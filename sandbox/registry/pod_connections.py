"""The API server's checks before it connects a client to a pod's node: pods/exec, pods/attach and
pods/portforward, as kube-apiserver's pod REST does them (pkg/registry/core/pod/strategy.go: ExecLocation,
AttachLocation, PortForwardLocation) and then the kubelet's own option checks (remotecommand NewOptions,
portforward NewV4Options), every refusal a StatusError in their words.

    options = exec_options(query)                          # PodExecOptions from the query (GET or POST)
    connection = stream_connection(registry, namespace, name, options)
    process = await connection.kubelet.exec(connection.pod, connection.container, list(options.command), ...)

The order is kube-apiserver's: the pod (404), the container (400, validateContainer as pods/log applies it),
the node (400), then the options."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.machinery import errors, resources
from sandbox.registry.kubelet_connection import KubeletConnection
from sandbox.registry.subresources import log_container as validate_container

_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class StreamOptions:
    """PodExecOptions (command set) or PodAttachOptions (command empty), as decoded from the query."""
    container: str = ""
    command: tuple[str, ...] = ()
    stdin: bool = False
    stdout: bool = False
    stderr: bool = False
    tty: bool = False


@dataclass(frozen=True)
class PortForwardOptions:
    ports: tuple[int, ...] = ()


@dataclass(frozen=True)
class Connection:
    """Where a request goes: the pod as stored, the container it names ("" for port-forward), its node's kubelet."""
    pod: dict
    container: str
    kubelet: KubeletConnection


# query decoding (the apiserver's parameter codec) ------------------------------------------------------------------
def _bool(query: list[tuple[str, str]], key: str) -> bool:
    """Convert_Slice_string_To_bool: absent, "false" or "0" is false; anything else, even "", is true."""
    values = [v for k, v in query if k == key]
    if not values:
        return False
    return not (values[0] == "0" or values[0].lower() == "false")


def _first(query: list[tuple[str, str]], key: str) -> str:
    return next((v for k, v in query if k == key), "")


def exec_options(query: list[tuple[str, str]]) -> StreamOptions:
    return StreamOptions(_first(query, "container"), tuple(v for k, v in query if k == "command"),
                         _bool(query, "stdin"), _bool(query, "stdout"), _bool(query, "stderr"), _bool(query, "tty"))


def attach_options(query: list[tuple[str, str]]) -> StreamOptions:
    return StreamOptions(_first(query, "container"), (), _bool(query, "stdin"), _bool(query, "stdout"),
                         _bool(query, "stderr"), _bool(query, "tty"))


def port_forward_options(query: list[tuple[str, str]]) -> PortForwardOptions:
    """Convert_Slice_string_To_Slice_int32: every `ports` value, comma separated, each a 16-bit number."""
    ports = []
    for key, value in query:
        if key != "ports":
            continue
        for part in value.split(","):
            if not _DIGITS.fullmatch(part):
                raise errors.bad_request(f"cannot convert to []int32: strconv.ParseUint: parsing {_quote(part)}: "
                                         "invalid syntax")
            if int(part) > 0xFFFF:
                raise errors.bad_request(f"cannot convert to []int32: strconv.ParseUint: parsing {_quote(part)}: "
                                         "value out of range")
            ports.append(int(part))
    return PortForwardOptions(tuple(ports))


def _quote(text: str) -> str:
    """Go's %q for the plain strings a query carries."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# the pod REST's checks ---------------------------------------------------------------------------------------------
def stream_connection(registry, namespace: str, name: str, options: StreamOptions) -> Connection:
    """ExecLocation and AttachLocation (one code path in kube-apiserver too), then the kubelet's stream check."""
    connection = _stream_location(registry, namespace, name, options.container)
    _check_streams(options)
    return connection


def port_forward_connection(registry, namespace: str, name: str) -> Connection:
    """PortForwardLocation: the pod and its node; no container (the ports are the pod's)."""
    pod = _pod(registry, namespace, name)
    return Connection(pod, "", _kubelet(registry, pod, name))


def check_websocket_ports(options: PortForwardOptions) -> None:
    """The kubelet's NewV4Options, for port-forward over the WebSocket channel protocol (the Python client):
    ports travel in the query there (as one comma-separated `port` value the API server passes on), while over
    SPDY each stream names its port."""
    if not options.ports:
        raise errors.bad_request('query parameter "port" is required')
    if 0 in options.ports:
        joined = ",".join(str(p) for p in options.ports)
        raise errors.bad_request(f'port "{joined}" must be > 0')


def _stream_location(registry, namespace: str, name: str, container: str) -> Connection:
    pod = _pod(registry, namespace, name)
    container = validate_container(pod, container)  # validateContainer, shared with pods/log as in kube-apiserver
    return Connection(pod, container, _kubelet(registry, pod, name))


def _pod(registry, namespace: str, name: str) -> dict:
    return registry.get(resources.lookup("", "v1", "pods"), namespace, name)  # 404 `pods "x" not found`


def _kubelet(registry, pod: dict, name: str) -> KubeletConnection:
    node = (pod.get("spec") or {}).get("nodeName")
    if not node:
        raise errors.bad_request(f"pod {name} does not have a host assigned")
    if registry.kubelet is None:  # no controllers: no node to ask (as pods/log answers)
        raise errors.not_found("", "nodes", node)
    return registry.kubelet


def _check_streams(options: StreamOptions) -> None:
    """The kubelet's NewOptions: with a TTY, stderr is dropped (the terminal carries it); one stream at least."""
    if not (options.stdin or options.stdout or (options.stderr and not options.tty)):
        raise errors.bad_request("you must specify at least 1 of stdin, stdout, stderr")
