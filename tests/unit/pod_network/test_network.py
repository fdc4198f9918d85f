"""PodNetwork in process, without pod processes: who owns a pod IP, the control socket's answers, reservations,
real addresses, the table it keeps and what stop() leaves behind (nothing)."""
from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
from pathlib import Path

import pytest

from sandbox.clock import Clock
from sandbox.pod_network import PodNetwork, layer
from sandbox.registry.bootstrap import bootstrap
from sandbox.registry.rest import Registry
from sandbox.storage.store import Store
from tests.unit.controllers.harness import rt
from tests.waiting import wait_until_async


def pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": "process-node", "containers": [{"name": "main", "image": "python:3.11"}]}}


def with_network(scenario, directory=None):
    async def main():
        registry = Registry(Store(), Clock())
        bootstrap(registry)
        network = PodNetwork(registry, Clock(), directory)
        await network.start()
        try:
            return await scenario(registry, network)
        finally:
            await network.stop()
    return asyncio.run(main())


def create_pod(registry, name, ip=None) -> dict:
    created = registry.create(rt("pods"), "default", pod(name))
    if ip:
        created = registry.update(rt("pods"), "default", name, {**created, "status": {
            "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}}, subresource="status")
    return created


def bind(network, ip, uid, port=80, real=40001, reach="lp"):
    return network._handle_control({"op": "bind", "ip": ip, "port": port, "reach": reach, "real": real,
                                    "family": 4, "uid": uid, "owner": "main"})


def test_the_environment_names_the_pod_and_the_network():
    async def scenario(registry, network):
        web = create_pod(registry, "web")
        env = network.pod_environment(web, "10.244.1.5", "main")
        assert env[layer.ENV_POD_IP] == "10.244.1.5" and env[layer.ENV_POD_UID] == web["metadata"]["uid"]
        assert env[layer.ENV_HOSTNAME] == "web" and env[layer.ENV_HOSTS] == "10.244.1.5 web"
        assert env[layer.ENV_NAMESPACE] == "default" and env[layer.ENV_OWNER] == "main"
        assert Path(env["PYTHONPATH"], "sitecustomize.py").exists() and Path(env[layer.ENV_TABLE]).exists()
        assert json.loads(Path(env[layer.ENV_TABLE]).read_text())["pods"]["10.244.1.5"][0] == web["metadata"]["uid"]
    with_network(scenario)


def test_binds_are_accepted_only_from_the_pod_that_owns_the_ip():
    async def scenario(registry, network):
        web = create_pod(registry, "web", "10.244.1.5")
        uid = web["metadata"]["uid"]
        assert bind(network, "10.244.1.5", "someone-else") == {
            "errno": errno.EADDRNOTAVAIL, "error": "10.244.1.5 is not this pod's address"}
        with socket.create_server(("127.0.0.1", 0)) as server:  # the bound socket, still open
            real = server.getsockname()[1]
            assert bind(network, "10.244.1.5", uid, real=real) == {"ok": True}
            assert bind(network, "10.244.1.5", uid, real=real + 1)["errno"] == errno.EADDRINUSE
            assert bind(network, "10.244.1.5", uid, port=81, real=real + 1, reach="l") == {"ok": True}
            assert network.real_address("10.244.1.5", 80) == ("127.0.0.1", real)
            assert network.real_address("10.244.1.5", 81) is None  # bound to 127.0.0.1: not on the pod IP
            assert network.real_address("10.244.1.5", 81, loopback=True) == ("127.0.0.1", real + 1)
        network._handle_control({"op": "unbind", "ip": "10.244.1.5", "port": 80, "real": real, "uid": uid})
        assert network.real_address("10.244.1.5", 80) is None
        with pytest.raises(ValueError):
            network._handle_control({"op": "bind", "ip": "10.244.1.5", "port": 70000, "real": 1, "uid": uid})
    with_network(scenario)


def test_the_kubelets_attachment_outranks_an_older_pods_status():
    async def scenario(registry, network):
        old = create_pod(registry, "old", "10.244.1.5")
        new = create_pod(registry, "new")
        network.attach_pod(new, "10.244.1.5")
        registry.patch(rt("pods"), "default", "old", "application/merge-patch+json",
                       {"status": {"message": "a late status write"}}, subresource="status")
        assert network.owners["10.244.1.5"][0] == new["metadata"]["uid"]
        registry.delete(rt("pods"), "default", "old", grace_period_seconds=0)
        assert network.owners["10.244.1.5"][0] == new["metadata"]["uid"]
        registry.delete(rt("pods"), "default", "new", grace_period_seconds=0)
        assert "10.244.1.5" not in network.owners
        assert old["metadata"]["uid"] not in {b.uid for b in network.bindings}
    with_network(scenario)


def test_reservations_are_the_owners_until_released():
    async def scenario(registry, network):
        with pytest.raises(ValueError, match="attach_pod"):
            network.reserve_port("10.244.9.9", 6379, "redis")
        redis = create_pod(registry, "redis", "10.244.2.3")
        real = network.reserve_port("10.244.2.3", 6379, "redis")
        assert network.reserve_port("10.244.2.3", 6379, "redis") == real
        assert network.real_address("10.244.2.3", 6379) == ("127.0.0.1", real)
        assert bind(network, "10.244.2.3", redis["metadata"]["uid"], port=6379)["errno"] == errno.EADDRINUSE
        network.release("10.244.2.3", "other-container")
        assert network.real_address("10.244.2.3", 6379) is not None
        network.release("10.244.2.3")
        assert network.real_address("10.244.2.3", 6379) is None
    with_network(scenario)


def test_services_get_a_listener_and_the_api_server_its_addresses():
    async def scenario(registry, network):
        network.set_api_server(6443)
        assert network.real_address("172.18.0.2", 6443) == ("127.0.0.1", 6443)
        await wait_until_async(lambda: ("default", "kubernetes", "https") in network.proxies, timeout=30,
                               what="the kubernetes Service's proxy listener")
        assert network.real_address("10.96.0.1", 443) is None  # no slice (no controller here): nothing answers
        routes = json.loads(Path(network.table_path).read_text())["routes"]
        assert ["10.96.0.1", 443, network.proxies[("default", "kubernetes", "https")].port, False,
                "default/kubernetes", "cluster"] in routes
        assert ["172.18.0.2", 6443, 6443, True, "", "api"] in routes
    with_network(scenario)


def test_stop_removes_the_table_the_socket_and_its_own_directories(tmp_path):
    long = tmp_path / ("d" * 90)  # too long for a unix socket's path
    seen = {}

    async def scenario(registry, network):
        seen.update(table=network.table_path, control=network.control_path)
        assert len(network.control_path) <= 100 and os.path.exists(network.control_path)
        assert Path(network.table_path).parent == long
    with_network(scenario, directory=long)
    assert not os.path.exists(seen["table"]) and not os.path.exists(seen["control"])
    assert not os.path.exists(os.path.dirname(seen["control"])) and long.exists()
