"""Registry: the REST rules kube-apiserver enforces around storage."""
import asyncio

import pytest

from sandbox.machinery.errors import StatusError
from tests.unit.registry.kinds import rt

PODS, CMS, NS, SVC = rt("pods"), rt("configmaps"), rt("namespaces"), rt("services")
DEPLOY = rt("deployments", "apps")


def pod(name="web", **extra):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}
    body.update(extra)
    return body


def deployment(name="web", replicas=2, image="nginx:1.27"):
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}}}


def error(call, *args, **kwargs) -> StatusError:
    with pytest.raises(StatusError) as raised:
        call(*args, **kwargs)
    return raised.value


def test_create_sets_identity_and_resource_version(registry):
    created = registry.create(CMS, "default", {"metadata": {"name": "a"}, "data": {"k": "v"}})
    meta = created["metadata"]
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z") and int(meta["resourceVersion"]) > 0
    assert meta["namespace"] == "default" and "generation" not in meta
    assert registry.get(CMS, "default", "a") == created


def test_generate_name_appends_five_characters(registry):
    created = registry.create(CMS, "default", {"metadata": {"generateName": "cfg-"}})
    name = created["metadata"]["name"]
    assert name.startswith("cfg-") and len(name) == 9


def test_a_name_is_required(registry):
    e = error(registry.create, CMS, "default", {"metadata": {}})
    assert (e.code, e.reason) == (422, "Invalid")
    assert "metadata.name: Required value: name or generateName is required" in e.message


def test_create_twice_is_already_exists(registry):
    registry.create(CMS, "default", {"metadata": {"name": "a"}})
    e = error(registry.create, CMS, "default", {"metadata": {"name": "a"}})
    assert (e.code, e.reason, e.message) == (409, "AlreadyExists", 'configmaps "a" already exists')


def test_the_namespace_must_exist(registry):
    e = error(registry.create, CMS, "nowhere", {"metadata": {"name": "a"}})
    assert (e.code, e.reason, e.message) == (404, "NotFound", 'namespaces "nowhere" not found')


def test_namespace_mismatch_is_a_bad_request(registry):
    e = error(registry.create, CMS, "default", {"metadata": {"name": "a", "namespace": "other"}})
    assert (e.code, e.reason) == (400, "BadRequest")


def test_dry_run_writes_nothing(registry):
    rv = registry.store.rv
    created = registry.create(CMS, "default", {"metadata": {"name": "a"}}, dry_run=True)
    assert created["metadata"]["uid"] and registry.store.rv == rv
    assert error(registry.get, CMS, "default", "a").code == 404


def test_update_with_a_stale_resource_version_conflicts(registry):
    created = registry.create(CMS, "default", {"metadata": {"name": "a"}, "data": {"k": "1"}})
    updated = registry.update(CMS, "default", "a", {**created, "data": {"k": "2"}})
    assert updated["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]
    e = error(registry.update, CMS, "default", "a", {**created, "data": {"k": "3"}})
    assert (e.code, e.reason) == (409, "Conflict")
    assert e.message == ('Operation cannot be fulfilled on configmaps "a": the object has been modified; please '
                         'apply your changes to the latest version and try again')


def test_an_update_that_changes_nothing_keeps_the_resource_version(registry):
    created = registry.create(CMS, "default", {"metadata": {"name": "a"}, "data": {"k": "1"}})
    again = registry.update(CMS, "default", "a", created)
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_update_cannot_rename(registry):
    created = registry.create(CMS, "default", {"metadata": {"name": "a"}})
    e = error(registry.update, CMS, "default", "a", {**created, "metadata": {**created["metadata"], "name": "b"}})
    assert (e.code, e.reason) == (400, "BadRequest")


def test_generation_moves_with_the_spec_only(registry):
    created = registry.create(DEPLOY, "default", deployment())
    assert created["metadata"]["generation"] == 1 and "status" not in created
    status = registry.update(DEPLOY, "default", "web", {**created, "status": {"replicas": 2}}, subresource="status")
    assert status["metadata"]["generation"] == 1 and status["status"] == {"replicas": 2}
    scaled = registry.update(DEPLOY, "default", "web", {**status, "spec": {**status["spec"], "replicas": 5},
                                                        "status": {"replicas": 99}})
    assert scaled["metadata"]["generation"] == 2
    assert scaled["status"] == {"replicas": 2}, "the main resource ignores status"


def test_the_status_subresource_ignores_the_spec(registry):
    created = registry.create(DEPLOY, "default", deployment())
    changed = {**created, "spec": {**created["spec"], "replicas": 9}, "status": {"replicas": 1}}
    updated = registry.update(DEPLOY, "default", "web", changed, subresource="status")
    assert updated["spec"]["replicas"] == 2 and updated["status"] == {"replicas": 1}


def test_scale_reads_and_writes_replicas(registry):
    registry.create(DEPLOY, "default", deployment())
    scale = registry.get_scale(DEPLOY, "default", "web")
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2} and scale["status"] == {"replicas": 0, "selector": "app=web"}
    scaled = registry.update(DEPLOY, "default", "web", {**scale, "spec": {"replicas": 4}}, subresource="scale")
    assert scaled["spec"]["replicas"] == 4
    deploy = registry.get(DEPLOY, "default", "web")
    assert deploy["spec"]["replicas"] == 4 and deploy["metadata"]["generation"] == 2
    e = error(registry.update, DEPLOY, "default", "web", {**scale, "spec": {"replicas": 5}}, subresource="scale")
    assert e.reason == "Conflict", "the scale's resourceVersion is the deployment's"
    e = error(registry.update, DEPLOY, "default", "web", {"spec": {"replicas": -1}}, subresource="scale")
    assert (e.code, e.reason) == (422, "Invalid")


def test_pods_start_pending_with_a_qos_class(registry):
    created = registry.create(PODS, "default", pod(status={"phase": "Running"}))
    assert created["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_an_unscheduled_pod_is_deleted_at_once(registry):
    registry.create(PODS, "default", pod())
    deleted = registry.delete(PODS, "default", "web")
    assert deleted["kind"] == "Pod", "pods answer a delete with the object"
    assert error(registry.get, PODS, "default", "web").code == 404


def test_a_scheduled_pod_is_deleted_gracefully(registry):
    registry.create(PODS, "default", pod())
    registry.bind("default", "web", "sandbox-worker")
    pending = registry.delete(PODS, "default", "web")
    assert pending["metadata"]["deletionGracePeriodSeconds"] == 30 and pending["metadata"]["deletionTimestamp"]
    assert registry.get(PODS, "default", "web")["metadata"]["deletionTimestamp"]
    shorter = registry.delete(PODS, "default", "web", grace_period_seconds=5)
    assert shorter["metadata"]["deletionGracePeriodSeconds"] == 5
    registry.delete(PODS, "default", "web", grace_period_seconds=0)
    assert error(registry.get, PODS, "default", "web").code == 404


def test_bind_sets_the_node_and_the_scheduled_condition(registry):
    registry.create(PODS, "default", pod())
    registry.bind("default", "web", "sandbox-worker")
    bound = registry.get(PODS, "default", "web")
    assert bound["spec"]["nodeName"] == "sandbox-worker"
    assert {"type": "PodScheduled", "status": "True"}.items() <= bound["status"]["conditions"][0].items()
    assert error(registry.bind, "default", "web", "sandbox-worker2").reason == "Conflict"


def test_finalizers_hold_an_object_until_removed(registry):
    registry.create(CMS, "default", {"metadata": {"name": "a", "finalizers": ["example.com/hold"]}})
    held = registry.delete(CMS, "default", "a")
    assert held["metadata"]["deletionTimestamp"] and held["kind"] == "ConfigMap"
    current = registry.get(CMS, "default", "a")
    current["metadata"]["finalizers"] = []
    registry.update(CMS, "default", "a", current)
    assert error(registry.get, CMS, "default", "a").code == 404


def test_propagation_policies_become_finalizers(registry):
    registry.create(DEPLOY, "default", deployment("fg"))
    registry.create(DEPLOY, "default", deployment("orphan"))
    registry.create(DEPLOY, "default", deployment("bg"))
    assert registry.delete(DEPLOY, "default", "fg", propagation_policy="Foreground")["metadata"]["finalizers"] == \
        ["foregroundDeletion"]
    assert registry.delete(DEPLOY, "default", "orphan", propagation_policy="Orphan")["metadata"]["finalizers"] == \
        ["orphan"]
    gone = registry.delete(DEPLOY, "default", "bg", propagation_policy="Background")
    assert gone["kind"] == "Status" and gone["status"] == "Success"
    assert gone["details"]["group"] == "apps" and gone["details"]["kind"] == "deployments"


def test_delete_preconditions(registry):
    created = registry.create(CMS, "default", {"metadata": {"name": "a"}})
    e = error(registry.delete, CMS, "default", "a", preconditions={"uid": "other"})
    assert (e.code, e.reason) == (409, "Conflict")
    assert e.message == (f'Operation cannot be fulfilled on ConfigMap "a": the UID in the precondition (other) does '
                         f'not match the UID in record ({created["metadata"]["uid"]}). The object might have been '
                         'deleted and then recreated')
    registry.create(DEPLOY, "default", deployment())
    e = error(registry.delete, DEPLOY, "default", "web", preconditions={"resourceVersion": "1"})
    assert e.message.startswith('Operation cannot be fulfilled on Deployment.apps "web": the ResourceVersion in the '
                                'precondition (1) does not match the ResourceVersion in record (')
    registry.delete(CMS, "default", "a", preconditions={"uid": created["metadata"]["uid"]})


def test_an_update_naming_another_uid_fails_as_the_storage_layer_words_it(registry):
    created = registry.create(DEPLOY, "default", deployment())
    e = error(registry.update, DEPLOY, "default", "web", {**created, "metadata": {**created["metadata"], "uid": "x"}})
    assert (e.code, e.reason) == (409, "Conflict")
    assert e.message == ('Operation cannot be fulfilled on deployments.apps "web": StorageError: invalid object, '
                         'Code: 4, Key: /registry/deployments/default/web, ResourceVersion: 0, AdditionalErrorMsg: '
                         f'Precondition failed: UID in precondition: x, UID in object meta: {created["metadata"]["uid"]}')


def test_a_namespace_terminates_until_finalized(registry):
    registry.create(NS, None, {"metadata": {"name": "team"}})
    assert registry.get(NS, None, "team")["spec"]["finalizers"] == ["kubernetes"]
    registry.create(CMS, "team", {"metadata": {"name": "a"}})
    terminating = registry.delete(NS, None, "team")
    assert terminating["status"]["phase"] == "Terminating" and terminating["metadata"]["deletionTimestamp"]
    e = error(registry.create, CMS, "team", {"metadata": {"name": "b"}})
    assert (e.code, e.reason) == (403, "Forbidden")
    assert e.message == ('configmaps "b" is forbidden: unable to create new content in namespace team because it '
                         'is being terminated')
    current = registry.get(NS, None, "team")
    current["spec"]["finalizers"] = []
    registry.update(NS, None, "team", current, subresource="finalize")
    assert error(registry.get, NS, None, "team").code == 404


def test_list_pages_with_limit_and_continue(registry):
    for i in range(5):
        registry.create(CMS, "default", {"metadata": {"name": f"c{i}", "labels": {"n": str(i % 2)}}})
    first = registry.list(CMS, "default", limit=2)
    assert [i["metadata"]["name"] for i in first["items"]] == ["c0", "c1"]
    assert first["metadata"]["remainingItemCount"] == 3
    second = registry.list(CMS, "default", limit=2, continue_token=first["metadata"]["continue"])
    assert [i["metadata"]["name"] for i in second["items"]] == ["c2", "c3"]
    last = registry.list(CMS, "default", limit=2, continue_token=second["metadata"]["continue"])
    assert [i["metadata"]["name"] for i in last["items"]] == ["c4"] and "continue" not in last["metadata"]
    assert error(registry.list, CMS, "default", continue_token="garbage").code == 400


def test_list_filters_by_labels_and_fields(registry):
    for i in range(4):
        registry.create(CMS, "default", {"metadata": {"name": f"c{i}", "labels": {"n": str(i % 2)}}})
    odd = registry.list(CMS, "default", label_selector="n=1")
    assert [i["metadata"]["name"] for i in odd["items"]] == ["c1", "c3"]
    named = registry.list(CMS, None, field_selector="metadata.name=c2")
    assert [i["metadata"]["name"] for i in named["items"]] == ["c2"]
    assert error(registry.list, CMS, "default", label_selector="n in (").code == 400


def test_list_json_matches_list(registry):
    import json
    registry.create(CMS, "default", {"metadata": {"name": "a"}})
    assert json.loads(registry.list_json(CMS, "default")) == registry.list(CMS, "default")


def test_services_get_a_cluster_ip_and_node_ports(registry):
    svc = {"metadata": {"name": "web"}, "spec": {"type": "NodePort", "selector": {"app": "web"},
                                                 "ports": [{"port": 80}]}}
    created = registry.create(SVC, "default", svc)
    spec = created["spec"]
    assert spec["clusterIP"].startswith("10.") and spec["clusterIPs"] == [spec["clusterIP"]]
    assert 30000 <= spec["ports"][0]["nodePort"] <= 32767 and spec["ports"][0]["targetPort"] == 80
    taken = {"metadata": {"name": "other"}, "spec": {"clusterIP": spec["clusterIP"], "ports": [{"port": 80}]}}
    e = error(registry.create, SVC, "default", taken)
    assert e.reason == "Invalid" and "provided IP is already allocated" in e.message
    outside = {"metadata": {"name": "outside"}, "spec": {"clusterIP": "10.0.0.1", "ports": [{"port": 80}]}}
    e = error(registry.create, SVC, "default", outside)
    assert "The range of valid IPs is 10.96.0.0/12" in e.message
    replaced = {"metadata": {"name": "web"}, "spec": {"type": "NodePort", "selector": {"app": "web"},
                                                      "ports": [{"port": 80}]}}
    updated = registry.update(SVC, "default", "web", replaced)
    assert updated["spec"]["clusterIP"] == spec["clusterIP"], "an update that omits the IP keeps it"
    assert updated["spec"]["ports"][0]["nodePort"] == spec["ports"][0]["nodePort"]
    registry.delete(SVC, "default", "web")
    registry.create(SVC, "default", taken)  # released on delete


def test_watch_with_a_selector_sees_objects_leave_and_enter(registry):
    async def scenario():
        watch = registry.watch(CMS, "default", resource_version=str(registry.store.rv), label_selector="app=web")
        created = registry.create(CMS, "default", {"metadata": {"name": "a", "labels": {"app": "web"}}})
        created["metadata"]["labels"] = {"app": "db"}
        moved = registry.update(CMS, "default", "a", created)
        moved["metadata"]["labels"] = {"app": "web"}
        registry.update(CMS, "default", "a", moved)
        registry.create(CMS, "default", {"metadata": {"name": "b", "labels": {"app": "db"}}})
        registry.delete(CMS, "default", "a")
        events = [await asyncio.wait_for(watch.__anext__(), 2) for _ in range(4)]
        watch.close()
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("ADDED", "a"), ("DELETED", "a"), ("ADDED", "a"), ("DELETED", "a")]
        assert events[1]["object"]["metadata"]["labels"] == {"app": "web"}, "the last state that matched"
    asyncio.run(scenario())


def test_watch_without_a_resource_version_starts_with_the_current_objects(registry):
    async def scenario():
        registry.create(CMS, "default", {"metadata": {"name": "a"}})
        watch = registry.watch(CMS, "default")
        event = await asyncio.wait_for(watch.__anext__(), 2)
        watch.close()
        assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "a")
    asyncio.run(scenario())


def test_watch_from_a_future_resource_version_times_out(registry):
    e = error(registry.watch, CMS, "default", resource_version=str(registry.store.rv + 100))
    assert e.code == 504 and e.message.startswith("Too large resource version")


def test_subscribers_get_their_own_copy(registry):
    seen = []
    registry.subscribe(lambda kind, key, obj: seen.append((kind, key, obj)))
    registry.create(CMS, "default", {"metadata": {"name": "a"}})
    kind, key, obj = seen[-1]
    assert (kind, key, obj["metadata"]["name"]) == ("ADDED", "configmaps", "a")
    obj["metadata"]["name"] = "mutated"
    assert registry.get(CMS, "default", "a")["metadata"]["name"] == "a"


def test_subscribers_can_select_storage_keys_and_the_selection_may_grow(registry):
    seen, keys = [], {"configmaps"}
    registry.subscribe(lambda kind, key, obj: seen.append((key, obj["metadata"]["name"])), storage_keys=keys)
    registry.create(CMS, "default", {"metadata": {"name": "a"}})
    registry.create(PODS, "default", pod("p1"))
    keys.add("pods")  # an informer added after the subscription
    registry.create(PODS, "default", pod("p2"))
    assert seen == [("configmaps", "a"), ("pods", "p2")]


def test_lazy_subscribers_parse_only_on_demand_and_get_fresh_copies(registry):
    loads = []
    registry.subscribe(lambda kind, key, load: loads.append(load), storage_keys={"configmaps"}, lazy=True)
    registry.create(CMS, "default", {"metadata": {"name": "a"}})
    first = loads[-1]()
    first["metadata"]["name"] = "mutated"
    assert loads[-1]()["metadata"]["name"] == "a"


def test_verbs_not_served_are_method_not_allowed(registry):
    metrics = rt("pods", "metrics.k8s.io")
    e = error(registry.create, metrics, "default", {"metadata": {"name": "x"}})
    assert (e.code, e.reason) == (405, "MethodNotAllowed")
    assert registry.list(metrics, "default")["items"] == []


def test_a_deployment_status_update_may_set_annotations_without_a_new_generation(registry):
    created = registry.create(DEPLOY, "default", deployment())
    created["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    created["metadata"]["labels"] = {"changed": "no"}
    updated = registry.update(DEPLOY, "default", "web", created, subresource="status")
    assert updated["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}
    assert updated["metadata"]["generation"] == 1 and "labels" not in updated["metadata"]


def test_a_configmap_like_status_update_resets_metadata(registry):
    created = registry.create(SVC, "default", {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}})
    created["metadata"]["labels"] = {"ignored": "yes"}
    created["status"] = {"loadBalancer": {"ingress": [{"ip": "172.18.0.5"}]}}
    updated = registry.update(SVC, "default", "s", created, subresource="status")
    assert "labels" not in updated["metadata"] and updated["status"]["loadBalancer"]["ingress"][0]["ip"] == "172.18.0.5"
