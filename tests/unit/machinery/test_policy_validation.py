"""PodDisruptionBudget validation, worded as pkg/apis/policy/validation and the generic store word it."""
import re

import pytest

from sandbox.machinery import errors, resources
from sandbox.registry import kinds

PDBS = resources.by_kind("policy/v1", "PodDisruptionBudget")
PERCENT = ("a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', "
           "regex used for validation is '[0-9]+%')")


def pdb(name="web", **spec):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": "shop", "generation": 1},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec}}


def causes(body, old=None) -> list[tuple[str, str, str]]:
    with pytest.raises(errors.StatusError) as caught:
        kinds.validate(PDBS, body, old)
    e = caught.value
    assert (e.code, e.reason, e.details["kind"], e.details["group"]) == (422, "Invalid", "PodDisruptionBudget",
                                                                        "policy")
    return [(c["field"], c["reason"], c["message"]) for c in e.details["causes"]]


@pytest.mark.parametrize("spec", [{"minAvailable": 2}, {"minAvailable": 0}, {"maxUnavailable": "25%"},
                                  {"maxUnavailable": "100%"}, {"minAvailable": "0%"}, {},
                                  {"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow"},
                                  {"minAvailable": 1, "unhealthyPodEvictionPolicy": "IfHealthyBudget"}])
def test_valid_budgets(spec):
    kinds.validate(PDBS, pdb(**spec))


def test_both_minimum_and_maximum_name_the_whole_spec_as_go_prints_it():
    [(field, reason, message)] = causes(pdb(minAvailable=1, maxUnavailable="10%"))
    assert (field, reason) == ("spec", "FieldValueInvalid")
    # %#v of the internal spec: its pointer fields print as addresses (made up, but stable)
    assert re.fullmatch(r"Invalid value: policy\.PodDisruptionBudgetSpec\{MinAvailable:\(\*intstr\.IntOrString\)"
                        r"\(0xc[0-9a-f]{9}\), Selector:\(\*v1\.LabelSelector\)\(0xc[0-9a-f]{9}\), MaxUnavailable:"
                        r"\(\*intstr\.IntOrString\)\(0xc[0-9a-f]{9}\), UnhealthyPodEvictionPolicy:"
                        r"\(\*policy\.UnhealthyPodEvictionPolicyType\)\(nil\)\}: minAvailable and maxUnavailable "
                        r"cannot be both set", message), message


def test_int_or_percent_checks_as_apps_validation_words_them():
    assert causes(pdb(minAvailable=-1)) == [
        ("spec.minAvailable", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0")]
    assert causes(pdb(maxUnavailable="half")) == [
        ("spec.maxUnavailable", "FieldValueInvalid",
         f'Invalid value: intstr.IntOrString{{Type:1, IntVal:0, StrVal:"half"}}: {PERCENT}')]
    assert causes(pdb(maxUnavailable="150%")) == [
        ("spec.maxUnavailable", "FieldValueInvalid",
         'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%')]


def test_selector_and_eviction_policy():
    body = pdb(minAvailable=1, unhealthyPodEvictionPolicy="Sometimes")
    body["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["x"]}]}
    assert causes(body) == [
        ("spec.selector.matchExpressions[0].values", "FieldValueForbidden",
         "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        ("spec.unhealthyPodEvictionPolicy", "FieldValueNotSupported",
         'Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"')]


def test_names_only_need_to_be_path_segments():
    """ValidatePodDisruptionBudget leaves metadata to the generic store, which checks names as path segments."""
    kinds.validate(PDBS, pdb(name="Web_Budget", minAvailable=1))
    assert causes(pdb(name="a/b", minAvailable=1)) == [
        ("metadata.name", "FieldValueInvalid", "Invalid value: \"a/b\": may not contain '/'")]
    assert causes(pdb(name="..", minAvailable=1))[0][2] == "Invalid value: \"..\": may not be '..'"


def test_on_create_spec_errors_come_before_metadata_is_checked():
    assert [c[0] for c in causes(pdb(name="a%b", minAvailable=-1))] == ["spec.minAvailable"]
    old = pdb(minAvailable=1)
    new = pdb(name="a%b", minAvailable=-1)  # an update checks both at once
    assert [c[0] for c in causes(new, old)] == ["metadata.name", "metadata.name", "spec.minAvailable"]


def test_status_writes_keep_counts_non_negative_and_conditions_sane():
    old = pdb(minAvailable=1)
    new = pdb(minAvailable=1)
    new["status"] = {"disruptionsAllowed": -1, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0,
                     "conditions": [{"type": "DisruptionAllowed", "status": "Maybe", "reason": "",
                                     "lastTransitionTime": "2026-01-01T00:00:00Z", "message": ""},
                                    {"type": "DisruptionAllowed", "status": "True", "reason": "SufficientPods",
                                     "message": "", "observedGeneration": -2}]}
    assert causes(new, old) == [
        ("status.conditions[0].status", "FieldValueNotSupported",
         'Unsupported value: "Maybe": supported values: "False", "True", "Unknown"'),
        ("status.conditions[0].reason", "FieldValueRequired", "Required value: must be set"),
        ("status.conditions[1].type", "FieldValueDuplicate", 'Duplicate value: "DisruptionAllowed"'),
        ("status.conditions[1].observedGeneration", "FieldValueInvalid",
         "Invalid value: -2: must be greater than or equal to zero"),
        ("status.conditions[1].lastTransitionTime", "FieldValueRequired", "Required value: must be set"),
        ("status.disruptionsAllowed", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0")]
