"""Discovery documents: parsed by the official client's (pydantic) models, shaped as kubectl expects."""
import json

import pytest
from kubernetes import client

from sandbox.api import discovery
from sandbox.machinery import resources

API = client.ApiClient()


def parse(doc: dict, model: str):
    """What the Python client does with a response body: strict pydantic validation into its model."""
    return API.deserialize(json.dumps(doc), model, "application/json")


def test_version_has_every_field_the_client_requires():
    info = parse(discovery.version_info(), "VersionInfo")
    assert (info.major, info.minor, info.git_version) == ("1", "37", "v1.37.0")
    assert info.build_date and info.go_version.startswith("go") and info.platform.startswith("linux/")


def test_api_versions_lists_v1_with_the_server_address():
    doc = parse(discovery.api_versions("127.0.0.1:40123"), "V1APIVersions")
    assert doc.versions == ["v1"]
    assert doc.server_address_by_client_cidrs[0].server_address == "127.0.0.1:40123"


def test_group_list_names_preferred_versions():
    doc = parse(discovery.api_group_list(), "V1APIGroupList")
    groups = {g.name: g for g in doc.groups}
    assert list(groups) == resources.groups()
    assert groups["autoscaling"].preferred_version.group_version == "autoscaling/v2"
    assert [v.version for v in groups["autoscaling"].versions] == ["v2", "v1"]
    assert discovery.api_group("apps")["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    assert discovery.api_group("networking.k8s.io") is None


@pytest.mark.parametrize("group,version", sorted({(rt.group, rt.version) for rt in resources.served()}))
def test_every_resource_list_parses(group, version):
    raw = discovery.resource_list(group, version)
    doc = parse(raw, "V1APIResourceList")
    assert doc.group_version == (f"{group}/{version}" if group else version)
    assert ("apiVersion" in raw) == bool(group)
    names = [r.name for r in doc.resources]
    assert names == sorted(names)
    assert all(r.storage_version_hash is None for r in doc.resources)


def by_name(group, version):
    return {r["name"]: r for r in discovery.resource_list(group, version)["resources"]}


def test_core_resources_carry_verbs_short_names_and_subresources():
    core = by_name("", "v1")
    assert core["pods"] == {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
                            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update",
                                      "watch"], "shortNames": ["po"], "categories": ["all"]}
    assert core["pods/log"] == {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod",
                                "verbs": ["get"]}
    assert core["pods/status"]["verbs"] == ["get", "patch", "update"]
    assert core["nodes"]["namespaced"] is False
    assert "deletecollection" not in core["namespaces"]["verbs"]


def test_pods_eviction_is_listed_as_kubectl_drain_looks_for_it():
    """CheckEvictionSupport reads /api/v1 for pods/eviction of kind Eviction with a group and a version."""
    assert by_name("", "v1")["pods/eviction"] == {"name": "pods/eviction", "singularName": "", "namespaced": True,
                                                  "group": "policy", "version": "v1", "kind": "Eviction",
                                                  "verbs": ["create"]}
    pods = next(r for r in discovery.aggregated(True)["items"][0]["versions"][0]["resources"]
                if r["resource"] == "pods")
    assert {"subresource": "eviction", "responseKind": {"group": "policy", "version": "v1", "kind": "Eviction"},
            "verbs": ["create"]} in pods["subresources"]


def test_pod_disruption_budgets_are_policy_v1_with_a_status():
    policy = by_name("policy", "v1")
    assert policy["poddisruptionbudgets"] == {
        "name": "poddisruptionbudgets", "singularName": "poddisruptionbudget", "namespaced": True,
        "kind": "PodDisruptionBudget", "verbs": ["create", "delete", "deletecollection", "get", "list", "patch",
                                                 "update", "watch"], "shortNames": ["pdb"]}
    assert set(policy) == {"poddisruptionbudgets", "poddisruptionbudgets/status"}  # evictions are pods/eviction
    assert discovery.api_group("policy")["preferredVersion"] == {"groupVersion": "policy/v1", "version": "v1"}


def test_self_subject_review_is_create_only_and_cluster_scoped():
    assert by_name("authentication.k8s.io", "v1") == {"selfsubjectreviews": {
        "name": "selfsubjectreviews", "singularName": "selfsubjectreview", "namespaced": False,
        "kind": "SelfSubjectReview", "verbs": ["create"]}}
    group = next(i for i in discovery.aggregated(False)["items"] if i["metadata"]["name"] == "authentication.k8s.io")
    assert group["versions"][0]["resources"][0]["scope"] == "Cluster"


def test_scale_subresource_answers_with_autoscaling_v1_scale():
    apps = by_name("apps", "v1")
    assert apps["deployments/scale"] == {"name": "deployments/scale", "singularName": "", "namespaced": True,
                                         "group": "autoscaling", "version": "v1", "kind": "Scale",
                                         "verbs": ["get", "patch", "update"]}
    assert apps["deployments/status"]["kind"] == "Deployment" and "group" not in apps["deployments/status"]


def test_custom_and_aggregated_resources_look_like_their_servers():
    assert by_name("keda.sh", "v1alpha1")["scaledobjects"]["verbs"] == [
        "delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]
    metrics = by_name("metrics.k8s.io", "v1beta1")
    assert (metrics["pods"]["singularName"], metrics["pods"]["verbs"]) == ("pod", ["get", "list"])


def test_unknown_group_version_is_none():
    assert discovery.resource_list("apps", "v1beta1") is None
    assert discovery.resource_list("networking.k8s.io", "v1") is None


@pytest.mark.parametrize("core", [True, False])
def test_aggregated_discovery_parses(core):
    doc = parse(discovery.aggregated(core), "V2APIGroupDiscoveryList")
    assert doc.api_version == "apidiscovery.k8s.io/v2" and doc.kind == "APIGroupDiscoveryList"
    names = [item.metadata.name for item in doc.items]
    assert names == ([None] if core else resources.groups())
    for item in doc.items:
        assert all(v.freshness == "Current" for v in item.versions)


def test_aggregated_resources_have_scope_response_kind_and_subresources():
    apps = discovery.aggregated(False)["items"][0]
    assert apps["metadata"]["name"] == "apps"
    deploy = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deploy["scope"] == "Namespaced" and deploy["singularResource"] == "deployment"
    assert deploy["responseKind"] == {"group": "", "version": "", "kind": "Deployment"}
    assert deploy["shortNames"] == ["deploy"] and deploy["categories"] == ["all"]
    subs = {s["subresource"]: s for s in deploy["subresources"]}
    assert subs["scale"]["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    assert subs["status"]["verbs"] == ["get", "patch", "update"]
    autoscaling = discovery.aggregated(False)["items"][1]
    assert [v["version"] for v in autoscaling["versions"]] == ["v2", "v1"]
    nodes = next(r for r in discovery.aggregated(True)["items"][0]["versions"][0]["resources"]
                 if r["resource"] == "nodes")
    assert nodes["scope"] == "Cluster"


def test_aggregated_documents_are_fresh_copies():
    discovery.aggregated(True)["items"].clear()
    assert discovery.aggregated(True)["items"]


KUBECTL_ACCEPT = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")


@pytest.mark.parametrize("accept,expected", [
    (KUBECTL_ACCEPT, True),
    ("application/json", False),
    ("", False),
    ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", False),
    ("application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", False),
    ("application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," + KUBECTL_ACCEPT,
     True),
])
def test_wants_aggregated_follows_the_accept_order(accept, expected):
    assert discovery.wants_aggregated(accept) is expected
