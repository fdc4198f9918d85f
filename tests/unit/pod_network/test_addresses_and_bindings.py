"""Which of a pod's addresses a bind covers, and the bindings' conflicts as the kernel decides them."""
from __future__ import annotations

import errno
import socket

import pytest

from sandbox.pod_network import addresses
from sandbox.pod_network.bindings import Binding, BindError, Bindings

POD = "10.244.1.5"
V4, V6 = socket.AF_INET, socket.AF_INET6


@pytest.mark.parametrize("family, host, v6only, reach", [
    (V4, "0.0.0.0", False, "lp"), (V4, "", False, "lp"), (V4, "127.0.0.1", False, "l"), (V4, "127.1.2.3", False, "l"),
    (V4, POD, False, "p"), (V4, "10.244.1.6", False, None), (V4, "10.96.0.1", False, None),
    (V6, "::", False, "lp6"), (V6, "", False, "lp6"), (V6, "::", True, "6"), (V6, "::1", False, "6"),
    (V6, "::ffff:127.0.0.1", False, "l"), (V6, f"::ffff:{POD}", False, "p"), (V6, "fe80::1", False, None),
])
def test_reach_of_a_bind(family, host, v6only, reach):
    assert addresses.reach_of(family, host, POD, v6only) == reach


def test_canonical_forms_of_literals():
    assert addresses.canonical("::FFFF:10.0.0.1") == (V4, "10.0.0.1")
    assert addresses.canonical("0:0:0:0:0:0:0:1") == (V6, "::1")
    assert addresses.canonical("web") is None and addresses.canonical(None) is None
    assert addresses.in_cidr(addresses.ipv4_int("10.111.0.1"), addresses.parse_cidr("10.96.0.0/12"))
    assert not addresses.in_cidr(addresses.ipv4_int("10.112.0.1"), addresses.parse_cidr("10.96.0.0/12"))


class Ports:
    """Real ports some socket holds: the liveness check, controlled by the test."""

    def __init__(self):
        self.held: set[int] = set()

    def __call__(self, binding: Binding) -> bool:
        return binding.real_port in self.held


def binding(port=80, reach="lp", real=40001, uid="uid-a", owner="main", reserved=False, ip=POD) -> Binding:
    return Binding(ip, port, reach, real, 4, uid, owner, reserved)


@pytest.fixture
def held():
    return Ports()


@pytest.mark.parametrize("first, second, conflict", [
    ("lp", "l", True), ("lp", "p", True), ("l", "p", False), ("lp", "6", False), ("lp6", "lp", True),
    ("6", "l", False), ("lp6", "6", True),
])
def test_two_binds_of_a_port_conflict_when_their_reach_intersects(held, first, second, conflict):
    bindings = Bindings(held)
    held.held.add(40001)
    bindings.claim(binding(reach=first, real=40001))
    if conflict:
        with pytest.raises(BindError) as caught:
            bindings.claim(binding(reach=second, real=40002))
        assert caught.value.errno == errno.EADDRINUSE
    else:
        bindings.claim(binding(reach=second, real=40002))
        assert len(bindings) == 2


def test_a_binding_whose_socket_is_gone_gives_way(held):
    bindings = Bindings(held)
    bindings.claim(binding(real=40001))  # its process was killed: nothing holds 40001
    bindings.claim(binding(real=40002))
    assert [b.real_port for b in bindings] == [40002]


def test_a_reservation_holds_even_before_its_program_listens(held):
    bindings = Bindings(held)
    bindings.claim(binding(real=40001, reserved=True, owner="redis"))
    with pytest.raises(BindError):
        bindings.claim(binding(real=40002))


def test_an_old_pods_binding_never_blocks_the_pod_that_owns_the_ip_now(held):
    bindings = Bindings(held)
    held.held.add(40001)
    bindings.claim(binding(real=40001, uid="uid-old"))
    bindings.claim(binding(real=40002, uid="uid-new"))
    assert [(b.uid, b.real_port) for b in bindings] == [("uid-new", 40002)]


def test_unbind_waits_until_no_process_holds_the_real_port(held):
    bindings = Bindings(held)
    held.held.add(40001)
    bindings.claim(binding(real=40001))
    assert not bindings.drop(POD, 80, 40001, "uid-a")  # a forked child still listens
    held.held.clear()
    assert bindings.drop(POD, 80, 40001, "uid-a") and len(bindings) == 0


def test_release_by_container_and_forget_by_pod(held):
    bindings = Bindings(held)
    bindings.claim(binding(port=80, real=1, owner="api"))
    bindings.claim(binding(port=81, real=2, owner="validator"))
    bindings.claim(binding(port=80, real=3, uid="uid-b", ip="10.244.1.6"))
    assert bindings.release(POD, "validator") == 1
    assert [b.port for b in bindings if b.ip == POD] == [80]
    assert bindings.forget_pod("uid-b") == 1
    assert bindings.release(POD) == 1 and len(bindings) == 0
    assert bindings.find(POD, 80, "p") is None
