"""pods/eviction with PodDisruptionBudgets, decided as pkg/registry/core/pod/storage/eviction.go decides: the
budgets' statuses are written here by hand (no controller runs), so each case is exactly the status it names."""
import pytest

from sandbox.machinery.errors import StatusError
from tests.unit.registry.kinds import rt

PODS, PDBS = rt("pods"), rt("poddisruptionbudgets", "policy")
SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."


def eviction(name="web", **delete_options):
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": "default"}}
    if delete_options:
        body["deleteOptions"] = delete_options
    return body


def make_pod(registry, name="web", phase="Running", ready=True, labels=None):
    registry.create(PODS, "default", {"metadata": {"name": name, "labels": labels or {"app": "web"}},
                                      "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}})
    registry.bind("default", name, "sandbox-worker")
    pod = registry.get(PODS, "default", name)
    pod["status"].update(phase=phase, conditions=[{"type": "Ready", "status": "True" if ready else "False",
                                                   "lastTransitionTime": "2026-01-01T00:00:00Z"}])
    return registry.update(PODS, "default", name, pod, subresource="status")


def make_pdb(registry, name="budget", selector=None, status=None, **spec):
    """A budget whose status is as if the disruption controller had just synced it (observedGeneration
    current), with `status` on top."""
    selector = {"matchLabels": {"app": "web"}} if selector is None else selector
    pdb = registry.create(PDBS, "default", {"metadata": {"name": name},
                                            "spec": {"selector": selector, **(spec or {"minAvailable": 1})}})
    pdb["status"] = {"observedGeneration": 1, "disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2,
                     "expectedPods": 3, **(status or {})}
    return registry.update(PDBS, "default", name, pdb, subresource="status")


def refused(registry, name="web", **options) -> StatusError:
    with pytest.raises(StatusError) as raised:
        registry.evict("default", name, eviction(name, **options))
    return raised.value


def terminating(registry, name="web") -> bool:
    return bool(registry.get(PODS, "default", name)["metadata"].get("deletionTimestamp"))


def test_no_disruption_allowed_is_429_with_the_budget_s_numbers(registry):
    make_pod(registry)
    make_pdb(registry, status={"disruptionsAllowed": 0, "currentHealthy": 3, "desiredHealthy": 3})
    e = refused(registry)
    assert (e.code, e.reason, e.message) == (429, "TooManyRequests", VIOLATION)
    cause = "The disruption budget budget needs 3 healthy pods and has 3 currently"
    assert e.details == {"causes": [{"reason": "DisruptionBudget", "message": cause}]}
    pod = registry.get(PODS, "default", "web")
    assert not terminating(registry) and "DisruptionTarget" not in {c["type"] for c in pod["status"]["conditions"]}


def test_an_allowed_disruption_is_taken_and_recorded_before_the_pod_goes(registry):
    make_pod(registry)
    make_pdb(registry)
    assert registry.evict("default", "web", eviction()) == SUCCESS
    assert terminating(registry)
    status = registry.get(PDBS, "default", "budget")["status"]
    assert status["disruptionsAllowed"] == 0 and list(status["disruptedPods"]) == ["web"]
    condition = status["conditions"][0]
    assert {k: condition[k] for k in ("type", "status", "reason", "message", "observedGeneration")} == {
        "type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "message": "",
        "observedGeneration": 1}
    managers = {(m["manager"], m.get("subresource")) for m in
                registry.get(PDBS, "default", "budget")["metadata"]["managedFields"]}
    assert ("kube-apiserver", "status") in managers


def test_a_budget_with_disruptions_left_keeps_its_condition(registry):
    make_pod(registry)
    make_pdb(registry, status={"disruptionsAllowed": 2})
    registry.evict("default", "web", eviction())
    status = registry.get(PDBS, "default", "budget")["status"]
    assert status["disruptionsAllowed"] == 1 and "conditions" not in status


def test_a_dry_run_checks_the_budget_and_charges_nothing(registry):
    make_pod(registry)
    before = make_pdb(registry)
    assert registry.evict("default", "web", eviction(dryRun=["All"])) == SUCCESS
    assert registry.get(PDBS, "default", "budget") == before and not terminating(registry)
    make_pdb(registry, "other", selector={"matchLabels": {"tier": "db"}}, status={"disruptionsAllowed": 0})
    registry.delete(PDBS, "default", "budget")
    make_pdb(registry, status={"disruptionsAllowed": 0})
    assert refused(registry, dryRun=["All"]).code == 429


def test_a_budget_not_yet_synced_since_its_last_change_is_429_with_a_retry_after(registry):
    make_pod(registry)
    pdb = make_pdb(registry)
    registry.update(PDBS, "default", "budget", {**pdb, "spec": {**pdb["spec"], "minAvailable": 2}})  # generation 2
    e = refused(registry)
    assert (e.code, e.message) == (429, VIOLATION)
    assert e.details == {"causes": [{"reason": "DisruptionBudget", "message": "The disruption budget budget is still "
                                     "being processed by the server."}], "retryAfterSeconds": 10}


def test_a_negative_allowance_is_forbidden(registry):
    make_pod(registry)
    make_pdb(registry)
    pdb = registry.get(PDBS, "default", "budget")
    registry.store.put(PDBS.storage_key, "default", "budget",  # status validation refuses it: write it raw
                       {**pdb, "status": {**pdb["status"], "disruptionsAllowed": -1}})
    e = refused(registry)
    assert (e.code, e.reason, e.message) == (403, "Forbidden", 'poddisruptionbudget.policy "budget" is forbidden: '
                                                               'pdb disruptions allowed is negative')
    assert e.details == {"name": "budget", "group": "policy", "kind": "poddisruptionbudget"}


def test_several_budgets_are_a_500_without_a_reason(registry):
    make_pod(registry)
    make_pdb(registry, "a")
    make_pdb(registry, "b", selector={})  # {} selects every pod of the namespace
    e = refused(registry)
    assert (e.code, e.reason, e.message) == (500, "", "This pod has more than one PodDisruptionBudget, which the "
                                                      "eviction subresource does not support.")
    assert "reason" not in e.status() and e.status()["code"] == 500
    assert registry.get(PDBS, "default", "a")["status"]["disruptionsAllowed"] == 1


def test_budgets_that_select_nothing_or_other_pods_are_not_consulted(registry):
    make_pod(registry)
    make_pdb(registry, "other", selector={"matchLabels": {"app": "db"}}, status={"disruptionsAllowed": 0})
    registry.create(PDBS, "default", {"metadata": {"name": "none"}, "spec": {"minAvailable": 1}})  # a null selector
    registry.create(rt("namespaces"), None, {"metadata": {"name": "elsewhere"}})
    registry.create(PDBS, "elsewhere", {"metadata": {"name": "all"}, "spec": {"selector": {}, "minAvailable": 1}})
    assert registry.evict("default", "web", eviction()) == SUCCESS


@pytest.mark.parametrize("phase", ["Pending", "Succeeded", "Failed"])
def test_pods_that_are_pending_or_finished_skip_the_budget(registry, phase):
    make_pod(registry, phase=phase, ready=False)
    make_pdb(registry, status={"disruptionsAllowed": 0})
    assert registry.evict("default", "web", eviction()) == SUCCESS
    assert registry.get(PDBS, "default", "budget")["status"]["disruptionsAllowed"] == 0


def test_a_pod_already_terminating_skips_the_budget(registry):
    make_pod(registry)
    make_pdb(registry, status={"disruptionsAllowed": 0})
    registry.delete(PODS, "default", "web", grace_period_seconds=10)
    assert registry.evict("default", "web", eviction()) == SUCCESS


def test_an_unready_pod_goes_free_while_the_budget_is_met(registry):
    """IfHealthyBudget (the default): an unhealthy pod is no part of currentHealthy, so it costs nothing, and the
    delete pins the version that was read, replacing a stale precondition of the client's."""
    make_pod(registry, ready=False)
    make_pdb(registry, status={"disruptionsAllowed": 0, "currentHealthy": 2, "desiredHealthy": 2})
    assert registry.evict("default", "web", eviction(preconditions={"resourceVersion": "1"})) == SUCCESS
    assert terminating(registry)
    assert registry.get(PDBS, "default", "budget")["status"]["disruptionsAllowed"] == 0


@pytest.mark.parametrize("current,desired", [(1, 2), (0, 0)])
def test_an_unready_pod_of_a_disrupted_application_needs_an_allowed_disruption(registry, current, desired):
    make_pod(registry, ready=False)
    make_pdb(registry, status={"disruptionsAllowed": 0, "currentHealthy": current, "desiredHealthy": desired})
    assert refused(registry).details["causes"][0]["message"] == (
        f"The disruption budget budget needs {desired} healthy pods and has {current} currently")


def test_always_allow_lets_unready_pods_go_whatever_the_budget(registry):
    make_pod(registry, ready=False)
    make_pdb(registry, status={"disruptionsAllowed": 0, "currentHealthy": 1, "desiredHealthy": 2},
             minAvailable=2, unhealthyPodEvictionPolicy="AlwaysAllow")
    assert registry.evict("default", "web", eviction()) == SUCCESS
    make_pod(registry, "ready")
    assert refused(registry, "ready").code == 429  # a healthy pod is still guarded


def test_the_http_answer_carries_retry_after_when_the_status_does():
    """ErrorNegotiated repeats details.retryAfterSeconds as a Retry-After header."""
    from sandbox.api.responses import status_response as _status_response
    from sandbox.registry.eviction_budgets import too_many_requests

    assert _status_response(too_many_requests("still being processed", 10)).headers["Retry-After"] == "10"
    response = _status_response(too_many_requests("needs 3 healthy pods", 0))
    assert response.status == 429 and "Retry-After" not in response.headers
