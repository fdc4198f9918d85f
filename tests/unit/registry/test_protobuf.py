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
        protobuf.decode(envelope("batch/v1", "Job", b""))
    assert raised.value.code == 415
    for garbage in (b"nope", protobuf.MAGIC + b"\xff\xff", protobuf.MAGIC + field(2, b"\x0a\x05ab")):
        with pytest.raises(StatusError) as raised:
            protobuf.decode(garbage)
        assert raised.value.code == 400
