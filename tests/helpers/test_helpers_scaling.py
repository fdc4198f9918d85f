"""Chapter 06's helpers without a cluster: the HPA's arithmetic, the charts, what a run of watch_scaling records and
when it stops, and the chapter 6 checkpoint. (Load, orders and the queue: test_helpers_traffic.py.)"""
import json
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest
from fake_cluster import FakeApi, connection
from kubernetes.client.exceptions import ApiException

from helpers import charts, hpa_math, manifests, scaling, scaling_watch
from helpers.checks import Snapshot, judge
from helpers.errors import WorkshopError
from helpers.scaling_watch import Goal, Metric, Sample, ScalingRun, Subject


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


def hpa_sample(replicas, ready=None, desired=None, looked_at=None, proposed=None):
    """A sample whose HPA last looked at `looked_at` replicas, wants `desired`, and whose metrics propose `proposed`."""
    ready = replicas if ready is None else ready
    return Sample(0.0, replicas, ready, None, replicas if desired is None else desired,
                  replicas if looked_at is None else looked_at, replicas if proposed is None else proposed)


def test_scaled_up_means_above_the_minimum_all_ready_and_the_hpa_content_with_that_count():
    up = Goal(None, "scaled up", None, (2, 8))
    assert not up.reached(hpa_sample(2), 0)  # at the minimum: not scaled up yet
    assert not up.reached(hpa_sample(4, ready=3), 0)  # a pod still starting
    assert not up.reached(hpa_sample(4, looked_at=2), 0)  # the HPA has not looked at the four yet
    assert not up.reached(hpa_sample(4, desired=5), 0)  # it wants more
    assert Goal(None, "scaled up", None, (0, 5)).reached(hpa_sample(3, desired=1), 0)  # already going down: up is over
    # It holds 3, but only because the new pod had no metrics at its last sync: the two measured ones ask for 5.
    assert not up.reached(hpa_sample(3, proposed=5), 0)
    assert not up.reached(Sample(0.0, 3, 3, None, 3, 3, None), 0)  # no metric reported at all
    assert Goal(None, "scaled up", None, (2, 3)).reached(hpa_sample(3, proposed=5), 0)  # at the maximum: content
    assert up.reached(hpa_sample(3), 0)  # whatever the count: real CPU decides how far it goes
    assert up.describe() == "scaled up (minimum 2)"


def test_out_and_back_for_keda_without_naming_a_peak():
    worker = Goal(None, ("scaled up", "scaled down"), None, (0, 5))
    assert not worker.reached(hpa_sample(0, desired=0, looked_at=0), 0)  # 0 comes second
    assert not worker.reached(hpa_sample(1, desired=5), 0)
    assert not worker.reached(hpa_sample(5), 0)  # out: now it must come back
    assert not worker.reached(hpa_sample(2, desired=0), 0)
    assert not worker.reached(hpa_sample(0, ready=1), 0)  # a worker still stopping
    assert worker.reached(hpa_sample(0, desired=1, looked_at=1), 0)
    assert not Goal(None, "scaled down", None, (2, 8)).reached(hpa_sample(3), 0)
    assert Goal(None, "scaled down", None, (2, 8)).reached(hpa_sample(2, desired=4), 0)
    assert worker.describe() == "scaled up then scaled down (minimum 0)"


def test_scaling_words_need_an_autoscaler_and_are_spelled_as_documented():
    with pytest.raises(WorkshopError, match="No HorizontalPodAutoscaler or ScaledObject scales this Deployment"):
        Goal(None, "scaled up", None, None)
    with pytest.raises(WorkshopError, match="until= takes 'scaled up', 'scaled down'.* not 'up'"):
        Goal(None, "up", None, (2, 8))


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


def test_explain_shows_every_decision_or_the_ones_asked_for(capsys):
    run = ScalingRun(Subject("api", "containo", "api", None, Metric("cpu", "%", 50.0), (2, 8)), time_scale=10)
    run.since = 1_800_000_000
    run.seen_hpa(hpa_object(2, 6, "2027-01-15T08:00:01Z", ("cpu", {"averageUtilization": 136})))
    run.seen_hpa(hpa_object(6, 2, "2027-01-15T08:00:31Z", ("cpu", {"averageUtilization": 2})))
    run.explain(0)
    first = capsys.readouterr().out.splitlines()
    assert first[1:3] == ["2 → 6 replicas", "  cpu: 136% of requests, target 50%  →  ceil(2 × 136 / 50) = "
                                            "ceil(5.44) = 6"]
    run.explain(-1)
    assert capsys.readouterr().out.splitlines()[1] == "6 → 2 replicas"
    run.explain()
    assert [line for line in capsys.readouterr().out.splitlines() if line.endswith(" replicas")] == [
        "2 → 6 replicas", "6 → 2 replicas"]
    with pytest.raises(WorkshopError, match="this run saw 2 decisions: ask for 0 to 1"):
        run.explain(2)


def test_a_keda_run_reports_only_what_is_certain(capsys):
    subject = Subject("worker", "containo", "keda-hpa-worker", "worker", Metric("queued orders", "", None,
                                                                                 ("containo", "orders")), (0, 5))
    run = ScalingRun(subject, time_scale=1)
    run.samples = [Sample(0, 0, 0, 40.0, None), Sample(5, 1, 1, 38.0, 1), Sample(12, 5, 5, 20.0, 5),
                   Sample(40, 0, 0, 0.0, 1)]
    run.summary()
    assert capsys.readouterr().out.splitlines() == [
        "deployment/worker, scaled by scaledobject/worker (0..5 replicas):", "  peak 5 replicas, now 0"]
    assert "seconds (sandbox at time scale 1: real time)</text>" in run.chart_svg()  # the axis names its scale


def test_chart_seconds_follow_the_time_scale_the_sandbox_reports(monkeypatch):
    conn = connection(clock=7)
    monkeypatch.setenv("WORKSHOP_TIME_SCALE", "10")
    assert scaling_watch.time_scale(conn) == 7  # what the sandbox says wins over the variable
    assert conn.api.calls == [("GET", "/simulation/v1/clock", None)]
    old = connection(api=FakeApi(fail=ApiException(status=404, reason="Not Found")))  # a sandbox too old to say
    assert scaling_watch.time_scale(old) == 10  # the scale connect() would have started it with
    kind = connection("kind", clock=7)
    assert scaling_watch.time_scale(kind) == 1 and kind.api.calls == []


def test_hpa_and_scaled_object_states():
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
