"""PersistentVolumes, PersistentVolumeClaims, StorageClasses and PriorityClasses through real kubectl and the Python
client: kind's `standard` class binds a claim once a pod using it is scheduled (Pending with WaitForFirstConsumer
until then) and deletes the volume with the claim; a claim without a class binds a matching volume made by hand and
releases it; claims in use are protected; the scheduler's VolumeBinding rejections; the Priority admission."""
from __future__ import annotations

import pytest
from kubernetes import client, watch

from tests.sandbox.apps_kinds_harness import apply, events, get, items, kubectl_ok, names, wait_for
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox


def claim(name="data", cls: str | None = None, size="1Gi") -> str:
    class_line = f"\n  storageClassName: \"{cls}\"" if cls is not None else ""
    return f"""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: {name}, labels: {{app: store}}}}
spec:{class_line}
  accessModes: [ReadWriteOnce]
  resources: {{requests: {{storage: {size}}}}}
"""


def pod_using(name="user", claim_name="data") -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  containers: [{{name: c, image: nginx, volumeMounts: [{{name: v, mountPath: /data}}]}}]
  volumes: [{{name: v, persistentVolumeClaim: {{claimName: {claim_name}}}}}]
"""


def test_a_claim_waits_for_its_first_consumer_then_is_provisioned_and_deleted_with_its_volume(sandbox_process,
                                                                                                fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    apply(sandbox, ns, claim())
    wait_until(lambda: any(e["reason"] == "WaitForFirstConsumer" for e in events(sandbox, ns)), timeout=60,
               interval=0.2, what="the WaitForFirstConsumer event")
    event = next(e for e in events(sandbox, ns) if e["reason"] == "WaitForFirstConsumer")
    assert (event["type"], event["message"], event["source"]["component"]) == (
        "Normal", "waiting for first consumer to be created before binding", "persistentvolume-controller")
    table = kubectl_ok(sandbox, "-n", ns, "get", "pvc", "data").splitlines()
    assert table[1].split()[:2] == ["data", "Pending"] and table[1].split()[2] == "standard"
    apply(sandbox, ns, pod_using())
    pod = wait_for(sandbox, ns, ("pod", "user"), lambda p: p["status"].get("phase") == "Running", "the pod running")
    bound = get(sandbox, ns, "pvc", "data")
    assert bound["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"}}
    assert bound["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == pod["spec"]["nodeName"]
    volume = get(sandbox, None, "pv", bound["spec"]["volumeName"])
    assert volume["metadata"]["annotations"] == {"local.path.provisioner/selected-node": pod["spec"]["nodeName"],
                                                 "pv.kubernetes.io/provisioned-by": "rancher.io/local-path"}
    assert volume["metadata"]["finalizers"] == ["kubernetes.io/pv-protection"]
    reasons = [e["reason"] for e in events(sandbox, ns) if e["involvedObject"]["name"] == "data"]
    assert {"ExternalProvisioning", "Provisioning", "ProvisioningSucceeded"} <= set(reasons)
    kubectl_ok(sandbox, "-n", ns, "delete", "pvc", "data", "--wait=false")
    in_use = get(sandbox, ns, "pvc", "data")
    assert in_use["metadata"]["deletionTimestamp"] and in_use["metadata"]["finalizers"] == [
        "kubernetes.io/pvc-protection"]
    assert kubectl_ok(sandbox, "-n", ns, "get", "pvc", "data").splitlines()[1].split()[1] == "Terminating"
    kubectl_ok(sandbox, "-n", ns, "delete", "pod", "user")
    wait_until(lambda: not items(sandbox, ns, "pvc") and sandbox.kubectl("get", "pv", volume["metadata"]["name"])
               .returncode != 0, timeout=90, interval=0.2, what="the claim and its volume (reclaim Delete) gone")


def test_a_claim_without_a_class_binds_a_volume_made_by_hand_and_releases_it(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    apply(sandbox, ns, claim("lonely", cls=""))
    wait_until(lambda: any(e["reason"] == "FailedBinding" for e in events(sandbox, ns)), timeout=60, interval=0.2,
               what="FailedBinding for a claim no volume fits")
    assert next(e for e in events(sandbox, ns) if e["reason"] == "FailedBinding")["message"] == \
        "no persistent volumes available for this claim and no storage class is set"
    volume = f"manual-{ns}"
    with sandbox_process.api_client() as api:
        core = client.CoreV1Api(api)
        created = core.create_persistent_volume(client.V1PersistentVolume(
            metadata=client.V1ObjectMeta(name=volume, labels={"owner": ns}),
            spec=client.V1PersistentVolumeSpec(access_modes=["ReadWriteOnce", "ReadWriteMany"],
                                               capacity={"storage": "5Gi"},
                                               host_path=client.V1HostPathVolumeSource(path="/mnt/data"))))
        assert (created.status.phase, created.spec.persistent_volume_reclaim_policy) == ("Pending", "Retain")
        assert [v.metadata.name for v in core.list_persistent_volume(label_selector=f"owner={ns}").items] == [volume]
        stream = watch.Watch().stream(core.list_persistent_volume, field_selector=f"metadata.name={volume}",
                                      resource_version=created.metadata.resource_version, timeout_seconds=60)
        phases = []
        for event in stream:
            phases.append(event["object"].status.phase)
            if phases[-1] == "Bound":
                break
        assert phases[0] == "Available" and phases[-1] == "Bound"
        bound = wait_for(sandbox, ns, ("pvc", "lonely"), lambda c: c["status"].get("phase") == "Bound", "bound")
        assert bound["spec"]["volumeName"] == volume and bound["status"]["capacity"] == {"storage": "5Gi"}
        annotations = bound["metadata"]["annotations"]
        assert (annotations["pv.kubernetes.io/bind-completed"], annotations["pv.kubernetes.io/bound-by-controller"]) \
            == ("yes", "yes")
        row = kubectl_ok(sandbox, "get", "pv", volume).splitlines()[1].split()
        assert row[:7] == [volume, "5Gi", "RWO,RWX", "Retain", "Bound", f"{ns}/lonely", "<unset>"]
        core.patch_persistent_volume(volume, {"metadata": {"labels": {"tier": "manual"}}})
        kubectl_ok(sandbox, "-n", ns, "delete", "pvc", "lonely")
        wait_for(sandbox, None, ("pv", volume), lambda v: v["status"]["phase"] == "Released", "the volume Released")
        core.delete_persistent_volume(volume)
        wait_until(lambda: sandbox.kubectl("get", "pv", volume).returncode != 0, timeout=60, interval=0.2,
                   what="the released volume deleted")


def test_the_scheduler_refuses_a_pod_whose_claim_does_not_exist(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    apply(sandbox, ns, pod_using("orphan", "missing"))
    wait_until(lambda: any(e["reason"] == "FailedScheduling" for e in events(sandbox, ns)), timeout=60,
               interval=0.2, what="FailedScheduling")
    message = next(e for e in events(sandbox, ns) if e["reason"] == "FailedScheduling")["message"]
    nodes = len(items(sandbox, None, "nodes"))
    assert message == (f'0/{nodes} nodes are available: persistentvolumeclaim "missing" not found. preemption: '
                       f'0/{nodes} nodes are available: {nodes} Preemption is not helpful for scheduling.')
    apply(sandbox, ns, claim("missing"))
    wait_for(sandbox, ns, ("pod", "orphan"), lambda p: p["spec"].get("nodeName"), "the pod scheduled once it exists")


def test_storage_classes_through_the_client_and_the_default_class(sandbox_process):
    with sandbox_process.api_client() as api:
        storage = client.StorageV1Api(api)
        standard = storage.read_storage_class("standard")
        assert (standard.provisioner, standard.volume_binding_mode, standard.reclaim_policy) == (
            "rancher.io/local-path", "WaitForFirstConsumer", "Delete")
        name = "fast-test"
        storage.create_storage_class(client.V1StorageClass(metadata=client.V1ObjectMeta(name=name, labels={"t": "x"}),
                                                           provisioner="example.com/fast"))
        made = storage.read_storage_class(name)
        assert (made.reclaim_policy, made.volume_binding_mode) == ("Delete", "Immediate")
        assert [c.metadata.name for c in storage.list_storage_class(label_selector="t=x").items] == [name]
        storage.patch_storage_class(name, {"allowVolumeExpansion": True})
        with pytest.raises(client.ApiException) as e:
            storage.patch_storage_class(name, {"provisioner": "example.com/other"})
        assert e.value.status == 422 and "provisioner: Forbidden: updates to provisioner are forbidden." in e.value.body
        table = sandbox_process.kubectl("get", "sc").stdout.splitlines()
        assert table[0].split() == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE",
                                    "ALLOWVOLUMEEXPANSION", "AGE"]
        assert next(line for line in table if line.startswith(name)).split()[1:5] == [
            "example.com/fast", "Delete", "Immediate", "true"]
        assert "standard (default)" in "\n".join(table)
        storage.delete_storage_class(name)


def test_priority_classes_and_the_priority_admission(sandbox_process, fresh_namespace):
    sandbox, ns = sandbox_process, fresh_namespace
    result = sandbox.kubectl("-n", ns, "run", "vip", "--image=nginx", "--overrides",
                             '{"spec":{"priorityClassName":"gold"}}')
    assert result.returncode == 1
    assert 'Error from server (Forbidden): pods "vip" is forbidden: no PriorityClass with name gold was found' in \
        result.stderr
    table = kubectl_ok(sandbox, "get", "pc").splitlines()
    assert table[0].split() == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
    rows = {line.split()[0]: line.split() for line in table[1:]}
    assert rows["system-cluster-critical"][1:3] == ["2000000000", "false"]
    assert rows["system-node-critical"][1:3] == ["2000001000", "false"]
    name = f"gold-{ns}"
    with sandbox_process.api_client() as api:
        scheduling = client.SchedulingV1Api(api)
        scheduling.create_priority_class(client.V1PriorityClass(metadata=client.V1ObjectMeta(name=name), value=1000,
                                                                preemption_policy="Never", description="for tests"))
        kubectl_ok(sandbox, "-n", ns, "run", "vip", "--image=nginx", "--overrides",
                   f'{{"spec":{{"priorityClassName":"{name}"}}}}')
        pod = get(sandbox, ns, "pod", "vip")
        assert (pod["spec"]["priority"], pod["spec"]["preemptionPolicy"]) == (1000, "Never")
        scheduling.patch_priority_class(name, {"description": "changed"})
        with pytest.raises(client.ApiException) as e:
            scheduling.patch_priority_class(name, {"value": 5})
        assert e.value.status == 422 and "value: Forbidden: may not be changed in an update." in e.value.body
        with pytest.raises(client.ApiException) as e:
            scheduling.delete_priority_class("system-cluster-critical")
        assert e.value.status == 403
        scheduling.delete_priority_class(name)
    assert names([p for p in items(sandbox, None, "pc") if p["metadata"]["name"].startswith("system-")]) == [
        "system-cluster-critical", "system-node-critical"]
