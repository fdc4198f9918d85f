"""The node lifecycle controller's taints and the taint eviction's timing, as pure decisions."""
import time

from sandbox.controllers import node_lifecycle as nl


def node(conditions=None, taints=None, unschedulable=False):
    spec = {"taints": taints or []}
    if unschedulable:
        spec["unschedulable"] = True
    return {"metadata": {"name": "n"}, "spec": spec, "status": {"conditions": conditions or []}}


def keys(taints):
    return [(t["key"], t["effect"]) for t in taints]


def test_a_ready_node_loses_the_admission_plugins_not_ready_taint_and_keeps_the_others():
    taints = [{"key": nl.NOT_READY, "effect": "NoSchedule"}, {"key": "dedicated", "effect": "NoSchedule"}]
    assert keys(nl.wanted_taints(node([{"type": "Ready", "status": "True"}], taints), "now")) == [
        ("dedicated", "NoSchedule")]


def test_a_node_without_a_ready_condition_stays_not_ready():
    assert keys(nl.wanted_taints(node(), "now")) == [(nl.NOT_READY, "NoSchedule")]


def test_ready_false_and_unknown_taint_not_ready_and_unreachable_both_ways():
    assert keys(nl.wanted_taints(node([{"type": "Ready", "status": "False"}]), "t")) == [
        (nl.NOT_READY, "NoSchedule"), (nl.NOT_READY, "NoExecute")]
    unknown = nl.wanted_taints(node([{"type": "Ready", "status": "Unknown"},
                                     {"type": "DiskPressure", "status": "True"}], unschedulable=True), "t")
    assert keys(unknown) == [(nl.UNREACHABLE, "NoSchedule"), ("node.kubernetes.io/disk-pressure", "NoSchedule"),
                             (nl.UNSCHEDULABLE, "NoSchedule"), (nl.UNREACHABLE, "NoExecute")]
    assert unknown[-1]["timeAdded"] == "t"


def test_an_existing_no_execute_taint_keeps_its_time():
    before = [{"key": nl.UNREACHABLE, "effect": "NoExecute", "timeAdded": "earlier"}]
    after = nl.wanted_taints(node([{"type": "Ready", "status": "Unknown"}], before), "later")
    assert after[-1]["timeAdded"] == "earlier"


def test_eviction_waits_for_the_shortest_toleration_and_is_immediate_without_one():
    added = time.time() - 10
    taints = [{"key": nl.UNREACHABLE, "effect": "NoExecute",
               "timeAdded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(added))}]
    default = {"spec": {"tolerations": [{"key": nl.UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
                                         "tolerationSeconds": 300}]}}
    assert abs(nl.eviction_time(default, taints) - (added + 300)) < 2
    assert nl.eviction_time({"spec": {}}, taints) == 0.0
    forever = {"spec": {"tolerations": [{"operator": "Exists"}]}}
    assert nl.eviction_time(forever, taints) is None
    assert nl.eviction_time(default, [{"key": "x", "effect": "NoSchedule"}]) is None
