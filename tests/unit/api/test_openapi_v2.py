"""/openapi/v2: the Swagger 2.0 document and its gnostic protobuf form (read back with a minimal wire reader)."""
from sandbox.api import openapi_v2


def fields(data: bytes):
    """(field number, wire type, value) of one protobuf message's top level."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        else:
            length, i = _varint(data, i)
            value, i = data[i:i + length], i + length
        yield number, wire, value


def _varint(data: bytes, i: int):
    shift = value = 0
    while True:
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i += 1
        if not byte & 0x80:
            return value, i
        shift += 7


def test_swagger_document():
    doc = openapi_v2.document()
    assert doc["swagger"] == "2.0" and doc["info"] == {"title": "Kubernetes", "version": "v1.37.0"}
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "kind": "Deployment", "version": "v1"}
    assert any(p["name"] == "fieldValidation" and p["in"] == "query" for p in patch["parameters"])
    assert patch["parameters"][0]["in"] == "body" and patch["parameters"][0]["schema"]["$ref"].startswith(
        "#/definitions/")
    assert "application/strategic-merge-patch+json" in patch["consumes"]
    refs = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):  # JSONSchemaProps has a property named "$ref"
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(doc)
    assert refs and all(ref.startswith("#/definitions/") and ref[14:] in doc["definitions"] for ref in refs)


def test_protobuf_document_reads_back():
    top = list(fields(openapi_v2.protobuf_bytes()))
    assert top[0] == (1, 2, b"2.0")
    info = dict((n, v) for n, _, v in fields(next(v for n, _, v in top if n == 2)))
    assert info == {1: b"Kubernetes", 2: b"v1.37.0"}
    paths = [dict((n, v) for n, _, v in fields(item)) for n, _, item in fields(next(v for n, _, v in top if n == 8))]
    names = {p[1].decode() for p in paths}
    assert "/api/v1/namespaces/{namespace}/pods" in names and "/apis/keda.sh/v1alpha1/scaledobjects" in names
    definitions = [dict((n, v) for n, _, v in fields(d))[1] for _, _, d in fields(next(v for n, _, v in top
                                                                                      if n == 9))]
    assert b"io.k8s.api.core.v1.Pod" in definitions


def test_content_negotiation():
    assert openapi_v2.wants_protobuf("application/com.github.proto-openapi.spec.v2@v1.0+protobuf") == \
        openapi_v2.PROTOBUF_TYPES[0]
    assert openapi_v2.wants_protobuf("application/json, application/com.github.proto-openapi.spec.v2@v1.0+"
                                     "protobuf") == ""
