"""Real ports on the loopback interface: a free one for a reservation, and whether a binding's port is still
held by some socket (the kernel's own answer: try to bind it)."""
from __future__ import annotations

import socket


def free_port() -> int:
    """A port the kernel would hand out on 127.0.0.1 now (kept free until a program binds it: a small race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def in_use(real_family: int, real_port: int) -> bool:
    """True while some socket holds `real_port`: a listener, or a bound socket without SO_REUSEADDR. With
    SO_REUSEADDR on the probe, connections left in TIME_WAIT by a closed server do not count, as they would
    not stop the server from binding again."""
    family, host = (socket.AF_INET6, "::1") if real_family == 6 else (socket.AF_INET, "127.0.0.1")
    try:
        probe = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        return False
    with probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, real_port))
        except OSError:
            return True
    return False
