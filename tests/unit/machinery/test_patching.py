import copy

import pytest

from sandbox.machinery import errors, patching

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web", "tier": "api"}, "finalizers": ["a", "b"]},
    "spec": {"replicas": 1,
             "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
             "template": {"spec": {
                 "containers": [{"name": "api", "image": "api:1", "env": [{"name": "A", "value": "1"}]},
                                {"name": "validator", "image": "val:1"}],
                 "volumes": [{"name": "data", "emptyDir": {}}]}}}}


def smp(patch, obj=DEPLOYMENT):
    before = copy.deepcopy(obj)
    result = patching.apply_strategic_merge_patch(obj, patch, "apps/v1", "Deployment")
    assert obj == before, "the input must not be modified"
    return result


def containers(obj):
    return obj["spec"]["template"]["spec"]["containers"]


def test_lists_merge_by_merge_key():
    result = smp({"spec": {"template": {"spec": {"containers": [{"name": "validator", "image": "val:2"},
                                                                 {"name": "sidecar", "image": "s:1"}]}}}})
    assert [(c["name"], c["image"]) for c in containers(result)] == [
        ("api", "api:1"), ("validator", "val:2"), ("sidecar", "s:1")]
    assert containers(result)[0]["env"] == [{"name": "A", "value": "1"}]


def test_nulls_delete_and_maps_merge():
    result = smp({"metadata": {"labels": {"tier": None, "new": "x"}}, "spec": {"replicas": 3}})
    assert result["metadata"]["labels"] == {"app": "web", "new": "x"}
    assert result["spec"]["replicas"] == 3


def test_patch_delete_and_replace_directives():
    deleted = smp({"spec": {"template": {"spec": {"containers": [{"name": "api", "$patch": "delete"}]}}}})
    assert [c["name"] for c in containers(deleted)] == ["validator"]
    replaced = smp({"spec": {"template": {"spec": {"containers": [{"$patch": "replace"},
                                                                   {"name": "only", "image": "o"}]}}}})
    assert containers(replaced) == [{"name": "only", "image": "o"}]
    whole_map = smp({"spec": {"strategy": {"$patch": "replace", "type": "Recreate"}}})
    assert whole_map["spec"]["strategy"] == {"type": "Recreate"}


def test_retain_keys_clears_other_fields():
    result = smp({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert result["spec"]["strategy"] == {"type": "Recreate"}
    with pytest.raises(errors.StatusError) as caught:
        smp({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}})
    assert (caught.value.code, caught.value.message) == (400, "invalid patch format of retainKeys")


def test_delete_from_primitive_list_and_set_element_order():
    result = smp({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
    assert result["metadata"]["finalizers"] == ["b"]
    ordered = smp({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "validator"}, {"name": "api"}],
        "containers": [{"name": "api", "image": "api:2"}]}}}})
    assert [(c["name"], c["image"]) for c in containers(ordered)] == [("validator", "val:1"), ("api", "api:2")]


def test_kubectl_three_way_patch_removing_a_container():
    # what `kubectl apply` sends after the validator is removed from the manifest
    result = smp({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "api"}],
                                                 "containers": [{"$patch": "delete", "name": "validator"}]}}}})
    assert [c["name"] for c in containers(result)] == ["api"]


def test_missing_merge_key_is_a_bad_request():
    with pytest.raises(errors.StatusError) as caught:
        smp({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}})
    assert caught.value.code == 400
    assert caught.value.message == "map: map[image:x] does not contain declared merge key: name"


def test_custom_resources_reject_strategic_merge_patch():
    with pytest.raises(errors.StatusError) as caught:
        patching.apply_strategic_merge_patch({}, {"spec": {}}, "keda.sh/v1alpha1", "ScaledObject")
    assert caught.value.code == 415


def test_merge_patch_replaces_lists():
    result = patching.apply_merge_patch(DEPLOYMENT, {"spec": {"replicas": None, "template": {"spec": {
        "containers": [{"name": "x"}]}}}})
    assert "replicas" not in result["spec"] and containers(result) == [{"name": "x"}]
    with pytest.raises(errors.StatusError):
        patching.apply_merge_patch(DEPLOYMENT, ["not", "an", "object"])


def test_json_patch():
    result = patching.apply_json_patch(DEPLOYMENT, [
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/metadata/labels/new", "value": "y"},
        {"op": "remove", "path": "/spec/template/spec/containers/1"}])
    assert result["spec"]["replicas"] == 4 and result["metadata"]["labels"]["new"] == "y"
    assert len(containers(result)) == 1
    with pytest.raises(errors.StatusError) as caught:
        patching.apply_json_patch(DEPLOYMENT, [{"op": "replace", "path": "/spec/nope/x", "value": 1}])
    assert (caught.value.code, caught.value.reason) == (422, "Invalid")
    assert caught.value.message == "the server rejected our request due to an error in our request"
    assert caught.value.details == {}  # kubectl prints "The request is invalid: the server rejected ..."
    assert caught.value.why == "replace operation does not apply: doc is missing key: /spec/nope/x: missing value"
    with pytest.raises(errors.StatusError) as caught:
        patching.apply_json_patch(DEPLOYMENT, [{"op": "test", "path": "/spec/replicas", "value": 9}])
    assert caught.value.why == "testing value /spec/replicas failed: test failed"
