"""The routing table's encoding and reader, and what kube-proxy and CoreDNS make of Services and slices."""
from __future__ import annotations

import os

import pytest

from sandbox.pod_network import services, table
from sandbox.pod_network.pod_identity import etc_hosts, pod_hostname
from tests.unit.pod_network.tables import WEB_POD, sample


def test_a_table_round_trips_through_its_json():
    original = sample()
    doc = table.document(generation=3, domain="cluster.local", cidrs={"pods": "10.244.0.0/16"}, nodes=["172.18.0.2"],
                         namespaces=["default"], pods={WEB_POD: ["u", "default/web-1"]},
                         bindings=[[WEB_POD, 80, "lp", 40001, 4, "u"]],
                         routes=[["10.96.0.20", 80, 41000, True, "default/web", "cluster"]],
                         services={"default/web": {"ips": ["10.96.0.20"], "external": "", "ports": [],
                                                   "endpoints": []}})
    decoded = table.decode(table.encode(doc))
    assert decoded.generation == 3 and decoded.binding(WEB_POD, 80, "p") == (40001, 4)
    assert decoded.routes[("10.96.0.20", 80)].real_port == 41000
    assert decoded.services[("default", "web")].ips == ["10.96.0.20"]
    assert original.binding("10.244.1.6", 80, "p") is None  # the binding's pod no longer owns the IP
    with pytest.raises(ValueError):
        table.decode('{"format": 99}')


def test_the_reader_rereads_only_a_changed_file_and_keeps_the_last_table(tmp_path):
    path = str(tmp_path / "routes.json")
    reader = table.TableReader(path)
    assert reader.current().routes == {}
    table.write(path, table.encode(table.document(1, "cluster.local", {}, [], ["a"], {}, [], [], {})))
    first = reader.current()
    assert first.namespaces == {"a"} and reader.current() is first
    table.write(path, table.encode(table.document(2, "cluster.local", {}, [], ["b"], {}, [], [], {})))
    assert reader.current().namespaces == {"b"}
    os.unlink(path)
    assert reader.current().namespaces == {"b"}


def service(kind="ClusterIP", ports=None, **spec):
    return {"metadata": {"namespace": "default", "name": "web"},
            "spec": {"type": kind, "clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"],
                     "ports": ports or [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
                     **spec}}


def endpoint(ip, ready=True, serving=None, terminating=None, uid="", hostname=None):
    conditions = {k: v for k, v in (("ready", ready), ("serving", serving), ("terminating", terminating))
                  if v is not None}
    out = {"addresses": [ip], "conditions": conditions, "targetRef": {"kind": "Pod", "uid": uid}}
    if hostname:
        out["hostname"] = hostname
    return out


def slice_(port, *endpoints, name="http"):
    return {"addressType": "IPv4", "ports": [{"name": name, "port": port, "protocol": "TCP"}],
            "endpoints": list(endpoints)}


def test_frontends_of_each_service_type():
    nodes = ["172.18.0.2", "172.18.0.3"]
    assert services.service_ports(service(), [], nodes)[0].frontends == (("10.96.0.20", 80, "cluster"),)
    lb = service("LoadBalancer", [{"name": "http", "port": 1337, "nodePort": 30080, "protocol": "TCP"}])
    lb["status"] = {"loadBalancer": {"ingress": [{"ip": "172.18.0.5"}]}}
    assert services.service_ports(lb, [], nodes)[0].frontends == (
        ("10.96.0.20", 1337, "cluster"), ("172.18.0.5", 1337, "lb"), ("172.18.0.2", 30080, "node"),
        ("172.18.0.3", 30080, "node"))
    assert services.service_ports(service(clusterIP="None", clusterIPs=["None"]), [], nodes) == []
    assert services.service_ports(service("ExternalName", externalName="x.org"), [], nodes) == []
    udp = service(ports=[{"name": "dns", "port": 53, "protocol": "UDP"}])
    assert services.service_ports(udp, [], nodes) == []


def test_the_rotation_takes_each_slices_port_for_a_named_target_port():
    slices = [slice_(8080, endpoint("10.244.1.5")), slice_(9090, endpoint("10.244.1.6")),
              slice_(1, endpoint("10.244.1.7"), name="metrics")]
    assert services.rotation(slices, "http") == (("10.244.1.5", 8080), ("10.244.1.6", 9090))


def test_unready_endpoints_leave_the_rotation_and_missing_ready_counts_as_ready():
    slices = [slice_(80, endpoint("10.244.1.5", ready=False), endpoint("10.244.1.6", ready=None))]
    assert services.rotation(slices, "http") == (("10.244.1.6", 80),)


def test_without_ready_endpoints_the_serving_terminating_ones_are_used():
    slices = [slice_(80, endpoint("10.244.1.5", ready=False, serving=True, terminating=True),
                     endpoint("10.244.1.6", ready=False, serving=False, terminating=True))]
    assert services.rotation(slices, "http") == (("10.244.1.5", 80),)
    slices[0]["endpoints"].append(endpoint("10.244.1.7"))
    assert services.rotation(slices, "http") == (("10.244.1.7", 80),)


def test_dns_records_list_ready_endpoints_with_hostnames_from_the_slice_or_the_pods_subdomain():
    headless = service(clusterIP="None", clusterIPs=["None"])
    slices = [slice_(80, endpoint("10.244.1.6", uid="u6"), endpoint("10.244.1.5", hostname="web-0"),
                     endpoint("10.244.1.7", ready=False))]
    pods = {"u6": {"hostname": "web-1", "subdomain": "web"}}
    record = services.dns_record(headless, slices, pods)
    assert record["ips"] == [] and record["endpoints"] == [["10.244.1.5", "web-0"], ["10.244.1.6", "web-1"]]
    assert services.dns_record(service("ExternalName", externalName="x.org"), [], {})["external"] == "x.org"


def pod(name="web-7d9f-abcde", **spec):
    return {"metadata": {"name": name, "namespace": "shop"}, "spec": spec}


def test_hostnames_and_hosts_lines_as_the_kubelet_writes_them():
    assert pod_hostname(pod(), "cluster.local") == ("web-7d9f-abcde", "")
    assert etc_hosts(pod(), "10.244.1.5", "cluster.local") == [["10.244.1.5", "web-7d9f-abcde"]]
    long = pod("x" * 62 + "-abc")
    assert pod_hostname(long, "cluster.local")[0] == "x" * 62
    named = pod(hostname="db-0", subdomain="db", hostAliases=[{"ip": "10.1.2.3", "hostnames": ["a", "b"]}])
    assert pod_hostname(named, "cluster.local") == ("db-0", "db-0.db.shop.svc.cluster.local")
    assert etc_hosts(named, "10.244.1.5", "cluster.local") == [
        ["10.244.1.5", "db-0.db.shop.svc.cluster.local", "db-0"], ["10.1.2.3", "a", "b"]]
    fqdn = pod(hostname="db-0", subdomain="db", setHostnameAsFQDN=True)
    assert pod_hostname(fqdn, "cluster.local")[0] == "db-0.db.shop.svc.cluster.local"
