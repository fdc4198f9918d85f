"""Chapter 06 end to end against a started sandbox (python -m sandbox --time-scale 20), in a learner's namespace, as
the notebook drives it: helpers make the load and the orders and watch; the official client and kubectl check what
the cluster says. Under load the API scales up, then back down; 40 orders take the worker from 0 to 5 and back."""
from __future__ import annotations

import json
import uuid

import pytest
from kubernetes import client

import helpers
from helpers.apply import apply  # not helpers.apply: once imported, the submodule shadows the lazy name
from helpers.wait import TimedOut
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

API, WORKER = "containo-orders-frontend", "containo-orders-queue-processor"
TIMEOUT = 180  # generous: the machine is shared


@pytest.fixture(scope="module")
def chapter6(sandbox_process):
    """A learner's namespace in the state chapter 06 starts from; (connection, official ApiClient)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKSHOP_TIME_SCALE", str(sandbox_process.time_scale))  # the charts' time axis
        conn = helpers.connect(context="workshop-sandbox", kubeconfig=str(sandbox_process.kubeconfig),
                               learner=f"s{uuid.uuid4().hex[:8]}")
        helpers.ensure_chapter(6, timeout=TIMEOUT)
        with sandbox_process.api_client() as api_client:
            yield conn, api_client
        sandbox_process.kubectl("delete", "namespace", conn.namespace, "--wait=false")
        helpers.disconnect()


def kubectl(sandbox_process, conn, *args: str) -> str:
    done = sandbox_process.kubectl("-n", conn.namespace, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_api_scales_up_under_load_and_back_down(chapter6, sandbox_process, capsys):
    conn, api_client = chapter6
    ns, autoscaling = conn.namespace, client.AutoscalingV2Api(api_client)
    apply("manifests/06-scaling/api-hpa.yaml")
    helpers.wait_for_autoscaler(timeout=TIMEOUT)
    assert "reads its metrics: cpu 2%/50%, memory 41%/80%" in capsys.readouterr().out

    helpers.generate_load(200)
    assert capsys.readouterr().out.startswith("[simulation] 200 requests/s offered to service/" + API)
    run = helpers.watch_scaling(API, until=lambda s: s.ready == 6 and s.metric < 50, timeout=TIMEOUT)
    hpa = autoscaling.read_namespaced_horizontal_pod_autoscaler(API, ns)
    assert (hpa.status.current_replicas, hpa.status.desired_replicas) == (6, 6)
    assert {m.resource.name: m.resource.current.average_utilization for m in hpa.status.current_metrics} == {
        "cpu": 48, "memory": 55}
    assert "cpu: 48%/50%, memory: 55%/80%" in kubectl(sandbox_process, conn, "get", "hpa", API)
    # The workload model behind metrics.k8s.io: 200 requests/s over 6 pods, 2m + 1m per request/s per container.
    pod_metrics = json.loads(kubectl(sandbox_process, conn, "get", "--raw",
                                     f"/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods"))
    api_cpu = {c["usage"]["cpu"] for p in pod_metrics["items"] if p["metadata"]["labels"].get("service") == "api"
               for c in p["containers"]}
    assert api_cpu == {"35333333n"}
    first = run.decisions[0]
    assert (first["currentReplicas"], first["currentMetrics"][0]["resource"]["current"]["averageUtilization"]) == (
        2, 136)
    events = client.CoreV1Api(api_client).list_namespaced_event(
        ns, field_selector=f"involvedObject.name={API},reason=SuccessfulRescale").items
    assert "New size: 6; reason: cpu resource utilization (percentage of request) above target" in [
        e.message for e in events]

    helpers.stop_load()
    run = helpers.watch_scaling(API, replicas=2, previous=run, timeout=TIMEOUT)
    path = run.path()
    # Down one stabilization window at a time, memory (41% at rest) deciding: ceil(6 x 41/80) = 4, then 3, then 2.
    assert path[0] == 2 and max(path) == 6 and path[-3:] == [4, 3, 2], path
    assert client.AppsV1Api(api_client).read_namespaced_deployment(API, ns).spec.replicas == 2
    run.summary()
    assert capsys.readouterr().out.splitlines()[-1] == "  peak 6 replicas, now 2"


def test_orders_take_the_worker_from_zero_to_five_and_back_to_zero(chapter6, sandbox_process, capsys):
    conn, api_client = chapter6
    ns = conn.namespace
    apply("manifests/06-scaling/worker-scaledobject.yaml")
    helpers.wait_for_autoscaler(WORKER, kind="ScaledObject", timeout=TIMEOUT)
    kubectl(sandbox_process, conn, "wait", "--for=jsonpath={.spec.replicas}=0", f"deployment/{WORKER}",
            f"--timeout={TIMEOUT}s")
    so = client.CustomObjectsApi(api_client).get_namespaced_custom_object("keda.sh", "v1alpha1", ns, "scaledobjects",
                                                                          WORKER)
    assert so["spec"]["triggers"][0]["metadata"]["address"] == f"containo-orders-queue.{ns}:6379"  # the learner's
    capsys.readouterr()

    helpers.enqueue_orders(40)
    assert "[simulation] 40 orders pushed onto the Redis list 'orders'" in capsys.readouterr().out
    assert 30 <= helpers.queue_length() <= 40  # a woken worker may have taken a few already
    run = helpers.watch_scaling(WORKER, replicas=(5, 0), timeout=TIMEOUT)
    assert run.peak == 5 and run.samples[-1].replicas == 0 and helpers.queue_length() == 0
    assert client.AppsV1Api(api_client).read_namespaced_deployment(WORKER, ns).spec.replicas == 0
    columns = kubectl(sandbox_process, conn, "get", "scaledobject", WORKER, "-o",
                      "custom-columns=READY:.status.conditions[?(@.type=='Ready')].status,"
                      "ACTIVE:.status.conditions[?(@.type=='Active')].status").split()
    assert columns == ["READY", "ACTIVE", "True", "False"]
    reasons = lambda: {e.reason for e in client.CoreV1Api(api_client).list_namespaced_event(
        ns, field_selector=f"involvedObject.name={WORKER},involvedObject.kind=ScaledObject").items}
    # Events are written in the background, a moment after the scale they report.
    wait_until(lambda: {"KEDAScaleTargetActivated", "KEDAScaleTargetDeactivated"} <= reasons(), timeout=TIMEOUT,
               what="KEDA's activation and deactivation events")


def test_mistakes_get_clear_errors(chapter6):
    with pytest.raises(helpers.WorkshopError, match='deployment "nope" not found in namespace containo-s'):
        helpers.watch_scaling("nope", replicas=1, timeout=10)
    with pytest.raises(TimedOut, match=r"replicas 9 not reached after 1s; now \d+ replicas"):
        helpers.watch_scaling(API, replicas=9, timeout=1)
    with pytest.raises(helpers.WorkshopError, match="requests per second must be a non-negative number"):
        helpers.generate_load(-1)
