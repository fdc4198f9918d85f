"""pods/eviction: with no PodDisruptionBudget covering the pod, an eviction is the pod's deletion with the Eviction's
deleteOptions, answered as kube-apiserver's EvictionREST answers it."""
import pytest

from sandbox.machinery.errors import StatusError
from tests.unit.registry.kinds import rt

PODS, NS = rt("pods"), rt("namespaces")
SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def eviction(name="web", namespace="default", api_version="policy/v1", **delete_options):
    body = {"apiVersion": api_version, "kind": "Eviction", "metadata": {"name": name, "namespace": namespace}}
    if delete_options:
        body["deleteOptions"] = delete_options
    return body


@pytest.fixture
def scheduled(registry):
    """A pod bound to a node, so that deleting it is graceful (the kubelet would finish it)."""
    registry.create(PODS, "default", {"metadata": {"name": "web"},
                                      "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}})
    registry.bind("default", "web", "sandbox-worker")
    return registry


def error(call, *args, **kwargs) -> StatusError:
    with pytest.raises(StatusError) as raised:
        call(*args, **kwargs)
    return raised.value


def test_an_eviction_deletes_the_pod_gracefully(scheduled):
    assert scheduled.evict("default", "web", eviction()) == SUCCESS
    meta = scheduled.get(PODS, "default", "web")["metadata"]
    assert meta["deletionGracePeriodSeconds"] == 30 and meta["deletionTimestamp"]


def test_the_pod_is_marked_as_a_disruption_target_first(scheduled):
    scheduled.evict("default", "web", eviction())
    conditions = {c["type"]: c for c in scheduled.get(PODS, "default", "web")["status"]["conditions"]}
    target = conditions["DisruptionTarget"]
    assert {k: v for k, v in target.items() if k != "lastTransitionTime"} == {
        "type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI",
        "message": "Eviction API: evicting"}
    scheduled.evict("default", "web", eviction())
    again = scheduled.get(PODS, "default", "web")["status"]["conditions"]
    assert [c["type"] for c in again].count("DisruptionTarget") == 1


def test_preconditions_are_checked_against_the_pod_as_the_eviction_words_it(scheduled):
    pod = scheduled.get(PODS, "default", "web")["metadata"]
    e = error(scheduled.evict, "default", "web", eviction(preconditions={"uid": "other"}))
    assert (e.code, e.reason) == (409, "Conflict")
    assert e.message == (f'Operation cannot be fulfilled on Pod "web": the UID in the precondition (other) does not '
                         f'match the UID in record ({pod["uid"]}). The object might have been deleted and then '
                         f'recreated')
    e = error(scheduled.evict, "default", "web", eviction(preconditions={"resourceVersion": "1"}))
    assert "the ResourceVersion in the precondition (1) does not match" in e.message
    assert "deletionTimestamp" not in scheduled.get(PODS, "default", "web")["metadata"]
    # the condition's write moves the resourceVersion: the delete then expects the version it made
    precondition = {"uid": pod["uid"], "resourceVersion": pod["resourceVersion"]}
    assert scheduled.evict("default", "web", eviction(preconditions=precondition)) == SUCCESS
    assert scheduled.get(PODS, "default", "web")["metadata"]["deletionTimestamp"]


def test_delete_options_are_honoured(scheduled):
    scheduled.evict("default", "web", eviction(gracePeriodSeconds=5))
    assert scheduled.get(PODS, "default", "web")["metadata"]["deletionGracePeriodSeconds"] == 5
    scheduled.evict("default", "web", eviction(gracePeriodSeconds=0))
    assert error(scheduled.get, PODS, "default", "web").code == 404


def test_a_pod_already_terminating_is_evicted_again_successfully(scheduled):
    scheduled.delete(PODS, "default", "web", grace_period_seconds=10)
    assert scheduled.evict("default", "web", eviction()) == SUCCESS
    assert scheduled.get(PODS, "default", "web")["metadata"]["deletionGracePeriodSeconds"] == 10


@pytest.mark.parametrize("url_dry_run,options", [(True, {}), (False, {"dryRun": ["All"]}),
                                                 (True, {"dryRun": ["All"]})])
def test_dry_run_from_the_url_or_the_body_deletes_nothing(scheduled, url_dry_run, options):
    assert scheduled.evict("default", "web", eviction(**options), dry_run=url_dry_run) == SUCCESS
    pod = scheduled.get(PODS, "default", "web")
    assert "deletionTimestamp" not in pod["metadata"]
    assert "DisruptionTarget" not in {c["type"] for c in pod["status"]["conditions"]}


def test_dry_run_directives_that_disagree_or_are_unknown_are_refused(scheduled):
    e = error(scheduled.evict, "default", "web", eviction(dryRun=["All", "All"]), dry_run=True)
    assert (e.code, e.message) == (400, "Non-matching dry-run options in request and content: [All] and [All All]")
    e = error(scheduled.evict, "default", "web", eviction(dryRun=["Sometimes"]))
    assert (e.code, e.message) == (400, 'dryRun: Unsupported value: "Sometimes": supported values: "All"')


def test_a_missing_pod_is_not_found(registry):
    e = error(registry.evict, "default", "missing", eviction("missing"))
    assert (e.code, e.reason, e.message) == (404, "NotFound", 'pods "missing" not found')
    assert e.details == {"name": "missing", "kind": "pods"}


def test_the_name_and_namespace_must_be_the_url_s(scheduled):
    e = error(scheduled.evict, "default", "web", eviction("other"))
    assert (e.code, e.message) == (400, "name in URL does not match name in Eviction object")
    e = error(scheduled.evict, "default", "web", {"apiVersion": "policy/v1", "kind": "Eviction"})
    assert e.message == "name in URL does not match name in Eviction object"
    e = error(scheduled.evict, "default", "web", eviction(namespace="elsewhere"))
    assert (e.code, e.message) == (400, "the namespace of the provided object does not match the namespace sent "
                                         "on the request")


def test_the_body_is_decoded_as_an_eviction(scheduled):
    assert scheduled.evict("default", "web", eviction(api_version="policy/v1beta1")) == SUCCESS
    e = error(scheduled.evict, "default", "web", eviction(api_version="v1"))
    assert e.message == "the API version in the data (v1) does not match the expected API version (policy/v1)"
    e = error(scheduled.evict, "default", "web", eviction(gracePeriodSeconds="soon"))
    assert e.code == 400 and e.message.startswith('Eviction in version "v1" cannot be handled as a Eviction')
    e = error(scheduled.evict, "default", "web", {**eviction(), "spec": {}})
    assert e.code == 400 and 'strict decoding error: unknown field "spec"' in e.message
    warnings: list[str] = []
    scheduled.evict("default", "web", {**eviction(), "spec": {}}, field_validation="Warn", warnings=warnings)
    assert warnings == ['unknown field "spec"']


def test_evicting_in_a_terminating_namespace_is_forbidden_with_the_cause_kubectl_drain_waits_on(registry):
    registry.create(NS, None, {"metadata": {"name": "team"}})
    registry.create(PODS, "team", {"metadata": {"name": "web"},
                                   "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}})
    registry.delete(NS, None, "team")
    e = error(registry.evict, "team", "web", eviction(namespace="team"))
    assert (e.code, e.reason) == (403, "Forbidden")
    assert e.details["causes"][0]["reason"] == "NamespaceTerminating"
