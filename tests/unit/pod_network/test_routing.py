"""Where a connect goes, from a pod and from the notebook kernel (the host)."""
from __future__ import annotations

import errno
import socket

import pytest

from sandbox.pod_network import routing
from tests.unit.pod_network.tables import LB_IP, NODES, OTHER_POD, WEB_IP, WEB_POD, sample

TABLE = sample()
V4, V6 = socket.AF_INET, socket.AF_INET6


def from_pod(host, port, pod=WEB_POD, family=V4):
    return routing.from_pod(TABLE, pod, family, host, port)


def error_from_pod(host, port, pod=WEB_POD, family=V4) -> OSError:
    with pytest.raises(OSError) as caught:
        from_pod(host, port, pod, family)
    return caught.value


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "0.0.0.0", WEB_POD, "::ffff:127.0.0.1"])
def test_localhost_and_the_own_ip_reach_the_pods_own_socket(host):
    point_port = 81 if host.startswith(("127.", "::ffff:127")) else 80
    assert from_pod(host, point_port) == ("127.0.0.1", 40001 if point_port == 80 else 40002)


def test_localhost_reaches_only_the_own_pod_never_a_host_process():
    assert isinstance(error_from_pod("127.0.0.1", 80, pod=OTHER_POD), ConnectionRefusedError)
    assert error_from_pod("127.0.0.1", 5432).errno == errno.ECONNREFUSED


def test_a_socket_bound_to_loopback_is_not_reachable_by_pod_ip():
    assert from_pod("127.0.0.1", 81) == ("127.0.0.1", 40002)
    assert error_from_pod(WEB_POD, 81, pod=OTHER_POD).errno == errno.ECONNREFUSED


def test_ipv6_loopback_reaches_ipv6_sockets_and_ipv6_clients_use_v4_mapped_loopback():
    assert from_pod("::1", 82, family=V6) == ("::1", 40003)
    assert error_from_pod("::1", 80, family=V6).errno == errno.ECONNREFUSED  # an IPv4 socket: not on ::1
    assert from_pod(WEB_POD, 80, pod=OTHER_POD, family=V6) == ("::ffff:127.0.0.1", 40001)


def test_another_pods_ip_reaches_its_binding_only_while_that_pod_owns_the_ip():
    assert from_pod(WEB_POD, 80, pod=OTHER_POD) == ("127.0.0.1", 40001)
    # 10.244.1.6 belongs to uid-web2 now; its binding is an old pod's (uid-old): never routed
    assert error_from_pod("10.244.1.6", 80, pod=OTHER_POD).errno == errno.ECONNREFUSED


def test_service_frontends_go_to_the_proxy_or_are_refused_without_endpoints():
    for host, port in ((WEB_IP, 80), (LB_IP, 1337), (NODES[1], 30080)):
        assert from_pod(host, port) == ("127.0.0.1", 41000)
    assert error_from_pod("10.96.0.30", 6666).errno == errno.ECONNREFUSED


def test_the_api_server_is_on_the_first_node():
    assert from_pod(NODES[0], 6443) == ("127.0.0.1", 6000)


@pytest.mark.parametrize("host, port", [(WEB_IP, 81), (LB_IP, 80), (NODES[1], 22), ("10.100.0.1", 80)])
def test_unknown_ports_and_unallocated_service_ips_are_refused(host, port):
    assert error_from_pod(host, port).errno == errno.ECONNREFUSED


@pytest.mark.parametrize("host", ["10.244.3.3", "172.18.0.99"])
def test_nobody_in_the_pod_or_node_range_is_unreachable_at_once(host):
    assert error_from_pod(host, 80).errno == errno.EHOSTUNREACH


def test_addresses_outside_the_cluster_and_names_are_left_alone():
    assert from_pod("93.184.216.34", 443) is None
    assert from_pod("example.com", 443) is None
    assert from_pod("2001:db8::1", 443, family=V6) is None


def from_host(host, port, family=V4):
    return routing.from_host(TABLE, family, host, port)


def test_the_host_reaches_load_balancers_node_ports_and_the_api_server():
    assert from_host(LB_IP, 1337) == ("127.0.0.1", 41000)
    assert from_host(NODES[1], 30080) == ("127.0.0.1", 41000)
    assert from_host(NODES[0], 6443) == ("127.0.0.1", 6000)
    assert from_host("127.0.0.1", 8080) is None
    assert from_host("93.184.216.34", 443) is None


def test_the_host_is_refused_on_unknown_ports_of_nodes_and_load_balancers():
    for host, port in ((LB_IP, 80), (NODES[0], 22)):
        with pytest.raises(ConnectionRefusedError):
            from_host(host, port)


@pytest.mark.parametrize("host, port, names", [
    (WEB_IP, 80, "Service web (namespace default)` svc/web -n default"),
    (WEB_POD, 80, "pod web-1 (namespace default)` pod/web-1 -n default"),
    ("10.244.3.3", 80, "pod or service network"),
    ("10.100.0.1", 80, "pod or service network"),
])
def test_cluster_addresses_fail_at_once_from_the_host_naming_port_forward(host, port, names):
    with pytest.raises(OSError) as caught:
        from_host(host, port)
    message = str(caught.value)
    assert caught.value.errno == errno.EHOSTUNREACH
    assert "reachable only from inside the cluster" in message and "kubectl port-forward" in message
    first, _, second = names.partition("` ")
    assert first in message and (not second or second in message)


def test_an_unused_address_on_the_kind_network_is_unreachable_from_the_host():
    with pytest.raises(OSError) as caught:
        from_host("172.18.0.99", 80)
    assert caught.value.errno == errno.EHOSTUNREACH and "port-forward" not in str(caught.value)
