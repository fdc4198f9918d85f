"""The decisions of the clusterrole aggregation, CRD naming and APIService controllers (pure parts), and the three
running in-process: view aggregated, a CRD established, APIServices available."""
import asyncio

from sandbox.controllers import apiservices, clusterrole_aggregation, crd_naming
from sandbox.machinery import keda_crds
from tests.unit.controllers.harness import Cluster, rt
from tests.waiting import wait_until_async


def role(name, labels=None, rules=(), selector=None):
    out = {"metadata": {"name": name, "labels": labels or {}}, "rules": list(rules)}
    if selector is not None:
        out["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": selector}]}
    return out


def test_aggregated_rules_in_name_order_without_repeats():
    get = {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}
    watch = {"verbs": ["watch"], "apiGroups": [""], "resources": ["pods"]}
    view = role("view", selector={"agg": "view"})
    roles = [view, role("b", {"agg": "view"}, [watch, get]), role("a", {"agg": "view"}, [get]), role("c", {}, [get])]
    assert clusterrole_aggregation.aggregated_rules(view, roles) == [get, watch]


def test_crd_names_conflict_within_a_group():
    first, second = keda_crds.crds()[:2]
    first["status"] = {"acceptedNames": first["spec"]["names"]}
    second["spec"]["names"] = dict(first["spec"]["names"])
    assert crd_naming.conflict(second, [first, second]) == '"scaledobjects" is already in use'
    assert crd_naming.conflict(first, [first]) == ""


def test_local_api_services_follow_the_served_groups():
    local = apiservices.local_api_services()
    assert {"v1.", "v1.apps", "v2.autoscaling", "v1.autoscaling", "v1.apiextensions.k8s.io"} <= set(local)
    assert "v1beta1.metrics.k8s.io" not in local and "v1alpha1.keda.sh" not in local
    assert apiservices.custom_api_services()["v1alpha1.keda.sh"]["metadata"]["labels"] == {
        "kube-aggregator.kubernetes.io/automanaged": "true"}


def test_the_controllers_in_process():
    async def scenario():
        async with Cluster() as cluster:
            registry = cluster.registry
            roles, services = rt("clusterroles.rbac.authorization.k8s.io"), rt("apiservices.apiregistration.k8s.io")
            await wait_until_async(lambda: registry.get(roles, None, "view").get("rules"), what="view's rules")

            def conditions_of(name):
                if not registry.exists(services, None, name):
                    return None
                return (registry.get(services, None, name).get("status") or {}).get("conditions")
            for local in ("v1.apps", "v1.", "v1beta1.metrics.k8s.io"):
                assert (await wait_until_async(lambda name=local: conditions_of(name), what=local))[0]["status"] == "True"
            crds = rt("customresourcedefinitions.apiextensions.k8s.io")
            crd = keda_crds.crds()[2]
            crd["metadata"] = {"name": "gadgets.inprocess.example.com"}
            crd["spec"].update(group="inprocess.example.com", names={
                "kind": "Gadget", "plural": "gadgets", "singular": "gadget", "listKind": "GadgetList"})
            registry.create(crds, None, crd)

            def established():
                got = registry.get(crds, None, "gadgets.inprocess.example.com")
                return {c["type"]: c["status"] for c in got["status"].get("conditions") or []}.get("Established")
            assert await wait_until_async(established, what="Established") == "True"

            assert (await wait_until_async(lambda: conditions_of("v1alpha1.inprocess.example.com"),
                                           what="the APIService"))[0]["reason"] == "Local"
            registry.delete(crds, None, "gadgets.inprocess.example.com")
            await wait_until_async(lambda: not registry.exists(crds, None, "gadgets.inprocess.example.com"),
                                   what="the CRD gone")
            await wait_until_async(lambda: not registry.exists(services, None, "v1alpha1.inprocess.example.com"),
                                   what="its APIService gone")
    asyncio.run(scenario())
