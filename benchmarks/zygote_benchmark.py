"""What the zygote (sandbox/runtime/zygote.py) saves: memory of many app processes, and CPU of short ones.

Prints one line per figure (name, value with its unit, what was measured), nothing else on stdout; progress
goes to stderr. No pass/fail: the figures go into benchmarks/README.md.

    python benchmarks/zygote_benchmark.py             # 16 app processes per way, 20 short runs per way
    python benchmarks/zygote_benchmark.py --quick     # 4 and 5: a smoke run

1. app_api_pss_*: total PSS (/proc/<pid>/smaps_rollup) of N `python -m app.api` processes, each on its own port
   and answering /healthz, started directly (asyncio.create_subprocess_exec), through the zygote (the zygote's
   own PSS included), and through a zygote that never calls gc.freeze() or preloads nothing, to show where
   the saving comes from. The processes are started at once, as a Deployment's pods are.
2. app_api_healthz_*: seconds from start to a 200 on /healthz: one process alone (median of 3), and the N
   started at once (median and the last).
3. import_redis_cpu_*: CPU seconds of M `python -c "import redis"` runs one after the other (an exec probe's
   shape): the children's user + system time (wait4), plus the zygote's own time for the forks.
4. full_collection_private_*: private memory of a forked child that imported the app, before and after one
   full garbage collection, with and without gc.freeze() in the zygote: what a child's first full collection
   copies (a long-running app gets there sooner or later).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(Path(__file__).resolve().parent)]  # the sandbox package and processes.py

from processes import cpu_seconds  # noqa: E402
from sandbox.runtime.zygote import Zygote  # noqa: E402

READY_TIMEOUT = 120.0  # 16 fresh interpreters on 2 shared cores take a few seconds; a loaded machine longer


def report(name: str, value: str, detail: str) -> None:
    print(f"{name}: {value}  ({detail})", flush=True)


def progress(message: str) -> None:
    print(f"[zygote-benchmark] {message}", file=sys.stderr, flush=True)


def free_ports(count: int) -> list[int]:
    """Distinct free ports: all held at once while chosen (one at a time, the kernel may hand one out twice, and
    the second app on it would exit while the first answers its /healthz)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def app_environment(port: int) -> dict[str, str]:
    """What the app image's container gets (sandbox/runtime/catalogue.py's containo-orders), on its own port."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/"),
            "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(REPO),
            "ORDERS_PORT": str(port), "BIND_ADDRESS": "127.0.0.1"}


def memory_kib(pid: int) -> tuple[int, int]:
    """(Pss, Private_Clean + Private_Dirty) of a process in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("Pss", "Private_Clean", "Private_Dirty"):
            values[key] = int(rest.split()[0])
    return values["Pss"], values["Private_Clean"] + values["Private_Dirty"]


async def healthy(port: int) -> bool:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    try:
        writer.write(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        status = (await reader.readline()).split()
        return len(status) > 1 and status[1] == b"200"
    except OSError:
        return False
    finally:
        writer.close()


async def time_to_healthy(port: int, started: float, process) -> float:
    deadline = started + READY_TIMEOUT
    while not await healthy(port):
        if process.returncode is not None:
            raise RuntimeError(f"app.api on port {port} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"app.api on port {port} not healthy after {READY_TIMEOUT:g} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


class Way:
    """Starting `python <args>`: directly, or through a zygote."""

    def __init__(self, name: str, zygote: Zygote | None = None):
        self.name, self.zygote = name, zygote
        self.drains: list[asyncio.Task] = []

    async def start(self, args: list[str], env: dict[str, str]):
        if self.zygote is None:
            return await asyncio.create_subprocess_exec(
                sys.executable, *args, env=env, cwd=REPO, start_new_session=True, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        process = await self.zygote.spawn(args, env=env, cwd=str(REPO), merge_stderr=True)
        self.drains.append(asyncio.create_task(process.stdout.read()))  # the app logs each request: keep reading
        return process

    def pids(self) -> list[int]:
        return [self.zygote.pid] if self.zygote is not None else []


async def stop_all(processes) -> None:
    for process in processes:
        if process.returncode is None:
            process.terminate()
    await asyncio.gather(*(p.wait() for p in processes), return_exceptions=True)


def report_memory(way: Way, processes, what: str, suffix: str) -> None:
    """Total PSS of the processes and the zygote; private memory per process (the zygote's apart)."""
    for process in processes:
        if process.returncode is not None:
            raise RuntimeError(f"app.api {process.pid} exited with {process.returncode}")
    readings = [memory_kib(p.pid) for p in processes]
    pss, private = sum(r[0] for r in readings), sum(r[1] for r in readings)
    if way.zygote is not None:
        zygote_pss, zygote_private = memory_kib(way.zygote.pid)
        pss += zygote_pss
        what += f", the zygote {zygote_pss / 1024:.0f} MiB of it ({zygote_private / 1024:.0f} MiB private)"
    report(f"app_api_pss_{way.name}{suffix}", f"{pss / 1024:.0f} MiB",
           f"{what}; private {private / 1024 / len(processes):.1f} MiB per process")


async def app_processes(way: Way, count: int, requests: int) -> None:
    """Benchmarks 1 and 2 for one way."""
    alone = []
    for port in free_ports(3):
        started = time.monotonic()
        process = await way.start(["-m", "app.api"], app_environment(port))
        try:
            alone.append(await time_to_healthy(port, started, process))
        finally:
            await stop_all([process])
    ports = free_ports(count)
    started = time.monotonic()
    processes = [await way.start(["-m", "app.api"], app_environment(port)) for port in ports]
    try:
        times = await asyncio.gather(*(time_to_healthy(port, started, p) for port, p in zip(ports, processes)))
        report_memory(way, processes, f"{count} x python -m app.api ready on /healthz", "")
        for _ in range(requests):
            await asyncio.gather(*(healthy(port) for port in ports))
        report_memory(way, processes, f"the same after {requests} requests each", "_after_load")
        report(f"app_api_healthz_{way.name}", f"{statistics.median(alone):.2f} s alone",
               f"{count} at once: median {statistics.median(times):.2f} s, last {max(times):.2f} s")
    finally:
        await stop_all(processes)


async def short_runs(way: Way, runs: int) -> None:
    """Benchmark 3 for one way."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONPATH": str(REPO)}
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    zygote_before = cpu_seconds(way.zygote.pid) if way.zygote else 0.0
    started, children = time.monotonic(), 0.0
    for _ in range(runs):
        process = await way.start(["-c", "import redis"], env)
        if await process.wait() != 0:
            raise RuntimeError(f"python -c 'import redis' exited with {process.returncode}")
        children += getattr(process, "cpu_seconds", None) or 0.0
    wall = time.monotonic() - started
    if way.zygote is None:
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        children = (after.ru_utime + after.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
        zygote = 0.0
    else:
        zygote = cpu_seconds(way.zygote.pid) - zygote_before
    detail = f"{runs} x python -c 'import redis', one after the other, {wall:.2f} s wall"
    if way.zygote is not None:
        detail += f"; children {children:.2f} s + the zygote {zygote:.2f} s"
    report(f"import_redis_cpu_{way.name}", f"{children + zygote:.2f} s", detail)


async def full_collection(way: Way) -> None:
    """Benchmark 4 for one zygote."""
    program = ("import gc, sys, app.api\n"
               "for _ in range(2):\n"
               "    print('measure', flush=True); sys.stdin.readline(); gc.collect()\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONPATH": str(REPO)}
    process = await way.zygote.spawn(["-c", program], env=env, cwd=str(REPO), stdin=True)
    readings = []
    for _ in range(2):
        await process.stdout.readline()
        readings.append(memory_kib(process.pid)[1] / 1024)
        process.stdin.write(b"\n")
    process.stdin.close()
    await process.wait()
    report(f"full_collection_private_{way.name}", f"{readings[1] - readings[0]:+.1f} MiB",
           f"a child that imported app.api: private {readings[0]:.1f} MiB, then {readings[1]:.1f} MiB after "
           f"gc.collect()")


async def main(count: int, runs: int, requests: int, variants: bool) -> None:
    await app_processes(Way("direct"), count, requests)
    await short_runs(Way("direct"), runs)
    ways = [("zygote", {})]
    if variants:
        ways += [("zygote_no_freeze", {"freeze": False}), ("zygote_no_preload", {"preload": False})]
    for name, options in ways:
        zygote = Zygote(**options)
        await zygote.start()
        progress(f"{name}: preloaded {zygote.info.get('preloaded')} modules in {zygote.info.get('seconds')} s")
        try:
            way = Way(name, zygote)
            await app_processes(way, count, requests)
            if name == "zygote":
                await short_runs(way, runs)
            if name != "zygote_no_preload":
                await full_collection(way)
        finally:
            await zygote.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 app processes and 5 short runs per way")
    parser.add_argument("--count", type=int, help="app processes per way (default 16)")
    parser.add_argument("--runs", type=int, help="short runs per way (default 20)")
    parser.add_argument("--requests", type=int, help="requests to each app process before the second reading "
                        "(default 500)")
    parser.add_argument("--no-variants", action="store_true",
                        help="skip the zygotes without gc.freeze() and without preloading")
    options = parser.parse_args()
    asyncio.run(main(options.count or (4 if options.quick else 16), options.runs or (5 if options.quick else 20),
                     options.requests or (20 if options.quick else 500), not options.no_variants))
