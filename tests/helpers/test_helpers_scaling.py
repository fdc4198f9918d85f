"""Chapter 06's helpers without a cluster: the load generator's pod and the order Job, the HPA's arithmetic, the
charts, what a run of watch_scaling records and when it stops, the simulation calls, and the chapter 6 checkpoint."""
import json
import subprocess
import xml.etree.ElementTree as ET
from fractions import Fraction

import kubernetes_validate
import pytest

from app import config as app_config
from helpers import charts, hpa_math, load_jobs, manifests, scaling, scaling_watch, wait
from helpers.api import Resource
from helpers.checks import Snapshot, judge
from helpers.cluster import Connection
from helpers.errors import WorkshopError
from helpers.scaling_watch import Goal, Metric, Sample, ScalingRun, Subject

API_SELECTOR = manifests.chapter_objects(2)[0]["spec"]["selector"]["matchLabels"]


# --- the pod and the Job that make real traffic ------------------------------------------------------------------

def env_of(pod_spec: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in pod_spec["containers"][0]["env"]}


def test_the_load_generator_is_a_valid_pod_of_the_app_image_that_the_api_does_not_select(monkeypatch):
    monkeypatch.delenv("WORKSHOP_IMAGE", raising=False)
    pod = load_jobs.load_pod(200, "containo-orders-frontend", 1337, "containo-alice")
    kubernetes_validate.validate(pod, "1.37.0", strict=True)
    container = pod["spec"]["containers"][0]
    assert (container["image"], container["command"]) == ("containo-orders:dev", ["python", "-m", "app.load"])
    assert env_of(pod["spec"]) == {"LOAD_TARGET_URL": "http://containo-orders-frontend:1337", "LOAD_MODE": "orders",
                                   "LOAD_RATE": "200", "LOAD_DURATION_SECONDS": "1800", "LOAD_REPORT_SECONDS": "5"}
    assert pod["metadata"] == {"name": "containo-load-generator", "namespace": "containo-alice",
                               "labels": {**load_jobs.LABELS, "service": "load-generator"}}
    assert pod["spec"]["restartPolicy"] == "Never" and pod["spec"]["securityContext"] == {"runAsNonRoot": True}
    # Its pod must not count as an API pod (the Service, the HPA and the checkpoints select service=api)...
    assert not all(pod["metadata"]["labels"].get(k) == v for k, v in API_SELECTOR.items())
    # ...and the selector generate_load() waits on finds it.
    key, value = load_jobs.LOAD_SELECTOR.split("=")
    assert pod["metadata"]["labels"][key] == value
    # The settings are ones the load generator accepts (app/config.py reads them at its start).
    cfg = app_config.load(env_of(pod["spec"]))
    assert (cfg.mode, cfg.rate, cfg.duration, cfg.target_url) == ("orders", 200.0, 1800.0,
                                                                   "http://containo-orders-frontend:1337")
    assert env_of(load_jobs.load_pod(12.5, "api", 80, "ns")["spec"])["LOAD_RATE"] == "12.5"


def test_on_a_named_cluster_the_load_runs_the_image_workshop_image_names(monkeypatch):
    monkeypatch.setenv("WORKSHOP_IMAGE", "registry.example.com/containo-orders:1.0")
    pod = load_jobs.load_pod(200, "containo-orders-frontend", 1337, "containo")
    job = load_jobs.orders_job(40, scaling.ORDER, "containo-orders-frontend", 1337, "containo")
    assert pod["spec"]["containers"][0]["image"] == "registry.example.com/containo-orders:1.0"
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/containo-orders:1.0"


def test_the_order_sender_posts_exactly_n_real_orders_through_the_service():
    job = load_jobs.orders_job(40, scaling.ORDER, "containo-orders-frontend", 1337, "containo")
    kubernetes_validate.validate(job, "1.37.0", strict=True)
    env = env_of(job["spec"]["template"]["spec"])
    assert job["metadata"]["generateName"] == "containo-order-sender-" and "name" not in job["metadata"]
    assert (env["LOAD_MODE"], env["LOAD_REQUESTS"], env["LOAD_TARGET_URL"]) == \
        ("orders", "40", "http://containo-orders-frontend:1337")
    assert json.loads(env["LOAD_ORDER"]) == {"amount": 42, "customerName": "Ada", "productId": "keyboard"}
    assert job["spec"]["backoffLimit"] == 0  # a failed send is reported, not repeated (orders are not idempotent)
    cfg = app_config.load(env)
    assert (cfg.requests, json.loads(cfg.order)) == (40, scaling.ORDER)


# --- the HPA's arithmetic -----------------------------------------------------------------------------------------

def hpa_spec(*metrics, behavior=None, low=2, high=8):
    spec = {"minReplicas": low, "maxReplicas": high, "metrics": list(metrics)}
    if behavior:
        spec["behavior"] = behavior
    return spec


def utilization(name, target):
    return {"type": "Resource", "resource": {"name": name, "target": {"type": "Utilization",
                                                                      "averageUtilization": target}}}


def average_value(name, target):
    return {"type": "Resource", "resource": {"name": name, "target": {"type": "AverageValue", "averageValue": target}}}


def status(current, desired, *values, conditions=()):
    """values: (name, {current block}) pairs, as the HPA writes status.currentMetrics."""
    return {"currentReplicas": current, "desiredReplicas": desired, "conditions": list(conditions),
            "currentMetrics": [{"type": "Resource", "resource": {"name": n, "current": c}} for n, c in values]}


@pytest.mark.parametrize("current,value,expected", [
    (1, "200m", 2),   # the documentation's examples: 200m against 100m doubles the replicas,
    (2, "50m", 1),    # 50m halves them,
    (4, "105m", 4),   # and a ratio within 10% of 1 changes nothing
    (4, "89m", 4),    # ceil(4 x 0.89) = 4 anyway
    (10, "89m", 9),
])
def test_proposals_follow_the_documented_formula_and_tolerance(current, value, expected):
    spec = hpa_spec(average_value("cpu", "100m"))
    [p] = hpa_math.proposals(spec, status(current, current, ("cpu", {"averageValue": value})))
    assert p.proposed == expected


def test_a_utilization_proposal_is_spelled_out_with_the_numbers_the_status_reports():
    spec = hpa_spec(utilization("cpu", 50), utilization("memory", 80))
    lines = hpa_math.explain(spec, status(2, 6, ("cpu", {"averageUtilization": 136, "averageValue": "204m"}),
                                          ("memory", {"averageUtilization": 83})))
    assert lines == [
        "  cpu: 136% of requests, target 50%  →  ceil(2 × 136 / 50) = ceil(5.44) = 6",
        "  memory: 83% of requests, target 80%  →  83 / 80 = 1.04, within 10% of 1: stays 2",
        "  highest proposal: 6, within minReplicas 2, maxReplicas 8: the HPA sets 6"]
    steady = hpa_math.explain(spec, status(6, 6, ("cpu", {"averageUtilization": 48}),
                                           ("memory", {"averageUtilization": 55})))
    assert steady[0].endswith("48 / 50 = 0.96, within 10% of 1: stays 6")
    assert steady[1].endswith("ceil(6 × 55 / 80) = ceil(4.13) = 5")


def test_a_per_direction_tolerance_from_behavior_is_used():
    loose = hpa_spec(utilization("cpu", 50), behavior={"scaleDown": {"tolerance": "0.2"}})
    strict = hpa_spec(utilization("cpu", 50), behavior={"scaleDown": {"tolerance": "0.01"}})
    observed = status(6, 6, ("cpu", {"averageUtilization": 42}))  # ratio 0.84
    assert hpa_math.proposals(loose, observed)[0].proposed == 6
    assert hpa_math.proposals(strict, observed)[0].proposed == 6  # ceil(6 x 0.84) = ceil(5.04) = 6
    assert hpa_math.proposals(strict, status(10, 10, ("cpu", {"averageUtilization": 42})))[0].proposed == 9


def test_external_average_value_as_keda_uses_it_and_a_limit_the_conditions_explain():
    spec = hpa_spec({"type": "External", "external": {
        "metric": {"name": "s0-redis-orders"}, "target": {"type": "AverageValue", "averageValue": "5"}}}, low=1, high=5)
    observed = {"currentReplicas": 1, "desiredReplicas": 5,
                "currentMetrics": [{"type": "External", "external": {"metric": {"name": "s0-redis-orders"},
                                                                     "current": {"averageValue": "34"}}}],
                "conditions": [{"type": "ScalingLimited", "status": "True", "reason": "TooManyReplicas",
                                "message": "the desired replica count is more than the maximum replica count"}]}
    lines = hpa_math.explain(spec, observed)
    assert lines[0] == "  s0-redis-orders: 34, target 5  →  ceil(1 × 34 / 5) = ceil(6.8) = 7"
    assert lines[1] == ("  highest proposal: 7; the HPA sets 5 (minReplicas 1, maxReplicas 5): the desired replica "
                        "count is more than the maximum replica count")


def test_explain_says_why_when_the_status_alone_cannot_give_the_result():
    spec = hpa_spec(utilization("cpu", 50))
    below_min = {"currentReplicas": 1, "desiredReplicas": 2}
    assert hpa_math.explain(spec, below_min) == [
        "  1 replicas is below minReplicas 2: the HPA sets 2 without reading any metric"]
    assert "no metric values yet" in hpa_math.explain(spec, {"currentReplicas": 2, "desiredReplicas": 2})[0]
    # Two ready pods at 136%, a third still starting (counted as 0): the HPA set 3, not 6.
    starting = hpa_math.explain(spec, status(2, 3, ("cpu", {"averageUtilization": 136})))
    assert starting[-1].startswith("  highest proposal: 6; the HPA sets 3") and "still starting" in starting[-1]


def test_numbers_are_rounded_half_up_and_whole_numbers_stay_bare():
    assert [hpa_math.number(Fraction(n, d)) for n, d in ((123, 40), (136, 25), (6, 1), (24, 25), (17, 4))] == [
        "3.08", "5.44", "6", "0.96", "4.25"]


# --- charts -------------------------------------------------------------------------------------------------------

def test_ticks_are_round_and_cover_the_values():
    assert charts.nice_ticks(8, 5, integer=True) == [0, 2, 4, 6, 8]
    assert charts.nice_ticks(136, 5) == [0, 50, 100, 150]
    assert charts.nice_ticks(103.5, 6) == [0, 20, 40, 60, 80, 100, 120]
    assert charts.nice_ticks(0, 5, integer=True) == [0, 1]  # an all-zero axis still has a scale
    assert charts.nice_ticks(0.3, 3) == [0, 0.1, 0.2, 0.3]


def test_a_line_chart_is_well_formed_svg_with_steps_guides_and_escaped_labels():
    svg = charts.line_chart(
        [charts.Series("replicas", [(0, 2), (15, 6), (40, 2)], step=True),
         charts.Series("cpu <%>", [(0, 2), (15, 136)], axis="right", color=charts.ORANGE)],
        title="deployment/x", x_label="seconds", left_label="replicas", right_label="cpu (%)",
        guides=[charts.Guide(50, "target 50%", axis="right"), charts.Guide(8, "max 8")])
    root = ET.fromstring(svg)
    paths = [e for e in root.iter("{http://www.w3.org/2000/svg}path") if e.get("fill") == "none"
             and e.get("stroke") in (charts.BLUE, charts.ORANGE)]
    assert len(paths) == 2
    steps = paths[0].get("d").split()
    assert len(steps) == 5  # M, then a horizontal and a vertical segment for each change of value
    texts = [e.text for e in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"deployment/x", "cpu <%>", "target 50%", "max 8", "seconds"} <= set(texts)
    assert "cpu &lt;%&gt;" in svg
    empty = ET.fromstring(charts.line_chart([charts.Series("replicas", [])]))  # no sample yet: still a picture
    assert empty.tag.endswith("svg")


def test_a_live_chart_shows_once_and_updates_in_place_in_jupyter_only(monkeypatch, capsys):
    charts.LiveChart("chart").show("<svg/>")  # outside Jupyter: nothing at all
    assert capsys.readouterr().out == ""

    shown = []

    class Handle:
        def update(self, bundle, raw):
            shown.append(("update", bundle))

    def display(bundle, raw, display_id):
        shown.append(("display", bundle))
        return Handle()

    monkeypatch.setattr(charts, "in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", display)
    live = charts.LiveChart("chart: replicas")
    live.show("<svg>1</svg>")
    live.update("<svg>1</svg>")  # unchanged: no message to the browser
    live.update("<svg>2</svg>")
    assert shown == [("display", {"image/svg+xml": "<svg>1</svg>", "text/plain": "chart: replicas"}),
                     ("update", {"image/svg+xml": "<svg>2</svg>", "text/plain": "chart: replicas"})]


# --- watch_scaling: what it finds, records and waits for -----------------------------------------------------------

def scaled_object(address, list_name="orders", namespace="containo"):
    return {"metadata": {"name": "worker", "namespace": namespace},
            "spec": {"triggers": [{"type": "redis", "metadata": {"address": address, "listName": list_name,
                                                                 "listLength": "5"}}]}}


@pytest.mark.parametrize("address,namespace", [
    ("containo-orders-queue.containo-alice:6379", "containo-alice"),
    ("containo-orders-queue.containo.svc.cluster.local:6379", "containo"),
    ("containo-orders-queue:6379", "home"),  # no namespace in the address: the ScaledObject's own
])
def test_the_queue_behind_a_scaled_object(address, namespace):
    assert scaling_watch.queue_of(scaled_object(address, namespace="home")) == (namespace, "orders", 5.0)
    with pytest.raises(WorkshopError, match="no redis list trigger"):
        scaling_watch.queue_of({"metadata": {"name": "w", "namespace": "x"}, "spec": {"triggers": []}})


def test_the_metric_drawn_is_the_hpas_first_unless_named():
    hpa = {"metadata": {"name": "api"}, "spec": hpa_spec(utilization("cpu", 50), average_value("memory", "200Mi"))}
    assert scaling_watch.hpa_metric(hpa, None) == Metric("cpu", "%", 50.0)
    assert scaling_watch.hpa_metric(hpa, "memory") == Metric("memory", "", float(200 * 2**20))
    with pytest.raises(WorkshopError, match="has no metric 'gpu'"):
        scaling_watch.hpa_metric(hpa, "gpu")


def sample(replicas, ready=None, metric=None):
    return Sample(0.0, replicas, replicas if ready is None else ready, metric, None)


def test_goals_replicas_paths_conditions_and_durations():
    path = Goal((5, 0), None, None)
    assert not path.reached(sample(0), 0)  # 0 comes second: first the worker must reach 5
    assert not path.reached(sample(5, ready=1), 0)
    assert not path.reached(sample(5), 0)
    assert not path.reached(sample(1), 0)
    assert path.reached(sample(0), 0)
    until = Goal(None, lambda s: s.ready == 6 and s.metric < 50, None)
    assert not until.reached(sample(6), 0)  # no metric yet: the condition's TypeError means "not yet"
    assert not until.reached(sample(6, metric=136), 0) and until.reached(sample(6, metric=48), 0)
    assert Goal(None, None, 3).reached(sample(2), 3.5) and not Goal(None, None, 3).reached(sample(2), 1)
    assert Goal(2, None, None).describe() == "replicas 2" and Goal((5, 0), None, None).describe() == "replicas 5 then 0"
    with pytest.raises(WorkshopError, match="Say when to stop"):
        Goal(None, None, None)


def hpa_object(current, desired, scaled_at, *values):
    return {"metadata": {"name": "api"}, "spec": hpa_spec(utilization("cpu", 50)),
            "status": {**status(current, desired, *values), "lastScaleTime": scaled_at}}


def test_a_run_keeps_each_decision_once_and_none_from_before_it_began():
    run = ScalingRun(Subject("api", "containo", "api", None, Metric("cpu", "%", 50.0), (2, 8)), time_scale=10)
    run.since = 1_800_000_000  # 2027-01-15T08:00:00Z
    run.seen_hpa(hpa_object(1, 2, "2027-01-15T07:59:59Z"))  # made before the run: not this run's
    run.seen_hpa(hpa_object(2, 2, "2027-01-15T07:59:59Z"))  # no decision
    for _ in range(2):  # the same status seen by the list and by the watch
        run.seen_hpa(hpa_object(2, 6, "2027-01-15T08:00:01Z", ("cpu", {"averageUtilization": 136})))
    run.seen_hpa(hpa_object(6, 4, "2027-01-15T08:00:31Z", ("cpu", {"averageUtilization": 2})))
    assert run.path() == [2, 6, 4]
    run.samples = [Sample(0, 2, 2, 2.0, 2), Sample(5, 6, 6, 136.0, 6), Sample(9, 4, 4, 2.0, 4)]
    assert run.summary_lines() == ["deployment/api, scaled by horizontalpodautoscaler/api (2..8 replicas):",
                                   "  HPA decisions: 2 → 6 → 4", "  peak 6 replicas, now 4"]
    ET.fromstring(run.chart_svg())


def test_a_keda_run_reports_only_what_is_certain(capsys):
    subject = Subject("worker", "containo", "keda-hpa-worker", "worker", Metric("queued orders", "", None,
                                                                                 ("containo", "orders")), (0, 5))
    run = ScalingRun(subject, time_scale=1)
    run.samples = [Sample(0, 0, 0, 40.0, None), Sample(5, 1, 1, 38.0, 1), Sample(12, 5, 5, 20.0, 5),
                   Sample(40, 0, 0, 0.0, 1)]
    run.summary()
    assert capsys.readouterr().out.splitlines() == [
        "deployment/worker, scaled by scaledobject/worker (0..5 replicas):", "  peak 5 replicas, now 0"]
    assert "seconds</text>" in run.chart_svg()  # real time: no time-scale note on the axis


def test_chart_seconds_follow_the_time_scale_the_sandbox_reports(monkeypatch, tmp_path):
    from kubernetes.client.exceptions import ApiException

    api = FakeApi(clock=7)
    conn = Connection("sandbox", "workshop-sandbox", str(tmp_path / "kubeconfig"), "containo", None, api)
    monkeypatch.setenv("WORKSHOP_TIME_SCALE", "10")
    assert scaling_watch.time_scale(conn) == 7  # what the sandbox says wins over the variable
    assert api.calls == [("GET", "/simulation/v1/clock", None)]
    old = FakeApi(fail=ApiException(status=404, reason="Not Found"))  # a sandbox too old to say
    conn = Connection("sandbox", "workshop-sandbox", str(tmp_path / "kubeconfig"), "containo", None, old)
    assert scaling_watch.time_scale(conn) == 10  # the scale connect() would have started it with
    kind = Connection("kind", "kind-workshop", None, "containo", None, FakeApi(clock=7))
    assert scaling_watch.time_scale(kind) == 1 and kind.api.calls == []


# --- the simulation calls and the real cluster's commands ----------------------------------------------------------

class FakeApi:
    """Records requests; answers the simulation API and GETs of the API Service."""

    def __init__(self, services=("containo-orders-frontend",), fail=None, clock=10, loads=(), queues=()):
        self.calls, self.services, self.fail, self.clock = [], services, fail, clock
        self.loads, self.queues = loads, queues  # what the listings of the simulation API return

    def request(self, method, path, *, params=None, body=None, content_type=None, timeout=30):
        self.calls.append((method, path, body))
        if self.fail is not None:
            raise self.fail
        if path == "/simulation/v1/clock":
            return {"kind": "SimulatedClock", "timeScale": self.clock}
        if path.startswith("/simulation/v1/") and path.endswith("/load"):
            return {"kind": "SimulatedLoadList", "items": list(self.loads)}
        if path.startswith("/simulation/v1/") and path.endswith("/queues"):
            return {"kind": "SimulatedQueueList", "items": list(self.queues)}
        if path.startswith("/simulation/v1/") and "/queues/" in path:
            return {"kind": "SimulatedQueue", "length": 40 if method == "POST" else 7}
        if path.endswith("/jobs"):
            return {**body, "metadata": {**body["metadata"], "name": "containo-order-sender-x7k2p"}}
        return {}

    def get(self, path, **params):
        self.calls.append(("GET", path, params))
        return {"items": [], "metadata": {"resourceVersion": "7"}}  # the pod is gone

    def read(self, api_version, kind, name, namespace=None):
        if kind == "Service" and name in self.services:
            return {"spec": {"ports": [{"port": 1337}]}}
        return None

    def resource(self, api_version, kind):
        return {"Job": Resource("batch", "v1", "Job", "jobs", True),
                "Pod": Resource("", "v1", "Pod", "pods", True)}[kind]

    def named(self, name):  # discovery's answer for "jobs" and "pods"
        return self.resource("v1", {"jobs": "Job", "pods": "Pod"}[name])


def connect_fake(monkeypatch, cluster="sandbox", api=None):
    context = {"sandbox": "workshop-sandbox", "kind": "kind-workshop"}[cluster]
    conn = Connection(cluster, context, "/tmp/kubeconfig", "containo", None, api or FakeApi())
    monkeypatch.setattr(scaling, "current", lambda: conn)
    monkeypatch.setattr(wait, "current", lambda: conn)  # the waits scaling calls use the same connection
    return conn


def test_on_the_sandbox_load_and_orders_go_to_the_simulation_api_and_say_so(monkeypatch, capsys):
    conn = connect_fake(monkeypatch)
    scaling.generate_load(200)
    scaling.enqueue_orders(40)
    assert scaling.queue_length() == 7
    scaling.clear_queue()
    scaling.stop_load()
    assert [c for c in conn.api.calls] == [
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


@pytest.mark.parametrize("call,message", [
    (lambda: scaling.generate_load(-5), "requests per second must be a non-negative number, got -5"),
    (lambda: scaling.generate_load("lots"), "requests per second must be a non-negative number, got 'lots'"),
    (lambda: scaling.generate_load(float("inf")), "requests per second must be a non-negative number"),
    (lambda: scaling.enqueue_orders(0), "the number of orders must be a positive whole number, got 0"),
    (lambda: scaling.enqueue_orders(2.5), "the number of orders must be a positive whole number, got 2.5"),
    (lambda: scaling.generate_load(10, "nope"), 'service "nope" not found in namespace containo'),
])
def test_bad_input_is_refused_before_anything_is_sent(monkeypatch, call, message):
    conn = connect_fake(monkeypatch)
    with pytest.raises(WorkshopError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()
    assert not [c for c in conn.api.calls if c[0] != "GET"]


def test_a_sandbox_without_the_simulation_api_is_explained(monkeypatch):
    from kubernetes.client.exceptions import ApiException

    missing = ApiException(status=404, reason="Not Found")
    missing.body = json.dumps({"kind": "Status", "code": 404, "reason": "NotFound",
                               "message": "the server could not find the requested resource"})
    connect_fake(monkeypatch, api=FakeApi(fail=missing))
    with pytest.raises(WorkshopError, match="does not serve the simulation API"):
        scaling.queue_length()


def test_on_a_real_cluster_the_queue_is_read_from_redis_with_kubectl_exec(monkeypatch):
    connect_fake(monkeypatch, cluster="kind")
    ran = []

    def run(cmd, timeout=120, stdin=None):
        ran.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, stdout="7\n", stderr="")

    monkeypatch.setattr(scaling, "run", run)
    assert scaling.queue_length() == 7
    assert ran[0][1:] == ["--kubeconfig", "/tmp/kubeconfig", "--context", "kind-workshop", "--namespace", "containo",
                          "exec", "deployment/containo-orders-queue", "-c", "redis", "--", "redis-cli", "LLEN",
                          "orders"]
    monkeypatch.setattr(scaling, "run", lambda cmd, timeout=120, stdin=None: subprocess.CompletedProcess(
        cmd, 1, stdout="", stderr='Error from server (NotFound): deployments.apps "containo-orders-queue" not found'))
    with pytest.raises(WorkshopError, match="redis-cli LLEN orders in deployment/containo-orders-queue failed"):
        scaling.queue_length()


def test_on_a_real_cluster_the_load_is_a_pod_and_the_orders_a_job(monkeypatch, capsys):
    conn = connect_fake(monkeypatch, cluster="kind")
    monkeypatch.setattr(scaling, "_delete_load_generator", lambda conn, namespace: False)
    monkeypatch.setattr(scaling, "wait_for_pods", lambda *a, **k: None)
    monkeypatch.setattr(scaling, "_wait_for_job", lambda conn, name, namespace: None)
    scaling.generate_load(200)
    scaling.enqueue_orders(40)
    posts = [(path, body) for method, path, body in conn.api.calls if method == "POST"]
    assert [path for path, _ in posts] == ["/api/v1/namespaces/containo/pods",
                                           "/apis/batch/v1/namespaces/containo/jobs"]
    assert posts[0][1]["metadata"]["name"] == "containo-load-generator"
    assert posts[1][1]["metadata"]["generateName"] == "containo-order-sender-"
    out = capsys.readouterr().out
    assert ("pod/containo-load-generator running: it POSTs 200 orders/s to "
            "http://containo-orders-frontend:1337/api/orders until stop_load()") in out
    assert "job.batch/containo-order-sender-x7k2p complete: 40 orders POSTed" in out
    assert "[simulation]" not in out


def test_stopping_real_load_deletes_the_pod_and_waits_for_it(monkeypatch, capsys):
    from kubernetes.client.exceptions import ApiException

    conn = connect_fake(monkeypatch, cluster="kind")
    scaling.stop_load()
    assert conn.api.calls[0] == ("DELETE", "/api/v1/namespaces/containo/pods/containo-load-generator", None)
    assert conn.api.calls[1] == ("GET", "/api/v1/namespaces/containo/pods",
                                 {"labelSelector": "", "fieldSelector": "metadata.name=containo-load-generator"})
    assert capsys.readouterr().out == "pod/containo-load-generator deleted: the load stopped.\n"
    connect_fake(monkeypatch, cluster="kind", api=FakeApi(fail=ApiException(status=404, reason="Not Found")))
    scaling.stop_load()
    assert capsys.readouterr().out == "pod/containo-load-generator was not running.\n"


def test_job_hpa_and_scaled_object_states():
    assert scaling.job_state(None, "j").message == "waiting for job/j to be created"
    assert scaling.job_state({"status": {"conditions": [{"type": "Complete", "status": "True"}]}}, "j").done
    failed = scaling.job_state({"status": {"conditions": [{"type": "Failed", "status": "True",
                                                            "reason": "BackoffLimitExceeded"}]}}, "j")
    assert failed.failed == "job/j failed: BackoffLimitExceeded (see kubectl logs job/j)"
    hpa = {"spec": hpa_spec(utilization("cpu", 50)), "status": status(2, 2, ("cpu", {"averageUtilization": 2}))}
    assert not scaling.hpa_state(hpa, "api").done  # no ScalingActive condition yet
    hpa["status"]["conditions"] = [{"type": "ScalingActive", "status": "True"}]
    assert scaling.hpa_state(hpa, "api").message == "horizontalpodautoscaler/api reads its metrics: cpu 2%/50%"
    hpa["status"]["conditions"] = [{"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
                                    "message": "unable to get metrics for resource cpu"}]
    assert "FailedGetResourceMetric: unable to get metrics" in scaling.hpa_state(hpa, "api").message
    so = {"status": {"hpaName": "keda-hpa-w", "conditions": [{"type": "Ready", "status": "True"}]}}
    assert scaling.scaled_object_state(so, "w").message == "scaledobject/w is ready (KEDA owns hpa/keda-hpa-w)"


# --- the chapter 6 checkpoint -------------------------------------------------------------------------------------

def chapter6(hpa_conditions, so_conditions):
    want = [manifests.localize(o, "containo", lambda obj: True) for o in manifests.chapter_objects(6)]
    snap = Snapshot("containo")
    for obj in want:
        live = json.loads(json.dumps(obj))
        live["status"] = {"conditions": hpa_conditions if obj["kind"] == "HorizontalPodAutoscaler" else so_conditions}
        snap.objects.setdefault((obj["apiVersion"], obj["kind"]), {})[obj["metadata"]["name"]] = live
    return want, snap


def test_the_checkpoint_wants_working_autoscalers_not_only_present_ones():
    ok = [{"type": "ScalingActive", "status": "True"}], [{"type": "Ready", "status": "True"}]
    assert judge(*chapter6(*ok)) == []
    problems = judge(*chapter6([], [{"type": "Ready", "status": "Unknown", "message": ""}]))
    assert problems == [
        "horizontalpodautoscaler/containo-orders-frontend has not read its metrics yet (TARGETS <unknown>): "
        "wait one sync (15 s)",
        "scaledobject/containo-orders-queue-processor is not ready: KEDA has not processed it (is KEDA running?)"]
    broken = [{"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
               "message": "failed to get cpu utilization: unable to get metrics for resource cpu"}]
    [problem] = judge(*chapter6(broken, ok[1]))
    assert problem.endswith("FailedGetResourceMetric: failed to get cpu utilization: unable to get metrics for "
                            "resource cpu (is metrics-server running?)")


def test_a_quiet_workload_stops_every_simulated_load_and_empties_every_queue(monkeypatch):
    loads = [{"target": {"kind": "Service", "name": "containo-orders-frontend"}},
             {"target": {"kind": "Deployment", "name": "web"}}]
    queues = [{"metadata": {"name": "orders"}, "length": 3, "ordersPerSecond": 2},
              {"metadata": {"name": "idle"}, "length": 0, "ordersPerSecond": 0}]
    conn = connect_fake(monkeypatch, api=FakeApi(loads=loads, queues=queues))
    scaling.quiet_workload(conn, "containo")
    base = "/simulation/v1/namespaces/containo"
    assert conn.api.calls == [
        ("GET", f"{base}/load", None),
        ("PUT", f"{base}/load/services/containo-orders-frontend", {"requestsPerSecond": 0}),
        ("PUT", f"{base}/load/deployments/web", {"requestsPerSecond": 0}),
        ("GET", f"{base}/queues", None),
        ("PUT", f"{base}/queues/orders", {"ordersPerSecond": 0}),
        ("DELETE", f"{base}/queues/orders", None)]  # the idle list needs nothing


def test_a_quiet_workload_on_a_real_cluster_deletes_the_load_pod_and_skips_a_queue_not_running(monkeypatch):
    kind = connect_fake(monkeypatch, "kind")  # FakeApi: no queue Deployment, so no redis-cli
    scaling.quiet_workload(kind, "containo")
    assert [c[:2] for c in kind.api.calls] == [("DELETE", "/api/v1/namespaces/containo/pods/containo-load-generator"),
                                               ("GET", "/api/v1/namespaces/containo/pods")]


def test_wait_for_queue_reads_the_length_until_the_worker_drained_it(monkeypatch, capsys):
    connect_fake(monkeypatch)
    lengths = iter([5, 3, 0])
    monkeypatch.setattr(scaling, "queue_length", lambda *a, **k: next(lengths))
    scaling.wait_for_queue()
    assert capsys.readouterr().out.splitlines()[-1] == "no order waiting on the Redis list 'orders'"
    monkeypatch.setattr(scaling, "queue_length", lambda *a, **k: 4)
    with pytest.raises(WorkshopError) as error:
        scaling.wait_for_queue(timeout=0.3)
    assert str(error.value).startswith("the Redis list 'orders': not done after 0.3s. 4 orders waiting on the "
                                       "Redis list 'orders'\nNot ready:\n  is the worker running and ready?")
    with pytest.raises(WorkshopError, match="must be a non-negative whole number, got -1"):
        scaling.wait_for_queue(-1)
