"""The kind cluster config and the add-ons, checked offline (kind and Docker cannot run on the CI machine)."""
from __future__ import annotations

import re

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
    # the image published with kind v0.33.0 (its release notes: "Images pre-built for this release")
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

