import copy

import pytest

from sandbox.machinery import errors, resources, validation
from sandbox.registry import kinds

DEPLOYMENTS = resources.by_kind("apps/v1", "Deployment")
PODS = resources.by_kind("v1", "Pod")
SERVICES = resources.by_kind("v1", "Service")
SCALED_OBJECTS = resources.by_kind("keda.sh/v1alpha1", "ScaledObject")
HPAS = resources.by_kind("autoscaling/v2", "HorizontalPodAutoscaler")
SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
             "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
             r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def deployment(**spec):
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "containo"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "api", "image": "nginx"}]}}}}
    body["spec"].update(spec)
    return body


def decode_error(rt, body, mode="Strict"):
    with pytest.raises(errors.StatusError) as caught:
        validation.decode(rt, copy.deepcopy(body), mode)
    assert caught.value.code == 400 and caught.value.reason == "BadRequest"
    return caught.value.message


def invalid(rt, body, old=None):
    kinds.apply_defaults(rt, body)
    with pytest.raises(errors.StatusError) as caught:
        kinds.validate(rt, body, old)
    assert (caught.value.code, caught.value.reason) == (422, "Invalid")
    return caught.value


def test_type_errors_are_400_with_go_wording():
    assert decode_error(DEPLOYMENTS, deployment(replicas="3")) == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go '
        'struct field DeploymentSpec.spec.replicas of type int32')
    env = deployment()
    env["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": 5}]
    assert decode_error(DEPLOYMENTS, env).endswith(
        "json: cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type "
        "string")
    assert decode_error(DEPLOYMENTS, deployment(replicas=2.5)).endswith("cannot unmarshal number 2.5 into Go struct "
                                                                       "field DeploymentSpec.spec.replicas of type int32")
    bad_quantity = deployment()
    bad_quantity["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "lots"}}
    assert decode_error(DEPLOYMENTS, bad_quantity).endswith(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


def test_unknown_fields_by_field_validation_mode():
    body = deployment()
    body["spec"] = {"replica": 3, **body["spec"]}  # unknown fields are reported in document order
    body["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    assert decode_error(DEPLOYMENTS, body) == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field '
        '"spec.replica", unknown field "spec.template.spec.containers[0].imagePullPolice"')
    warned = copy.deepcopy(body)
    assert validation.decode(DEPLOYMENTS, warned, "Warn") == [
        'unknown field "spec.replica"', 'unknown field "spec.template.spec.containers[0].imagePullPolice"']
    assert "replica" not in warned["spec"]
    ignored = copy.deepcopy(body)
    assert validation.decode(DEPLOYMENTS, ignored, "Ignore") == [] and "replica" not in ignored["spec"]


def test_decode_drops_nulls_and_canonicalizes_quantities():
    body = deployment(replicas=None)
    body["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "0.5", "memory": 1024}}
    validation.decode(DEPLOYMENTS, body)
    assert "replicas" not in body["spec"]
    assert body["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "500m",
                                                                                         "memory": "1024"}


def test_selector_must_match_template_labels():
    body = deployment()
    body["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    error = invalid(DEPLOYMENTS, body)
    assert error.message == ('Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
                             'map[string]string{"app":"other"}: `selector` does not match template `labels`')
    assert error.details["causes"] == [{"reason": "FieldValueInvalid", "field": "spec.template.metadata.labels",
                                        "message": 'Invalid value: map[string]string{"app":"other"}: `selector` '
                                                   'does not match template `labels`'}]


def test_selector_is_immutable():
    old = deployment()
    new = deployment(selector={"matchLabels": {"app": "web2"}})
    new["spec"]["template"]["metadata"]["labels"] = {"app": "web2"}
    assert invalid(DEPLOYMENTS, new, old).message == (
        'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:'
        'map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable')


def test_every_problem_is_a_cause():
    body = deployment(replicas=-1)
    body["metadata"]["name"] = "Web_1"
    containers = body["spec"]["template"]["spec"]["containers"]
    containers.append({"name": "api"})
    containers[0]["ports"] = [{"containerPort": 70000}]
    causes = invalid(DEPLOYMENTS, body).details["causes"]
    assert [(c["field"], c["message"].split(":")[0]) for c in causes] == [
        ("metadata.name", "Invalid value"),
        ("spec.replicas", "Invalid value"),
        ("spec.template.spec.containers[0].ports[0].containerPort", "Invalid value"),
        ("spec.template.spec.containers[1].name", "Duplicate value"),
        ("spec.template.spec.containers[1].image", "Required value"),
    ]
    assert causes[0]["message"] == f'Invalid value: "Web_1": {SUBDOMAIN}'
    assert causes[2]["message"] == "Invalid value: 70000: must be between 1 and 65535, inclusive"


def test_pod_resources_and_update_rules():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
           "spec": {"containers": [{"name": "c", "image": "x",
                                    "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]}}
    assert invalid(PODS, pod).details["causes"][0] == {
        "reason": "FieldValueInvalid", "field": "spec.containers[0].resources.requests",
        "message": 'Invalid value: "2": must be less than or equal to cpu limit of 1'}
    old = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
           "spec": {"containers": [{"name": "c", "image": "x"}]}}
    kinds.apply_defaults(PODS, old)
    image_change = copy.deepcopy(old)
    image_change["spec"]["containers"][0]["image"] = "y"
    kinds.validate(PODS, image_change, old)
    port_change = copy.deepcopy(old)
    port_change["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "protocol": "TCP"}]
    error = invalid(PODS, port_change, old)
    assert error.details["causes"][0]["field"] == "spec"
    assert error.details["causes"][0]["message"].startswith(
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`")


def test_service_rules():
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1cache", "namespace": "ns"},
            "spec": {"type": "Magic", "ports": [{"port": 80}, {"port": 0, "name": "b"}]}}
    fields = [(c["field"], c["message"][:22]) for c in invalid(SERVICES, body).details["causes"]]
    assert ("metadata.name", "Invalid value: \"1cache") in fields
    assert ("spec.type", 'Unsupported value: "Ma') in fields
    assert ("spec.ports[0].name", "Required value") in fields
    assert ("spec.ports[1].port", "Invalid value: 0: must") in fields


def test_hpa_rules():
    body = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h", "namespace": "ns"},
            "spec": {"scaleTargetRef": {"kind": "Deployment"}, "minReplicas": 3, "maxReplicas": 2}}
    causes = invalid(HPAS, body).details["causes"]
    assert [c["field"] for c in causes] == ["spec.scaleTargetRef.name", "spec.maxReplicas"]
    assert causes[1]["message"] == "Invalid value: 2: must be greater than or equal to `minReplicas`"


def test_custom_resources_prune_and_validate_against_their_schema():
    body = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "s", "namespace": "n"},
            "spec": {"pollingInterval": "5", "scaleTargetRef": {"name": "w"}, "bogus": 1}}
    assert decode_error(SCALED_OBJECTS, body) == (
        'ScaledObject in version "v1alpha1" cannot be handled as a ScaledObject: strict decoding error: unknown '
        'field "spec.bogus"')
    validation.decode(SCALED_OBJECTS, body, "Ignore")
    error = invalid(SCALED_OBJECTS, body)
    assert error.message == (
        'ScaledObject.keda.sh "s" is invalid: [spec.pollingInterval: Invalid value: "string": spec.pollingInterval '
        'in body must be of type integer: "string", spec.triggers: Required value]')


def test_valid_objects_pass():
    body = deployment()
    validation.decode(DEPLOYMENTS, body)
    kinds.apply_defaults(DEPLOYMENTS, body)
    kinds.validate(DEPLOYMENTS, body)
    kinds.validate(DEPLOYMENTS, body, copy.deepcopy(body))


def test_immutable_config_maps_stay_frozen():
    rt = resources.by_kind("v1", "ConfigMap")
    old = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"},
           "immutable": True, "data": {"a": "1"}}
    kinds.validate(rt, copy.deepcopy(old), old)
    error = invalid(rt, {**copy.deepcopy(old), "data": {"a": "2"}}, old)
    assert error.message == 'ConfigMap "c" is invalid: data: Forbidden: field is immutable when `immutable` is set'
    bad_key = {**copy.deepcopy(old), "immutable": False, "data": {"bad key": "x"}}
    assert [c["field"] for c in invalid(rt, bad_key).details["causes"]] == ["data[bad key]"]
