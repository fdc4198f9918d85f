"""Simulated `kubectl logs` text and the addresses the simulated cluster hands out."""
import json

import pytest

from sandbox.machinery.errors import StatusError
from sandbox.simulation import logs, network, nodes


def pod(container, state, **meta):
    return {"metadata": {"name": "web-1", **meta},
            "spec": {"nodeName": "sandbox-worker", "containers": [container]},
            "status": {"containerStatuses": [{"name": container["name"], "state": state}]}}


RUNNING = {"running": {"startedAt": "2026-01-01T10:00:00Z"}}


def test_the_log_says_it_is_simulated_and_shows_the_component():
    api = {"name": "orders-api", "image": "containo-orders:dev", "command": ["python", "-m", "app.api"],
           "env": [{"name": "ORDERS_PORT", "value": "80"}]}
    text = logs.pod_log(pod(api, RUNNING), "orders-api")
    first, *lines = text.splitlines()
    assert "Simulated log" in first and "containo-orders:dev" in first
    entries = [json.loads(line) for line in lines]
    assert [e["event"] for e in entries] == ["api.starting", "http.listening"]
    assert entries[1]["fields"]["port"] == 80 and entries[0]["time"].startswith("2026-01-01T10:00:00")


def test_redis_and_tail_lines():
    redis = {"name": "cache", "image": "redis:7.4-alpine"}
    full = logs.pod_log(pod(redis, RUNNING), "cache").splitlines()
    assert any("Ready to accept connections tcp" in line for line in full)
    assert "Redis version=7.4.2" in full[2]
    tail = logs.pod_log(pod(redis, RUNNING), "cache", tail_lines=1).splitlines()
    assert len(tail) == 2 and tail[1] == full[-1]


def test_a_container_still_waiting_has_no_logs():
    waiting = pod({"name": "c", "image": "nginx:bad"}, {"waiting": {"reason": "ImagePullBackOff"}})
    with pytest.raises(StatusError) as caught:
        logs.pod_log(waiting, "c")
    assert caught.value.code == 400
    assert caught.value.message == 'container "c" in pod "web-1" is waiting to start: trying and failing to pull image'
    creating = pod({"name": "c", "image": "nginx"}, {"waiting": {"reason": "ContainerCreating"}})
    with pytest.raises(StatusError, match="is waiting to start: ContainerCreating"):
        logs.pod_log(creating, "c")


def test_pod_ips_round_robin_within_the_node_cidr():
    ips = network.PodIPs()
    assert [ips.allocate("10.244.1.0/24") for _ in range(2)] == ["10.244.1.2", "10.244.1.3"]
    ips.release("10.244.1.2")
    assert ips.allocate("10.244.1.0/24") == "10.244.1.4"  # host-local moves on instead of reusing at once


def test_load_balancer_ips_follow_the_nodes_on_the_kind_network():
    lbs = network.LoadBalancerIPs(nodes=3)
    assert lbs.allocate() == "172.18.0.6"  # .2-.4 nodes, .5 cloud-provider-kind itself
    assert lbs.allocate() == "172.18.0.7"
    lbs.release("172.18.0.6")
    assert lbs.allocate() == "172.18.0.6"


def test_kind_like_node_names_and_capacity():
    specs = nodes.cluster(3)
    assert [s.name for s in specs] == ["sandbox-control-plane", "sandbox-worker", "sandbox-worker2"]
    manifest = nodes.manifest(specs[0], "2026-01-01T00:00:00Z")
    assert manifest["spec"]["taints"] == [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    assert manifest["status"]["nodeInfo"]["kubeletVersion"] == "v1.37.0"
    assert manifest["status"]["allocatable"]["pods"] == "110" and manifest["spec"]["podCIDR"] == "10.244.0.0/24"
    assert "taints" not in nodes.manifest(nodes.cluster(1)[0], "t")["spec"]
