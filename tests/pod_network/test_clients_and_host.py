"""Real clients through the layer (the kubernetes client in-cluster, redis-py against an asyncio server that binds
both IPv4 and IPv6 and against a real Redis server, aiohttp), the notebook kernel's host mode, deleted pods whose IP
is reused, and the ports the kubelet reserves for programs the layer does not enter."""
from __future__ import annotations

import errno
import json
import os
import sys

import pytest
from aiohttp import web

from sandbox import tls
from sandbox.api.server import make_app
from sandbox.runtime import redis_binaries
from tests.pod_network.harness import FETCH, run, two_web_pods
from tests.unit.controllers.harness import rt

RESP_SERVER = """
import asyncio
async def handle(reader, writer):  # just enough RESP for redis-py: HELLO, PING, ECHO
    while line := await reader.readline():
        args = []
        for _ in range(int(line[1:])):
            await reader.readline()
            args.append((await reader.readline()).rstrip(b"\\r\\n"))
        if args[0].upper() == b"HELLO":  # redis-py 8 speaks RESP3: a map with proto 3
            writer.write(b"%1\\r\\n+proto\\r\\n:3\\r\\n")
        elif args[0].upper() == b"ECHO":
            writer.write(b"$%d\\r\\n%s\\r\\n" % (len(args[1]), args[1]))
        else:
            writer.write(b"+PONG\\r\\n" if args[0].upper() == b"PING" else b"+OK\\r\\n")
async def main():
    server = await asyncio.start_server(handle, port=6379)  # no host: 0.0.0.0 and [::] (V6ONLY), as Redis binds
    await server.serve_forever()
asyncio.run(main())
"""


def test_the_kubernetes_client_in_a_pod_reaches_the_api_server_through_the_kubernetes_service(tmp_path):
    async def scenario(lab):
        files, token = tls.generate(), "sandbox-token"
        runner = web.AppRunner(make_app(lab.registry, token), handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=files.server_context())
        await site.start()
        try:
            lab.network.set_api_server(runner.addresses[0][1])
            (tmp_path / "ca.crt").write_bytes(files.ca_pem)
            (tmp_path / "token").write_text(token)
            client = lab.pod("client", "10.244.1.20")
            env = dict(lab.environment(client), KUBERNETES_SERVICE_HOST="10.96.0.1", KUBERNETES_SERVICE_PORT="443")
            out = await lab.python(client, f"""
            import json
            from kubernetes import client
            from kubernetes.config.incluster_config import InClusterConfigLoader
            # (no token refresh: its hook would set the in-cluster host back before every request)
            InClusterConfigLoader({str(tmp_path / "token")!r}, {str(tmp_path / "ca.crt")!r},
                                  try_refresh_token=False).load_and_set()
            names = {{}}
            for host in (None, "https://kubernetes.default.svc", "https://172.18.0.2:6443"):
                configuration = client.Configuration.get_default_copy()
                configuration.host = host or configuration.host
                api = client.CoreV1Api(client.ApiClient(configuration))
                names[configuration.host] = [p.metadata.name for p in api.list_namespaced_pod("default").items]
            print(json.dumps(names))""", env=env)
        finally:
            await runner.cleanup()
        assert out == {host: ["client"] for host in
                       ("https://10.96.0.1:443", "https://kubernetes.default.svc", "https://172.18.0.2:6443")}
    run(scenario)


def test_redis_py_and_aiohttp_reach_services_by_name():
    async def scenario(lab):
        await two_web_pods(lab)
        cache = lab.pod("cache", "10.244.2.30", {"app": "cache"})
        lab.service("cache", {"app": "cache"}, [{"port": 6666, "targetPort": 6379}])
        server = await lab.start(cache, sys.executable, "-c", RESP_SERVER, log=os.devnull)
        await lab.wait_listening("10.244.2.30", 6379, server)
        await lab.wait_rotation("default", "cache", "", 1)
        out = await lab.python(lab.pod("client", "10.244.1.20"), """
        import asyncio, json, aiohttp, redis, redis.asyncio
        async def both():
            async with aiohttp.ClientSession() as session:
                async with session.get("http://web.default.svc.cluster.local/whoami") as response:
                    page = await response.text()
            client = redis.asyncio.Redis(host="cache", port=6666, socket_timeout=30)
            try:
                return page, await client.ping()
            finally:
                await client.aclose()
        page, async_ping = asyncio.run(both())
        sync = redis.Redis(host="cache.default", port=6666, socket_timeout=30)
        try:
            redis.Redis(host="::1", port=6379, socket_timeout=30).ping()
            mine = "answered"
        except redis.ConnectionError as e:
            mine = str(e)
        print(json.dumps({"page": page, "ping": [sync.ping(), async_ping], "echo": sync.echo("hi").decode(),
                          "localhost": mine}))""")
        assert out["page"] in ("web-0", "web-1") and out["ping"] == [True, True] and out["echo"] == "hi", out
        assert "Connection refused" in out["localhost"], out  # [::1]:6379 is the cache pod's, not the client's
        inside = await lab.python(cache, """
        import json, redis
        print(json.dumps([redis.Redis(host=host, port=6379, socket_timeout=30).ping()
                          for host in ("::1", "127.0.0.1", "localhost")]))""")
        assert inside == [True, True, True]  # the IPv6 socket ([::] with V6ONLY) and the IPv4 one
    run(scenario)


def test_the_notebook_kernel_reaches_the_load_balancer_and_fails_fast_for_cluster_addresses():
    async def scenario(lab):
        web0 = lab.pod("web-0", "10.244.1.10", {"app": "web"})
        service = lab.service("web", {"app": "web"}, [{"name": "http", "port": 1337, "targetPort": "http"}],
                              type="LoadBalancer")
        await lab.serve_http(web0)
        await lab.wait_rotation("default", "web", "http", 1)

        def ingress():
            current = lab.registry.get(rt("services"), "default", "web")
            found = ((current.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            return found and lab.network.real_address(found[0]["ip"], 1337) and found[0]["ip"]
        lb_ip = await lab.wait_for(ingress, "the load balancer's address")
        node_port = lab.registry.get(rt("services"), "default", "web")["spec"]["ports"][0]["nodePort"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_NET_")}
        out = await lab.python(web0, FETCH, f"""
        import time
        from sandbox.pod_network import layer
        layer.install_host({lab.network.table_path!r})
        def fails(address):
            start = time.monotonic()
            try:
                socket.create_connection(address, timeout=30)
                return "connected"
            except OSError as e:
                return [e.errno, str(e), time.monotonic() - start]
        try:
            socket.getaddrinfo("web.default.svc.cluster.local", 80)
            name = "resolved"
        except socket.gaierror as e:
            name = str(e)
        print(json.dumps({{"lb": fetch("http://{lb_ip}:1337/whoami"), "node": fetch("http://172.18.0.3:{node_port}/whoami"),
                          "cluster_ip": fails(("{service['spec']['clusterIP']}", 1337)), "pod": fails(("10.244.1.10", 80)),
                          "name": name}}))""", env=env)
        assert out["lb"] == "web-0" and out["node"] == "web-0", out
        for key in ("cluster_ip", "pod"):
            code, message, seconds = out[key]
            assert code == errno.EHOSTUNREACH and "kubectl port-forward" in message and seconds < 5, out[key]
        assert "svc/web -n default" in out["cluster_ip"][1] and "pod/web-0" in out["pod"][1]
        assert "cluster DNS name" in out["name"] and "port-forward" in out["name"], out["name"]
    run(scenario)


def test_a_deleted_pods_ip_reused_by_a_new_pod_never_reaches_the_old_process():
    async def scenario(lab):
        old = lab.pod("old", "10.244.1.30")
        await lab.serve_http(old)  # this process outlives its pod (a kubelet that has not stopped it yet)
        old_env = lab.environment(old)
        lab.cluster.delete("pods", "old", grace_period_seconds=0)
        await lab.wait_for(lambda: lab.network.real_address("10.244.1.30", 80) is None, "the old binding gone")
        new = lab.pod("new", "10.244.1.30")
        client = lab.pod("client", "10.244.1.20")
        before = await lab.python(client, FETCH, """
        print(json.dumps(fetch("http://10.244.1.30/whoami")))""")
        assert before.startswith("ConnectionRefusedError"), before  # the new pod listens nowhere yet
        stale = await lab.python(old, """
        import json, socket
        try:
            socket.create_server(("0.0.0.0", 8080))
            print(json.dumps("bound"))
        except OSError as e:
            print(json.dumps(e.errno))""", env=old_env)
        assert stale == errno.EADDRNOTAVAIL
        await lab.serve_http(new)
        after = await lab.python(client, FETCH, """
        print(json.dumps(fetch("http://10.244.1.30/whoami")))""")
        assert after == "new"
        bindings = json.load(open(lab.network.table_path))["bindings"]
        assert {b[5] for b in bindings} == {new["metadata"]["uid"]}
    run(scenario)


def test_a_reserved_port_serves_a_program_the_layer_does_not_enter():
    async def scenario(lab):
        redis_pod = lab.pod("redis", "10.244.2.40")
        real = lab.network.reserve_port("10.244.2.40", 6379, "redis")
        assert lab.network.reserve_port("10.244.2.40", 6379, "redis") == real  # a restart keeps its port
        try:
            lab.network.reserve_port("10.244.2.40", 6379, "other")
            raise AssertionError("a taken port was reserved twice")
        except OSError as e:
            assert e.errno == errno.EADDRINUSE
        plain = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_NET_")}
        server = await lab.start(redis_pod, sys.executable, "-m", "http.server", str(real), "--bind", "127.0.0.1",
                                 env=plain, log=os.devnull, cwd=os.path.dirname(__file__))
        await lab.wait_listening("10.244.2.40", 6379, server)
        client = lab.pod("client", "10.244.1.20")
        code = (FETCH, """
        print(json.dumps(fetch("http://10.244.2.40:6379/harness.py")[:40]))""")
        assert (await lab.python(client, *code)).startswith('"""Pods whose containers')
        lab.network.release("10.244.2.40", "redis")
        assert (await lab.python(client, *code)).startswith("ConnectionRefusedError")
    run(scenario)


@pytest.mark.skipif(redis_binaries.missing_reason() is not None, reason=str(redis_binaries.missing_reason()))
def test_a_real_redis_server_on_a_reserved_port_serves_redis_py_through_its_service():
    """The way the kubelet runs a Redis image: the server is not Python, so it gets the real port reserved for
    (pod IP, 6379) on its command line; pods reach it as <pod IP>:6379 and through the Service."""
    async def scenario(lab):
        cache = lab.pod("cache", "10.244.2.30", {"app": "cache"})
        lab.service("cache", {"app": "cache"}, [{"port": 6666, "targetPort": 6379}])
        real = lab.network.reserve_port("10.244.2.30", 6379, "redis")
        server = await lab.start(cache, redis_binaries.server_path(), "--port", str(real), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", env={"PATH": os.environ["PATH"]},
                                 log=os.devnull)
        await lab.wait_listening("10.244.2.30", 6379, server)
        await lab.wait_rotation("default", "cache", "", 1)
        out = await lab.python(lab.pod("client", "10.244.1.20"), """
        import json, redis
        service = redis.Redis(host="cache", port=6666, socket_timeout=30)
        service.rpush("orders", "o-1", "o-2")
        pod = redis.Redis(host="10.244.2.30", port=6379, socket_timeout=30)
        print(json.dumps([service.ping(), pod.llen("orders"), pod.lpop("orders").decode()]))""")
        assert out == [True, 2, "o-1"]
    run(scenario)
