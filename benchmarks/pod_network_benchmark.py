"""The pod network's service proxy against a direct connection: requests per second that a pod's client gets
from a small HTTP server in another pod, straight to the server pod's IP, and through the Service's cluster IP
(the userspace proxy in the sandbox's loop: accept, dial, relay both ways). Orders-like requests: a POST of a
small JSON body answered 201 by an aiohttp server. Two ways of connecting: 8 keep-alive connections (what the
app's clients do), and a new connection per request (what exercises the proxy's accept and dial).

Everything runs here, as the sandbox would run it: a Registry with a Service and its EndpointSlice, a started
PodNetwork, the server and the load client as processes with pod_environment() (the network layer in both).
Rounds alternate direct and proxied, best of 3; prints `name: value  (detail)` lines, no pass/fail.

    python benchmarks/pod_network_benchmark.py [--seconds 5] [--rounds 3] [--quick]"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SERVER_IP, CLIENT_IP, PORT = "10.244.1.10", "10.244.2.10", 80

SERVER = """
from aiohttp import web
async def order(request):
    body = await request.json()
    return web.json_response({"accepted": body.get("amount", 0) <= 100}, status=201)
app = web.Application()
app.router.add_post("/api/orders", order)
web.run_app(app, port=80, access_log=None, print=None)   # 0.0.0.0 and [::]:80, through the network layer
"""

CLIENT = """
import asyncio, json, sys, aiohttp
url, connections, seconds, fresh = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "new"
async def main():
    loop = asyncio.get_running_loop()
    counts = {"ok": 0, "errors": 0}
    start = loop.time(); measure_from, end = start + 0.5, start + 0.5 + seconds
    async def worker(session):
        while loop.time() < end:
            try:
                async with session.post(url, json={"amount": 10}) as response:
                    await response.read()
                    ok = response.status == 201
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            if measure_from <= loop.time() <= end:
                counts["ok" if ok else "errors"] += 1
    connector = aiohttp.TCPConnector(limit=connections, force_close=fresh)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(*(worker(session) for _ in range(connections)))
    print(json.dumps({**counts, "rps": counts["ok"] / seconds}))
asyncio.run(main())
"""


def pod(name: str) -> dict:
    return {"metadata": {"name": name, "namespace": "default", "uid": str(uuid.uuid4())}}


async def main(args) -> int:
    from sandbox.clock import Clock
    from sandbox.machinery import resources
    from sandbox.pod_network import PodNetwork
    from sandbox.registry.bootstrap import bootstrap
    from sandbox.registry.rest import Registry
    from sandbox.storage.store import Store

    registry = Registry(Store(), Clock())
    bootstrap(registry)
    services = resources.lookup("", "v1", "services")
    slices = resources.lookup("discovery.k8s.io", "v1", "endpointslices")
    service = registry.create(services, "default", {"metadata": {"name": "orders"},
                                                    "spec": {"ports": [{"name": "http", "port": PORT}]}})
    registry.create(slices, "default", {
        "metadata": {"name": "orders-1", "labels": {"kubernetes.io/service-name": "orders"}}, "addressType": "IPv4",
        "endpoints": [{"addresses": [SERVER_IP], "conditions": {"ready": True}}],
        "ports": [{"name": "http", "port": PORT, "protocol": "TCP"}]})
    network = PodNetwork(registry)
    await network.start()
    workdir = tempfile.mkdtemp(prefix="pod-network-benchmark-")
    print(f"working in {workdir}", file=sys.stderr)
    server = None
    try:
        def env(p):
            extra = network.pod_environment(p, SERVER_IP if p["metadata"]["name"] == "server" else CLIENT_IP)
            extra["PYTHONPATH"] = os.pathsep.join([extra["PYTHONPATH"], str(REPO)])
            return dict(os.environ, **extra)
        with open(Path(workdir, "server.log"), "wb") as log:
            server = await asyncio.create_subprocess_exec(sys.executable, "-c", SERVER, env=env(pod("server")),
                                                          stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 60
        while network.real_address(SERVER_IP, PORT) is None:
            if server.returncode is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: {Path(workdir, 'server.log').read_text()}")
            await asyncio.sleep(0.05)
        client_env = env(pod("client"))
        targets = {"direct": f"http://{SERVER_IP}/api/orders",
                   "proxy": f"http://{service['spec']['clusterIP']}/api/orders"}

        async def measure(url: str, mode: str) -> float:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", CLIENT, url, str(args.connections), str(args.seconds), mode, env=client_env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await asyncio.wait_for(proc.communicate(), args.seconds + 120)
            if proc.returncode != 0:
                raise SystemExit(f"load client failed: {err.decode()[-2000:]}")
            result = json.loads(out)
            if result["errors"]:
                print(f"  {mode} {url}: {result['errors']} errors", file=sys.stderr)
            return result["rps"]

        for mode, label in (("keep", "keep-alive"), ("new", "new connection per request")):
            best = {"direct": 0.0, "proxy": 0.0}
            for round_ in range(args.rounds):
                for name in ("direct", "proxy") if round_ % 2 == 0 else ("proxy", "direct"):
                    rps = await measure(targets[name], mode)
                    print(f"  {label} {name} round {round_ + 1}: {rps:.0f} req/s", file=sys.stderr)
                    best[name] = max(best[name], rps)
            suffix = "" if mode == "keep" else "_new_connections"
            detail = f"POST /api/orders, {args.connections} connections, {label}, best of {args.rounds} x " \
                     f"{args.seconds:g} s"
            print(f"pod_network_direct_rps{suffix}: {best['direct']:.0f} req/s  (to the pod IP; {detail})")
            print(f"pod_network_proxy_rps{suffix}: {best['proxy']:.0f} req/s  (through the cluster IP; {detail})")
            ratio = best["proxy"] / best["direct"] if best["direct"] else 0.0
            print(f"pod_network_proxy_ratio{suffix}: {ratio:.2f}  (proxied over direct; the issue's target for "
                  f"orders through the LoadBalancer is >= 0.7)", flush=True)
    finally:
        if server is not None and server.returncode is None:
            server.terminate()
            await server.wait()
        await network.stop()
        for child in Path(workdir).iterdir():
            child.unlink()
        os.rmdir(workdir)
    return 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s (a smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 1.0, 1
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
