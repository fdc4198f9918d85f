"""Protobuf request bodies (what kubectl's typed clients send) decode to the JSON the object would have been."""
import base64

import pytest

from sandbox.api import protobuf
from sandbox.machinery.errors import StatusError


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def field(number: int, value) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return protobuf.MAGIC + field(1, field(1, api_version) + field(2, kind)) + field(2, raw)


def test_a_namespace_as_kubectl_create_namespace_sends_it():
    meta = field(1, "team") + field(2, "") + field(7, 0) + field(8, b"")
    body = envelope("v1", "Namespace", field(1, meta) + field(2, b"") + field(3, field(1, "")))
    assert protobuf.decode(body) == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"},
                                     "spec": {}}


def test_maps_int_or_string_and_explicit_zero_replicas():
    labels = field(11, field(1, "app") + field(2, "web"))
    port = field(3, 80) + field(4, field(1, 1) + field(3, "http"))
    spec = field(1, port) + field(4, "NodePort")
    decoded = protobuf.decode(envelope("v1", "Service", field(1, field(1, "web") + labels) + field(2, spec)))
    assert decoded["metadata"]["labels"] == {"app": "web"}
    assert decoded["spec"] == {"ports": [{"port": 80, "targetPort": "http"}], "type": "NodePort"}
    deployment = protobuf.decode(envelope("apps/v1", "Deployment", field(1, field(1, "d")) + field(2, field(1, 0))))
    assert deployment["spec"] == {"replicas": 0}


def test_secret_data_is_base64_in_json():
    data = field(2, field(1, "password") + field(2, b"s3cret"))
    decoded = protobuf.decode(envelope("v1", "Secret", field(1, field(1, "pw")) + data))
    assert decoded["data"] == {"password": base64.b64encode(b"s3cret").decode()}


def test_unknown_fields_and_types_are_415_and_garbage_is_400():
    with pytest.raises(StatusError) as raised:
        protobuf.decode(envelope("v1", "ConfigMap", field(1, field(99, "x"))))
    assert raised.value.code == 415 and "field 99 of ObjectMeta" in raised.value.message
    with pytest.raises(StatusError) as raised:
        protobuf.decode(envelope("networking.k8s.io/v1", "Ingress", b""))
    assert raised.value.code == 415
    for garbage in (b"nope", protobuf.MAGIC + b"\xff\xff", protobuf.MAGIC + field(2, b"\x0a\x05ab")):
        with pytest.raises(StatusError) as raised:
            protobuf.decode(garbage)
        assert raised.value.code == 400


def test_delete_options_as_kubectl_drain_sends_them():
    # `kubectl drain --disable-eviction --grace-period=5` DELETEs each pod with this body (kubectl -v=8 shows it)
    body = bytes.fromhex("6b 38 73 00 0a 13 0a 02 76 31 12 0d 44 65 6c 65 74 65 4f 70 74 69 6f 6e 73 12 02 08 05"
                         "1a 00 22 00")
    assert protobuf.decode(body) == {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 5}


def test_delete_options_keep_explicit_zeros_and_every_field():
    preconditions = field(1, "0b4c") + field(2, "")
    options = field(1, 0) + field(2, preconditions) + field(3, 0) + field(4, "Foreground") + field(5, "All")
    decoded = protobuf.decode(envelope("apps/v1", "DeleteOptions", options))
    assert decoded == {"apiVersion": "apps/v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                       "preconditions": {"uid": "0b4c", "resourceVersion": ""}, "orphanDependents": False,
                       "propagationPolicy": "Foreground", "dryRun": ["All"]}
    assert protobuf.decode(envelope("v1", "DeleteOptions", b"")) == {"apiVersion": "v1", "kind": "DeleteOptions"}


@pytest.mark.parametrize("api_version", ["policy/v1", "policy/v1beta1"])
def test_an_eviction_with_its_delete_options(api_version):
    meta = field(1, "web-1") + field(3, "shop")
    raw = field(1, meta) + field(2, field(1, 10) + field(5, "All"))
    assert protobuf.decode(envelope(api_version, "Eviction", raw)) == {
        "apiVersion": api_version, "kind": "Eviction", "metadata": {"name": "web-1", "namespace": "shop"},
        "deleteOptions": {"gracePeriodSeconds": 10, "dryRun": ["All"]}}


def test_a_self_subject_review_as_kubectl_auth_whoami_sends_it():
    # what `kubectl auth whoami` POSTs (kubectl -v=8): empty metadata and an empty status.userInfo
    body = bytes.fromhex("6b 38 73 00 0a 2d 0a 18 61 75 74 68 65 6e 74 69 63 61 74 69 6f 6e 2e 6b 38 73 2e 69 6f 2f"
                         "76 31 12 11 53 65 6c 66 53 75 62 6a 65 63 74 52 65 76 69 65 77 12 1a 0a 10 0a 00 12 00 1a"
                         "00 22 00 2a 00 32 00 38 00 42 00 12 06 0a 04 0a 00 12 00 1a 00 22 00")
    assert protobuf.decode(body) == {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
                                     "metadata": {}}


def test_an_unknown_delete_options_field_is_415():
    with pytest.raises(StatusError) as raised:
        protobuf.decode(envelope("v1", "DeleteOptions", field(6, 1)))
    assert raised.value.code == 415 and "field 6 of DeleteOptions" in raised.value.message


def test_a_pod_disruption_budget_as_kubectl_create_pdb_sends_it():
    """`kubectl create pdb web --selector=app=web --min-available=2`, as kubectl -v=8 showed the body."""
    body = bytes.fromhex("6b 38 73 00 0a 20 0a 09 70 6f 6c 69 63 79 2f 76 31 12 13 50 6f 64 44 69 73 72 75 70 74 69"
                         "6f 6e 42 75 64 67 65 74 12 39 0a 13 0a 03 77 65 62 12 00 1a 00 22 00 2a 00 32 00 38 00 42"
                         "00 12 16 0a 06 08 00 10 02 1a 00 12 0c 0a 0a 0a 03 61 70 70 12 03 77 65 62 1a 0a 08 00 18"
                         "00 20 00 28 00 30 00 1a 00 22 00")
    assert protobuf.decode(body) == {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                                     "metadata": {"name": "web"},
                                     "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}}


def test_a_budget_keeps_an_explicit_zero_and_percentages():
    zero = field(1, 0) + field(2, 0) + field(3, "")  # IntOrString{Type: Int, IntVal: 0}
    percent = field(1, 1) + field(3, "25%")
    spec = field(1, percent) + field(3, zero) + field(4, "AlwaysAllow")
    decoded = protobuf.decode(envelope("policy/v1", "PodDisruptionBudget", field(1, field(1, "b")) + field(2, spec)))
    assert decoded["spec"] == {"minAvailable": "25%", "maxUnavailable": 0, "unhealthyPodEvictionPolicy": "AlwaysAllow"}


def test_rbac_objects_as_kubectl_create_role_and_rolebinding_send_them():
    rule = field(1, "get") + field(1, "list") + field(2, "") + field(3, "pods") + field(4, "a")
    role = protobuf.decode(envelope("rbac.authorization.k8s.io/v1", "Role", field(1, field(1, "r")) + field(2, rule)))
    assert role["rules"] == [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"],
                              "resourceNames": ["a"]}]
    subject = field(1, "User") + field(2, "rbac.authorization.k8s.io") + field(3, "alice")
    ref = field(1, "rbac.authorization.k8s.io") + field(2, "ClusterRole") + field(3, "view")
    binding = protobuf.decode(envelope("rbac.authorization.k8s.io/v1", "ClusterRoleBinding",
                                       field(1, field(1, "b")) + field(2, subject) + field(3, ref)))
    assert binding["subjects"] == [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}
    selector = field(1, field(1, "agg") + field(2, "true"))
    aggregated = protobuf.decode(envelope("rbac.authorization.k8s.io/v1", "ClusterRole",
                                          field(1, field(1, "c")) + field(3, field(1, selector))))
    assert aggregated["aggregationRule"] == {"clusterRoleSelectors": [{"matchLabels": {"agg": "true"}}]}


def test_a_token_request_as_kubectl_create_token_sends_it():
    bound = field(1, "Pod") + field(2, "v1") + field(3, "web") + field(4, "u-1")
    spec = field(1, "vault") + field(3, bound) + field(4, 7200)
    body = envelope("authentication.k8s.io/v1", "TokenRequest", field(1, b"") + field(2, spec) + field(3, b""))
    assert protobuf.decode(body) == {
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {},
        "spec": {"audiences": ["vault"], "expirationSeconds": 7200,
                 "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web", "uid": "u-1"}}}
