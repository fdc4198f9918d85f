"""The kind cluster config and the add-ons, checked offline (kind and Docker cannot run on the CI machine)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

import manifest_rules as rules
from helpers import kind

CLUSTER_YAML = rules.MANIFESTS / "kind" / "cluster.yaml"
ADDONS = rules.MANIFESTS / "addons"
NODE_IMAGE = re.compile(r"^kindest/node:v1\.37\.\d+@sha256:[0-9a-f]{64}$")

# The fields of kind's v1alpha4 Cluster and Node (sigs.k8s.io/kind/pkg/apis/config/v1alpha4/types.go). kind decodes
# its config strictly, so an unknown or misspelt field is an error there too.
_PATCHES = {"type": "array", "items": {"type": "string"}}
KIND_CLUSTER_SCHEMA = {
    "type": "object",
    "required": ["kind", "apiVersion"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "Cluster"},
        "apiVersion": {"const": "kind.x-k8s.io/v1alpha4"},
        "name": {"type": "string"},
        "featureGates": {"type": "object"},
        "runtimeConfig": {"type": "object"},
        "networking": {"type": "object"},
        "kubeadmConfigPatches": _PATCHES,
        "kubeadmConfigPatchesJSON6902": {"type": "array"},
        "containerdConfigPatches": _PATCHES,
        "containerdConfigPatchesJSON6902": _PATCHES,
        "nodes": {"type": "array", "items": {
            "type": "object",
            "required": ["role"],
            "additionalProperties": False,
            "properties": {
                "role": {"enum": ["control-plane", "worker"]},
                "image": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "extraMounts": {"type": "array"},
                "extraPortMappings": {"type": "array"},
                "kubeadmConfigPatches": _PATCHES,
                "kubeadmConfigPatchesJSON6902": {"type": "array"},
            },
        }},
    },
}


@pytest.fixture(scope="module")
def cluster() -> dict:
    return yaml.safe_load(CLUSTER_YAML.read_text())


def test_kind_config_has_only_kind_fields(cluster):
    jsonschema.validate(cluster, KIND_CLUSTER_SCHEMA)
    broken = {**cluster, "nodes": [{**cluster["nodes"][0], "imagee": "x"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, KIND_CLUSTER_SCHEMA)


def test_kind_cluster_is_one_control_plane_and_two_workers(cluster):
    assert cluster["name"] == kind.CLUSTER == "workshop"
    assert [n["role"] for n in cluster["nodes"]] == ["control-plane", "worker", "worker"]


def test_every_node_runs_the_same_image_pinned_by_digest(cluster):
    images = {n["image"] for n in cluster["nodes"]}
    assert len(images) == 1
    image = images.pop()
    assert NODE_IMAGE.match(image), f"{image} is not kindest/node:v1.37.x@sha256:<digest>"
    # kind v0.33.0's release notes: its default node image, and the v1.37.0 entry of "Images pre-built for this release"
    assert image.endswith("@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5")
    assert kind.addons()["kind"]["minimum"] == "v0.33.0"


def test_addon_versions_are_pinned_and_agree():
    addons = kind.addons()
    ms, keda, lb = addons["metricsServer"], addons["keda"], addons["cloudProviderKind"]
    kustomization = yaml.safe_load((ADDONS / ms["kustomization"] / "kustomization.yaml").read_text())
    assert kustomization["resources"] == [ms["url"]]
    assert f"/download/{ms['version']}/" in ms["url"]
    assert keda["url"].endswith(f"/download/v{keda['version']}/keda-{keda['version']}.yaml")
    assert lb["image"].endswith(f":{lb['version']}")
    for version in (ms["version"], "v" + keda["version"], lb["version"]):
        assert re.fullmatch(r"v\d+\.\d+\.\d+", version), version


# The upstream metrics-server Deployment, reduced to the part the patch touches (its real manifest cannot be
# fetched here): the patch must append to the container's existing args, not replace them.
UPSTREAM_STUB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: metrics-server
  namespace: kube-system
  labels: {k8s-app: metrics-server}
spec:
  selector:
    matchLabels: {k8s-app: metrics-server}
  template:
    metadata:
      labels: {k8s-app: metrics-server}
    spec:
      containers:
      - name: metrics-server
        image: registry.k8s.io/metrics-server/metrics-server:v0.9.0
        args:
        - --cert-dir=/tmp
        - --secure-port=10250
        - --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname
        - --kubelet-use-node-status-port
        - --metric-resolution=15s
"""


def test_metrics_server_kustomization_adds_kubelet_insecure_tls(tmp_path):
    source = ADDONS / "metrics-server" / "kustomization.yaml"
    kustomization = yaml.safe_load(source.read_text())
    kustomization["resources"] = ["upstream.yaml"]  # the release manifest, replaced by the stub offline
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    (tmp_path / "upstream.yaml").write_text(UPSTREAM_STUB)
    [deployment] = rules.render(tmp_path)
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[-1] == "--kubelet-insecure-tls"
    assert args[:-1] == yaml.safe_load(UPSTREAM_STUB)["spec"]["template"]["spec"]["containers"][0]["args"]
    rules.validate(deployment, "1.37.0")



def test_metrics_server_waits_for_the_deployment_its_kustomization_patches():
    """The install applies the kustomization; its patch target is the Deployment the release creates (a wrong name
    there would leave --kubelet-insecure-tls out). The waits and the patch must name the same object."""
    ms = kind.addons()["metricsServer"]
    kustomization = yaml.safe_load((ADDONS / ms["kustomization"] / "kustomization.yaml").read_text())
    [patch] = kustomization["patches"]
    assert [(patch["target"]["namespace"], patch["target"]["name"])] == \
        [(ms["namespace"], name) for name in ms["deployments"]]


def test_every_addon_declares_what_workshop_up_waits_for():
    for addon in kind.WAITED_ADDONS:
        spec = kind.addons()[addon]
        assert spec["namespace"] and spec["deployments"] and spec["apiServices"], addon
        for service in spec["apiServices"]:  # an APIService's name is <version>.<group>
            assert re.fullmatch(r"v1(beta1)?\.[a-z.]+\.k8s\.io", service), service


def release_objects(text: str) -> set[tuple[str, str, str]]:
    """The Deployments and APIServices of a release manifest, as (kind, namespace, name)."""
    return {(doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"])
            for doc in yaml.safe_load_all(text) if doc and doc.get("kind") in ("Deployment", "APIService")}


def declared_objects(addon: str) -> set[tuple[str, str, str]]:
    spec = kind.addons()[addon]
    return ({("Deployment", spec["namespace"], name) for name in spec["deployments"]}
            | {("APIService", "", name) for name in spec["apiServices"]})


def test_release_objects_reads_deployments_and_apiservices():
    text = ("apiVersion: v1\nkind: Namespace\nmetadata: {name: keda}\n---\n"
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: keda}\n---\n"
            "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1beta1.x.k8s.io}\n")
    assert release_objects(text) == {("Deployment", "keda", "a"), ("APIService", "", "v1beta1.x.k8s.io")}


# The pinned release files themselves, downloaded by whoever has a network (see manifests/kind/README.md):
# WORKSHOP_ADDON_RELEASES=<folder> holding each add-on's release file under the name its URL ends with.
RELEASES = os.environ.get("WORKSHOP_ADDON_RELEASES")


@pytest.mark.skipif(not RELEASES, reason="no copy of the pinned release files (set WORKSHOP_ADDON_RELEASES)")
@pytest.mark.parametrize("addon", sorted(kind.WAITED_ADDONS))
def test_declared_objects_are_in_the_pinned_release(addon):
    release = Path(RELEASES) / kind.addons()[addon]["url"].rsplit("/", 1)[1]
    assert declared_objects(addon) <= release_objects(release.read_text())
