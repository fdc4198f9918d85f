"""The tables of issue 11's apps kinds, as printers.go prints them: StatefulSets, DaemonSets, ReplicationControllers,
ControllerRevisions, PersistentVolumes, PersistentVolumeClaims, StorageClasses and PriorityClasses."""
from tests.unit.printers.test_tables import cells, headers, make, meta

TEMPLATE = {"spec": {"containers": [{"name": "redis", "image": "redis:7.4"}], "nodeSelector": {"disk": "ssd"}}}


def test_stateful_set_ready_over_desired_then_age():
    t = make("statefulsets", "apps", objects=[{"metadata": meta("cache"), "spec": {"replicas": 3, "template": TEMPLATE},
                                               "status": {"readyReplicas": 2}}])
    assert headers(t) == ["Name", "Ready", "Age", "Containers", "Images"]
    assert cells(t) == ["cache", "2/3", "60s", "redis", "redis:7.4"]


def test_daemon_set_counts_and_node_selector():
    status = {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 1, "updatedNumberScheduled": 2,
              "numberAvailable": 1}
    t = make("daemonsets", "apps", objects=[{"metadata": meta("agent"), "spec": {
        "template": TEMPLATE, "selector": {"matchLabels": {"app": "agent"}}}, "status": status}])
    assert headers(t) == ["Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age",
                          "Containers", "Images", "Selector"]
    assert cells(t) == ["agent", 2, 2, 1, 2, 1, "disk=ssd", "60s", "redis", "redis:7.4", "app=agent"]
    empty = make("daemonsets", "apps", objects=[{"metadata": meta("x"), "spec": {}}])
    assert cells(empty)[6] == "<none>"


def test_replication_controller_and_its_equality_selector():
    t = make("replicationcontrollers", objects=[{"metadata": meta("old"), "spec": {
        "replicas": 2, "selector": {"app": "old", "tier": "web"}, "template": TEMPLATE}, "status": {"replicas": 2}}])
    assert headers(t) == ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"]
    assert cells(t) == ["old", 2, 2, 0, "60s", "redis", "redis:7.4", "app=old,tier=web"]


def test_controller_revision_names_its_controller_with_its_group():
    owner = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "cache", "uid": "u", "controller": True}]
    t = make("controllerrevisions", "apps", objects=[{"metadata": meta("cache-7d9f", ownerReferences=owner),
                                                      "revision": 3}])
    assert headers(t) == ["Name", "Controller", "Revision", "Age"]
    assert cells(t) == ["cache-7d9f", "statefulset.apps/cache", 3, "60s"]


def test_persistent_volume_and_claim():
    pv = {"metadata": meta("pvc-1"), "spec": {"capacity": {"storage": "1Gi"}, "accessModes": [
        "ReadWriteMany", "ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "standard",
        "claimRef": {"namespace": "containo", "name": "data-cache-0"}, "volumeMode": "Filesystem"},
        "status": {"phase": "Bound"}}
    t = make("persistentvolumes", objects=[pv])
    assert headers(t) == ["Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass",
                          "VolumeAttributesClass", "Reason", "Age", "VolumeMode"]
    assert cells(t) == ["pvc-1", "1Gi", "RWO,RWX", "Delete", "Bound", "containo/data-cache-0", "standard", "<unset>",
                        "", "60s", "Filesystem"]
    pending = {"metadata": meta("data"), "spec": {"storageClassName": "standard", "volumeMode": "Filesystem"},
               "status": {"phase": "Pending"}}
    bound = {"metadata": meta("data2", deletionTimestamp="2030-01-01T00:00:00Z"),
             "spec": {"volumeName": "pvc-1", "storageClassName": "standard"},
             "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"]}}
    t = make("persistentvolumeclaims", objects=[pending, bound])
    assert headers(t) == ["Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass",
                          "VolumeAttributesClass", "Age", "VolumeMode"]
    assert cells(t, 0) == ["data", "Pending", "", "", "", "standard", "<unset>", "60s", "Filesystem"]
    assert cells(t, 1) == ["data2", "Terminating", "pvc-1", "1Gi", "RWO", "standard", "<unset>", "60s", "<unset>"]


def test_storage_class_marks_the_default_and_priority_class_shows_its_policy():
    sc = {"metadata": meta("standard", annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
          "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"}
    t = make("storageclasses", "storage.k8s.io", objects=[sc])
    assert headers(t) == ["Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"]
    assert cells(t) == ["standard (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", False, "60s"]
    pc = {"metadata": meta("system-node-critical"), "value": 2000001000, "preemptionPolicy": "PreemptLowerPriority"}
    t = make("priorityclasses", "scheduling.k8s.io", objects=[pc])
    assert headers(t) == ["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]
    assert cells(t) == ["system-node-critical", 2000001000, False, "60s", "PreemptLowerPriority"]
