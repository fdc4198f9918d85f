"""Load, orders and the queue without a cluster: the same requests and commands on the process-runtime sandbox and on
kind, the "[simulation]" stand-ins only on a sandbox that says it runs `--runtime simulated`, and the kernel's reach
of the API's LoadBalancer Service (its address, or a port-forward)."""
import contextlib
import json
import subprocess

import kubernetes_validate
import pytest
from fake_cluster import LB_IP, FakeApi, connect_fake, connection
from kubernetes.client.exceptions import ApiException

from app import config as app_config
from app import orders as app_orders
from helpers import load_jobs, manifests, orders, reach, scaling, simulation
from helpers.errors import WorkshopError

API_SELECTOR = manifests.chapter_objects(2)[0]["spec"]["selector"]["matchLabels"]
BASE = f"http://{LB_IP}:1337"


def env_of(pod: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}


# --- the load generator's pod ----------------------------------------------------------------------------------------

def test_the_load_generator_is_a_valid_pod_of_the_app_image_that_the_api_does_not_select(monkeypatch):
    monkeypatch.delenv("WORKSHOP_IMAGE", raising=False)
    pod = load_jobs.load_pod(200, "containo-orders-frontend", 1337, "containo-alice")
    kubernetes_validate.validate(pod, "1.37.0", strict=True)
    container = pod["spec"]["containers"][0]
    assert (container["image"], container["command"]) == ("containo-orders:dev", ["python", "-m", "app.load"])
    assert env_of(pod) == {"LOAD_TARGET_URL": "http://containo-orders-frontend:1337", "LOAD_MODE": "orders",
                           "LOAD_RATE": "200", "LOAD_DURATION_SECONDS": "1800", "LOAD_REPORT_SECONDS": "5",
                           "LOAD_ORDER": '{"amount":1000,"customerName":"load-generator","productId":"keyboard"}'}
    assert pod["metadata"] == {"name": "containo-load-generator", "namespace": "containo-alice",
                               "labels": {**load_jobs.LABELS, "service": "load-generator"}}
    assert pod["spec"]["restartPolicy"] == "Never" and pod["spec"]["securityContext"] == {"runAsNonRoot": True}
    # Its pod must not count as an API pod (the Service, the HPA and the checkpoints select service=api)...
    assert not all(pod["metadata"]["labels"].get(k) == v for k, v in API_SELECTOR.items())
    # ...and the selector generate_load() waits on finds it.
    key, value = load_jobs.LOAD_SELECTOR.split("=")
    assert pod["metadata"]["labels"][key] == value
    # The settings are ones the load generator accepts (app/config.py reads them at its start).
    cfg = app_config.load(env_of(pod))
    assert (cfg.mode, cfg.rate, cfg.duration, cfg.target_url) == ("orders", 200.0, 1800.0,
                                                                   "http://containo-orders-frontend:1337")
    assert env_of(load_jobs.load_pod(12.5, "api", 80, "ns"))["LOAD_RATE"] == "12.5"


def test_the_loads_orders_are_refused_by_the_validator_unless_another_amount_is_asked_for():
    limit = next(int(e["value"]) for o in manifests.chapter_objects(3) if o["kind"] == "Deployment"
                 for c in o["spec"]["template"]["spec"]["containers"] if c["name"] == "orders-validator"
                 for e in c["env"] if e["name"] == "ORDER_LIMIT")
    assert limit == load_jobs.ORDER_LIMIT
    refused = app_orders.limit_violation(load_jobs.REFUSED_ORDER["amount"], limit)
    assert refused == "amount 1000 exceeds the limit of 100"  # a 400, never queued
    assert app_orders.limit_violation(scaling.load_order(42)["amount"], limit) is None
    assert "refused (400), so none is queued" in scaling.load_words(scaling.load_order(1000))
    assert "clear_queue()" in scaling.load_words(scaling.load_order(42))


def test_on_a_named_cluster_the_load_runs_the_image_workshop_image_names(monkeypatch):
    monkeypatch.setenv("WORKSHOP_IMAGE", "registry.example.com/containo-orders:1.0")
    pod = load_jobs.load_pod(200, "containo-orders-frontend", 1337, "containo")
    job = load_jobs.orders_job(40, orders.ORDER, "containo-orders-frontend", 1337, "containo")
    assert pod["spec"]["containers"][0]["image"] == "registry.example.com/containo-orders:1.0"
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/containo-orders:1.0"


def test_the_order_sender_job_posts_exactly_n_real_orders_through_the_service():
    job = load_jobs.orders_job(40, scaling.ORDER, "containo-orders-frontend", 1337, "containo")
    kubernetes_validate.validate(job, "1.37.0", strict=True)
    env = {e["name"]: e["value"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert job["metadata"]["generateName"] == "containo-order-sender-" and "name" not in job["metadata"]
    assert (env["LOAD_MODE"], env["LOAD_REQUESTS"], env["LOAD_TARGET_URL"]) == \
        ("orders", "40", "http://containo-orders-frontend:1337")
    assert json.loads(env["LOAD_ORDER"]) == {"amount": 42, "customerName": "Ada", "productId": "keyboard"}
    assert job["spec"]["backoffLimit"] == 0  # a failed send is reported, not repeated (orders are not idempotent)
    cfg = app_config.load(env)
    assert (cfg.requests, json.loads(cfg.order)) == (40, orders.ORDER)


# --- which runtime: the sandbox says ----------------------------------------------------------------------------------

def test_the_runtime_is_asked_of_the_sandbox_once_per_connection():
    conn = connection(runtime="process")
    assert not simulation.is_simulated(conn) and not simulation.is_simulated(conn)
    assert conn.api.calls == [("GET", "/simulation/v1/runtime", None)]
    assert simulation.is_simulated(connection(runtime="simulated"))
    old = connection(fail=ApiException(status=404, reason="Not Found"))  # a sandbox from before runtimes ran nothing
    assert simulation.sandbox_runtime(old) == "simulated"
    kind = connection("kind", runtime="simulated")
    assert not simulation.is_simulated(kind) and kind.api.calls == []  # a real cluster is never asked
    with pytest.raises(ApiException):
        simulation.sandbox_runtime(connection(fail=ApiException(status=500, reason="Internal")))


# --- load: the same pod on the process-runtime sandbox and on kind -------------------------------------------------------

def load_and_stop(monkeypatch, cluster, capsys):
    conn = connect_fake(monkeypatch, cluster)
    waited = []
    monkeypatch.setattr(scaling, "wait_for_pods", lambda *a, **k: waited.append((a, k)))
    scaling.generate_load(200)
    scaling.stop_load()
    calls = [c for c in conn.api.calls if c[1] != "/simulation/v1/runtime"]
    return calls, waited, capsys.readouterr().out


def test_real_load_is_the_same_pod_and_the_same_words_on_the_sandbox_and_on_kind(monkeypatch, capsys):
    sandbox = load_and_stop(monkeypatch, "sandbox", capsys)
    kind = load_and_stop(monkeypatch, "kind", capsys)
    assert sandbox == kind
    calls, waited, out = sandbox
    posts = [(path, body) for method, path, body in calls if method == "POST"]
    assert posts == [("/api/v1/namespaces/containo/pods",
                      load_jobs.load_pod(200, "containo-orders-frontend", 1337, "containo"))]
    assert [c[:2] for c in calls if c[0] == "DELETE"] == [
        ("DELETE", "/api/v1/namespaces/containo/pods/containo-load-generator")] * 2  # before creating, and to stop
    assert waited == [(("service=load-generator",), {"count": 1, "namespace": "containo", "timeout": 300.0})]
    assert out.splitlines() == [
        "pod/containo-load-generator running: it POSTs 200 orders/s to "
        "http://containo-orders-frontend:1337/api/orders until stop_load(). Their amount, 1000, is over the "
        "validator's limit of 100: each is refused (400), so none is queued. Its log: kubectl logs "
        "containo-load-generator",
        "pod/containo-load-generator deleted: the load stopped."]


def test_a_sandbox_with_the_simulated_runtime_gets_the_workload_model_and_says_so(monkeypatch, capsys):
    conn = connect_fake(monkeypatch, runtime="simulated")
    scaling.generate_load(200)
    orders.enqueue_orders(40)
    assert orders.queue_length() == 7
    orders.clear_queue()
    scaling.stop_load()
    assert [c for c in conn.api.calls if c[1] != "/simulation/v1/runtime"] == [
        ("PUT", "/simulation/v1/namespaces/containo/load/services/containo-orders-frontend",
         {"requestsPerSecond": 200}),
        ("POST", "/simulation/v1/namespaces/containo/queues/orders/orders", {"count": 40}),
        ("GET", "/simulation/v1/namespaces/containo/queues/orders", None),
        ("DELETE", "/simulation/v1/namespaces/containo/queues/orders", None),
        ("PUT", "/simulation/v1/namespaces/containo/load/services/containo-orders-frontend",
         {"requestsPerSecond": 0})]
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and all(line.startswith("[simulation] ") for line in out)
    assert "40 orders pushed onto the Redis list 'orders'" in out[1]
    with pytest.raises(WorkshopError, match="runs with --runtime simulated: no process serves service/"):
        with reach.reach_service():
            pass


@pytest.mark.parametrize("call,message", [
    (lambda: scaling.generate_load(-5), "requests per second must be a non-negative number, got -5"),
    (lambda: scaling.generate_load("lots"), "requests per second must be a non-negative number, got 'lots'"),
    (lambda: scaling.generate_load(float("inf")), "requests per second must be a non-negative number"),
    (lambda: scaling.generate_load(10, amount=0), "the amount of the load's orders must be a positive number"),
    (lambda: orders.enqueue_orders(0), "the number of orders must be a positive whole number, got 0"),
    (lambda: orders.enqueue_orders(2.5), "the number of orders must be a positive whole number, got 2.5"),
    (lambda: scaling.generate_load(10, "nope"), 'service "nope" not found in namespace containo'),
])
def test_bad_input_is_refused_before_anything_is_sent(monkeypatch, call, message):
    conn = connect_fake(monkeypatch)
    with pytest.raises(WorkshopError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()
    assert not [c for c in conn.api.calls if c[0] != "GET"]


def test_a_sandbox_without_the_simulation_api_is_explained(monkeypatch):
    missing = ApiException(status=404, reason="Not Found")
    missing.body = json.dumps({"kind": "Status", "code": 404, "reason": "NotFound",
                               "message": "the server could not find the requested resource"})
    conn = connect_fake(monkeypatch, api=FakeApi(fail=missing))
    with pytest.raises(WorkshopError, match="does not serve the simulation API"):
        simulation.simulation(conn, "GET", "containo/queues")


# --- orders through the API ------------------------------------------------------------------------------------------

@contextlib.contextmanager
def reached(base=BASE):
    yield base


def post_three_orders(monkeypatch, capsys, cluster):
    connect_fake(monkeypatch, cluster)
    sent = []
    monkeypatch.setattr(orders, "reach_service", lambda *a, **k: reached())
    monkeypatch.setattr(orders, "http_request", lambda method, url, body=None: sent.append((method, url, body))
                        or (201, {"confirmationId": "c", "status": "queued"}))
    orders.enqueue_orders(3)
    return sent, capsys.readouterr().out


def test_orders_are_posted_through_the_service_alike_on_the_sandbox_and_on_kind(monkeypatch, capsys):
    seen = {cluster: post_three_orders(monkeypatch, capsys, cluster) for cluster in ("sandbox", "kind")}
    assert seen["sandbox"] == seen["kind"]
    sent, out = seen["kind"]
    assert sent == [("POST", f"{BASE}/api/orders", orders.ORDER)] * 3
    assert out == f"3 orders POSTed to {BASE}/api/orders: 3 accepted (201) and queued by the API.\n"
    assert app_orders.limit_violation(orders.ORDER["amount"], load_jobs.ORDER_LIMIT) is None  # accepted ones


def test_orders_the_api_refuses_are_reported_with_its_reason():
    answers = orders.Counter({201: 2, 503: 1, "error 503": "queue Redis at redis://... is unavailable"})
    with pytest.raises(WorkshopError) as error:
        orders.orders_sent(3, f"{BASE}/api/orders", answers)
    assert str(error.value) == (f"3 orders POSTed to {BASE}/api/orders: only 2 accepted (error 503: queue Redis at "
                                "redis://... is unavailable). The API's log says why: kubectl logs "
                                "deployment/containo-orders-frontend -c orders-api")


def test_wait_for_order_reads_the_confirmation_until_the_worker_wrote_it(monkeypatch, capsys):
    monkeypatch.setattr(orders, "POLL_SECONDS", 0)
    answers = iter([(404, {"error": "not found"}), (404, {"error": "not found"}), (200, {"status": "processed"})])
    monkeypatch.setattr(orders, "http_request", lambda method, url: next(answers))
    url = f"{BASE}/api/Ada/orders/c"
    assert orders.wait_for_order(url) == (200, {"status": "processed"})
    assert capsys.readouterr().out.splitlines()[-1] == f"order processed: GET {url} -> 200"
    monkeypatch.setattr(orders, "http_request", lambda method, url: (503, {"error": "cache Redis is unavailable"}))
    with pytest.raises(WorkshopError, match="-> 503 cache Redis is unavailable"):
        orders.wait_for_order(url)
    monkeypatch.setattr(orders, "http_request", lambda method, url: (404, {}))
    with pytest.raises(WorkshopError, match="(?s)not done after 0.2s.*is the worker running and ready"):
        orders.wait_for_order(url, timeout=0.2)


# --- the queue: redis-cli inside its pod -------------------------------------------------------------------------------

def recorded_runs(monkeypatch, stdout="7\n", returncode=0, stderr=""):
    ran = []
    monkeypatch.setattr(orders, "run", lambda cmd, timeout=120, stdin=None: ran.append(cmd)
                        or subprocess.CompletedProcess(cmd, returncode, stdout=stdout, stderr=stderr))
    return ran


@pytest.mark.parametrize("cluster", ["sandbox", "kind"])
def test_the_queue_is_read_and_emptied_with_redis_cli_in_its_pod(monkeypatch, capsys, cluster):
    connect_fake(monkeypatch, cluster)
    ran = recorded_runs(monkeypatch)
    assert orders.queue_length() == 7
    orders.clear_queue()
    context = {"sandbox": "workshop-sandbox", "kind": "kind-workshop"}[cluster]
    exec_words = ["exec", "deployment/containo-orders-queue", "-c", "redis", "--", "redis-cli"]
    assert [cmd[1:] for cmd in ran] == [
        ["--kubeconfig", "/tmp/kubeconfig", "--context", context, "--namespace", "containo", *exec_words, *words]
        for words in (["LLEN", "orders"], ["DEL", "orders"])]
    assert capsys.readouterr().out == "the Redis list 'orders' in deployment/containo-orders-queue is empty.\n"


def test_a_failing_redis_cli_says_what_failed(monkeypatch):
    connect_fake(monkeypatch, "kind")
    recorded_runs(monkeypatch, "", 1, 'Error from server (NotFound): deployments.apps "containo-orders-queue" not found')
    with pytest.raises(WorkshopError, match="redis-cli LLEN orders in deployment/containo-orders-queue failed"):
        orders.queue_length()


def test_wait_for_queue_reads_the_length_until_the_worker_drained_it(monkeypatch, capsys):
    connect_fake(monkeypatch)
    monkeypatch.setattr(orders, "POLL_SECONDS", 0)
    lengths = iter([5, 3, 0])
    monkeypatch.setattr(orders, "list_length", lambda *a, **k: next(lengths))
    orders.wait_for_queue()
    assert capsys.readouterr().out.splitlines()[-1] == "no order waiting on the Redis list 'orders'"
    monkeypatch.setattr(orders, "list_length", lambda *a, **k: 4)
    with pytest.raises(WorkshopError) as error:
        orders.wait_for_queue(timeout=0.3)
    assert str(error.value).startswith("the Redis list 'orders': not done after 0.3s. 4 orders waiting on the "
                                       "Redis list 'orders'\nNot ready:\n  is the worker running and ready?")
    with pytest.raises(WorkshopError, match="must be a non-negative whole number, got -1"):
        orders.wait_for_queue(-1)


# --- quiet: what ensure_chapter() leaves ---------------------------------------------------------------------------------

def test_a_quiet_workload_stops_every_simulated_load_and_empties_every_queue(monkeypatch):
    loads = [{"target": {"kind": "Service", "name": "containo-orders-frontend"}},
             {"target": {"kind": "Deployment", "name": "web"}}]
    queues = [{"metadata": {"name": "orders"}, "length": 3, "ordersPerSecond": 2},
              {"metadata": {"name": "idle"}, "length": 0, "ordersPerSecond": 0}]
    conn = connect_fake(monkeypatch, api=FakeApi(loads=loads, queues=queues, runtime="simulated"))
    scaling.quiet_workload(conn, "containo")
    base = "/simulation/v1/namespaces/containo"
    assert conn.api.calls == [
        ("GET", "/simulation/v1/runtime", None),
        ("GET", f"{base}/load", None),
        ("PUT", f"{base}/load/services/containo-orders-frontend", {"requestsPerSecond": 0}),
        ("PUT", f"{base}/load/deployments/web", {"requestsPerSecond": 0}),
        ("GET", f"{base}/queues", None),
        ("PUT", f"{base}/queues/orders", {"ordersPerSecond": 0}),
        ("DELETE", f"{base}/queues/orders", None)]  # the idle list needs nothing


@pytest.mark.parametrize("cluster", ["sandbox", "kind"])
def test_a_quiet_workload_deletes_the_load_pod_and_empties_a_running_queue(monkeypatch, cluster):
    conn = connect_fake(monkeypatch, cluster)
    ran = recorded_runs(monkeypatch, "1\n")
    scaling.quiet_workload(conn, "containo")
    assert [c[:2] for c in conn.api.calls if c[1] != "/simulation/v1/runtime"] == [
        ("DELETE", "/api/v1/namespaces/containo/pods/containo-load-generator"),
        ("GET", "/api/v1/namespaces/containo/pods")]
    assert [cmd[-2:] for cmd in ran] == [["DEL", "orders"]]
    idle = connect_fake(monkeypatch, cluster, queue_ready=False)  # no queue running: nothing to empty
    ran.clear()
    scaling.quiet_workload(idle, "containo")
    assert ran == []


# --- the kernel's reach of a LoadBalancer Service ---------------------------------------------------------------------

def test_the_external_address_and_the_port_forwards_local_port():
    assert reach.external_address({"status": {"loadBalancer": {"ingress": [{"ip": "172.18.0.6"}]}}}) == "172.18.0.6"
    assert reach.external_address({"status": {"loadBalancer": {"ingress": [{"hostname": "lb.example"}]}}}) == \
        "lb.example"
    assert reach.external_address({"status": {"loadBalancer": {}}}) is None
    assert reach.forwarded_port("Forwarding from 127.0.0.1:41234 -> 80\n") == 41234
    assert reach.forwarded_port("Handling connection for 41234") is None
    conn = connection("kind")
    assert reach.port_forward_command(conn, "containo", "containo-orders-frontend", 1337)[1:] == [
        "--kubeconfig", "/tmp/kubeconfig", "--context", "kind-workshop", "--namespace", "containo", "port-forward",
        "--address", "127.0.0.1", "service/containo-orders-frontend", ":1337"]


@pytest.mark.parametrize("cluster", ["sandbox", "kind"])
def test_the_load_balancers_address_is_used_when_it_answers(monkeypatch, capsys, cluster):
    connect_fake(monkeypatch, cluster)
    asked = []
    monkeypatch.setattr(reach, "answers", lambda base: asked.append(base) or True)
    monkeypatch.setattr(reach, "port_forward", lambda *a: pytest.fail("no port-forward when the address answers"))
    with reach.reach_service() as base:
        assert base == BASE
    assert asked == [BASE] and capsys.readouterr().out == ""


@pytest.mark.parametrize("ingress,why", [(LB_IP, f"its external IP {LB_IP} does not answer from here"),
                                         (None, "it has no external IP")])
def test_a_port_forward_stands_in_when_the_address_does_not_answer(monkeypatch, capsys, ingress, why):
    connect_fake(monkeypatch, "kind", ingress=ingress)  # Docker Desktop, or no load-balancer provider
    monkeypatch.setattr(reach, "answers", lambda base: False)
    forwarded = []

    @contextlib.contextmanager
    def port_forward(conn, namespace, service, port):
        forwarded.append((namespace, service, port))
        yield 41234

    monkeypatch.setattr(reach, "port_forward", port_forward)
    with reach.reach_service() as base:
        assert base == "http://127.0.0.1:41234"
    assert forwarded == [("containo", "containo-orders-frontend", 1337)]
    assert capsys.readouterr().out == (f"service/containo-orders-frontend: {why}; kubectl port-forward "
                                       "service/containo-orders-frontend 41234:1337 stands in for it.\n")


def test_a_missing_service_is_explained(monkeypatch):
    connect_fake(monkeypatch, "kind", services=())
    with pytest.raises(WorkshopError, match="chapter 05 creates the API's"):
        with reach.reach_service():
            pass
