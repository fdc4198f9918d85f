"""The pure rules behind RBAC, APIServices and CRDs: validation wording, defaults, structural schemas, custom
resource validation and defaulting, version priority, Go's JSON syntax errors and the patch error."""
import copy
import json

import pytest

from sandbox.machinery import (apiservice_validation, crd_definition_validation as crdv, crd_validation, decoding,
                               keda_crds, patching, rbac_validation, resources)


def messages(causes):
    return [f"{c.field}: {c.message}" for c in causes]


def test_policy_rules_and_bindings():
    assert messages(rbac_validation.validate_role({"rules": [{"verbs": ["get"], "resources": ["pods"],
                                                              "resourceNames": ["a"]}]}, None)) == [
        "rules[0].apiGroups: Required value: resource rules must supply at least one api group"]
    assert messages(rbac_validation.validate_cluster_role({"aggregationRule": {}}, None)) == [
        "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if "
        "aggregationRule is non-nil"]
    binding = {"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [
        {"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "sa"}]}
    rbac_validation.set_binding_defaults(binding)
    assert binding["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert binding["subjects"] == [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"},
                                   {"kind": "ServiceAccount", "name": "sa"}]
    assert messages(rbac_validation.validate_cluster_role_binding(binding, None)) == [
        "subjects[1].namespace: Required value"]
    assert messages(rbac_validation.validate_role_binding(binding, None)) == []
    changed = copy.deepcopy(binding)
    changed["roleRef"]["name"] = "edit"
    assert messages(rbac_validation.validate_role_binding(changed, binding)) == [
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", '
        'Name:"edit"}: cannot change roleRef']


def test_api_service_rules():
    good = {"metadata": {"name": "v1.example.com"}, "spec": {"group": "example.com", "version": "v1",
                                                            "groupPriorityMinimum": 100, "versionPriority": 10}}
    assert apiservice_validation.validate_api_service(good, None) == []
    bad = copy.deepcopy(good)
    bad["metadata"]["name"] = "v2.example.com"
    bad["spec"].update(caBundle="eA==", versionPriority=0)
    assert messages(apiservice_validation.validate_api_service(bad, None)) == [
        'metadata.name: Invalid value: "v2.example.com": must be `spec.version+"."+spec.group`: "v1.example.com"',
        "spec.versionPriority: Invalid value: 0: must be positive and less than 1000",
        'spec.caBundle: Invalid value: "eA==": local APIServices may not have a caBundle']


def test_keda_crds_are_valid_crds():
    for crd in keda_crds.crds():
        crdv.set_crd_defaults(crd)
        assert crdv.validate_crd(crd, None) == [], crd["metadata"]["name"]


def test_crd_rules_and_defaults():
    crd = keda_crds.crds()[2]
    del crd["spec"]["names"]["listKind"], crd["spec"]["conversion"]
    crdv.set_crd_defaults(crd)
    assert (crd["spec"]["names"]["listKind"], crd["spec"]["conversion"]) == ("TriggerAuthenticationList",
                                                                             {"strategy": "None"})
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    schema["properties"]["spec"]["properties"]["bad"] = {"properties": {"x": {"type": "string"}}}
    schema["properties"]["metadata"] = {"type": "object", "properties": {"labels": {"type": "object"}}}
    crd["spec"]["versions"].append(dict(crd["spec"]["versions"][0], name="v1"))
    crd["spec"]["scope"] = "Global"
    found = messages(crdv.validate_crd(crd, None))
    path = "spec.versions[0].schema.openAPIV3Schema"
    assert f"{path}.properties[spec].properties[bad].type: Required value: must not be empty for specified object " \
           "fields" in found
    assert f"{path}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, " \
           "but metadata is implicitly specified" in found
    assert 'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"' in found
    assert any(m.startswith("spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{") and
               m.endswith("must have exactly one version marked as storage version") for m in found)
    old = keda_crds.crds()[2]
    old["status"] = {"conditions": [{"type": "Established", "status": "True"}]}
    new = copy.deepcopy(old)
    new["spec"]["scope"] = "Cluster"
    assert 'spec.scope: Invalid value: "Cluster": field is immutable' in messages(crdv.validate_crd(new, old))


SCHEMA = {"type": "object", "properties": {"spec": {"type": "object", "required": ["image"], "properties": {
    "image": {"type": "string", "minLength": 2},
    "replicas": {"type": "integer", "minimum": 1, "default": 1},
    "ports": {"type": "array", "maxItems": 1, "items": {"type": "object", "properties": {
        "protocol": {"type": "string", "default": "TCP", "enum": ["TCP", "UDP"]}}}},
    "port": {"x-kubernetes-int-or-string": True}}}}}


def test_custom_resource_validation_and_defaults():
    obj = {"spec": {"ports": [{}, {"protocol": "SCTP"}], "replicas": 0, "image": "a", "port": True}}
    crd_validation.apply_defaults(obj, SCHEMA)
    assert obj["spec"]["ports"][0] == {"protocol": "TCP"}
    assert messages(crd_validation.validate(obj, SCHEMA)) == [
        'spec.ports[1].protocol: Unsupported value: "SCTP": supported values: "TCP", "UDP"',
        "spec.ports: Too many: 2: must have at most 1 items",
        "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1",
        'spec.image: Invalid value: "a": spec.image in body should be at least 2 chars long',
        'spec.port: Invalid value: "boolean": spec.port in body must be of type integer: "boolean"']
    assert messages(crd_validation.validate({"spec": {}}, SCHEMA)) == ["spec.image: Required value"]


def test_kube_aware_version_order():
    assert sorted(["v1beta1", "v2", "v1", "v1alpha1", "foo", "v10beta3"], key=resources.version_priority) == [
        "v2", "v1", "v10beta3", "v1beta1", "v1alpha1", "foo"]


@pytest.mark.parametrize("text,expected", [
    ("abc", "invalid character 'a' looking for beginning of value"),
    ('{"a" 1}', "invalid character '1' after object key"),
    ('{"a": 1 "b"}', "invalid character '\"' after object key:value pair"),
    ("[1 2]", "invalid character '2' after array element"),
    ("{a}", "invalid character 'a' looking for beginning of object key string"),
    ('{"a": 1}}', "invalid character '}' after top-level value"),
    ('{"a": ', "unexpected end of JSON input"),
    ('{"a": "x\ny"}', "invalid character '\\n' in string literal"),
])
def test_go_json_syntax_errors(text, expected):
    with pytest.raises(json.JSONDecodeError) as raised:
        json.loads(text)
    assert decoding.go_json_error(raised.value) == expected


def test_summarized_bodies():
    assert decoding.summarize(b"abc") == "616263"
    assert decoding.summarize(b"{" + b"x" * 40) == "{" + "x" * 29 + " ..."
    assert decoding.summarize(b"") == "<empty>"


def test_patch_error_on_field_patch():
    error = patching.invalid_patch("application/strategic-merge-patch+json", {"metadata": {"labels": "x"}}, {},
                                   'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string '
                                   "into Go struct field ObjectMeta.metadata.labels of type map[string]string")
    assert (error.code, error.message) == (422, ' "" is invalid: patch: Invalid value: "map[metadata:map[labels:x]]":'
                                                ' cannot restore map from string')
    assert error.status()["details"] == {"causes": [{"reason": "FieldValueInvalid", "message": error.message[
        len(' "" is invalid: patch: '):], "field": "patch"}]}
