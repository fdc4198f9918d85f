"""The process runtime's numbers (issue 8), measured against real sandbox processes that run the orders app's pods
as local processes, driven with real kubectl and the kubernetes client over HTTPS on 127.0.0.1.

Prints one line per figure (name, value with its unit, the target and what was measured), nothing else on
stdout; progress goes to stderr. No pass/fail: the figures go into benchmarks/README.md.

    python benchmarks/runtime_benchmark.py            # the full runs (about 2 minutes on 2 cores)
    python benchmarks/runtime_benchmark.py --quick    # a smoke run: every figure, small counts
    python benchmarks/runtime_benchmark.py --only ready --py-spy /tmp/prof

1. pod_ready_seconds: chapter 03's API pod (orders-api and the orders-validator sidecar, two Python containers)
   created as a bare Pod until its Ready condition is True, time scale 1; median and max over N pods.
2. lb_throughput_ratio: orders/s POSTed by the app's load generator (a pod) to the LoadBalancer address, over the
   same straight to the one API pod's IP; rounds alternate which goes first, the ratio is the median of the rounds'
   ratios.
3. chapter06_pss: PSS of the sandbox and every process it started, the whole app applied with the API at 8
   replicas, 5 workers and chapter 06's load generator (200 orders/s) running; the highest of several samples.
   (2 and 3 share one sandbox: the app as chapter 05 leaves it, then chapter 06's autoscalers at their peak.)
4. sandbox_start_seconds: `python -m sandbox` started until its kubeconfig is written and /readyz answers.

Every child runs as a learner's Python runs: with bytecode caches (PYTHONDONTWRITEBYTECODE, which some harnesses
set, is dropped: it adds about a second of compiling to every sandbox start)."""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]  # the sandbox package and our sibling modules, run from anywhere

import app_cluster as app  # noqa: E402
import processes  # noqa: E402
import profiles  # noqa: E402
from processes import Sampler, Sandbox  # noqa: E402

BENCHMARKS = ("ready", "memory", "throughput", "start")
API = "containo-orders-frontend"
WORKER = "containo-orders-queue-processor"
CHAPTER06_RATE = 200  # orders/s: chapter 06's generate_load(200)


@dataclass(frozen=True)
class Sizes:
    ready_runs: int
    api_replicas: int  # memory: chapter 06's peak is the HPA's maxReplicas (8) and KEDA's maxReplicaCount (5)
    workers: int
    memory_samples: int  # one a second once everything runs
    throughput_rounds: int
    throughput_orders: int  # per run: the load generator sends them as fast as its 8 connections allow
    starts: int
    warm_up: bool  # a first run of each kind not counted (bytecode caches, the app's first connections)


FULL = Sizes(ready_runs=10, api_replicas=8, workers=5, memory_samples=10, throughput_rounds=6,
             throughput_orders=1500, starts=5, warm_up=True)
QUICK = Sizes(ready_runs=2, api_replicas=2, workers=1, memory_samples=1, throughput_rounds=1,
              throughput_orders=150, starts=1, warm_up=False)


def report(name: str, value: str, detail: str) -> None:
    print(f"{name}: {value}  ({detail})", flush=True)


STARTED = time.monotonic()


def progress(message: str) -> None:
    print(f"[benchmark {time.monotonic() - STARTED:5.1f} s] {message}", file=sys.stderr, flush=True)


def start_sandbox(workdir: Path, label: str, time_scale: float, args) -> Sandbox:
    progress(f"starting a sandbox ({label}), time scale {time_scale:g}")
    sandbox = Sandbox(workdir / label, nodes=3, time_scale=time_scale).wait_ready()
    if args.py_spy:
        sandbox.sampler = Sampler(sandbox, args.py_spy / f"{label}.collapsed", workdir / f"py-spy-{label}.log")
    return sandbox


def stop_sandbox(sandbox: Sandbox) -> None:
    sandbox.stop()
    if sandbox.sampler is not None:
        sandbox.sampler.stop(grace=30)  # py-spy writes its file once the target has exited
        output = sandbox.sampler.output
        progress(f"py-spy profile: {profiles.summarize_pyspy(output)}" if output.exists()
                 else f"py-spy wrote nothing:\n{sandbox.sampler.log()}")


# 1. pod created -> Ready ----------------------------------------------------------------------------------------
def bench_ready(sizes: Sizes, workdir: Path, args) -> None:
    sandbox = start_sandbox(workdir, "ready", 1.0, args)
    try:
        with sandbox.api_client() as api_client:
            core = client.CoreV1Api(api_client)
            core.create_namespace({"metadata": {"name": app.NAMESPACE}})
            pause = random.Random(8)  # seeded: the same pauses every run
            times = []
            for i in range(sizes.ready_runs):
                # created at any moment, as a learner's are: back to back, each creation would fall at the same
                # point of the kubelet's once-a-second relist (the first readiness run waits for the next one)
                time.sleep(pause.uniform(0.0, 1.0))
                times.append(pod_ready_once(core, f"api-{i}", sandbox))
    finally:
        stop_sandbox(sandbox)
    report("pod_ready_seconds", f"median {statistics.median(times):.2f} s, max {max(times):.2f} s",
           f"target median <= 2 s; chapter 03's API pod (2 Python containers) created until Ready, {len(times)} "
           f"pods one after another, a random pause of up to 1 s between them, time scale 1; each: "
           f"{' '.join(f'{t:.2f}' for t in times)}")


def pod_ready_once(core: client.CoreV1Api, name: str, sandbox: Sandbox) -> float:
    pod = app.template_as_pod("03-sidecar", API, name)
    started = time.perf_counter()
    core.create_namespaced_pod(app.NAMESPACE, pod)
    deadline = started + app.WAIT_SECONDS
    while True:  # 50 polls a second: a 20 ms resolution, and a load the sandbox does not notice
        conditions = core.read_namespaced_pod(name, app.NAMESPACE).status.conditions or []
        if any(c.type == "Ready" and c.status == "True" for c in conditions):
            elapsed = time.perf_counter() - started
            break
        if time.perf_counter() > deadline:
            raise RuntimeError(f"pod {name} not Ready after {app.WAIT_SECONDS:.0f} s")
        sandbox.check_alive()
        time.sleep(0.02)
    core.delete_namespaced_pod(name, app.NAMESPACE, grace_period_seconds=0)
    progress(f"{name} ready after {elapsed:.2f} s")
    return elapsed


# 2 and 3: the app on one sandbox, first with one API pod (throughput), then at chapter 06's peak (memory) -
def bench_app(sizes: Sizes, workdir: Path, args) -> None:
    sandbox = start_sandbox(workdir, "app", 10.0, args)
    kubectl = app.Kubectl(sandbox.kubeconfig)
    try:
        kubectl.apply_folders("01-namespace", "03-sidecar", "04-cache", "05-queue", "05-expose")  # chapter 05
        app.wait_ready(kubectl, "service in (cache, queue)", 2, check=sandbox.check_alive)
        if "throughput" in args.only:
            bench_throughput(sizes, kubectl, sandbox)
        if "memory" in args.only:
            bench_memory(sizes, kubectl, sandbox)
    finally:
        stop_sandbox(sandbox)


def bench_memory(sizes: Sizes, kubectl: app.Kubectl, sandbox: Sandbox) -> None:
    kubectl.apply_folders(".")  # the whole app, as `kubectl apply -k manifests`: chapter 06's autoscalers
    # the autoscalers at their peak: the HPA's floor raised to its ceiling, KEDA's too
    kubectl.run("-n", app.NAMESPACE, "patch", "hpa", API, "--type", "merge", "-p",
                f'{{"spec": {{"minReplicas": {sizes.api_replicas}, "maxReplicas": {sizes.api_replicas}}}}}')
    kubectl.run("-n", app.NAMESPACE, "patch", "scaledobject", WORKER, "--type", "merge", "-p",
                f'{{"spec": {{"minReplicaCount": {sizes.workers}, "maxReplicaCount": {sizes.workers}}}}}')
    kubectl.apply([app.load_pod("containo-load-generator", {
        "LOAD_TARGET_URL": f"http://{API}:1337", "LOAD_RATE": str(CHAPTER06_RATE), "LOAD_DURATION_SECONDS": "1800"})])
    progress(f"waiting for {sizes.api_replicas} API pods, {sizes.workers} worker(s) and the load generator")
    app.wait_ready(kubectl, "service=load-generator", 1, check=sandbox.check_alive)
    app.wait_ready(kubectl, "service=api", sizes.api_replicas, check=sandbox.check_alive)
    app.wait_ready(kubectl, "service=queue-processor", sizes.workers, check=sandbox.check_alive)
    samples = []
    for _ in range(sizes.memory_samples):
        samples.append(app.tree_pss(sandbox.pid))
        time.sleep(1.0)
    total, by_kind, count = max(samples, key=lambda s: s[0])
    parts = ", ".join(f"{kind} {kib / 1024:.0f}" for kind, kib in sorted(by_kind.items(), key=lambda kv: -kv[1]))
    report("chapter06_pss", f"{total / 1024:.0f} MiB",
           f"target <= 1024 MiB; PSS (/proc/<pid>/smaps_rollup) of the sandbox and its {count - 1} processes, the "
           f"app with {sizes.api_replicas} API pods, {sizes.workers} worker(s), the load generator at "
           f"{CHAPTER06_RATE} orders/s, highest of {len(samples)} samples a second apart; MiB: {parts}")


def bench_throughput(sizes: Sizes, kubectl: app.Kubectl, sandbox: Sandbox) -> None:
    """Orders through the LoadBalancer against straight to the pod: one API pod, so both paths end at it."""
    direct, through, ratios = [], [], []
    kubectl.run("-n", app.NAMESPACE, "scale", f"deployment/{API}", "--replicas=1")
    kubectl.run("-n", app.NAMESPACE, "scale", f"deployment/{WORKER}", "--replicas=0")  # orders just queue up
    [api_pod] = app.wait_ready(kubectl, "service=api", 1, check=sandbox.check_alive)
    targets = {"direct": f"http://{api_pod['status']['podIP']}:80",
               "load balancer": f"http://{app.load_balancer_ip(kubectl, API)}:1337"}
    if sizes.warm_up:  # the API's first orders open its connections to the validator and Redis
        orders_per_second(kubectl, "load-warm-up", targets["load balancer"], sizes, sandbox)
    for round_ in range(sizes.throughput_rounds):
        rates = {}
        # the order alternates (direct first, then the load balancer first): a neighbour's load that grows or
        # shrinks during a round favours neither path over the rounds
        for name, url in list(targets.items())[::1 if round_ % 2 == 0 else -1]:
            rates[name] = orders_per_second(kubectl, f"load-{round_}-{name.replace(' ', '-')}", url, sizes, sandbox)
            progress(f"round {round_ + 1}: {name} {rates[name]:.0f} orders/s")
            kubectl.run("-n", app.NAMESPACE, "exec", "deploy/containo-orders-queue", "--", "redis-cli", "del",
                        "orders")
        direct.append(rates["direct"])
        through.append(rates["load balancer"])
        ratios.append(rates["load balancer"] / rates["direct"])
    report("lb_throughput_ratio", f"{statistics.median(ratios):.2f}",
           f"target >= 0.7; orders/s through the LoadBalancer address over straight to the API pod's IP, median of "
           f"{len(ratios)} rounds ({' '.join(f'{r:.2f}' for r in ratios)}); direct "
           f"{' '.join(f'{r:.0f}' for r in direct)}, load balancer {' '.join(f'{r:.0f}' for r in through)} "
           f"orders/s; the app's load generator as a pod, {sizes.throughput_orders} orders on 8 connections per "
           f"run, one API pod")


def orders_per_second(kubectl: app.Kubectl, name: str, url: str, sizes: Sizes, sandbox: Sandbox) -> float:
    """Orders the load generator got a 2xx for per second, sending as fast as 8 connections allow."""
    # open loop at its highest rate: every order is due at once, and 8 connections send them as fast as they go
    kubectl.apply([app.load_pod(name, {"LOAD_TARGET_URL": url, "LOAD_RATE": "10000", "LOAD_CONCURRENCY": "8",
                                       "LOAD_REQUESTS": str(sizes.throughput_orders), "LOAD_REPORT_SECONDS": "60"})])
    fields = app.finished_load(kubectl, name, timeout=app.WAIT_SECONDS, check=sandbox.check_alive)
    if not fields["ok"]:
        raise RuntimeError(f"no order accepted through {url}: {fields}")
    # sentPerSecond keeps a tenth of an order per second; elapsedSeconds only a tenth of a second
    return fields["sentPerSecond"] * fields["ok"] / fields["sent"]


# 4. sandbox start -> ready --------------------------------------------------------------------------------------
def bench_start(sizes: Sizes, workdir: Path) -> None:
    times, cpu = [], []
    first = 0 if sizes.warm_up else 1  # a first start fills the bytecode caches: not counted
    for i in range(first, sizes.starts + 1):
        started = time.perf_counter()
        sandbox = Sandbox(workdir / f"start-{i}", nodes=3, time_scale=1.0).wait_ready()
        elapsed = time.perf_counter() - started
        used = processes.cpu_seconds(sandbox.pid)  # steadier than the wall clock on a shared machine
        sandbox.stop()
        if i:
            times.append(elapsed)
            cpu.append(used)
        progress(f"start {i}: {elapsed:.2f} s, {used:.2f} s of CPU{'' if i else ' (warm-up, not counted)'}")
    report("sandbox_start_seconds", f"median {statistics.median(times):.2f} s",
           f"target <= 2 s; `python -m sandbox` (process runtime, 3 nodes) until its kubeconfig is written and "
           f"/readyz answers, {len(times)} starts after a warm-up: {' '.join(f'{t:.2f}' for t in times)}; the "
           f"sandbox's own CPU time by then: median {statistics.median(cpu):.2f} s; load average "
           f"{os.getloadavg()[0]:.1f}")


def run(args) -> None:
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="runtime-benchmark-") as tmp:
        workdir = Path(tmp)
        progress(f"working in {workdir}")
        if "ready" in args.only:
            bench_ready(sizes, workdir, args)
        if {"throughput", "memory"} & set(args.only):
            bench_app(sizes, workdir, args)
        if "start" in args.only:
            bench_start(sizes, workdir)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run of every benchmark")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of {BENCHMARKS}")
    parser.add_argument("--py-spy", type=Path, default=None,
                        help="sample each sandbox with py-spy (pip install py-spy), writing <dir>/<benchmark>.txt")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    if not args.only or set(args.only) - set(BENCHMARKS):
        parser.error(f"--only takes names from {', '.join(BENCHMARKS)}")
    if args.py_spy:
        if not shutil.which("py-spy"):
            parser.error("--py-spy needs py-spy on PATH (pip install py-spy)")
        args.py_spy = args.py_spy.resolve()
        args.py_spy.mkdir(parents=True, exist_ok=True)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # children inherit it through processes.python_env()
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
