import copy
import json

import pytest

from sandbox.machinery import errors, server_side_apply as ssa

APPLIED = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "api", "image": "api:1",
                                                          "ports": [{"containerPort": 80}]},
                                                         {"name": "validator", "image": "val:1"}]}}}}


def apply(live, applied, manager="kubectl", force=False, when="T1"):
    return ssa.apply(live, copy.deepcopy(applied), manager, force, "apps/v1", "Deployment", when)


def managers(obj):
    return {(m["manager"], m["operation"]): m["fieldsV1"] for m in obj["metadata"].get("managedFields", [])}


def test_apply_creates_with_ownership():
    created = apply(None, APPLIED)
    fields = managers(created)[("kubectl", "Apply")]
    assert fields["f:metadata"] == {"f:labels": {"f:app": {}}}
    assert fields["f:spec"]["f:selector"] == {} and fields["f:spec"]["f:replicas"] == {}
    assert fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"api"}'] == {
        ".": {}, "f:image": {}, "f:name": {},
        "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}}
    entry = created["metadata"]["managedFields"][0]
    assert (entry["apiVersion"], entry["time"], entry["fieldsType"]) == ("apps/v1", "T1", "FieldsV1")


def test_conflict_with_an_updater_and_force():
    live = apply(None, APPLIED)
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 5
    scaled = ssa.record_update(live, scaled, "kube-controller-manager", "apps/v1", "T2")
    assert managers(scaled)[("kube-controller-manager", "Update")] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in managers(scaled)[("kubectl", "Apply")]["f:spec"]
    with pytest.raises(errors.StatusError) as caught:
        apply(scaled, APPLIED)
    assert (caught.value.code, caught.value.reason) == (409, "Conflict")
    assert caught.value.message == ('Apply failed with 1 conflict: conflict with "kube-controller-manager" using '
                                    'apps/v1: .spec.replicas')
    assert caught.value.details["causes"] == [{"reason": "FieldManagerConflict", "field": ".spec.replicas",
                                               "message": 'conflict with "kube-controller-manager" using apps/v1'}]
    forced = apply(scaled, APPLIED, force=True, when="T3")
    assert forced["spec"]["replicas"] == 2
    assert ("kube-controller-manager", "Update") not in managers(forced)


def test_same_value_is_shared_not_a_conflict():
    live = apply(None, APPLIED)
    other = apply(live, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                         "spec": {"replicas": 2}}, manager="ci")
    assert "f:replicas" in managers(other)[("ci", "Apply")]["f:spec"]
    assert "f:replicas" in managers(other)[("kubectl", "Apply")]["f:spec"]


def test_fields_no_longer_applied_are_removed_unless_owned_elsewhere():
    live = apply(None, APPLIED)
    smaller = copy.deepcopy(APPLIED)
    smaller["spec"]["template"]["spec"]["containers"].pop()
    del smaller["metadata"]["labels"]
    result = apply(live, smaller, when="T2")
    assert [c["name"] for c in result["spec"]["template"]["spec"]["containers"]] == ["api"]
    assert "labels" not in result["metadata"]
    # a field another manager also owns stays
    shared = apply(live, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web",
                                                                                     "labels": {"app": "web"}}},
                   manager="labeller")
    kept = apply(shared, smaller, when="T3")
    assert kept["metadata"]["labels"] == {"app": "web"}


def test_update_tracks_changes_and_removals():
    created = ssa.record_update(None, copy.deepcopy(APPLIED), "kubectl-client-side-apply", "apps/v1", "T1")
    fields = managers(created)[("kubectl-client-side-apply", "Update")]
    assert fields["f:metadata"]["f:labels"] == {".": {}, "f:app": {}}
    assert "." not in fields["f:spec"]["f:template"]["f:spec"]["f:containers"]
    changed = copy.deepcopy(created)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "api:2"
    changed = ssa.record_update(created, changed, "kubectl-set", "apps/v1", "T2")
    image = managers(changed)[("kubectl-set", "Update")]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert image == {'k:{"name":"api"}': {"f:image": {}}}
    unchanged = ssa.record_update(changed, copy.deepcopy(changed), "someone", "apps/v1", "T3")
    assert unchanged["metadata"]["managedFields"] == changed["metadata"]["managedFields"]
    cleared = copy.deepcopy(changed)
    cleared["metadata"]["managedFields"] = [{}]
    assert "managedFields" not in ssa.record_update(changed, cleared, "x", "apps/v1", "T4")["metadata"]


def test_status_writes_are_owned_separately():
    live = apply(None, APPLIED)
    with_status = copy.deepcopy(live)
    with_status["status"] = {"replicas": 2}
    updated = ssa.record_update(live, with_status, "kube-controller-manager", "apps/v1", "T2", "status")
    entry = [m for m in updated["metadata"]["managedFields"] if m["manager"] == "kube-controller-manager"][0]
    assert entry["subresource"] == "status" and entry["fieldsV1"] == {"f:status": {"f:replicas": {}}}


def test_a_writer_repeating_its_fields_keeps_its_set_and_moves_its_time():
    """The shortcut for an unchanged field set (a status bump) must still notice removals and new fields."""
    live = apply(None, APPLIED)
    status = lambda obj, **values: {**copy.deepcopy(obj), "status": values}
    first = ssa.record_update(live, status(live, replicas=1, readyReplicas=1), "kcm", "apps/v1", "T2", "status")
    bumped = ssa.record_update(first, status(first, replicas=2, readyReplicas=2), "kcm", "apps/v1", "T3", "status")
    entry = lambda obj: [m for m in obj["metadata"]["managedFields"] if m["manager"] == "kcm"][0]
    assert entry(bumped)["fieldsV1"] == {"f:status": {"f:readyReplicas": {}, "f:replicas": {}}}
    assert entry(bumped)["time"] == "T3"
    fewer = ssa.record_update(bumped, status(bumped, replicas=2), "kcm", "apps/v1", "T4", "status")
    assert entry(fewer)["fieldsV1"] == {"f:status": {"f:replicas": {}}}
    more = ssa.record_update(fewer, status(fewer, replicas=3, availableReplicas=3), "kcm", "apps/v1", "T5", "status")
    assert entry(more)["fieldsV1"] == {"f:status": {"f:availableReplicas": {}, "f:replicas": {}}}
    assert managers(more)[("kubectl", "Apply")] == managers(live)[("kubectl", "Apply")]


def test_kubectl_may_take_over_from_client_side_apply():
    last = copy.deepcopy(APPLIED)
    live = copy.deepcopy(APPLIED)
    live["metadata"]["annotations"] = {ssa.LAST_APPLIED: json.dumps(last)}
    live = ssa.record_update(None, live, "kubectl-client-side-apply", "apps/v1", "T1")
    edited = copy.deepcopy(APPLIED)
    edited["spec"]["replicas"] = 4
    result = apply(live, edited, when="T2")
    assert result["spec"]["replicas"] == 4
    assert json.loads(result["metadata"]["annotations"][ssa.LAST_APPLIED])["spec"]["replicas"] == 4
    with pytest.raises(errors.StatusError):
        apply(live, edited, manager="someone-else")


def test_never_tracked_objects_get_before_first_apply():
    live = copy.deepcopy(APPLIED)
    edited = copy.deepcopy(APPLIED)
    edited["spec"]["replicas"] = 9
    with pytest.raises(errors.StatusError) as caught:
        apply(live, edited, manager="ci")
    assert 'conflict with "before-first-apply" using apps/v1: .spec.replicas' in caught.value.message


def test_managed_fields_in_the_applied_object_are_rejected():
    bad = copy.deepcopy(APPLIED)
    bad["metadata"]["managedFields"] = [{"manager": "x"}]
    with pytest.raises(errors.StatusError) as caught:
        apply(None, bad)
    assert caught.value.code == 400
