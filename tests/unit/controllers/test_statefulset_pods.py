"""A StatefulSet's pods as the controller makes and chooses them: ordinals, identity, claims, the revision a new pod
gets under a partition, and the rolling update's deletions within the partition and maxUnavailable."""
import pytest

from sandbox.controllers import history
from sandbox.controllers.statefulset import pods as stateful


def sts(replicas=3, partition=0, max_unavailable=1, strategy="RollingUpdate", **spec) -> dict:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "shop", "uid": "u-web"},
            "spec": {"replicas": replicas, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
                     "updateStrategy": {"type": strategy, **({"rollingUpdate": {
                         "partition": partition, "maxUnavailable": max_unavailable}}
                         if strategy == "RollingUpdate" else {})},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}],
                                           "volumes": [{"name": "data", "emptyDir": {}}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                         "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}], **spec}}


def test_ordinals_come_from_names_of_the_form_set_dash_number():
    assert stateful.ordinal_of({"metadata": {"name": "web-12"}}, "web") == 12
    assert stateful.ordinal_of({"metadata": {"name": "web-x"}}, "web") is None
    assert stateful.ordinal_of({"metadata": {"name": "webby-1"}}, "web") is None
    assert stateful.ordinal_of({"metadata": {"name": "my-web-0"}}, "my-web") == 0


def test_a_new_pod_has_the_identity_the_storage_and_the_revision():
    pod = stateful.new_pod(sts(), 2, "web-abc")
    assert pod["metadata"]["name"] == "web-2"
    assert pod["metadata"]["labels"] == {"app": "web", stateful.POD_NAME_LABEL: "web-2",
                                         stateful.POD_INDEX_LABEL: "2", history.POD_REVISION_LABEL: "web-abc"}
    assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == ("web-2", "web")
    assert pod["spec"]["volumes"] == [{"name": "data", "persistentVolumeClaim": {"claimName": "data-web-2"}}]
    assert pod["metadata"]["ownerReferences"][0]["controller"] is True
    assert stateful.identity_matches(pod, sts(), 2) and not stateful.identity_matches(pod, sts(), 1)


def test_claims_are_named_after_the_template_the_set_and_the_ordinal_and_carry_the_selector():
    (claim,) = stateful.claims_for(sts(), 0)
    assert claim["metadata"]["name"] == "data-web-0"
    assert claim["metadata"]["labels"] == {"app": "web"}
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"


@pytest.mark.parametrize("ordinal, expected", [(0, "old"), (1, "old"), (2, "new"), (3, "new")])
def test_below_the_partition_new_pods_are_made_at_the_current_revision(ordinal, expected):
    assert stateful.revision_for_new_pod(sts(replicas=4, partition=2), ordinal, "old", "new", 4) == expected


def test_on_delete_recreates_pods_at_the_update_revision():
    assert stateful.revision_for_new_pod(sts(strategy="OnDelete"), 0, "old", "new", 3) == "new"


def pods_at(*revisions):
    return [{"metadata": {"name": f"web-{i}", "labels": {history.POD_REVISION_LABEL: r}}} for i, r in
            enumerate(revisions)]


def test_the_rolling_update_deletes_the_highest_ordinal_first_one_at_a_time():
    chosen = stateful.to_update(sts(), pods_at("old", "old", "old"), "new", unhealthy=0)
    assert [p["metadata"]["name"] for p in chosen] == ["web-2"]


def test_the_rolling_update_waits_while_a_replica_is_unhealthy():
    assert stateful.to_update(sts(), pods_at("old", "old", "new"), "new", unhealthy=1) == []


def test_the_partition_keeps_lower_ordinals_at_their_revision():
    chosen = stateful.to_update(sts(partition=2, max_unavailable=3), pods_at("old", "old", "new"), "new", 0)
    assert chosen == []
    chosen = stateful.to_update(sts(partition=1, max_unavailable=3), pods_at("old", "old", "old"), "new", 0)
    assert [p["metadata"]["name"] for p in chosen] == ["web-2", "web-1"]


def test_max_unavailable_may_be_a_percentage_and_is_at_least_one():
    assert stateful.max_unavailable(sts(replicas=10, max_unavailable="30%")) == 3
    assert stateful.max_unavailable(sts(replicas=2, max_unavailable="10%")) == 1
    chosen = stateful.to_update(sts(replicas=4, max_unavailable=2), pods_at("old", "old", "old", "old"), "new", 0)
    assert [p["metadata"]["name"] for p in chosen] == ["web-3", "web-2"]


def test_on_delete_never_deletes_for_an_update():
    assert stateful.to_update(sts(strategy="OnDelete"), pods_at("old", "old"), "new", 0) == []
