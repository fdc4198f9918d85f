"""Simulated `kubectl logs` records and the addresses the simulated cluster hands out."""
import json

from sandbox.registry.kubelet_connection import LogOptions
from sandbox.machinery.timestamps import epoch_ns as parse_rfc3339
from sandbox.runtime.log_format import render
from sandbox.simulation import logs, network, nodes


def pod(container, **meta):
    return {"metadata": {"name": "web-1", **meta}, "spec": {"nodeName": "sandbox-worker", "containers": [container]}}


RUNNING = {"running": {"startedAt": "2026-01-01T10:00:00Z"}}
NOW = parse_rfc3339("2026-01-01T11:00:00Z")


ALL_LOGS = LogOptions()


def text(container, options=ALL_LOGS):
    return render(logs.simulated_entries(pod(container), container["name"], RUNNING), options, NOW).decode()


def test_the_log_says_it_is_simulated_and_shows_the_component():
    api = {"name": "orders-api", "image": "containo-orders:dev", "command": ["python", "-m", "app.api"],
           "env": [{"name": "ORDERS_PORT", "value": "80"}]}
    first, *lines = text(api).splitlines()
    assert "Simulated log" in first and "containo-orders:dev" in first
    entries = [json.loads(line) for line in lines]
    assert [e["event"] for e in entries] == ["api.starting", "http.listening"]
    assert entries[1]["fields"]["port"] == 80 and entries[0]["time"].startswith("2026-01-01T10:00:00")


def test_redis_and_the_options_apply_to_simulated_records():
    redis = {"name": "cache", "image": "redis:7.4-alpine"}
    full = text(redis).splitlines()
    assert any("Ready to accept connections tcp" in line for line in full)
    assert "Redis version=7.4.2" in full[2]
    assert text(redis, LogOptions(tail_lines=1)).splitlines() == full[-1:]  # the header is a record like the rest
    stamped = text(redis, LogOptions(timestamps=True, tail_lines=1))
    assert stamped.startswith("2026-01-01T10:00:00.004000000Z 1:M ")
    assert text(redis, LogOptions(since_seconds=60)) == ""  # started an hour before NOW
    assert text(redis, LogOptions(limit_bytes=18)) == "[workshop sandbox]"


def test_nginx_notices_are_on_stderr():
    nginx = {"name": "web", "image": "nginx:1.27"}
    errors = text(nginx, LogOptions(stream="Stderr")).splitlines()
    assert errors and all("[notice]" in line for line in errors)
    assert "[notice]" not in text(nginx, LogOptions(stream="Stdout"))


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
