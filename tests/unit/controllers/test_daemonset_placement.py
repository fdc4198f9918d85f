"""Where a DaemonSet's pods go: nodes whose taints the pods do not tolerate (the control plane's, a not-ready node's
NoSchedule taint) run none; a NoExecute taint ends a pod there; the controller's own tolerations and the node pin;
and the rolling update's choices without and with surge."""
from sandbox.controllers import history
from sandbox.controllers.daemonset import placement


def ds(tolerations=None, node_selector=None, surge=0, unavailable=1) -> dict:
    spec = {"containers": [{"name": "c", "image": "busybox"}]}
    if tolerations:
        spec["tolerations"] = tolerations
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": "kube-system", "uid": "u-ds",
                         "annotations": {"deprecated.daemonset.template.generation": "2"}},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {
                         "maxSurge": surge, "maxUnavailable": unavailable}},
                     "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec}}}


def node(name, taints=None, labels=None) -> dict:
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": {"taints": taints or []}}


CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def test_a_node_with_an_untolerated_no_schedule_taint_runs_no_daemon_pod():
    assert placement.should_run(ds(), node("w")) == (True, True)
    assert placement.should_run(ds(), node("cp", [CONTROL_PLANE])) == (False, True)
    assert placement.should_run(ds([{"operator": "Exists"}]), node("cp", [CONTROL_PLANE])) == (True, True)
    not_ready = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}
    assert placement.should_run(ds(), node("new", [not_ready])) == (False, True)


def test_a_no_execute_taint_it_does_not_tolerate_ends_the_pod_there():
    evicting = {"key": "dedicated", "value": "db", "effect": "NoExecute"}
    assert placement.should_run(ds(), node("w", [evicting])) == (False, False)
    # the controller's own tolerations cover the node lifecycle's NoExecute taints
    assert placement.should_run(ds(), node("w", [{"key": "node.kubernetes.io/unreachable",
                                                  "effect": "NoExecute"}])) == (True, True)


def test_the_node_selector_chooses_the_nodes():
    assert placement.should_run(ds(node_selector={"disk": "ssd"}), node("w"))[0] is False
    assert placement.should_run(ds(node_selector={"disk": "ssd"}), node("w", labels={"disk": "ssd"}))[0] is True


def test_a_daemon_pod_has_the_controller_tolerations_its_labels_and_is_pinned_to_its_node():
    pod = placement.new_pod(ds(), "sandbox-worker", "abc123")
    keys = [(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]]
    assert keys == list(placement.DAEMON_TOLERATIONS)
    assert pod["metadata"]["labels"] == {"app": "agent", "pod-template-generation": "2",
                                         history.POD_REVISION_LABEL: "abc123"}
    assert pod["metadata"]["generateName"] == "agent-"
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms == {"nodeSelectorTerms": [{"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": ["sandbox-worker"]}]}]}
    assert placement.target_node(pod) == "sandbox-worker"


def pod(name, node_name, hash_, ready=True) -> dict:
    conditions = [{"type": "Ready", "status": "True" if ready else "False",
                   "lastTransitionTime": "2020-01-01T00:00:00Z"}]
    return {"metadata": {"name": name, "labels": {history.POD_REVISION_LABEL: hash_},
                         "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"nodeName": node_name}, "status": {"phase": "Running", "conditions": conditions}}


def test_without_surge_old_pods_go_within_max_unavailable():
    by_node = {"a": [pod("p1", "a", "old")], "b": [pod("p2", "b", "old")], "c": [pod("p3", "c", "old")]}
    delete, create = placement.rolling_update(ds(), by_node, dict.fromkeys(by_node, True), 3, "new", 1.0)
    assert [p["metadata"]["name"] for p in delete] == ["p1"] and create == []
    # one new pod not yet available uses up maxUnavailable: nothing more goes
    by_node["a"] = [pod("n1", "a", "new", ready=False)]
    assert placement.rolling_update(ds(), by_node, dict.fromkeys(by_node, True), 3, "new", 1.0) == ([], [])


def test_an_unavailable_old_pod_is_replaced_at_once():
    by_node = {"a": [pod("p1", "a", "old", ready=False)], "b": [pod("p2", "b", "old")]}
    delete, _ = placement.rolling_update(ds(), by_node, dict.fromkeys(by_node, True), 2, "new", 1.0)
    assert [p["metadata"]["name"] for p in delete] == ["p1", "p2"]


def test_with_surge_a_new_pod_starts_beside_the_old_one_which_goes_once_it_is_available():
    surging = ds(surge=1, unavailable=0)
    by_node = {"a": [pod("p1", "a", "old")], "b": [pod("p2", "b", "old")]}
    delete, create = placement.rolling_update(surging, by_node, dict.fromkeys(by_node, True), 2, "new", 1.0)
    assert delete == [] and create == ["a"]
    by_node["a"].append(pod("n1", "a", "new"))
    delete, create = placement.rolling_update(surging, by_node, dict.fromkeys(by_node, True), 2, "new", 1.0)
    assert [p["metadata"]["name"] for p in delete] == ["p1"] and create == ["b"]


def test_zero_surge_and_zero_unavailable_means_one_unavailable():
    assert placement.surge_and_unavailable(ds(surge=0, unavailable=0), 3) == (0, 1)
    assert placement.surge_and_unavailable(ds(surge="50%", unavailable=0), 3) == (2, 0)
