"""The kinds of issue 11's apps part through the Registry, as kube-apiserver takes them: defaults, validation in its
words, the admission plugins (Priority, DefaultStorageClass, StorageObjectInUseProtection, TaintNodesByCondition),
the system PriorityClasses that cannot be deleted, and the scale subresource of ReplicationControllers and
StatefulSets."""
import pytest

from sandbox.machinery.errors import StatusError
from sandbox.registry.bootstrap_classes import bootstrap_classes
from tests.unit.registry.kinds import rt

PODS, NODES = rt("pods"), rt("nodes")
PVCS, PVS = rt("persistentvolumeclaims"), rt("persistentvolumes")
STS, DS = rt("statefulsets", "apps"), rt("daemonsets", "apps")
RCS = rt("replicationcontrollers")
CLASSES, PRIORITIES = rt("storageclasses", "storage.k8s.io"), rt("priorityclasses", "scheduling.k8s.io")
TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


@pytest.fixture
def cluster(registry):
    bootstrap_classes(registry)
    return registry


def causes(error: StatusError) -> list[str]:
    return [f"{c['field']}: {c['message']}" for c in error.details.get("causes", [])]


def test_a_stateful_set_is_defaulted_as_apps_v1_defaults_it(cluster):
    sts = cluster.create(STS, "default", {"metadata": {"name": "web"}, "spec": {
        "serviceName": "web", "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE,
        "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
    spec = sts["spec"]
    assert (spec["replicas"], spec["podManagementPolicy"], spec["revisionHistoryLimit"]) == (1, "OrderedReady", 10)
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    claim = spec["volumeClaimTemplates"][0]
    assert (claim["apiVersion"], claim["kind"], claim["spec"]["volumeMode"], claim["status"]) == (
        "v1", "PersistentVolumeClaim", "Filesystem", {"phase": "Pending"})
    assert sts["metadata"]["generation"] == 1 and "status" not in sts


def test_stateful_set_validation_speaks_kube_apiservers_words(cluster):
    with pytest.raises(StatusError) as e:
        cluster.create(STS, "default", {"metadata": {"name": "web"}, "spec": {
            "selector": {"matchLabels": {"app": "other"}}, "template": TEMPLATE, "podManagementPolicy": "Random",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}}})
    assert causes(e.value) == [
        "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
        "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, "
        "StrVal:\"\"}: cannot be 0",
        "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match "
        "template `labels`"]


def test_only_some_stateful_set_fields_may_change(cluster):
    cluster.create(STS, "default", {"metadata": {"name": "web"}, "spec": {
        "serviceName": "web", "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE}})
    with pytest.raises(StatusError) as e:
        cluster.patch(STS, "default", "web", "application/merge-patch+json", {"spec": {"serviceName": "other"}})
    assert causes(e.value) == ["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', "
                               "'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
                               "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]
    scaled = cluster.patch(STS, "default", "web", "application/merge-patch+json", {"spec": {"replicas": 3}})
    assert scaled["metadata"]["generation"] == 2
    assert cluster.get_scale(STS, "default", "web")["spec"] == {"replicas": 3}


def test_a_daemon_set_counts_its_template_generations(cluster):
    ds = cluster.create(DS, "default", {"metadata": {"name": "agent"}, "spec": {
        "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE}})
    assert ds["metadata"]["annotations"] == {"deprecated.daemonset.template.generation": "1"}
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1,
                                                                                          "maxSurge": 0}}
    more = cluster.patch(DS, "default", "agent", "application/merge-patch+json", {"spec": {"minReadySeconds": 5}})
    assert more["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "1"
    changed = cluster.patch(DS, "default", "agent", "application/strategic-merge-patch+json", {"spec": {"template": {
        "spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}}})
    assert changed["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    assert changed["metadata"]["generation"] == 3
    with pytest.raises(StatusError) as e:
        cluster.patch(DS, "default", "agent", "application/merge-patch+json", {"spec": {"updateStrategy": {
            "rollingUpdate": {"maxSurge": 1}}}})
    assert causes(e.value) == ["spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString"
                               "{Type:0, IntVal:1, StrVal:\"\"}: may not be set when maxUnavailable is non-zero"]


def test_a_replication_controller_takes_its_selector_and_labels_from_its_template_and_scales(cluster):
    rc = cluster.create(RCS, "default", {"metadata": {"name": "old"}, "spec": {"replicas": 2, "template": TEMPLATE}})
    assert rc["spec"]["selector"] == {"app": "web"} and rc["metadata"]["labels"] == {"app": "web"}
    scale = cluster.get_scale(RCS, "default", "old")
    assert scale["spec"] == {"replicas": 2} and scale["status"]["selector"] == "app=web"
    with pytest.raises(StatusError) as e:
        cluster.create(RCS, "default", {"metadata": {"name": "bad"}, "spec": {"selector": {"app": "x"},
                                                                               "template": TEMPLATE}})
    assert causes(e.value) == ["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: "
                               "`selector` does not match template `labels`"]


def test_a_claim_gets_the_default_class_and_the_protection_finalizer(cluster):
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    pvc = cluster.create(PVCS, "default", {"metadata": {"name": "data"}, "spec": spec})
    assert (pvc["spec"]["storageClassName"], pvc["status"], pvc["metadata"]["finalizers"]) == (
        "standard", {"phase": "Pending"}, ["kubernetes.io/pvc-protection"])
    static = cluster.create(PVCS, "default", {"metadata": {"name": "static"}, "spec": {**spec,
                                                                                       "storageClassName": ""}})
    assert static["spec"]["storageClassName"] == ""
    with pytest.raises(StatusError) as e:
        cluster.create(PVCS, "default", {"metadata": {"name": "bad"}, "spec": {"resources": {}}})
    assert causes(e.value) == ["spec.accessModes: Required value: at least 1 access mode is required",
                               "spec.resources[storage]: Required value"]
    with pytest.raises(StatusError) as e:
        cluster.patch(PVCS, "default", "data", "application/merge-patch+json", {"spec": {"accessModes": [
            "ReadWriteMany"]}})
    assert causes(e.value)[0].startswith("spec: Forbidden: spec is immutable after creation except "
                                         "resources.requests and volumeAttributesClassName for bound claims")


def test_a_volume_is_created_pending_with_its_defaults_and_protection(cluster):
    pv = cluster.create(PVS, None, {"metadata": {"name": "pv1"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "5Gi"}, "hostPath": {"path": "/data"}}})
    assert pv["status"]["phase"] == "Pending" and pv["status"]["lastPhaseTransitionTime"]
    assert (pv["spec"]["persistentVolumeReclaimPolicy"], pv["spec"]["volumeMode"], pv["spec"]["hostPath"]) == (
        "Retain", "Filesystem", {"path": "/data", "type": ""})
    assert pv["metadata"]["finalizers"] == ["kubernetes.io/pv-protection"]
    with pytest.raises(StatusError) as e:
        cluster.create(PVS, None, {"metadata": {"name": "pv2"}, "spec": {"capacity": {"storage": "1Gi"}}})
    assert causes(e.value) == ["spec.accessModes: Required value", "spec: Required value: must specify a volume type"]


def test_the_priority_admission_resolves_the_class_and_refuses_an_unknown_one(cluster):
    container = [{"name": "c", "image": "nginx"}]
    pod = cluster.create(PODS, "default", {"metadata": {"name": "critical"}, "spec": {
        "priorityClassName": "system-cluster-critical", "containers": container}})
    assert (pod["spec"]["priority"], pod["spec"]["preemptionPolicy"]) == (2000000000, "PreemptLowerPriority")
    with pytest.raises(StatusError) as e:
        cluster.create(PODS, "default", {"metadata": {"name": "x"}, "spec": {"priorityClassName": "gold",
                                                                              "containers": container}})
    assert (e.value.code, e.value.message) == (403, 'pods "x" is forbidden: no PriorityClass with name gold was found')
    cluster.create(PRIORITIES, None, {"metadata": {"name": "normal"}, "value": 1000, "globalDefault": True,
                                      "preemptionPolicy": "Never"})
    plain = cluster.create(PODS, "default", {"metadata": {"name": "plain"}, "spec": {"containers": container}})
    assert (plain["spec"]["priorityClassName"], plain["spec"]["priority"], plain["spec"]["preemptionPolicy"]) == (
        "normal", 1000, "Never")
    with pytest.raises(StatusError) as e:
        cluster.create(PRIORITIES, None, {"metadata": {"name": "second"}, "value": 1, "globalDefault": True})
    assert e.value.message == ('priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass normal is '
                               'already marked as default. Only one default can exist')


def test_system_priority_classes_are_reserved_and_cannot_be_deleted(cluster):
    with pytest.raises(StatusError) as e:
        cluster.delete(PRIORITIES, None, "system-node-critical")
    assert (e.value.code, e.value.message) == (403, 'priorityclasses.scheduling.k8s.io "system-node-critical" is '
                                                     'forbidden: this is a system priority class and cannot be deleted')
    with pytest.raises(StatusError) as e:
        cluster.create(PRIORITIES, None, {"metadata": {"name": "system-mine"}, "value": 5})
    assert causes(e.value) == ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved "
                               "for system use only. error: system-mine is not a known system priority class"]
    with pytest.raises(StatusError) as e:
        cluster.create(PRIORITIES, None, {"metadata": {"name": "huge"}, "value": 2000000000})
    assert causes(e.value) == ["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"]


def test_a_new_node_is_tainted_not_ready_by_admission(cluster):
    node = cluster.create(NODES, None, {"metadata": {"name": "mine"}})
    assert node["spec"]["taints"] == [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]


def test_the_default_class_is_kinds_standard(cluster):
    sc = cluster.get(CLASSES, None, "standard")
    assert (sc["provisioner"], sc["reclaimPolicy"], sc["volumeBindingMode"]) == (
        "rancher.io/local-path", "Delete", "WaitForFirstConsumer")
    assert sc["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
