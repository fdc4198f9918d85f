"""How fast and how big the sandbox is, measured against real sandbox processes over HTTPS on 127.0.0.1.

Prints one line per figure (name, value with its unit, the target and what was measured), nothing else on
stdout; progress goes to stderr. No pass/fail: the figures are for the README and for spotting regressions.

    python benchmarks/sandbox_benchmark.py            # the full sizes (about 5 minutes on 2 cores)
    python benchmarks/sandbox_benchmark.py --quick    # small sizes, a smoke run
    python benchmarks/sandbox_benchmark.py --only deployment --py-spy /tmp/prof   # sample the sandbox with py-spy

1. deployment_available_seconds: a Deployment of 1,000 replicas created until status.availableReplicas == 1000.
2. list_pods_latency_*: LIST of those 1,000 pods, through the kubernetes client and through raw aiohttp.
3. get_rps_ratio: GETs of one pod per second against the sandbox, over the same for a bare aiohttp JSON server
   (and get_per_cpu_second_ratio: the same per CPU-second of each server, steadier on a shared machine).
4. sandbox_rss: VmRSS of a sandbox holding 10,000 pods (10 Deployments of 1,000)."""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from kubernetes import client

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]  # the sandbox package and our sibling modules, run from anywhere

import processes  # noqa: E402
import load_client  # noqa: E402
import profiles  # noqa: E402
from processes import Child, Sampler, Sandbox  # noqa: E402

NAMESPACE = "bench"
PODS_PER_NODE = 110  # sandbox.simulation.nodes.CAPACITY["pods"], kind's kubelet default
IMAGE = "nginx:1.27"
POLL_SECONDS = 0.1  # status polls: 10 GETs/s is noise next to 1,000 pods starting
PROGRESS_SECONDS = 5.0


@dataclass(frozen=True)
class Sizes:
    replicas: int  # benchmarks 1-3: one Deployment of this many pods
    lists: int  # benchmark 2: LISTs timed per client
    connections: int  # benchmark 3
    seconds: float  # benchmark 3: measured seconds per round and server
    rounds: int  # benchmark 3: alternating sandbox/hello rounds; the best of each counts
    deployments: int  # benchmark 4: this many Deployments of `deployment_replicas`
    deployment_replicas: int
    deploy_timeout: float
    memory_timeout: float


FULL = Sizes(1000, 20, 8, 5.0, 3, 10, 1000, deploy_timeout=300, memory_timeout=1200)
QUICK = Sizes(60, 5, 4, 1.0, 1, 2, 60, deploy_timeout=120, memory_timeout=120)
BENCHMARKS = ("deployment", "list", "rps", "frameworks", "memory")


def report(name: str, value: str, detail: str) -> None:
    print(f"{name}: {value}  ({detail})", flush=True)


def progress(message: str) -> None:
    print(f"[benchmark] {message}", file=sys.stderr, flush=True)


def nodes_for(pods: int) -> int:
    """The control plane (tainted, takes no pods) plus workers for `pods`, plus one spare worker."""
    return 1 + math.ceil(pods / PODS_PER_NODE) + 1


def deployment(name: str, replicas: int) -> dict:
    labels = {"app": name}
    container = {"name": "web", "image": IMAGE, "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}}


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def start_sandbox(workdir: Path, label: str, nodes: int, args) -> Sandbox:
    profile = args.profile / f"{label}.prof" if args.profile else None
    progress(f"starting a sandbox with {nodes} nodes, time scale {args.time_scale}")
    sandbox = Sandbox(workdir / label, nodes=nodes, time_scale=args.time_scale, profile=profile).wait_ready()
    if args.py_spy:
        sandbox.sampler = Sampler(sandbox, args.py_spy / f"{label}.collapsed", workdir / f"py-spy-{label}.log")
    return sandbox


def stop_sandbox(sandbox: Sandbox) -> None:
    code = sandbox.stop()
    sampler = sandbox.sampler
    if sampler is not None:
        sampler.stop(grace=30)  # py-spy writes its file once the target has exited
        if sampler.output.exists():
            progress(f"py-spy profile: {profiles.summarize_pyspy(sampler.output)}")
        else:
            progress(f"py-spy wrote nothing:\n{sampler.log()}")
    if sandbox.profile is None:
        return
    if not sandbox.profile.exists():
        progress(f"no cProfile written (exit code {code})")
        return
    progress(f"cProfile: {sandbox.profile} (top functions in {profiles.summarize_cprofile(sandbox.profile)})")


# 1. one big Deployment ------------------------------------------------------------------------------------------
def create_namespace(core: client.CoreV1Api) -> None:
    core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})


def wait_available(apps: client.AppsV1Api, names: list[str], want: int, timeout: float, sandbox: Sandbox) -> int:
    """Poll until the Deployments' availableReplicas add up to `want` or `timeout` passes; returns the sum."""
    deadline = time.monotonic() + timeout
    next_note = time.monotonic() + PROGRESS_SECONDS
    while True:
        sandbox.check_alive()
        items = apps.list_namespaced_deployment(NAMESPACE).items
        available = sum((d.status and d.status.available_replicas) or 0  # no status before the first sync
                        for d in items if d.metadata.name in names)
        if available >= want or time.monotonic() > deadline:
            return available
        if time.monotonic() > next_note:
            progress(f"{available}/{want} available")
            next_note += PROGRESS_SECONDS
        time.sleep(POLL_SECONDS if len(names) == 1 else 1.0)


def bench_deployment(sandbox: Sandbox, api: client.ApiClient, sizes: Sizes, nodes: int, args) -> None:
    apps = client.AppsV1Api(api)
    create_namespace(client.CoreV1Api(api))
    started = time.monotonic()
    apps.create_namespaced_deployment(NAMESPACE, deployment("big", sizes.replicas))
    available = wait_available(apps, ["big"], sizes.replicas, sizes.deploy_timeout, sandbox)
    elapsed = time.monotonic() - started
    setup = (f"{sizes.replicas} replicas, {nodes} nodes ({nodes - 1} schedulable workers x {PODS_PER_NODE} pods), "
             f"time scale {args.time_scale}")
    if available < sizes.replicas:
        report("deployment_available_seconds", f"> {elapsed:.1f} s",
               f"target < 10 s; NOT REACHED: {available}/{sizes.replicas} available; {setup}")
    else:
        report("deployment_available_seconds", f"{elapsed:.2f} s", f"target < 10 s; {setup}")


# 2. LIST latency ------------------------------------------------------------------------------------------------
def time_calls(call, count: int) -> list[float]:
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    return durations


def report_latency(name: str, durations: list[float], detail: str) -> None:
    median, p95 = statistics.median(durations) * 1000, percentile(durations, 0.95) * 1000
    report(name, f"median {median:.0f} ms, p95 {p95:.0f} ms", detail)


def expect_pods(count: int, want: int) -> None:
    if count != want:
        raise RuntimeError(f"a LIST returned {count} pods, expected {want}")


async def aiohttp_lists(sandbox: Sandbox, count: int, want: int) -> list[float]:
    url = f"{sandbox.url}/api/v1/namespaces/{NAMESPACE}/pods"
    connector = aiohttp.TCPConnector(limit=1, ssl=sandbox.ssl_context())
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    durations = []
    async with aiohttp.ClientSession(connector=connector, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        for _ in range(count + 1):  # the first one opens the connection and is not counted
            started = time.perf_counter()
            async with session.get(url) as response:
                body = await response.read()
            durations.append(time.perf_counter() - started)
            response.raise_for_status()
            expect_pods(len(json.loads(body)["items"]), want)
    return durations[1:]


def bench_list(sandbox: Sandbox, api: client.ApiClient, sizes: Sizes) -> None:
    core = client.CoreV1Api(api)
    want = sizes.replicas
    expect_pods(len(core.list_namespaced_pod(NAMESPACE).items), want)  # warm-up: connection, TLS
    progress(f"timing {sizes.lists} LISTs of {want} pods per client")
    what = f"{want} pods, {sizes.lists} LISTs, one HTTPS connection"
    report_latency("list_pods_latency_client", time_calls(lambda: core.list_namespaced_pod(NAMESPACE), sizes.lists),
                   f"{what}; kubernetes client, objects deserialized")
    raw = time_calls(lambda: core.list_namespaced_pod(NAMESPACE, _preload_content=False).data, sizes.lists)
    report_latency("list_pods_latency_client_raw", raw, f"{what}; kubernetes client, _preload_content=False")
    report_latency("list_pods_latency_aiohttp", asyncio.run(aiohttp_lists(sandbox, sizes.lists, want)),
                   f"{what}; aiohttp, body read, not parsed")


# 3. GET throughput against a bare hello-world -----------------------------------------------------------------
def start_hello(workdir: Path, framework: str = "aiohttp") -> tuple[Child, str, Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    hello = Child(f"{framework} hello-world server",
                  [sys.executable, str(HERE / "hello_server.py"), "--workdir", str(workdir), "--framework", framework],
                  workdir / "hello.log")
    deadline = time.monotonic() + processes.START_TIMEOUT
    while not (workdir / "url").exists():
        hello.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"hello-world server did not start:\n{hello.log()}")
        time.sleep(0.05)
    return hello, (workdir / "url").read_text().strip(), workdir / "ca.crt"


def load_command(url: str, ca: Path, token: str, sizes: Sizes) -> tuple[list[str], dict]:
    """The load client's command line and environment: the token travels in the environment (see load_client)."""
    command = [sys.executable, str(HERE / "load_client.py"), url, "--ca", str(ca),
               "--connections", str(sizes.connections), "--seconds", str(sizes.seconds)]
    return command, {**processes.python_env(), load_client.TOKEN_VARIABLE: token}


def load(url: str, ca: Path, token: str, sizes: Sizes, workdir: Path, server: Child) -> tuple[float, float]:
    """(requests per second, requests per second of the server's CPU time) from a load client in its own
    process. The second figure barely moves when neighbours on a shared machine take the cores."""
    command, env = load_command(url, ca, token, sizes)
    cpu_before = processes.cpu_seconds(server.pid)
    result = subprocess.run(command, capture_output=True, text=True, timeout=sizes.seconds + 60, env=env, cwd=workdir)
    cpu = processes.cpu_seconds(server.pid) - cpu_before
    if result.returncode != 0:
        raise RuntimeError(f"load client failed:\n{result.stderr[-4000:]}")
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    if counts["errors"] or not counts["ok"]:
        raise RuntimeError(f"load against {url}: {counts}")
    return counts["rps"], counts["total"] / max(cpu, 0.01)


def bench_rps(sandbox: Sandbox, api: client.ApiClient, sizes: Sizes, workdir: Path) -> None:
    pod = client.CoreV1Api(api).list_namespaced_pod(NAMESPACE, limit=1).items[0].metadata.name
    pod_url = f"{sandbox.url}/api/v1/namespaces/{NAMESPACE}/pods/{pod}"
    hello, hello_url, hello_ca = start_hello(workdir / "hello")
    wall = {"sandbox": 0.0, "hello": 0.0}
    per_cpu = {"sandbox": 0.0, "hello": 0.0}
    try:
        for round_ in range(sizes.rounds):  # alternate, so a busy neighbour on the machine hurts both alike
            progress(f"GET load round {round_ + 1}/{sizes.rounds}: {sizes.connections} connections, "
                     f"{sizes.seconds:.0f} s each")
            for name, args in (("sandbox", (pod_url, sandbox.ca_path, sandbox.token, sizes, workdir, sandbox)),
                               ("hello", (f"{hello_url}/hello", hello_ca, "", sizes, workdir, hello))):
                rps, rps_cpu = load(*args)
                wall[name], per_cpu[name] = max(wall[name], rps), max(per_cpu[name], rps_cpu)
    finally:
        hello.stop()
    how = (f"HTTPS, {sizes.connections} connections, aiohttp client in its own process, "
           f"best of {sizes.rounds} x {sizes.seconds:.0f} s")
    report("get_rps_ratio", f"{wall['sandbox'] / wall['hello']:.2f}",
           f"target >= 0.5; sandbox pod GET {wall['sandbox']:.0f} req/s vs bare aiohttp hello-world "
           f"{wall['hello']:.0f} req/s; {how}")
    report("get_per_cpu_second_ratio", f"{per_cpu['sandbox'] / per_cpu['hello']:.2f}",
           f"same runs, requests per CPU-second of the server process: sandbox {per_cpu['sandbox']:.0f} vs "
           f"hello-world {per_cpu['hello']:.0f}; steadier than req/s when the machine is shared")


# 3b. why aiohttp: the same bare hello-world on aiohttp and on tornado ---------------------------------------------
def bench_frameworks(sizes: Sizes, workdir: Path) -> None:
    servers = {name: start_hello(workdir / name, name) for name in ("aiohttp", "tornado")}
    best = {name: 0.0 for name in servers}
    try:
        for round_ in range(sizes.rounds):  # alternate, so a busy neighbour hurts both alike
            progress(f"framework round {round_ + 1}/{sizes.rounds}")
            for name, (server, url, ca) in servers.items():
                rps, _ = load(f"{url}/hello", ca, "", sizes, workdir, server)
                best[name] = max(best[name], rps)
    finally:
        for server, _, _ in servers.values():
            server.stop()
    report("framework_rps_ratio", f"{best['aiohttp'] / best['tornado']:.2f}",
           f"aiohttp over tornado for a bare JSON GET: {best['aiohttp']:.0f} vs {best['tornado']:.0f} req/s; HTTPS, "
           f"{sizes.connections} connections, best of {sizes.rounds} x {sizes.seconds:.0f} s")


# 4. memory with many pods ---------------------------------------------------------------------------------------
def bench_memory(sizes: Sizes, workdir: Path, args) -> None:
    pods = sizes.deployments * sizes.deployment_replicas
    nodes = nodes_for(pods)
    sandbox = start_sandbox(workdir, "memory", nodes, args)
    try:
        idle_rss, _ = processes.rss_kib(sandbox.pid)
        with sandbox.api_client() as api:
            apps = client.AppsV1Api(api)
            create_namespace(client.CoreV1Api(api))
            names = [f"load-{i}" for i in range(sizes.deployments)]
            started = time.monotonic()
            for name in names:
                apps.create_namespaced_deployment(NAMESPACE, deployment(name, sizes.deployment_replicas))
            available = wait_available(apps, names, pods, sizes.memory_timeout, sandbox)
            elapsed = time.monotonic() - started
        rss, peak = processes.rss_kib(sandbox.pid)
    finally:
        stop_sandbox(sandbox)
    reached = f"{pods} available after {elapsed:.0f} s" if available >= pods else \
        f"NOT REACHED: {available}/{pods} available after {elapsed:.0f} s"
    report("sandbox_rss", f"{rss / 1024:.0f} MiB",
           f"target < 1024 MiB; VmRSS with {pods} pods in {sizes.deployments} Deployments on {nodes} nodes; "
           f"{idle_rss / 1024:.0f} MiB before, peak VmHWM {peak / 1024:.0f} MiB; {reached}")


# the run --------------------------------------------------------------------------------------------------------
def run(args) -> None:
    sizes = QUICK if args.quick else FULL
    chosen = set(args.only)
    with tempfile.TemporaryDirectory(prefix="sandbox-benchmark-") as tmp:
        workdir = Path(tmp)
        progress(f"working in {workdir}")
        if chosen & {"deployment", "list", "rps"}:
            nodes = nodes_for(sizes.replicas)
            sandbox = start_sandbox(workdir, "deployment", nodes, args)
            try:
                with sandbox.api_client() as api:
                    bench_deployment(sandbox, api, sizes, nodes, args)  # lists and GETs need its pods
                    if "list" in chosen:
                        bench_list(sandbox, api, sizes)
                    if "rps" in chosen:
                        bench_rps(sandbox, api, sizes, workdir)
            finally:
                stop_sandbox(sandbox)
        if "frameworks" in chosen:
            bench_frameworks(sizes, workdir)
        if "memory" in chosen:
            bench_memory(sizes, workdir, args)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every benchmark")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help=f"comma-separated subset of {','.join(BENCHMARKS)} (list and rps also run deployment)")
    parser.add_argument("--time-scale", type=float, default=100.0, help="the sandboxes' --time-scale")
    parser.add_argument("--profile", type=Path, default=None,
                        help="run each sandbox under cProfile, writing <dir>/<benchmark>.prof and .txt")
    parser.add_argument("--py-spy", type=Path, default=None,
                        help="sample each sandbox with py-spy (pip install py-spy), writing <dir>/<benchmark>.txt")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown or not args.only:
        parser.error(f"--only takes names from {', '.join(BENCHMARKS)}")
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    args.profile, args.py_spy = (d.resolve() if d else None for d in (args.profile, args.py_spy))
    for directory in filter(None, (args.profile, args.py_spy)):
        directory.mkdir(parents=True, exist_ok=True)
    if args.py_spy and not shutil.which("py-spy"):
        parser.error("--py-spy needs py-spy on PATH (pip install py-spy)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    processes.exit_on_sigterm()
    try:
        run(args)
    except KeyboardInterrupt:
        progress("interrupted")
        return 130
    finally:
        processes.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
