"""Sandboxes with the process runtime for this folder's tests (one per module, time scale 10: back-offs and probe
periods run ten times faster, process start-up stays real): `runtime_sandbox` empty, `app_sandbox` running the whole
orders app from manifests/. Small helpers read pods through kubectl, render manifests/ with `kubectl kustomize`,
and make HTTP requests from a process with the pod network's host mode (host_client.py), as the notebook kernel
does, so the test process keeps its own sockets untouched."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, SandboxProcess
from tests.waiting import wait_until

TIME_SCALE = 10


@pytest.fixture(scope="module")
def runtime_sandbox(tmp_path_factory):
    sandbox = SandboxProcess(tmp_path_factory.mktemp("runtime"), ["--runtime", "process"], TIME_SCALE).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def app_sandbox(tmp_path_factory):
    """A sandbox of its own running the whole orders app (`kubectl apply -k manifests`): two API pods, both
    Redises, the worker Deployment that KEDA scales from 0, the LoadBalancer Service."""
    sandbox = SandboxProcess(tmp_path_factory.mktemp("app"), ["--runtime", "process"], TIME_SCALE).start()
    try:
        result = sandbox.kubectl("apply", "-k", str(REPO / "manifests"))
        assert result.returncode == 0, result.stderr
        wait_ready(sandbox, APP_NAMESPACE, "service=api", count=2)
        wait_ready(sandbox, APP_NAMESPACE, "service in (cache, queue)", count=2)
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def namespace(runtime_sandbox):
    name = f"rt-{uuid.uuid4().hex[:8]}"
    assert runtime_sandbox.kubectl("create", "namespace", name).returncode == 0
    yield name
    runtime_sandbox.kubectl("delete", "namespace", name, "--wait=false")


def pod(sandbox, namespace: str, name: str) -> dict:
    result = sandbox.kubectl("-n", namespace, "get", "pod", name, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def container_status(sandbox, namespace: str, name: str, container: str) -> dict:
    status = pod(sandbox, namespace, name).get("status") or {}
    for entry in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        if entry["name"] == container:
            return entry
    return {}


def wait_for_pod(sandbox, namespace: str, name: str, condition, what: str, timeout: float = 90) -> dict:
    return wait_until(lambda: p if condition(p := pod(sandbox, namespace, name)) else None, timeout=timeout,
                      interval=0.2, what=what, debug=lambda: json.dumps(pod(sandbox, namespace, name).get("status"),
                                                                        indent=1))


def python_pod(name: str, code: str, restart: str = "Always", extra: str = "") -> str:
    """A one-container pod of the python image running `code` (`extra`: more of the container's YAML)."""
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  restartPolicy: {restart}
  containers:
    - name: main
      image: python:3.11-slim
      command: ["python", "-c", {code!r}]
{extra}"""


def apply(sandbox, namespace: str, manifest: str) -> None:
    result = sandbox.kubectl("-n", namespace, "apply", "-f", "-", input=manifest)
    assert result.returncode == 0, result.stderr


# the orders app, from manifests/ ---------------------------------------------------------------------------------
APP_NAMESPACE = "containo"  # where manifests/ puts everything (its components/namespace)
HOST_CLIENT = Path(__file__).with_name("host_client.py")


def rendered(folder: str) -> list[dict]:
    """The documents of a manifests/ folder as `kubectl kustomize` renders them."""
    result = subprocess.run(["kubectl", "kustomize", str(REPO / "manifests" / folder)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def template_as_pod(folder: str, deployment: str, name: str) -> dict:
    """A Deployment's pod template from manifests/ as a bare Pod named `name` (its labels kept)."""
    found = next(d for d in rendered(folder) if d["kind"] == "Deployment" and d["metadata"]["name"] == deployment)
    template = copy.deepcopy(found["spec"]["template"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {**template["metadata"], "name": name},
            "spec": template["spec"]}


def apply_documents(sandbox, namespace: str, documents: list[dict]) -> None:
    apply(sandbox, namespace, yaml.safe_dump_all(documents))


def apply_folders(sandbox, *folders: str) -> None:
    for folder in folders:
        result = sandbox.kubectl("apply", "-k", str(REPO / "manifests" / folder))
        assert result.returncode == 0, result.stderr


def pods(sandbox, namespace: str, selector: str) -> list[dict]:
    result = sandbox.kubectl("-n", namespace, "get", "pods", "-l", selector, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["items"]


def is_ready(p: dict) -> bool:
    return not p["metadata"].get("deletionTimestamp") and any(
        c["type"] == "Ready" and c["status"] == "True" for c in (p.get("status") or {}).get("conditions") or [])


def wait_ready(sandbox, namespace: str, selector: str, count: int = 1, timeout: float = 120) -> list[dict]:
    """The pods of `selector` once `count` of them are Ready (and none other is left over)."""
    def ready():
        found = pods(sandbox, namespace, selector)
        live = [p for p in found if not p["metadata"].get("deletionTimestamp")]
        return live if len(live) == count and all(is_ready(p) for p in live) else None
    return wait_until(ready, timeout=timeout, interval=0.2, what=f"{count} ready pod(s) of {selector}",
                      debug=lambda: json.dumps([p.get("status") for p in pods(sandbox, namespace, selector)]))


def load_balancer_url(sandbox, namespace: str, service: str) -> str:
    """http://<the LoadBalancer's address>:<port>, once cloud-provider-kind's stand-in has given one."""
    def address():
        result = sandbox.kubectl("-n", namespace, "get", "service", service, "-o", "json")
        found = json.loads(result.stdout) if result.returncode == 0 else {}
        ingress = ((found.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        return f"http://{ingress[0]['ip']}:{found['spec']['ports'][0]['port']}" if ingress else None
    return wait_until(address, timeout=60, interval=0.2, what=f"a load-balancer address for {service}")


def host_requests(sandbox, requests: list[dict], concurrency: int = 1) -> list[dict]:
    """[{status, body}] of HTTP requests made from a host-mode process (host_client.py)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, str(HOST_CLIENT), str(sandbox.kubeconfig)], capture_output=True,
                            text=True, timeout=120, env=env, cwd=REPO,
                            input=json.dumps({"requests": requests, "concurrency": concurrency}))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def order(amount: float = 42, customer: str = "ada") -> dict:
    return {"amount": amount, "customerName": customer, "productId": "keyboard"}
