"""The Redis and Valkey images' docker-entrypoint.sh: when the first argument is an option (`--save ""`) or a
config file, the server is meant (`redis-server` is put in front); then the command runs. (The real script also
drops root for the redis user; here nothing runs as root to begin with.)"""
from __future__ import annotations

import os
import shutil
import sys


def command(argv: list[str], server: str = "redis-server") -> list[str]:
    if not argv or argv[0].startswith("-") or argv[0].endswith(".conf"):
        return [server, *argv]
    return list(argv)


def main(argv: list[str]) -> int:
    server = "valkey-server" if shutil.which("valkey-server") and not shutil.which("redis-server") else "redis-server"
    args = command(argv, server)
    program = shutil.which(args[0]) or args[0]
    try:
        os.execv(program, args)
    except OSError as e:
        print(f"/usr/local/bin/docker-entrypoint.sh: exec: {args[0]}: {e.strerror.lower()}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
