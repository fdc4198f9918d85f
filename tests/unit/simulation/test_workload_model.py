"""The workload model: offered load becomes CPU and memory of the ready pods, queued orders drain at the rate of
the ready workers, and both come out of the Registry as metrics.k8s.io objects."""
import pytest

from sandbox.autoscaling import quantities
from sandbox.controllers.simulated_node import SimulatedNode
from sandbox.kubelet.node_server import ProcessNodeConnection
from sandbox.machinery import resources
from sandbox.machinery.errors import StatusError
from sandbox.simulation import controls, workload

POD_METRICS = resources.lookup("metrics.k8s.io", "v1beta1", "pods")
NODE_METRICS = resources.lookup("metrics.k8s.io", "v1beta1", "nodes")
API = {"app": "api"}
WORKER = {"app": "worker"}


def api_container(name="orders-api", port=80):
    return {"name": name, "image": "containo-orders:dev", "ports": [{"containerPort": port}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}


def worker_container(delay="2"):
    return {"name": "queue-processor", "image": "containo-orders:dev",
            "env": [{"name": "QUEUE_NAME", "value": "orders"}, {"name": "WORKER_DELAY_SECONDS", "value": delay}]}


def millicores(item, container=0):
    return quantities.milli_value(item["containers"][container]["usage"]["cpu"])


@pytest.fixture
def model(world):
    world.namespace("containo")
    return workload.attach(world.registry, world.clock)


def test_attach_makes_one_model_the_registrys_metrics_provider(world, model):
    assert world.registry.metrics_provider is model
    assert workload.attach(world.registry, world.clock) is model


def test_load_is_shared_by_the_ready_pods_a_service_selects(world, model):
    world.service("containo", "frontend", API)
    for name in ("api-1", "api-2"):
        world.pod("containo", name, API, [api_container(), api_container("sidecar-no-port", 0) | {"ports": []}])
    world.pod("containo", "api-3", API, [api_container()], ready=False)
    model.set_load("containo", "Service", "frontend", 100)
    items = {i["metadata"]["name"]: i for i in world.registry.list(POD_METRICS, "containo")["items"]}
    p = workload.Profile()
    # 100 requests/s over two ready pods: 50 each; the serving container pays per request, the other idles
    assert millicores(items["api-1"]) == pytest.approx(p.base_millicores + 50 * p.millicores_per_request, abs=1)
    assert millicores(items["api-1"], 1) == pytest.approx(p.base_millicores, abs=1)
    assert millicores(items["api-3"]) == pytest.approx(p.base_millicores, abs=1)  # unready: no traffic
    memory = quantities.milli_value(items["api-2"]["containers"][0]["usage"]["memory"]) / 1000 / 2**20
    assert memory == pytest.approx(p.base_mebibytes + 50 * p.mebibytes_per_request, abs=0.01)
    assert items["api-1"]["metadata"]["labels"] == API and items["api-1"]["window"] == "15s"


def test_metrics_follow_the_label_selector_and_skip_pods_not_yet_scraped(world, model):
    world.pod("containo", "api-1", API, [api_container()])
    world.pod("containo", "other", {"app": "other"}, [api_container()])
    world.pod("containo", "just-started", API, [api_container()], started=1)
    names = [i["metadata"]["name"] for i in world.registry.list(POD_METRICS, "containo", label_selector="app=api")
             ["items"]]
    assert names == ["api-1"]


def test_load_on_a_deployment_and_node_metrics_sum_the_pods(world, model):
    world.deployment("containo", "api", API, [api_container()])
    world.pod("containo", "api-1", API, [api_container()], node="sandbox-worker2")
    model.set_load("containo", "Deployment", "api", 40)
    items = world.registry.list(POD_METRICS, "containo")["items"]
    assert millicores(items[0]) == pytest.approx(2 + 40, abs=1)
    world.registry.create(resources.lookup("", "v1", "nodes"), None, {
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": "sandbox-worker2"}})
    node = world.registry.get(NODE_METRICS, None, "sandbox-worker2")
    assert quantities.milli_value(node["usage"]["cpu"]) == pytest.approx(25 + 42, abs=1)


def test_queued_orders_drain_at_the_rate_of_the_ready_workers(world, model, clock):
    world.pod("containo", "worker-1", WORKER, [worker_container(delay="2")])
    assert model.push("containo", "orders", 30) == 30
    clock.t += 10  # one worker at 1 order / 2 s
    assert model.queue_length("containo", "orders") == 25
    world.pod("containo", "worker-2", WORKER, [worker_container(delay="2")])  # settles before counting it
    clock.t += 10
    assert model.queue_length("containo", "orders") == 15
    busy = {i["metadata"]["name"]: millicores(i) for i in world.registry.list(POD_METRICS, "containo")["items"]}
    assert busy["worker-1"] == pytest.approx(2 + workload.Profile().busy_millicores, abs=1)
    clock.t += 100
    assert model.queue_length("containo", "orders") == 0
    idle = world.registry.list(POD_METRICS, "containo")["items"]
    assert millicores(idle[0]) == pytest.approx(2, abs=1)


def test_unready_workers_do_not_drain_and_inflow_fills_the_queue(world, model, clock):
    world.pod("containo", "worker-1", WORKER, [worker_container()], ready=False)
    model.set_inflow("containo", "orders", 3)
    clock.t += 10
    assert model.queue_length("containo", "orders") == 30
    world.set_pod_status("containo", "worker-1", ready=True)
    clock.t += 10  # +30 in, -5 out
    assert model.queue_length("containo", "orders") == 55


def test_a_scaled_object_names_the_consumers(world, model, clock):
    world.deployment("containo", "processor", {"app": "proc"}, [worker_container()])
    world.pod("containo", "proc-1", {"app": "proc"}, [{"name": "c", "image": "x"}])  # no QUEUE_NAME env
    model.push("containo", "orders", 10)
    clock.t += 4
    assert model.queue_length("containo", "orders") == 10
    world.registry.create(resources.lookup("keda.sh", "v1alpha1", "scaledobjects"), "containo", {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "proc", "namespace": "containo"},
        "spec": {"scaleTargetRef": {"name": "processor"}, "triggers": [{"type": "redis", "metadata": {
            "address": "queue.containo:6379", "listName": "orders"}}]}})
    clock.t += 4  # default drain: 1 order per second per pod
    assert model.queue_length("containo", "orders") == 6


def test_a_deleted_namespace_forgets_its_load_and_queues(world, model):
    model.set_load("containo", "Service", "frontend", 5)
    model.push("containo", "orders", 5)
    model.clear("containo")
    assert model.loads == {} and model.queues == {}


def test_simulation_controls(world, model, clock):
    world.pod("containo", "worker-1", WORKER, [worker_container(delay="1")])
    status, body = controls.handle(model, "POST", "/simulation/v1/namespaces/containo/queues/orders/orders",
                                   {"count": 12})
    assert status == 201 and body["length"] == 12 and body["consumerPods"] == ["worker-1"]
    assert body["drainingPerSecond"] == 1.0
    _, body = controls.handle(model, "PUT", "/simulation/v1/namespaces/containo/load/services/frontend",
                              {"requestsPerSecond": 80})
    assert body["target"] == {"kind": "Service", "name": "frontend"} and body["requestsPerSecond"] == 80
    _, listing = controls.handle(model, "GET", "/simulation/v1/namespaces/containo/load")
    assert [i["metadata"]["name"] for i in listing["items"]] == ["frontend"]
    _, body = controls.handle(model, "DELETE", "/simulation/v1/namespaces/containo/queues/orders")
    assert body["length"] == 0


@pytest.mark.parametrize("method, path, body, code, reason", [
    ("PUT", "/simulation/v1/namespaces/containo/load/pods/x", {"requestsPerSecond": 1}, 400, "BadRequest"),
    ("PUT", "/simulation/v1/namespaces/containo/load/services/x", {"requestsPerSecond": -1}, 400, "BadRequest"),
    ("POST", "/simulation/v1/namespaces/containo/queues/orders/orders", {"count": 1.5}, 400, "BadRequest"),
    ("PATCH", "/simulation/v1/namespaces/containo/queues/orders", {}, 405, "MethodNotAllowed"),
    ("GET", "/simulation/v1/whatever", None, 404, "NotFound"),
])
def test_simulation_controls_reject_bad_requests(model, method, path, body, code, reason):
    with pytest.raises(StatusError) as err:
        controls.handle(model, method, path, body)
    assert (err.value.code, err.value.reason) == (code, reason)


def test_simulation_controls_take_the_raw_request_body(model):
    status, body = controls.handle(model, "POST", "/simulation/v1/namespaces/containo/queues/orders/orders",
                                   b'{"count": 3}')
    assert (status, body["length"]) == (201, 3)
    with pytest.raises(StatusError, match="must be a JSON object"):
        controls.handle(model, "PUT", "/simulation/v1/namespaces/containo/queues/orders", b"{nope")
    with pytest.raises(StatusError) as err:
        controls.handle(None, "GET", "/simulation/v1/namespaces/containo/queues/orders")
    assert err.value.code == 503


def test_the_runtime_is_read_off_the_node_connections_own_flag(model):
    simulated = SimulatedNode(lambda namespace, name: None)
    cases = [(ProcessNodeConnection(None, simulated), "process"), (simulated, "simulated"), (None, "simulated")]
    for kubelet, expected in cases:
        status, body = controls.handle(model, "GET", "/simulation/v1/runtime", kubelet=kubelet)
        assert (status, body["kind"], body["runtime"]) == (200, "SandboxRuntime", expected)
    # Answered without the workload model too (the helpers ask before anything else), and read only.
    assert controls.handle(None, "GET", "/simulation/v1/runtime/", kubelet=simulated)[1]["runtime"] == "simulated"
    with pytest.raises(StatusError) as err:
        controls.handle(model, "PUT", "/simulation/v1/runtime", {"runtime": "process"}, kubelet=simulated)
    assert err.value.code == 405
