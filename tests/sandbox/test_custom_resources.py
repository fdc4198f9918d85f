"""CustomResourceDefinitions through real kubectl and the official client: KEDA's CRDs present from the start
(kubectl get crd, kubectl explain), a learner's CRD validated, established and served (discovery, OpenAPI, CRUD,
watch, selectors, patch types, server-side apply, schema validation, pruning, defaults, status and scale
subresources, printer columns, categories, short names), and deleted with its custom resources."""
import json
import subprocess
import threading
import uuid

import pytest
from kubernetes import client, watch
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def crd(group: str, scope: str = "Namespaced") -> dict:
    """The CronTab of the Kubernetes docs, with defaults, an enum, bounds, status and scale subresources."""
    schema = {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "cronSpec": {"type": "string", "pattern": r"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$"},
            "image": {"type": "string"},
            "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
            "size": {"type": "string", "enum": ["S", "M", "L"]},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}},
        "status": {"type": "object", "properties": {"replicas": {"type": "integer"},
                                                    "labelSelector": {"type": "string"}}}}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"crontabs.{group}"},
            "spec": {"group": group, "scope": scope,
                     "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab",
                               "shortNames": [f"ct{group.split('.')[0][-6:]}"], "categories": ["all"]},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": schema},
                                   "subresources": {"status": {}, "scale": {
                                       "specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                                       "labelSelectorPath": ".status.labelSelector"}},
                                   "additionalPrinterColumns": [
                                       {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
                                       {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                                       {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]}]}}


@pytest.fixture
def crontabs(sandbox_process):
    """A CronTab CRD in a group of its own, established; deleted afterwards."""
    group = f"g{uuid.uuid4().hex[:8]}.example.com"
    ok(sandbox_process.kubectl("apply", "-f", "-", input=json.dumps(crd(group))))
    ok(sandbox_process.kubectl("wait", "--for=condition=Established", f"crd/crontabs.{group}", "--timeout=60s"))
    yield group
    sandbox_process.kubectl("delete", "crd", f"crontabs.{group}", "--wait=false")


def test_keda_is_installed(sandbox_process):
    names = [line.split()[0] for line in ok(sandbox_process.kubectl("get", "crd")).splitlines()[1:]]
    assert {"scaledobjects.keda.sh", "scaledjobs.keda.sh", "triggerauthentications.keda.sh",
            "clustertriggerauthentications.keda.sh"} <= set(names)
    explained = ok(sandbox_process.kubectl("explain", "scaledobject.spec"))
    assert "KIND:       ScaledObject" in explained and "scaleTargetRef\t<Object> -required-" in explained
    established = json.loads(ok(sandbox_process.kubectl("get", "crd", "scaledobjects.keda.sh", "-o", "json")))
    assert {c["type"]: c["status"] for c in established["status"]["conditions"]} == {
        "NamesAccepted": "True", "Established": "True"}
    resources = ok(sandbox_process.kubectl("api-resources", "--api-group=keda.sh"))
    assert ["triggerauthentications", "ta,triggerauth", "keda.sh/v1alpha1", "true", "TriggerAuthentication"] in [
        line.split() for line in resources.splitlines()]


def test_crd_validation_words(sandbox_process):
    bad = crd("example")
    bad["metadata"]["name"] = "wrong.example"
    bad["spec"]["versions"][0]["storage"] = False
    bad["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["list"] = {
        "type": "array"}
    result = sandbox_process.kubectl("create", "-f", "-", input=json.dumps(bad))
    assert result.returncode != 0
    for line in ('metadata.name: Invalid value: "wrong.example": must be spec.names.plural+"."+spec.group',
                 'spec.group: Invalid value: "example": should be a domain with at least one dot',
                 "must have exactly one version marked as storage version",
                 "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[list].items: Required value: "
                 "must be specified"):
        assert line in result.stderr, result.stderr


def test_custom_resources_served_validated_pruned_defaulted(sandbox_process, crontabs, fresh_namespace):
    group, ns, kubectl = crontabs, fresh_namespace, sandbox_process.kubectl
    assert ok(kubectl("get", "apiservices", f"v1.{group}")).splitlines()[1].split()[:3] == [f"v1.{group}", "Local",
                                                                                          "True"]
    cron = {"apiVersion": f"{group}/v1", "kind": "CronTab", "metadata": {"name": "nightly", "labels": {"t": "a"}},
            "spec": {"cronSpec": "* * * * */5", "image": "busybox", "unknown": 1, "extra": {"any": {"thing": 1}}}}
    strict = kubectl("create", "-n", ns, "-f", "-", input=json.dumps(cron))
    assert 'strict decoding error: unknown field "spec.unknown"' in strict.stderr
    ok(kubectl("create", "-n", ns, "--validate=false", "-f", "-", input=json.dumps(cron)))
    stored = json.loads(ok(kubectl("get", f"crontabs.{group}", "nightly", "-n", ns, "-o", "json")))
    assert stored["spec"] == {"cronSpec": "* * * * */5", "image": "busybox", "replicas": 1,
                              "extra": {"any": {"thing": 1}}}  # pruned, defaulted, preserved
    header, row = [line.split() for line in ok(kubectl("get", f"crontabs.{group}", "-n", ns)).splitlines()]
    assert header == ["NAME", "SPEC", "REPLICAS", "AGE"] and row[:6] == ["nightly", "*", "*", "*", "*", "*/5"]
    assert row[6] == "1"
    assert "nightly" in ok(kubectl("get", "all", "-n", ns))  # categories: [all]
    invalid = kubectl("patch", f"crontabs.{group}", "nightly", "-n", ns, "--type", "merge", "-p",
                      '{"spec":{"size":"XL","replicas":0,"cronSpec":"x"}}')
    assert 'spec.size: Unsupported value: "XL": supported values: "S", "M", "L"' in invalid.stderr
    assert "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1" in \
        invalid.stderr
    assert 'spec.cronSpec: Invalid value: "x": spec.cronSpec in body should match' in invalid.stderr
    strategic = kubectl("patch", f"crontabs.{group}", "nightly", "-n", ns, "-p", '{"spec":{"size":"S"}}')
    assert "the body of the request was in an unknown format - accepted media types include: " \
           "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml" in \
           strategic.stderr
    ok(kubectl("patch", f"crontabs.{group}", "nightly", "-n", ns, "--type", "json", "-p",
               '[{"op":"add","path":"/spec/size","value":"M"}]'))
    applied = {"apiVersion": f"{group}/v1", "kind": "CronTab", "metadata": {"name": "nightly"},
               "spec": {"image": "busybox:1.36"}}
    ok(kubectl("apply", "--server-side", "--force-conflicts", "-n", ns, "-f", "-", input=json.dumps(applied)))
    spec = json.loads(ok(kubectl("get", f"crontabs.{group}", "nightly", "-n", ns, "-o", "json")))["spec"]
    assert (spec["image"], spec["size"]) == ("busybox:1.36", "M")


def test_status_and_scale_subresources(sandbox_process, crontabs, fresh_namespace):
    group, ns, kubectl = crontabs, fresh_namespace, sandbox_process.kubectl
    ok(kubectl("create", "-n", ns, "-f", "-", input=json.dumps({
        "apiVersion": f"{group}/v1", "kind": "CronTab", "metadata": {"name": "web"},
        "spec": {"image": "nginx"}, "status": {"replicas": 9}})))
    created = json.loads(ok(kubectl("get", f"crontabs.{group}", "web", "-n", ns, "-o", "json")))
    assert "status" not in created and created["metadata"]["generation"] == 1
    ok(kubectl("scale", f"crontabs.{group}", "web", "-n", ns, "--replicas=3"))
    ok(kubectl("patch", f"crontabs.{group}", "web", "-n", ns, "--subresource=status", "--type", "merge", "-p",
               '{"status":{"replicas":2,"labelSelector":"app=web"}}'))
    with sandbox_process.api_client() as api_client:
        custom = client.CustomObjectsApi(api_client)
        scale = custom.get_namespaced_custom_object_scale(group, "v1", ns, "crontabs", "web")
        assert (scale["spec"]["replicas"], scale["status"]) == (3, {"replicas": 2, "selector": "app=web"})
        obj = custom.get_namespaced_custom_object(group, "v1", ns, "crontabs", "web")
        assert obj["metadata"]["generation"] == 2  # the scale moved spec; the status write did not


def test_client_crud_watch_and_selectors(sandbox_process, crontabs, fresh_namespace):
    group, ns = crontabs, fresh_namespace
    with sandbox_process.api_client() as api_client:
        custom = client.CustomObjectsApi(api_client)
        stream, seen = watch.Watch(), []

        def follow():
            for event in stream.stream(custom.list_namespaced_custom_object, group, "v1", ns, "crontabs",
                                       label_selector="tier=a", timeout_seconds=30):
                seen.append((event["type"], event["object"]["metadata"]["name"]))
                if event["type"] == "DELETED":
                    stream.stop()
        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        for name, tier in (("one", "a"), ("two", "b")):
            custom.create_namespaced_custom_object(group, "v1", ns, "crontabs", {
                "apiVersion": f"{group}/v1", "kind": "CronTab",
                "metadata": {"name": name, "labels": {"tier": tier}}, "spec": {"image": "x"}})
        listed = custom.list_namespaced_custom_object(group, "v1", ns, "crontabs", label_selector="tier=a")
        assert [i["metadata"]["name"] for i in listed["items"]] == ["one"]
        custom.patch_namespaced_custom_object(group, "v1", ns, "crontabs", "one", {"spec": {"size": "L"}})
        custom.delete_namespaced_custom_object(group, "v1", ns, "crontabs", "one")
        thread.join(30)
        assert seen == [("ADDED", "one"), ("MODIFIED", "one"), ("DELETED", "one")]


def test_discovery_and_openapi_follow_crds(sandbox_process):
    group = f"g{uuid.uuid4().hex[:8]}.example.com"
    kubectl = sandbox_process.kubectl
    ok(kubectl("create", "-f", "-", input=json.dumps(crd(group, scope="Cluster"))))
    ok(kubectl("wait", "--for=condition=Established", f"crd/crontabs.{group}", "--timeout=60s"))
    assert ok(kubectl("api-resources", f"--api-group={group}")).splitlines()[1].split() == [
        "crontabs", f"ct{group.split('.')[0][-6:]}", f"{group}/v1", "false", "CronTab"]
    explained = ok(kubectl("explain", f"crontabs.{group}.spec"))
    assert "cronSpec\t<string>" in explained and "enum: S, M, L" in explained
    ok(kubectl("create", "-f", "-", input=json.dumps({"apiVersion": f"{group}/v1", "kind": "CronTab",
                                                      "metadata": {"name": "c"}, "spec": {}})))
    ok(kubectl("delete", "crd", f"crontabs.{group}", "--timeout=60s"))  # waits until it is gone
    assert group not in ok(kubectl("get", "--raw", "/apis"))
    assert ok(kubectl("get", "--raw", "/openapi/v3")).count(group) == 0


def test_deleting_a_crd_deletes_its_resources(sandbox_process, fresh_namespace):
    group, ns, kubectl = f"g{uuid.uuid4().hex[:8]}.example.com", fresh_namespace, sandbox_process.kubectl
    ok(kubectl("create", "-f", "-", input=json.dumps(crd(group))))
    ok(kubectl("wait", "--for=condition=Established", f"crd/crontabs.{group}", "--timeout=60s"))
    for name in ("a", "b"):
        ok(kubectl("create", "-n", ns, "-f", "-", input=json.dumps({
            "apiVersion": f"{group}/v1", "kind": "CronTab", "metadata": {"name": name, "finalizers": ["x/y"]},
            "spec": {}})))
    ok(kubectl("delete", "crd", f"crontabs.{group}", "--wait=false"))

    def terminating():
        got = json.loads(ok(kubectl("get", "crd", f"crontabs.{group}", "-o", "json")))
        return {c["type"]: c.get("reason") for c in got["status"]["conditions"]}.get("Terminating")
    assert wait_until(terminating, what="Terminating") in ("InstanceDeletionPending", "InstanceDeletionInProgress")
    refused = kubectl("create", "-n", ns, "-f", "-", input=json.dumps({
        "apiVersion": f"{group}/v1", "kind": "CronTab", "metadata": {"name": "c"}, "spec": {}}))
    assert "create not allowed while custom resource definition is terminating" in refused.stderr
    for name in ("a", "b"):  # their own finalizers hold them (and the CRD) until removed
        kubectl("patch", f"crontabs.{group}", name, "-n", ns, "--type", "merge", "-p",
                '{"metadata":{"finalizers":null}}')
    wait_until(lambda: kubectl("get", "crd", f"crontabs.{group}").returncode != 0, what="the CRD gone")


def test_dynamic_client_e2e_flow(sandbox_process):
    """kubernetes/base/dynamic's test_cluster_custom_resources, with an apiextensions.k8s.io/v1 CRD (v1beta1 is gone
    from 1.37 servers) and a wait instead of its sleeps: discovery finds the kind, CRUD and merge patch work, and the
    kind is gone from discovery once the CRD is deleted."""
    from kubernetes import dynamic
    from kubernetes.dynamic.exceptions import ResourceNotFoundError
    group = f"g{uuid.uuid4().hex[:8]}.example.com"
    with sandbox_process.api_client() as api_client:
        dyn = dynamic.DynamicClient(api_client)
        crd_api = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
        created = crd_api.create({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"clusterchangemes.{group}"},
            "spec": {"group": group, "scope": "Cluster", "names": {
                "kind": "ClusterChangeMe", "listKind": "ClusterChangeMeList", "plural": "clusterchangemes",
                "singular": "clusterchangeme"},
                "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                              "schema": {"openAPIV3Schema": {"type": "object",
                                                             "x-kubernetes-preserve-unknown-fields": True}}}]}})
        assert created.status

        def found():
            dyn.resources.invalidate_cache()
            try:
                return dyn.resources.get(api_version=f"{group}/v1", kind="ClusterChangeMe")
            except ResourceNotFoundError:
                return None
        api = wait_until(found, what="the kind in discovery")
        assert api.get().items == []
        manifest = {"apiVersion": f"{group}/v1", "kind": "ClusterChangeMe", "metadata": {"name": "x"}, "spec": {}}
        api.create(body=manifest)
        manifest["spec"]["size"] = 3
        assert api.patch(body=manifest, content_type="application/merge-patch+json").spec.size == 3
        assert len(api.get().items) == 1
        api.delete(name="x")
        crd_api.delete(name=f"clusterchangemes.{group}")
        wait_until(lambda: found() is None, what="the kind gone from discovery")


def test_namespace_deletion_and_garbage_collection_reach_custom_resources(sandbox_process, crontabs):
    """A CronTab owning a ConfigMap: deleting the CronTab collects the ConfigMap (the collector's graph grew with
    the CRD); deleting the namespace deletes the custom resources in it."""
    group, kubectl = crontabs, sandbox_process.kubectl
    ns = f"gc-{uuid.uuid4().hex[:6]}"
    ok(kubectl("create", "namespace", ns))
    for name in ("owner", "other"):
        ok(kubectl("create", "-n", ns, "-f", "-", input=json.dumps({
            "apiVersion": f"{group}/v1", "kind": "CronTab", "metadata": {"name": name}, "spec": {}})))
    owner = json.loads(ok(kubectl("get", f"crontabs.{group}", "owner", "-n", ns, "-o", "json")))
    ok(kubectl("create", "-n", ns, "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owned", "ownerReferences": [{
            "apiVersion": f"{group}/v1", "kind": "CronTab", "name": "owner", "uid": owner["metadata"]["uid"]}]}})))
    ok(kubectl("delete", f"crontabs.{group}", "owner", "-n", ns))
    wait_until(lambda: kubectl("get", "configmap", "owned", "-n", ns).returncode != 0, what="the dependent gone")
    ok(kubectl("delete", "namespace", ns, "--timeout=60s"))
    assert kubectl("get", "namespace", ns).returncode != 0
