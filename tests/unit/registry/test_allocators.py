"""Cluster IP and node port allocators."""
import random

import pytest

from sandbox.registry.allocators import AllocationError, ClusterIPAllocator, NodePortAllocator
from sandbox.registry.service_allocations import ServiceAllocations


def test_cluster_ips_come_from_the_service_range_and_are_unique():
    ips = ClusterIPAllocator(rng=random.Random(1))
    taken = {ips.allocate() for _ in range(200)}
    assert len(taken) == 200 and all(ip.startswith(("10.9", "10.10", "10.11")) for ip in taken)
    with pytest.raises(AllocationError, match="provided IP is already allocated"):
        ips.allocate(next(iter(taken)))
    with pytest.raises(AllocationError, match="not in the valid range"):
        ips.allocate("10.112.0.1")
    with pytest.raises(AllocationError, match="must be a valid IP address"):
        ips.allocate("ten.0.0.1")
    ips.release(next(iter(taken)))
    ips.allocate(next(iter(taken)))


def test_node_ports_stay_in_range_and_unique():
    ports = NodePortAllocator(range(30000, 30003), rng=random.Random(1))
    assert sorted(ports.allocate() for _ in range(3)) == [30000, 30001, 30002]
    with pytest.raises(AllocationError, match="range is full"):
        ports.allocate()
    with pytest.raises(AllocationError, match="provided port is not in the valid range. The range of valid ports "
                                              "is 30000-30002"):
        ports.allocate(80)


def test_type_changes_allocate_and_release_node_ports():
    allocations = ServiceAllocations()
    svc = {"spec": {"type": "NodePort", "ports": [{"name": "http", "port": 80}]}}
    assert allocations.allocate(svc) == []
    port = svc["spec"]["ports"][0]["nodePort"]
    to_cluster_ip = {"spec": {"type": "ClusterIP", "ports": [{"name": "http", "port": 80, "nodePort": port}]}}
    assert allocations.allocate(to_cluster_ip, svc) == []
    assert "nodePort" not in to_cluster_ip["spec"]["ports"][0]
    assert to_cluster_ip["spec"]["clusterIP"] == svc["spec"]["clusterIP"]
    assert allocations.ports.allocate(port) == port, "released when the type stopped needing it"


def test_dry_run_and_failures_leave_nothing_allocated():
    allocations = ServiceAllocations()
    svc = {"spec": {"type": "NodePort", "clusterIP": "10.96.0.50", "ports": [{"port": 80, "nodePort": 30080}]}}
    assert allocations.allocate(svc, dry_run=True) == []
    assert allocations.allocate(svc) == []
    clash = {"spec": {"type": "NodePort", "clusterIP": "10.96.0.51", "ports": [{"port": 80, "nodePort": 30080}]}}
    [cause] = allocations.allocate(clash)
    assert cause.field == "spec.ports[0].nodePort" and "provided port is already allocated" in cause.message
    assert not allocations.ips.in_use("10.96.0.51")


def test_headless_and_external_name_services_get_no_ip():
    allocations = ServiceAllocations()
    headless = {"spec": {"clusterIP": "None", "ports": [{"port": 80}]}}
    external = {"spec": {"type": "ExternalName", "externalName": "example.com"}}
    assert allocations.allocate(headless) == [] and allocations.allocate(external) == []
    assert headless["spec"]["clusterIPs"] == ["None"] and "clusterIP" not in external["spec"]
