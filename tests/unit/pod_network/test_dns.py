"""Cluster DNS as a pod resolves it: CoreDNS's answers (kubernetes plugin, pods insecure) walked along the
kubelet's search path the way glibc walks it."""
from __future__ import annotations

import socket

import pytest

from sandbox.pod_network import dns
from tests.unit.pod_network.tables import DB_POD, WEB_IP, WEB_POD, sample

TABLE = sample()
SEARCH = dns.search_path("default", "cluster.local")


def found(name, namespace="default", family=socket.AF_UNSPEC, hosts=None):
    return dns.lookup(TABLE, name, namespace, hosts, family)


def failure(name, namespace="default", family=socket.AF_UNSPEC):
    with pytest.raises(socket.gaierror) as caught:
        dns.lookup(TABLE, name, namespace, None, family)
    return caught.value


def test_the_search_path_is_the_kubelets():
    assert SEARCH == ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"]


@pytest.mark.parametrize("name, expected", [
    ("web", ["web.default.svc.cluster.local", "web.svc.cluster.local", "web.cluster.local", "web"]),
    ("web.default", ["web.default.default.svc.cluster.local", "web.default.svc.cluster.local",
                     "web.default.cluster.local", "web.default"]),
    ("web.default.svc.cluster.local.", ["web.default.svc.cluster.local"]),          # absolute: no search
    ("a.b.c.d.e.f", ["a.b.c.d.e.f", "a.b.c.d.e.f.default.svc.cluster.local",        # 5 dots >= ndots: as is first
                     "a.b.c.d.e.f.svc.cluster.local", "a.b.c.d.e.f.cluster.local"]),
])
def test_candidates_follow_glibc_with_ndots_5(name, expected):
    assert dns.candidates(name, SEARCH) == expected


@pytest.mark.parametrize("name", ["web", "web.default", "web.default.svc", "web.default.svc.cluster.local",
                                  "web.default.svc.cluster.local.", "WEB.Default.SVC"])
def test_every_form_of_a_service_name_gives_its_cluster_ip(name):
    result = found(name)
    assert (result.ips, result.host_name) == ([WEB_IP], None)
    assert result.canonical.lower().rstrip(".") == "web.default.svc.cluster.local"


def test_another_namespace_needs_the_namespace_in_the_name():
    assert found("web.default", namespace="shop").ips == [WEB_IP]
    assert failure("web", namespace="shop").errno == socket.EAI_NONAME


def test_a_headless_service_answers_its_ready_endpoints_and_each_by_its_hostname():
    assert found("db").ips == [DB_POD]
    assert found("db-0.db").ips == [DB_POD]
    assert dns.answer(TABLE, "db-1.db.default.svc.cluster.local") == (dns.NXDOMAIN, None)
    # An endpoint with a hostname is known by it only (CoreDNS's endpointHostname): not by its dashed IP.
    assert dns.answer(TABLE, f"{DB_POD.replace('.', '-')}.db.default.svc.cluster.local") == (dns.NXDOMAIN, None)


def test_a_headless_service_without_ready_endpoints_is_nxdomain_as_coredns_says():
    assert dns.answer(TABLE, "empty.default.svc.cluster.local") == (dns.NXDOMAIN, None)


def test_a_cluster_ip_service_answers_endpoint_queries_too():
    assert found(f"{WEB_POD.replace('.', '-')}.web.default.svc.cluster.local").ips == [WEB_POD]


def test_pod_records_echo_the_dashed_ip_in_an_existing_namespace():
    assert found("10-244-9-9.default.pod.cluster.local").ips == ["10.244.9.9"]
    assert dns.answer(TABLE, "10-244-9.default.pod.cluster.local")[0] == dns.NXDOMAIN
    assert dns.answer(TABLE, "10-244-9-9.nosuch.pod.cluster.local")[0] == dns.NXDOMAIN


def test_srv_style_names_need_a_port_of_that_name_and_protocol():
    assert dns.answer(TABLE, "_http._tcp.web.default.svc.cluster.local") == (dns.A, [WEB_IP])
    assert dns.answer(TABLE, "_grpc._tcp.web.default.svc.cluster.local")[0] == dns.NXDOMAIN


def test_an_external_name_is_a_cname_that_is_followed():
    inside = found("ext")
    assert (inside.ips, inside.canonical) == ([WEB_IP], "web.default.svc.cluster.local")
    outside = found("outside")
    assert outside.host_name == "example.org"


@pytest.mark.parametrize("qname", ["cluster.local", "svc.cluster.local", "default.svc.cluster.local",
                                   "pod.cluster.local"])
def test_names_that_exist_without_an_address_are_nodata(qname):
    assert dns.answer(TABLE, qname) == (dns.NODATA, None)


@pytest.mark.parametrize("qname", ["nosuch.default.svc.cluster.local", "web.nosuch.svc.cluster.local",
                                   "nosuch.svc.cluster.local", "web.cluster.local", "a.b.c.web.default.svc.cluster.local"])
def test_other_names_in_the_zone_are_nxdomain(qname):
    assert dns.answer(TABLE, qname) == (dns.NXDOMAIN, None)


def test_an_unknown_name_fails_as_glibc_fails():
    error = failure("nosuch")
    assert (error.errno, error.strerror) == (socket.EAI_NONAME, "Name or service not known")
    assert str(error) == "[Errno -2] Name or service not known"


def test_a_search_that_met_a_name_without_address_fails_with_nodata():
    """`default` in namespace shop: default.svc.cluster.local exists (the namespace) but has no address."""
    error = failure("default", namespace="shop")
    assert (error.errno, error.strerror) == (dns.EAI_NODATA, "No address associated with hostname")


def test_ipv6_only_lookups_of_a_single_stack_cluster_find_no_address():
    assert failure("web", family=socket.AF_INET6).errno == dns.EAI_NODATA
    assert found("web", family=socket.AF_INET).ips == [WEB_IP]


def test_the_pods_hosts_file_comes_first_and_names_outside_go_to_the_host():
    hosts = {"web-1": ("web-1", WEB_POD)}
    assert found("web-1", hosts=hosts).ips == [WEB_POD]
    assert found("localhost").host_name == "localhost"
    assert found("example.com").host_name == "example.com"
    assert found("a.b.c.d.e.f").host_name == "a.b.c.d.e.f"


def test_a_single_label_nobody_knows_fails_without_asking_the_host():
    assert failure("intranet").errno == socket.EAI_NONAME


def test_reverse_lookups_name_services_and_endpoints():
    assert dns.reverse(TABLE, WEB_IP) == "web.default.svc.cluster.local"
    assert dns.reverse(TABLE, DB_POD) == "db-0.db.default.svc.cluster.local"
    assert dns.reverse(TABLE, "10.244.9.9") is None
