"""Claims and volumes as the PV controller and the scheduler's VolumeBinding plugin match them: the smallest
available volume that fits, pre-bound volumes first, delayed binding left to the scheduler, the PreFilter
rejections and a bound volume's node affinity."""
from sandbox.controllers import volume_binding as vb


def claim(name="data", storage="1Gi", modes=("ReadWriteOnce",), cls="", uid="c1", volume="", annotations=None):
    spec = {"accessModes": list(modes), "resources": {"requests": {"storage": storage}}, "storageClassName": cls}
    if volume:
        spec["volumeName"] = volume
    return {"metadata": {"name": name, "namespace": "shop", "uid": uid, "annotations": annotations or {}},
            "spec": spec}


def volume(name, storage="1Gi", modes=("ReadWriteOnce",), cls="", phase="Available", claim_ref=None, node=None):
    spec = {"accessModes": list(modes), "capacity": {"storage": storage}, "storageClassName": cls,
            "hostPath": {"path": "/x"}}
    if claim_ref:
        spec["claimRef"] = claim_ref
    if node:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}
    return {"metadata": {"name": name}, "spec": spec, "status": {"phase": phase}}


def node(name):
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}}


def test_the_smallest_fitting_available_volume_of_the_class_wins():
    volumes = [volume("big", "10Gi"), volume("small", "2Gi"), volume("tiny", "500Mi"), volume("ssd", "1Gi", cls="ssd"),
               volume("rox", "1Gi", modes=("ReadOnlyMany",)), volume("used", "1Gi", phase="Bound")]
    assert vb.best_match(claim(), volumes)["metadata"]["name"] == "small"


def test_a_volume_pre_bound_to_the_claim_wins_and_one_bound_to_another_is_skipped():
    volumes = [volume("mine", "5Gi", claim_ref={"name": "data", "namespace": "shop"}),
               volume("other", "1Gi", claim_ref={"name": "x", "namespace": "shop"})]
    assert vb.best_match(claim(), volumes)["metadata"]["name"] == "mine"


def test_delayed_binding_leaves_unbound_volumes_to_the_scheduler_until_a_node_is_known():
    volumes = [volume("local", node="w1")]
    assert vb.best_match(claim(), volumes, None, delay_binding=True) is None
    assert vb.best_match(claim(), volumes, node("w2")) is None
    assert vb.best_match(claim(), volumes, node("w1"))["metadata"]["name"] == "local"


def test_pre_filter_rejects_a_missing_claim_a_deleted_one_and_an_unbound_immediate_one():
    pod = {"metadata": {"name": "p"}, "spec": {"volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "data"}}]}}
    classes = {"standard": {"volumeBindingMode": "WaitForFirstConsumer", "provisioner": "rancher.io/local-path"},
               "fast": {"volumeBindingMode": "Immediate", "provisioner": "x"}}
    assert vb.pre_filter(pod, {}, classes).error == 'persistentvolumeclaim "data" not found'
    deleted = claim()
    deleted["metadata"]["deletionTimestamp"] = "2020-01-01T00:00:00Z"
    assert vb.pre_filter(pod, {"data": deleted}, classes).error == 'persistentvolumeclaim "data" is being deleted'
    assert vb.pre_filter(pod, {"data": claim(cls="fast")}, classes).error == vb.UNBOUND_IMMEDIATE
    found = vb.pre_filter(pod, {"data": claim(cls="standard")}, classes)
    assert not found.error and [c["metadata"]["name"] for c in found.delayed] == ["data"]


def test_a_bound_volume_pins_the_pod_to_its_node_and_a_class_without_provisioner_needs_a_volume():
    pod = {"metadata": {"name": "p"}, "spec": {"volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "d"}}]}}
    bound = vb.pre_filter(pod, {"d": claim("d", volume="pv1")}, {})
    volumes = {"pv1": volume("pv1", node="w1")}
    assert vb.filter_node(bound, node("w1"), volumes, {}) is None
    assert vb.filter_node(bound, node("w2"), volumes, {}) == vb.NODE_CONFLICT
    classes = {"manual": {"volumeBindingMode": "WaitForFirstConsumer", "provisioner": vb.NO_PROVISIONER}}
    waiting = vb.pre_filter(pod, {"d": claim("d", cls="manual")}, classes)
    assert vb.filter_node(waiting, node("w1"), {}, classes) == vb.NO_VOLUME
    selected = vb.pre_filter(pod, {"d": claim("d", cls="standard", annotations={vb.SELECTED_NODE: "w1"})},
                             {"standard": {"volumeBindingMode": "WaitForFirstConsumer", "provisioner": "p"}})
    assert vb.filter_node(selected, node("w2"), {}, {"standard": {"provisioner": "p"}}) == vb.NO_VOLUME
