"""Every manifest validates against the Kubernetes JSON schemas (strict: unknown fields fail), as written and as
`kubectl kustomize` renders it. The KEDA ScaledObject, a CRD kubernetes-validate has no schema for, is checked
against keda_scaledobject.schema.json (written from KEDA's CRD)."""
from __future__ import annotations

import copy

import jsonschema
import pytest

import manifest_rules as rules

FILES = rules.app_yaml_files()
KUSTOMIZATIONS = rules.kustomization_dirs()


def rel(path) -> str:
    return str(path.relative_to(rules.MANIFESTS))


def test_the_scenario_is_all_there():
    assert [rel(d) for d in KUSTOMIZATIONS] == [
        ".", "01-namespace", "02-deployment", "03-sidecar", "04-cache", "05-expose", "05-queue", "06-scaling",
        "07-config"]
    kinds = sorted(doc["kind"] for path in FILES for doc in rules.load(path) if path.parent.name != "07-config")
    assert kinds == ["Deployment"] * 5 + ["HorizontalPodAutoscaler", "Namespace", "ScaledObject"] + ["Service"] * 3
    # chapter 07: its ConfigMap, Secret and TriggerAuthentication, and new versions of four Deployments and the
    # ScaledObject (tests/manifests/test_manifests_config.py)
    config = sorted(doc["kind"] for path in FILES for doc in rules.load(path) if path.parent.name == "07-config")
    assert config == ["ConfigMap"] + ["Deployment"] * 4 + ["ScaledObject", "Secret", "TriggerAuthentication"]


@pytest.mark.parametrize("version", rules.SUPPORTED_VERSIONS)
@pytest.mark.parametrize("path", FILES, ids=rel)
def test_file_validates(path, version):
    docs = rules.load(path)
    assert docs, f"{path} holds no object"
    for doc in docs:
        rules.validate(doc, version)


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=rel)
def test_kustomization_renders_and_validates(directory):
    docs = rules.render(directory)
    assert docs
    for doc in docs:
        rules.validate(doc, "1.37.0")
        namespaced = doc["kind"] != "Namespace"
        assert doc["metadata"].get("namespace") == ("containo" if namespaced else None), rules.name_of(doc)


def test_strict_validation_rejects_an_unknown_field():
    deployment = copy.deepcopy(rules.load(rules.MANIFESTS / "02-deployment" / "api-deployment.yaml")[0])
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicie"] = "Always"
    with pytest.raises(jsonschema.ValidationError):
        rules.validate(deployment, "1.37.0")


def scaled_object() -> dict:
    return copy.deepcopy(rules.load(rules.MANIFESTS / "06-scaling" / "worker-scaledobject.yaml")[0])


@pytest.mark.parametrize("breakage", [
    pytest.param(lambda so: so["spec"]["triggers"][0]["metadata"].update(listLength=5), id="number-not-string"),
    pytest.param(lambda so: so["spec"].update(minReplicas=0), id="hpa-field-name"),
    pytest.param(lambda so: so["spec"]["triggers"][0]["metadata"].pop("listName"), id="redis-without-list"),
    pytest.param(lambda so: so["spec"]["triggers"][0]["metadata"].update(address="queue"), id="address-no-port"),
    pytest.param(lambda so: so["spec"].pop("scaleTargetRef"), id="no-target"),
    pytest.param(lambda so: so["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]
                 .update(stabilisationWindowSeconds=1), id="behavior-typo"),
])
def test_keda_schema_rejects_a_broken_scaled_object(breakage):
    so = scaled_object()
    rules.validate(so, "1.37.0")  # the real one passes
    breakage(so)
    with pytest.raises(jsonschema.ValidationError):
        rules.validate(so, "1.37.0")
