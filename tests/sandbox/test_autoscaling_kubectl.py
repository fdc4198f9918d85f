"""Chapter 06 against a started sandbox (python -m sandbox --time-scale 30), driven as a learner would: kubectl
applies the manifests, the simulation controls set the offered load and enqueue orders, kubectl shows the HPA and
the metrics. The API scales up and back down; the worker goes 0 -> N -> 0."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from sandbox import kubeconfig
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"
FILES = ("03-sidecar/api-deployment.yaml", "05-expose/frontend-service.yaml", "05-queue/queue-deployment.yaml",
         "05-queue/queue-service.yaml", "05-queue/worker-deployment.yaml", "06-scaling/api-hpa.yaml",
         "06-scaling/worker-scaledobject.yaml")
NS, API, WORKER = "containo", "containo-orders-frontend", "containo-orders-queue-processor"
TIMEOUT = 120.0


class Simulation:
    """The sandbox's /simulation/v1 controls, with the kubeconfig's credentials."""

    def __init__(self, kubeconfig_path: Path, ca_path: Path):
        config = kubeconfig.read(kubeconfig_path)
        ca_path.write_bytes(config["ca_pem"])
        self.url, self.ca = config["url"] + "/simulation/v1/namespaces/" + NS, str(ca_path)
        self.headers = {"Authorization": f"Bearer {config['token']}"}

    def call(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        return requests.request(method, self.url + path, json=body, headers=self.headers, verify=self.ca, timeout=30)


def until(what: str, predicate, debug, timeout: float = TIMEOUT):
    return wait_until(predicate, timeout=timeout, interval=0.2, what=what, debug=debug)


@pytest.fixture
def sandbox(sandbox_factory):
    return sandbox_factory(time_scale=30)


def test_chapter_06_scaling_in_a_started_sandbox(sandbox, tmp_path):
    simulation = Simulation(sandbox.kubeconfig, tmp_path / "ca.crt")
    kubectl = sandbox.kubectl

    def replicas(name: str) -> int:
        result = kubectl("get", "deployment", name, "-n", NS, "-o", "jsonpath={.spec.replicas}")
        return int(result.stdout or -1)

    def ready(name: str) -> int:
        result = kubectl("get", "deployment", name, "-n", NS, "-o", "jsonpath={.status.readyReplicas}")
        return int(result.stdout or 0)

    def state() -> str:
        return kubectl("get", "hpa,deployments,scaledobjects", "-n", NS).stdout + sandbox.log()[-2000:]

    def wait(what: str, predicate) -> None:
        until(what, predicate, state)

    assert kubectl("create", "namespace", NS).returncode == 0
    for name in FILES:
        result = kubectl("apply", "-n", NS, "-f", str(MANIFESTS / name))
        assert result.returncode == 0, result.stderr
    assert kubectl("scale", "deployment", WORKER, "-n", NS, "--replicas=0").returncode == 0

    wait("the API pods", lambda: ready(API) == 2)
    wait("the HPA's first metrics", lambda: "<unknown>" not in kubectl("get", "hpa", API, "-n", NS).stdout
         and "%" in kubectl("get", "hpa", API, "-n", NS).stdout)
    top = kubectl("top", "pods", "-n", NS, "-l", "service=api")
    assert top.returncode == 0 and API in top.stdout, top.stderr

    assert simulation.call("PUT", f"/load/services/{API}", {"requestsPerSecond": 300}).status_code == 200
    wait("the API to scale up", lambda: replicas(API) > 2)
    assert simulation.call("PUT", f"/load/services/{API}", {"requestsPerSecond": 0}).status_code == 200
    wait("the API to scale back down", lambda: replicas(API) == 2)
    described = kubectl("describe", "hpa", API, "-n", NS).stdout
    assert "SuccessfulRescale" in described and "above target" in described

    wait("the queue", lambda: ready("containo-orders-queue") == 1)
    pushed = simulation.call("POST", "/queues/orders/orders", {"count": 60})
    assert pushed.status_code == 201 and pushed.json()["length"] == 60
    wait("KEDA to wake the worker", lambda: replicas(WORKER) >= 1)
    wait("the worker to scale out", lambda: replicas(WORKER) > 1)
    wait("the queue to drain", lambda: simulation.call("GET", "/queues/orders").json()["length"] == 0)
    wait("the worker back at zero", lambda: replicas(WORKER) == 0)
    so = json.loads(kubectl("get", "scaledobject", WORKER, "-n", NS, "-o", "json").stdout)
    assert so["status"]["hpaName"] == f"keda-hpa-{WORKER}"
    # Events are written in the background, a moment after the scale: wait for them as kubectl users would.
    worker_events = lambda: kubectl("get", "events", "-n", NS, "--field-selector",
                                    f"involvedObject.name={WORKER}").stdout
    wait("KEDA's events", lambda: "KEDAScaleTargetDeactivated" in worker_events())
    assert "KEDAScaleTargetActivated" in worker_events()
