"""The remaining kinds of issue 11's apps part through the official client, each the same way: create, list with a
label selector (and its negation), watch from the creation's resourceVersion, patch, delete with a propagation
policy; and one `kubectl get sts,ds,rc,pv,pvc,sc,pc` printing every table at once."""
from __future__ import annotations

import uuid

import pytest
from kubernetes import client, watch

from tests.sandbox.apps_kinds_harness import apply, kubectl_ok

pytestmark = pytest.mark.sandbox


def _claim(name):
    return client.V1PersistentVolumeClaim(metadata=client.V1ObjectMeta(name=name, labels={"kind": "claim"}),
                                          spec=client.V1PersistentVolumeClaimSpec(
                                              access_modes=["ReadWriteOnce"], storage_class_name="manual",
                                              resources=client.V1VolumeResourceRequirements(requests={"storage": "1Gi"})))


def _storage_class(name):
    return client.V1StorageClass(metadata=client.V1ObjectMeta(name=name, labels={"kind": "class"}),
                                 provisioner="example.com/none", volume_binding_mode="WaitForFirstConsumer")


def _priority_class(name):
    return client.V1PriorityClass(metadata=client.V1ObjectMeta(name=name, labels={"kind": "priority"}), value=10)


def _revision(name):
    return client.V1ControllerRevision(metadata=client.V1ObjectMeta(name=name, labels={"kind": "revision"}),
                                       data={"spec": {"template": {"$patch": "replace"}}}, revision=1)


KINDS = {  # name -> (api, create, list, read, patch, delete, body, namespaced)
    "persistentvolumeclaims": (client.CoreV1Api, "persistent_volume_claim", _claim, True),
    "storageclasses": (client.StorageV1Api, "storage_class", _storage_class, False),
    "priorityclasses": (client.SchedulingV1Api, "priority_class", _priority_class, False),
    "controllerrevisions": (client.AppsV1Api, "controller_revision", _revision, True),
}


@pytest.mark.parametrize("plural", sorted(KINDS))
def test_create_list_watch_patch_delete(sandbox_process, fresh_namespace, plural):
    api_class, noun, body, namespaced = KINDS[plural]
    name = f"e2e-{uuid.uuid4().hex[:6]}"
    prefix = "namespaced_" if namespaced else ""
    where = {"namespace": fresh_namespace} if namespaced else {}
    with sandbox_process.api_client() as api_client:
        api = api_class(api_client)
        created = getattr(api, f"create_{prefix}{noun}")(body=body(name), **where)
        label = next(iter(created.metadata.labels.items()))
        listed = getattr(api, f"list_{prefix}{noun}")(label_selector=f"{label[0]}={label[1]}", **where).items
        assert name in [i.metadata.name for i in listed]
        others = getattr(api, f"list_{prefix}{noun}")(label_selector=f"{label[0]}!={label[1]}", **where).items
        assert name not in [i.metadata.name for i in others]
        stream = watch.Watch().stream(getattr(api, f"list_{prefix}{noun}"), timeout_seconds=30,
                                      field_selector=f"metadata.name={name}",
                                      resource_version=created.metadata.resource_version, **where)
        getattr(api, f"patch_{prefix}{noun}")(name=name, body={"metadata": {"annotations": {"seen": "yes"}}}, **where)
        event = next(stream)
        assert event["type"] == "MODIFIED" and event["object"].metadata.annotations == {"seen": "yes"}
        getattr(api, f"delete_{prefix}{noun}")(name=name, propagation_policy="Background", **where)
        for event in stream:
            if event["type"] == "DELETED":
                break
        assert name not in [i.metadata.name for i in getattr(api, f"list_{prefix}{noun}")(**where).items]


def test_one_get_prints_every_table(sandbox_process, fresh_namespace):
    ns = fresh_namespace
    apply(sandbox_process, ns, """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
""")
    out = kubectl_ok(sandbox_process, "-n", ns, "get", "sts,ds,rc,pv,pvc,sc,pc")
    headers = [line.split() for line in out.splitlines() if line.startswith("NAME")]
    assert ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS", "MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS",
            "AGE"] in headers
    assert ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"] in headers
    assert ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"] in headers
    assert "persistentvolumeclaim/data" in out and "storageclass.storage.k8s.io/standard (default)" in out
    assert "priorityclass.scheduling.k8s.io/system-node-critical" in out
