"""A pod's volumes on this machine: a claim bound to a hostPath volume and a hostPath volume under the node's
directory, an emptyDir in the pod's own, and each container's mounts linked at their mountPath inside its directory."""
from sandbox.kubelet.launch import volume_directories, working_directory
from sandbox.runtime import catalogue
from sandbox.simulation import images


def test_volumes_are_found_and_made_and_mounts_are_linked(tmp_path):
    pod = {"metadata": {"namespace": "shop", "name": "redis-0"}, "spec": {"volumes": [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data-redis-0"}},
        {"name": "host", "hostPath": {"path": "/srv/shared"}},
        {"name": "scratch", "emptyDir": {}},
        {"name": "unbound", "persistentVolumeClaim": {"claimName": "nothing"}}]}}
    claims = {("shop", "data-redis-0"): {"spec": {"volumeName": "pvc-1"}}}
    pvs = {"pvc-1": {"spec": {"hostPath": {"path": "/var/local-path-provisioner/pvc-1_shop_data-redis-0"}}}}
    node_root, scratch = tmp_path / "nodes" / "w1", tmp_path / "pods" / "uid"
    found = volume_directories(pod, node_root, scratch, lambda ns, name: claims.get((ns, name)), pvs.get)
    assert found == {"data": node_root / "var/local-path-provisioner/pvc-1_shop_data-redis-0",
                     "host": node_root / "srv/shared", "scratch": scratch / "volumes" / "scratch"}
    assert all(path.is_dir() for path in found.values())
    image = catalogue.lookup(images.parse("redis:7.4"))
    cwd = working_directory(image, {"name": "redis", "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
                            scratch, found)
    assert cwd.resolve() == found["data"].resolve()
    (cwd / "dump.rdb").write_text("saved")
    assert (found["data"] / "dump.rdb").read_text() == "saved"
