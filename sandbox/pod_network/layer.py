"""The network layer put into every Python process of a pod (by startup/sitecustomize.py, from the environment
PodNetwork.pod_environment() gives) and into the notebook kernel (helpers.connect() on the sandbox, host mode).
Like mirrord it changes what a process's network calls mean rather than the network: it replaces

    socket.getaddrinfo, gethostbyname, gethostbyname_ex, gethostbyaddr, gethostname     (names)
    socket.socket.connect, connect_ex, bind, getsockname, getpeername, _real_close       (sockets)

which is where the standard library, asyncio (sock_connect, create_connection, create_server), urllib, redis-py,
aiohttp's default (threaded) resolver and the kubernetes client all end up. Python resolves a name given to
connect() or bind() in C, past getaddrinfo, so those two resolve names here first.

Pod mode: names resolve as cluster DNS does (sandbox/pod_network/dns.py), connects go where the routing table
says (routing.py), and a bind of one of the pod's addresses really binds 127.0.0.1 (or ::1) on a free port and
registers (pod IP, port) -> real port with the sandbox over its control socket before returning, so a second
bind of a taken port fails with EADDRINUSE as the kernel would. getsockname() and getpeername() answer with the
pod's addresses. Host mode: only load-balancer and node addresses route; cluster names and addresses fail at
once with a message naming `kubectl port-forward`. Only TCP sockets of AF_INET/AF_INET6 are touched.

Cheap by design: this module imports only the standard library it needs (json when the table is first read),
and every call costs one stat() of the table file, re-read only when it changed."""
from __future__ import annotations

import _socket
import errno
import os
import socket
import weakref

from sandbox.pod_network import addresses, dns, routing
from sandbox.pod_network.table import TableReader

# The environment a pod's process carries (PodNetwork.pod_environment writes it).
ENV_TABLE = "SANDBOX_NET_TABLE"          # the routing table file
ENV_CONTROL = "SANDBOX_NET_CONTROL"      # the sandbox's unix control socket (bind registrations)
ENV_POD_IP = "SANDBOX_NET_POD_IP"
ENV_POD_UID = "SANDBOX_NET_POD_UID"
ENV_NAMESPACE = "SANDBOX_NET_NAMESPACE"  # the DNS search path's first domain
ENV_HOSTNAME = "SANDBOX_NET_HOSTNAME"    # what gethostname() says
ENV_HOSTS = "SANDBOX_NET_HOSTS"          # the pod's /etc/hosts additions: "ip name name;ip name"
ENV_OWNER = "SANDBOX_NET_OWNER"          # the container, so the kubelet can release its ports
CONTROL_TIMEOUT = 10.0

_SOCKET_FUNCTIONS = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "gethostname")
_SOCKET_METHODS = ("connect", "connect_ex", "bind", "getsockname", "getpeername", "_real_close")


class Pod:
    """Who this process is in the cluster."""
    __slots__ = ("ip", "uid", "namespace", "hostname", "hosts", "owner", "control")

    def __init__(self, ip: str, uid: str, namespace: str, hostname: str, hosts: str = "", owner: str = "",
                 control: str = ""):
        self.ip, self.uid, self.namespace, self.hostname, self.owner, self.control = \
            ip, uid, namespace, hostname, owner, control
        self.hosts: dict[str, tuple[str, str]] = {}  # lowercased name -> (the line's first name, IP)
        for line in filter(None, (part.split() for part in hosts.split(";"))):
            for name in line[1:]:
                self.hosts.setdefault(name.lower(), (line[1], line[0]))


_state: dict = {"mode": None, "reader": None, "pod": None}
_original: dict[str, object] = {}
_socket_own: dict[str, bool] = {}  # method name -> whether socket.socket defined it itself (else inherited)
_locals: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()      # socket -> the address it was bound to
_peers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()       # socket -> the address it connected to
_registered: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # socket -> its registration


def mode() -> str | None:
    """"pod", "host", or None when not installed."""
    return _state["mode"]


def install_pod(table_path: str, pod: Pod) -> None:
    _install("pod", table_path, pod)


def install_host(table_path: str) -> None:
    _install("host", table_path, None)


def install_from_environment(environ=os.environ) -> bool:
    """Install pod mode when the environment names a pod (what sitecustomize does); False when it does not."""
    table, pod_ip = environ.get(ENV_TABLE), environ.get(ENV_POD_IP)
    if not table or not pod_ip:
        return False
    install_pod(table, Pod(pod_ip, environ.get(ENV_POD_UID, ""), environ.get(ENV_NAMESPACE, "default"),
                           environ.get(ENV_HOSTNAME) or socket.gethostname(), environ.get(ENV_HOSTS, ""),
                           environ.get(ENV_OWNER, ""), environ.get(ENV_CONTROL, "")))
    return True


def _install(new_mode: str, table_path: str, pod: Pod | None) -> None:
    uninstall()
    _state.update(mode=new_mode, reader=TableReader(table_path), pod=pod)
    for name in _SOCKET_FUNCTIONS:
        _original[name] = getattr(socket, name)
        setattr(socket, name, _HOOKS[name])
    for name in _SOCKET_METHODS:
        _socket_own[name] = name in socket.socket.__dict__
        _original["socket." + name] = getattr(socket.socket, name)
        setattr(socket.socket, name, _HOOKS["socket." + name])


def uninstall() -> None:
    """Put every replaced function back (connecting to another cluster, or tests)."""
    if _state["mode"] is None:
        return
    for name in _SOCKET_FUNCTIONS:
        setattr(socket, name, _original.pop(name))
    for name in _SOCKET_METHODS:
        original = _original.pop("socket." + name)
        if _socket_own[name]:
            setattr(socket.socket, name, original)
        else:
            delattr(socket.socket, name)
    _state.update(mode=None, reader=None, pod=None)


def _table():
    return _state["reader"].current()


# names ----------------------------------------------------------------------------------------------------------------
def _host_mode_check(name: str) -> None:
    """The notebook is not a pod: cluster names do not resolve there (and must not wait on the host's DNS)."""
    bare = name.rstrip(".").lower()
    if dns.in_zone(bare, _table().domain) or bare.endswith(".svc"):
        raise socket.gaierror(socket.EAI_NONAME, f"{dns.MESSAGES[socket.EAI_NONAME]}: "
                                                 f"{routing.cluster_name_message(name)}")


def _lookup(name: str, family: int):
    """dns.Found for `name` as this pod resolves it."""
    pod = _state["pod"]
    return dns.lookup(_table(), name, pod.namespace, pod.hosts, family)


def _getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    original = _original["getaddrinfo"]
    name = host.decode("ascii", "replace") if isinstance(host, (bytes, bytearray)) else host
    if not isinstance(name, str) or flags & socket.AI_NUMERICHOST or addresses.is_literal(name):
        return original(host, port, family, type, proto, flags)
    if _state["pod"] is None:
        _host_mode_check(name)
        return original(host, port, family, type, proto, flags)
    found = _lookup(name, family)
    if found.host_name is not None:
        return original(found.host_name, port, family, type, proto, flags)
    infos, numeric = [], (flags & ~(socket.AI_CANONNAME | socket.AI_ADDRCONFIG)) | socket.AI_NUMERICHOST
    for ip in found.ips:
        ip_family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        infos.extend(original(ip, port, ip_family, type, proto, numeric))
    if infos and flags & socket.AI_CANONNAME:
        first = infos[0]
        infos[0] = (first[0], first[1], first[2], found.canonical, first[4])
    return infos


def _gethostbyname(name):
    if _state["pod"] is None or addresses.is_literal(name):
        if _state["pod"] is None and isinstance(name, str):
            _host_mode_check(name)
        return _original["gethostbyname"](name)
    found = _lookup(name, socket.AF_INET)
    return _original["gethostbyname"](found.host_name) if found.host_name is not None else found.ips[0]


def _gethostbyname_ex(name):
    if _state["pod"] is None or addresses.is_literal(name):
        if _state["pod"] is None and isinstance(name, str):
            _host_mode_check(name)
        return _original["gethostbyname_ex"](name)
    found = _lookup(name, socket.AF_INET)
    if found.host_name is not None:
        return _original["gethostbyname_ex"](found.host_name)
    return found.canonical, [], list(found.ips)


def _gethostbyaddr(address):
    pod = _state["pod"]
    if pod is None or not isinstance(address, str):
        return _original["gethostbyaddr"](address)
    ip = address
    if not addresses.is_literal(address):
        found = _lookup(address, socket.AF_INET)
        if found.host_name is not None:
            return _original["gethostbyaddr"](address)
        ip = found.ips[0]
    names = [name for name, (first, at) in pod.hosts.items() if at == ip]
    if names:  # /etc/hosts: the line's first name, the others as aliases
        first = pod.hosts[names[0]][0]
        return first, [n for n in names if n != first.lower()], [ip]
    table = _table()
    ptr = dns.reverse(table, ip)
    if ptr is not None:
        return ptr, [], [ip]
    value = addresses.ipv4_int(ip)
    if ip in table.pods or any(addresses.in_cidr(value, c) for c in (table.pod_cidr, table.service_cidr)):
        raise socket.herror(1, "Unknown host")
    return _original["gethostbyaddr"](address)


def _gethostname():
    pod = _state["pod"]
    return pod.hostname if pod is not None else _original["gethostname"]()


# sockets --------------------------------------------------------------------------------------------------------------
def _ours(sock) -> bool:
    return sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM


def _resolve_for(sock, host: str) -> str:
    """An IP for a name passed straight to connect()/bind(), as Python would resolve it, but through us."""
    return _getaddrinfo(host, None, sock.family, socket.SOCK_STREAM)[0][4][0]


def _route(sock, address):
    """The address to really connect to, or None for `address` itself; raises the kernel's errors."""
    if not _ours(sock) or not isinstance(address, tuple) or len(address) < 2 or not isinstance(address[0], str):
        return None
    host, port = address[0], address[1]
    resolved = host if addresses.is_literal(host) else _resolve_for(sock, host)
    pod = _state["pod"]
    if pod is not None:
        target = routing.from_pod(_table(), pod.ip, sock.family, resolved, port)
    else:
        target = routing.from_host(_table(), sock.family, resolved, port)
    if target is None:
        return None if resolved is host else (resolved,) + tuple(address[1:])
    _peers[sock] = (resolved, port) + ((0, 0) if sock.family == socket.AF_INET6 else ())
    return target + ((0, 0) if sock.family == socket.AF_INET6 else ())


def _connect(self, address):
    target = _route(self, address)
    return _original["socket.connect"](self, address if target is None else target)


def _connect_ex(self, address):
    try:
        target = _route(self, address)
    except OSError as e:
        return e.errno
    return _original["socket.connect_ex"](self, address if target is None else target)


def _bind(self, address):
    pod = _state["pod"]
    if pod is None or not _ours(self) or not isinstance(address, tuple) or not isinstance(address[0], str):
        return _original["socket.bind"](self, address)
    host, port = address[0], address[1]
    if host and not addresses.is_literal(host):
        host = _resolve_for(self, host)
    six = self.family == socket.AF_INET6
    v6only = six and bool(self.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY))
    reach = addresses.reach_of(self.family, host, pod.ip, v6only)
    if reach is None:  # not one of this pod's addresses
        raise OSError(errno.EADDRNOTAVAIL, os.strerror(errno.EADDRNOTAVAIL))
    real_family = 6 if reach == addresses.LOOPBACK6 else 4
    real_host = routing.real_host(self.family, real_family)
    _original["socket.bind"](self, (real_host, 0, 0, 0) if six else (real_host, 0))
    real_port = _original["socket.getsockname"](self)[1]
    port = port or real_port
    reply = control_request(pod.control, {"op": "bind", "ip": pod.ip, "port": port, "reach": reach,
                                          "real": real_port, "family": real_family, "uid": pod.uid,
                                          "owner": pod.owner, "pid": os.getpid()})
    if not reply.get("ok"):
        code = reply.get("errno", errno.EADDRNOTAVAIL)
        raise OSError(code, os.strerror(code))
    _registered[self] = (pod.control, {"op": "unbind", "ip": pod.ip, "port": port, "real": real_port,
                                       "uid": pod.uid})
    virtual = host or ("::" if six else "0.0.0.0")
    _locals[self] = (virtual, port, 0, 0) if six else (virtual, port)


def _getsockname(self):
    found = _locals.get(self)
    return found if found is not None else _original["socket.getsockname"](self)


def _getpeername(self):
    found = _peers.get(self)
    if found is not None:
        _original["socket.getpeername"](self)  # still raises ENOTCONN when it is not connected
        return found
    return _original["socket.getpeername"](self)


def _real_close(self, _ss=_socket.socket):
    registration = _registered.pop(self, None) if _registered else None
    _original["socket._real_close"](self, _ss)
    if registration is not None:
        try:  # the sandbox checks that nothing holds the real port any more (a forked child may) first
            control_request(*registration)
        except OSError:
            pass


def control_request(path: str, message: dict, timeout: float = CONTROL_TIMEOUT) -> dict:
    """One request to the sandbox's control socket, one JSON line each way, on a raw _socket (no hooks)."""
    import json
    conn = _socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(timeout)
        conn.connect(path)
        conn.sendall(json.dumps(message).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        raise OSError(errno.EADDRNOTAVAIL, f"{os.strerror(errno.EADDRNOTAVAIL)} (the sandbox's pod network "
                                           f"does not answer on {path}: {e})") from None
    finally:
        conn.close()
    return json.loads(data or b"{}")


_HOOKS = {"getaddrinfo": _getaddrinfo, "gethostbyname": _gethostbyname, "gethostbyname_ex": _gethostbyname_ex,
          "gethostbyaddr": _gethostbyaddr, "gethostname": _gethostname, "socket.connect": _connect,
          "socket.connect_ex": _connect_ex, "socket.bind": _bind, "socket.getsockname": _getsockname,
          "socket.getpeername": _getpeername, "socket._real_close": _real_close}


def reserve_listener(port: int) -> int:
    """For a server this layer cannot enter (the Redis server, which is not Python): a free real port on
    127.0.0.1, registered as this pod's `port` on all its addresses, for the server to be told to listen on. It
    stays registered until the container's processes are gone (the kubelet releases them); raises OSError
    (EADDRINUSE) when the pod already listens on `port`."""
    pod = _state["pod"]
    if pod is None:
        raise OSError(errno.EADDRNOTAVAIL, "not a pod's process: the pod network's layer is not installed")
    probe = _socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind(("127.0.0.1", 0))
        real_port = probe.getsockname()[1]
    finally:
        probe.close()
    reply = control_request(pod.control, {"op": "bind", "ip": pod.ip, "port": port,
                                          "reach": addresses.LOOPBACK4 + addresses.POD, "real": real_port,
                                          "family": 4, "uid": pod.uid, "owner": pod.owner, "pid": os.getpid()})
    if not reply.get("ok"):
        code = reply.get("errno", errno.EADDRNOTAVAIL)
        raise OSError(code, os.strerror(code))
    return real_port
