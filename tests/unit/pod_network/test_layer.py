"""The network layer's hooks in this process (installed for one test each, then removed): what the standard
library's calls return in a pod and on the host. Binds and real traffic are tested with real processes in
tests/pod_network/."""
from __future__ import annotations

import errno
import socket

import pytest

from sandbox.pod_network import layer, table
from tests.unit.pod_network.tables import CIDRS, NODES, WEB_IP, WEB_POD


@pytest.fixture
def table_path(tmp_path):
    path = str(tmp_path / "routes.json")
    doc = table.document(1, "cluster.local", CIDRS, NODES, ["default"], {WEB_POD: ["uid-web", "default/web-1"]},
                         [], [[WEB_IP, 80, 1, True, "default/web", "cluster"]],
                         {"default/web": {"ips": [WEB_IP], "external": "", "ports": [], "endpoints": []}})
    table.write(path, table.encode(doc))
    return path


@pytest.fixture
def pod(table_path, tmp_path):
    originals = (socket.getaddrinfo, socket.gethostname, socket.socket.__dict__.get("_real_close"))
    layer.install_pod(table_path, layer.Pod(WEB_POD, "uid-web", "default", "web-1", f"{WEB_POD} web-1",
                                            control=str(tmp_path / "nobody.sock")))
    yield
    layer.uninstall()
    assert (socket.getaddrinfo, socket.gethostname, socket.socket.__dict__.get("_real_close")) == originals
    assert "connect" not in socket.socket.__dict__ and layer.mode() is None


@pytest.fixture
def host(table_path):
    layer.install_host(table_path)
    yield
    layer.uninstall()


def test_names_resolve_as_in_the_pod(pod):
    infos = socket.getaddrinfo("web", "http", type=socket.SOCK_STREAM, flags=socket.AI_CANONNAME)
    assert infos == [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "web.default.svc.cluster.local",
                      (WEB_IP, 80))]
    assert socket.gethostbyname("web.default") == WEB_IP
    assert socket.gethostbyname_ex("web") == ("web.default.svc.cluster.local", [], [WEB_IP])
    assert socket.gethostname() == "web-1" and socket.gethostbyname("web-1") == WEB_POD
    assert socket.getfqdn() == "web-1"
    assert socket.gethostbyaddr(WEB_IP)[0] == "web.default.svc.cluster.local"
    with pytest.raises(socket.gaierror, match="Name or service not known"):
        socket.getaddrinfo("nosuch", 80)


@pytest.fixture
def host_listener():
    with socket.create_server(("127.0.0.1", 0)) as server:  # made before the layer is installed
        yield server.getsockname()[1]


def test_localhost_is_the_pods_even_where_a_host_process_listens(host_listener, pod):
    port = host_listener
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    with socket.socket() as sock:
        assert sock.connect_ex(("localhost", port)) == errno.ECONNREFUSED


def test_binds_take_only_the_pods_addresses_and_need_the_sandbox(pod):
    with socket.socket() as sock, pytest.raises(OSError) as caught:
        sock.bind(("10.244.9.9", 80))
    assert caught.value.errno == errno.EADDRNOTAVAIL
    with socket.socket() as sock, pytest.raises(OSError, match="pod network does not answer"):
        sock.bind(("0.0.0.0", 80))


def test_udp_sockets_are_left_alone(pod):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect((WEB_IP, 53))  # no packet is sent: UDP connect only sets the peer
        assert sock.getpeername() == (WEB_IP, 53)


def test_the_host_gets_a_clear_error_for_cluster_names_and_addresses(host):
    with pytest.raises(socket.gaierror, match="cluster DNS name.*kubectl port-forward"):
        socket.getaddrinfo("web.default.svc.cluster.local", 80)
    with pytest.raises(socket.gaierror):
        socket.gethostbyname("web.default.svc")
    with pytest.raises(OSError, match="only from inside the cluster.*port-forward svc/web -n default") as caught:
        socket.create_connection((WEB_IP, 80), timeout=30)
    assert caught.value.errno == errno.EHOSTUNREACH
    assert socket.gethostname() == layer._original["gethostname"]()
