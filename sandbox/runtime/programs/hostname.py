"""`hostname` in a container: the pod's hostname (the kubelet sets it to the pod's name, or spec.hostname), which
the container runtime gives the container's UTS namespace. The host's own program would print the machine's name."""
from __future__ import annotations

import socket
import sys


def main(argv: list[str]) -> int:
    name = socket.gethostname()  # the pod network's layer answers with the pod's hostname
    if argv and argv[0] in ("-s", "--short"):
        name = name.split(".")[0]
    print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
