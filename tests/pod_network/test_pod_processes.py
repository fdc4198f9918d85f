"""Pods as real processes on the pod network: two pods serving port 80 at once, reached by pod IP, by every form
of their Service's name and by its cluster IP in round robin; readiness moving a pod in and out of the rotation;
localhost private to each pod; EADDRINUSE inside a pod; names failing as glibc fails them."""
from __future__ import annotations

import asyncio
import signal
import socket
import sys

from tests.pod_network.harness import FETCH, run, two_web_pods

def test_two_pods_on_port_80_reached_by_pod_ip_every_service_name_and_the_cluster_ip_in_round_robin():
    async def scenario(lab):
        _, _, cluster_ip = await two_web_pods(lab)
        client = lab.pod("client", "10.244.1.20")
        lab.namespace("shop")
        elsewhere = lab.pod("client", "10.244.1.21", namespace="shop")
        names = ["web", "web.default", "web.default.svc", "web.default.svc.cluster.local",
                 "web.default.svc.cluster.local."]
        out = await lab.python(client, FETCH, f"""
        print(json.dumps({{
            "by_ip": [fetch("http://10.244.1.10/whoami"), fetch("http://10.244.2.10/whoami")],
            "by_name": {{name: fetch(f"http://{{name}}/whoami") for name in {names!r}}},
            "round_robin": [fetch("http://{cluster_ip}/whoami") for _ in range(6)],
            "resolved": socket.gethostbyname("web"),
        }}))""")
        assert out["by_ip"] == ["web-0", "web-1"]
        assert set(out["by_name"].values()) <= {"web-0", "web-1"}, out["by_name"]
        assert out["resolved"] == cluster_ip
        rotation = out["round_robin"]
        assert set(rotation) == {"web-0", "web-1"} and all(a != b for a, b in zip(rotation, rotation[1:])), rotation
        other = await lab.python(elsewhere, FETCH, """
        print(json.dumps([fetch("http://web.default/whoami"), fetch("http://web/whoami")]))""")
        assert other[0] in ("web-0", "web-1") and "gaierror" in other[1], other
    run(scenario)


def test_an_unready_pod_leaves_the_rotation_and_comes_back():
    async def scenario(lab):
        web0, web1, cluster_ip = await two_web_pods(lab)
        client = lab.pod("client", "10.244.1.20")
        fetch_four = FETCH, """
        print(json.dumps([fetch("http://web/whoami") for _ in range(4)]))"""
        lab.set_ready(web1, False)
        await lab.wait_rotation("default", "web", "http", 1)
        assert await lab.python(client, *fetch_four) == ["web-0"] * 4
        lab.set_ready(web0, False)  # nobody ready: refused at once, as kube-proxy rejects it
        await lab.wait_rotation("default", "web", "http", 0)
        await lab.wait_for(lambda: lab.network.real_address(cluster_ip, 80) is None, "the route closed")
        refused = await lab.python(client, FETCH, """
        print(json.dumps(fetch("http://web/whoami")))""")
        assert refused.startswith("ConnectionRefusedError"), refused
        lab.set_ready(web0, True)
        lab.set_ready(web1, True)
        await lab.wait_rotation("default", "web", "http", 2)
        assert set(await lab.python(client, *fetch_four)) == {"web-0", "web-1"}
    run(scenario)


def test_localhost_reaches_only_the_pods_own_containers():
    async def scenario(lab):
        web0 = lab.pod("web-0", "10.244.1.10", {"app": "web"})
        web1 = lab.pod("web-1", "10.244.2.10", {"app": "web"})
        for pod in (web0, web1):  # both pods listen on 80 and on localhost:81, as the orders API and its sidecar
            await lab.serve_http(pod)
            await lab.serve_http(pod, 81, container="sidecar", bind="127.0.0.1",
                                 whoami=f"{pod['metadata']['name']}-sidecar")
        with socket.create_server(("127.0.0.1", 0)) as host_server:  # a server of the host, not of any pod
            host_port = host_server.getsockname()[1]
            inside = await lab.python(web0, FETCH, f"""
            print(json.dumps([fetch("http://localhost:81/whoami"), fetch("http://127.0.0.1/whoami"),
                              fetch("http://10.244.1.10/whoami"), fetch("http://localhost:{host_port}/")]))""")
            assert inside[:3] == ["web-0-sidecar", "web-0", "web-0"], inside
            assert inside[3].startswith("ConnectionRefusedError"), inside
            outside = await lab.python(web1, FETCH, """
            print(json.dumps([fetch("http://localhost:81/whoami"), fetch("http://10.244.1.10:81/whoami")]))""")
        assert outside[0] == "web-1-sidecar" and outside[1].startswith("ConnectionRefusedError"), outside
    run(scenario)


def test_a_port_taken_in_a_pod_gives_eaddrinuse_until_its_process_is_gone():
    async def scenario(lab):
        web0 = lab.pod("web-0", "10.244.1.10", {"app": "web"})
        first = await lab.serve_http(web0)
        second = await lab.start(web0, sys.executable, "-m", "http.server", "80", container="other")
        _, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode != 0 and b"[Errno 98] Address already in use" in err, err.decode()[-2000:]
        await lab.kill(first, signal.SIGKILL)  # no close(): the sandbox finds the port free when asked again
        await lab.serve_http(web0, container="restarted")
        out = await lab.python(lab.pod("client", "10.244.1.20"), FETCH, """
        print(json.dumps(fetch("http://10.244.1.10/whoami")))""")
        assert out == "web-0"
    run(scenario)


def test_names_fail_as_glibc_fails_and_the_hostname_is_the_pods():
    async def scenario(lab):
        web0 = lab.pod("web-0", "10.244.1.10", {"app": "web"})
        lab.pod("web-1", "10.244.2.10", {"app": "web"}, ready=False)
        lab.service("web-headless", {"app": "web"}, [{"name": "http", "port": 80}], clusterIP="None")
        lab.service("ext", {}, [], type="ExternalName", externalName="web-headless.default.svc.cluster.local")
        def headless_answers():
            try:
                return lab.network.resolve("web-headless", "default") == ["10.244.1.10"]
            except socket.gaierror:
                return False  # no slice yet
        await lab.wait_for(headless_answers, "the headless Service's ready pod in DNS")
        out = await lab.python(web0, """
        import json, socket
        def addresses(name):
            try:
                return sorted({info[4][0] for info in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)})
            except socket.gaierror as e:
                return [e.errno, e.strerror]
        print(json.dumps({"hostname": socket.gethostname(), "me": socket.gethostbyname(socket.gethostname()),
                          "headless": addresses("web-headless"), "external": addresses("ext"),
                          "pod": addresses("10-244-2-10.default.pod.cluster.local"),
                          "unknown": addresses("no-such-service"), "nodata": addresses("default")}))""")
        assert out["hostname"] == "web-0" and out["me"] == "10.244.1.10"
        assert out["headless"] == ["10.244.1.10"] and out["external"] == ["10.244.1.10"]
        assert out["pod"] == ["10.244.2.10"]
        assert out["unknown"] == [socket.EAI_NONAME, "Name or service not known"]
        assert out["nodata"][1] == "No address associated with hostname"
    run(scenario)
