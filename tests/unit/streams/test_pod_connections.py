"""The API server's checks before exec, attach and port-forward (sandbox/registry/pod_connections.py), in
kube-apiserver's order and words, against a real Registry."""
import pytest

from sandbox.clock import Clock
from sandbox.machinery import resources
from sandbox.machinery.errors import StatusError
from sandbox.registry import pod_connections as pc
from sandbox.registry.rest import Registry
from sandbox.storage.store import Store

PODS = resources.lookup("", "v1", "pods")


class Node:
    """Stands in for registry.kubelet: these checks never call it."""


@pytest.fixture
def registry():
    registry = Registry(Store(), Clock())
    registry.create(resources.lookup("", "v1", "namespaces"), None, {"metadata": {"name": "default"}})
    registry.kubelet = Node()
    return registry


def pod(registry, name, containers=("app",), init=(), node="sandbox-worker"):
    spec = {"containers": [{"name": c, "image": "python:3.11"} for c in containers]}
    if init:
        spec["initContainers"] = [{"name": c, "image": "python:3.11"} for c in init]
    if node:
        spec["nodeName"] = node
    return registry.create(PODS, "default", {"metadata": {"name": name}, "spec": spec})


def refusal(call) -> tuple[int, str]:
    with pytest.raises(StatusError) as caught:
        call()
    return caught.value.code, caught.value.message


OUT = pc.StreamOptions(stdout=True)


def test_the_only_container_is_the_default(registry):
    pod(registry, "solo")
    assert pc.stream_connection(registry, "default", "solo", OUT).container == "app"


def test_a_missing_pod_is_not_found(registry):
    assert refusal(lambda: pc.stream_connection(registry, "default", "ghost", OUT)) == (404, 'pods "ghost" not found')
    assert refusal(lambda: pc.port_forward_connection(registry, "default", "ghost"))[0] == 404


def test_several_containers_need_a_name_listed_as_kube_apiserver_lists_them(registry):
    pod(registry, "duo", containers=("api", "validator"), init=("migrate",))
    assert refusal(lambda: pc.stream_connection(registry, "default", "duo", OUT)) == (
        400, "a container name must be specified for pod duo, choose one of: [migrate api validator]")


def test_init_and_ephemeral_containers_are_valid_names(registry):
    created = pod(registry, "duo", containers=("api", "validator"), init=("migrate",))
    assert pc.stream_connection(registry, "default", "duo", pc.StreamOptions("migrate", stdout=True)).container \
        == "migrate"
    created["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busybox"}]
    assert pc.validate_container(created, "debugger") == "debugger"


def test_a_name_the_pod_does_not_have(registry):
    pod(registry, "solo")
    assert refusal(lambda: pc.stream_connection(registry, "default", "solo", pc.StreamOptions("nope", stdout=True))) \
        == (400, "container nope is not valid for pod solo")


def test_a_pod_without_a_node(registry):
    pod(registry, "pending", node=None)
    assert refusal(lambda: pc.stream_connection(registry, "default", "pending", OUT)) == (
        400, "pod pending does not have a host assigned")
    assert refusal(lambda: pc.port_forward_connection(registry, "default", "pending")) == (
        400, "pod pending does not have a host assigned")


def test_the_container_is_checked_before_the_node(registry):
    pod(registry, "pending", node=None)
    assert refusal(lambda: pc.stream_connection(registry, "default", "pending", pc.StreamOptions("x")))[1] == \
        "container x is not valid for pod pending"


def test_without_controllers_there_is_no_node_to_ask(registry):
    pod(registry, "solo")
    registry.kubelet = None
    assert refusal(lambda: pc.stream_connection(registry, "default", "solo", OUT)) == (
        404, 'nodes "sandbox-worker" not found')


@pytest.mark.parametrize("options", [pc.StreamOptions(), pc.StreamOptions(stderr=True, tty=True)])
def test_at_least_one_stream_and_a_tty_carries_no_stderr(registry, options):
    pod(registry, "solo")
    assert refusal(lambda: pc.stream_connection(registry, "default", "solo", options)) == (
        400, "you must specify at least 1 of stdin, stdout, stderr")


def test_query_booleans_decode_as_the_parameter_codec_does():
    options = pc.exec_options([("command", "sh"), ("command", "-c"), ("command", "echo"), ("stdin", ""),
                               ("stdout", "True"), ("stderr", "false"), ("tty", "0"), ("container", "app")])
    assert options == pc.StreamOptions("app", ("sh", "-c", "echo"), stdin=True, stdout=True, stderr=False, tty=False)
    assert pc.attach_options([("command", "ignored"), ("stdin", "1")]).command == ()


def test_ports_decode_from_repeated_and_comma_separated_values():
    assert pc.port_forward_options([("ports", "80,81"), ("ports", "8080")]).ports == (80, 81, 8080)


@pytest.mark.parametrize("value, why", [
    ("http", 'strconv.ParseUint: parsing "http": invalid syntax'),
    ("80,", 'strconv.ParseUint: parsing "": invalid syntax'),
    ("-1", 'strconv.ParseUint: parsing "-1": invalid syntax'),
    ("70000", 'strconv.ParseUint: parsing "70000": value out of range'),
])
def test_bad_ports_are_refused_with_the_conversion_error(value, why):
    assert refusal(lambda: pc.port_forward_options([("ports", value)])) == (400, f"cannot convert to []int32: {why}")


def test_the_websocket_port_forward_needs_ports_above_zero():
    assert refusal(lambda: pc.check_websocket_ports(pc.PortForwardOptions())) == (
        400, 'query parameter "port" is required')
    assert refusal(lambda: pc.check_websocket_ports(pc.PortForwardOptions((80, 0)))) == (
        400, 'port "80,0" must be > 0')
